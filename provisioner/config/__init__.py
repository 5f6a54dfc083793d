"""The configuration language: load a project directory into a validated, typed desired state.

project = load_project("examples/quickstart", env="prod", variables={"region": "eu1"})
project.config.insights_hub.assets["acme-motor"].name
project.locations["insights_hub.assets.acme-motor"]   # SourceLocation of its definition
"""

from provisioner.config.project import Project, load_project, project_files, resolve_secrets
from provisioner.config.schema import ProjectConfig
from provisioner.config.schemadoc import schema_document
from provisioner.config.secrets import Secret

__all__ = [
    "Project",
    "ProjectConfig",
    "Secret",
    "load_project",
    "project_files",
    "resolve_secrets",
    "schema_document",
]
