"""Project files stay inside the project: a symlink that leads out of it is refused, not followed.

Templates are confined by their loader (`template.py`); `*.yaml` files, `vars/` files and the env
overlay are checked here, so a pull request cannot pull a file from elsewhere on the machine
into a plan (or a plan comment).
"""

from __future__ import annotations

from pathlib import Path

from provisioner.errors import ConfigIssue, SourceLocation


def leaves_project(path: Path, root: Path) -> bool:
    """Does `path`, with every symlink followed, lie outside `root` (an absolute, resolved path)?"""
    real = path.resolve()
    return root != real and root not in real.parents


def outside_issue(display: str) -> ConfigIssue:
    """The issue for a file reached through a symlink that leaves the project (its target unnamed)."""
    return ConfigIssue("refused: this is a symlink to a file outside the project directory; project "
                       "files (YAML, templates, vars/, env/) must live inside it",
                       SourceLocation(display, 1, 1))
