"""What a saved plan is bound to: the env, the tenant/gateway, the iTwin URL/project, the project.

`plan --out` records a `PlanTarget` in the plan file; `apply PLANFILE` finds the project through it
(`project_of`) and checks it (`planfile_binding.check_target`). `apply_command` is the hint that
`plan --out` prints.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provisioner.config.schema import ProjectConfig


@dataclass(frozen=True)
class PlanTarget:
    """Where a plan applies. `project` is the project directory relative to the plan file's folder."""

    env: str | None
    project: str
    hub_tenant: str | None = None
    hub_gateway: str | None = None
    itwin_url: str | None = None
    itwin_project: str | None = None

    def to_json(self) -> dict[str, Any]:
        hub = ({"tenant": self.hub_tenant, "gateway": self.hub_gateway}
               if self.hub_gateway is not None else None)
        itwin = ({"url": self.itwin_url, "project": self.itwin_project}
                 if self.itwin_url is not None else None)
        return {"env": self.env, "project": self.project, "insights_hub": hub, "itwin_iot": itwin}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlanTarget:
        hub, itwin = data["insights_hub"] or {}, data["itwin_iot"] or {}
        return cls(env=data["env"], project=data["project"], hub_tenant=hub.get("tenant"),
                   hub_gateway=hub.get("gateway"), itwin_url=itwin.get("url"),
                   itwin_project=itwin.get("project"))


def relative_project(project: Path | str, planfile: Path | str) -> str:
    """The project directory as seen from the plan file's folder (absolute if no relative path exists)."""
    project_abs = Path(project).resolve()
    folder = Path(planfile).resolve().parent
    try:
        return Path(os.path.relpath(project_abs, folder)).as_posix()
    except ValueError:  # another drive on Windows
        return project_abs.as_posix()


def target_of(config: ProjectConfig, *, env: str | None, project: str) -> PlanTarget:
    """The target a loaded configuration (with `--env env`) points at."""
    hub, itwin = config.platforms.insights_hub, config.platforms.itwin_iot
    return PlanTarget(
        env=env, project=project,
        hub_tenant=hub.tenant if hub is not None else None,
        hub_gateway=hub.base_url if hub is not None else None,
        itwin_url=itwin.base_url if itwin is not None else None,
        itwin_project=itwin.project if itwin is not None else None,
    )


def project_of(planfile: Path | str, target: PlanTarget) -> Path:
    """The project directory a plan file names, resolved against the plan file's folder."""
    return Path(planfile).parent / target.project


def apply_command(planfile: str, env: str | None, variables: Sequence[str], var_files: Sequence[str] = (),
                  project: str | None = None) -> str:
    """The `provision apply` command line that applies `planfile` as it was planned (shell-quoted)."""
    words = ["provision", "apply", planfile]
    if project is not None:
        words += ["--project", project]
    if env:
        words += ["--env", env]
    for var_file in var_files:
        words += ["--var-file", var_file]
    for variable in variables:
        words += ["--var", variable]
    return shlex.join(words)
