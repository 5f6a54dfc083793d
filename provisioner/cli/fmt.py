"""`provision fmt`: rewrite YAML files in the canonical layout; `--check` only reports."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provisioner.config.layout import format_yaml, yaml_files
from provisioner.errors import ConfigError, ConfigIssue, ProvisionError


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="[PATH]...")
@click.option("--check", is_flag=True,
              help="Change nothing; list the files not in the canonical layout and exit 1 if any (CI).")
def fmt(paths: tuple[Path, ...], check: bool) -> None:
    """Rewrite a project's *.yaml/*.yml files in the canonical layout, comments kept.

    PATH is a project directory or a file (default: the current directory). Templates
    (*.yaml.j2) are left untouched.
    """
    issues: list[ConfigIssue] = []
    changed: list[Path] = []
    for path in yaml_files(list(paths) or [Path()]):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProvisionError(f"{path}: cannot read file: {type(exc).__name__}") from exc
        result = format_yaml(text, str(path))
        if isinstance(result, ConfigIssue):
            issues.append(result)
        elif result != text:
            changed.append(path)
            if not check:
                path.write_text(result, encoding="utf-8")
    for path in changed:
        click.echo(f"{'would reformat' if check else 'reformatted'} {path}")
    if issues:
        raise ConfigError(issues)
    if check and changed:
        click.echo(f"{len(changed)} file{'s' if len(changed) != 1 else ''} not in the canonical layout; "
                   "run `provision fmt` to fix", err=True)
        sys.exit(1)
