"""Field rollout: boarding files for devices, outputs for pipelines, a field-agent simulator and
the post-deploy `check` that data flows."""
