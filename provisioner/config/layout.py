"""The canonical layout of a project's YAML files (`provision fmt`), comments kept.

Canonical means what ruamel.yaml's round-trip writer produces with two-space mappings and
sequences indented under their key (`  - item`): one space after every colon and comma, flow
collections kept as flow, quotes and comments kept, `null` written as `null`. Templates
(`*.yaml.j2`) are left alone: they are Jinja text, not YAML, until rendered.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from provisioner.errors import ConfigIssue, SourceLocation

FORMATTED_SUFFIXES = (".yaml", ".yml")


def _round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line: long flow mappings stay where the author broke them
    yaml.representer.add_representer(
        type(None), lambda rep, _data: rep.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def _plain(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def format_yaml(text: str, display: str) -> str | ConfigIssue:
    """`text` in the canonical layout, or the issue that stops it (a syntax error, or a layout
    that would change what the file means)."""
    try:
        out = io.StringIO()
        yaml = _round_trip()
        documents = list(yaml.load_all(text))
        if len(documents) == 1:
            yaml.dump(documents[0], out)
        elif documents:
            yaml.dump_all(documents, out)
        formatted = out.getvalue()
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        where = SourceLocation(display, line, column)
        return ConfigIssue(f"not formatted: YAML syntax error: {exc.problem or exc.context}", where)
    except YAMLError as exc:
        return ConfigIssue(f"not formatted: {type(exc).__name__}", SourceLocation(display, 1, 1))
    if not text.strip():
        return text
    if _plain(formatted) != _plain(text):
        return ConfigIssue("not formatted: the canonical layout would change the file's data",
                           SourceLocation(display, 1, 1))
    return formatted


def yaml_files(paths: list[Path]) -> list[Path]:
    """The YAML files named or found under `paths` (hidden directories skipped), sorted."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(p for p in path.rglob("*")
                         if p.is_file() and p.name.lower().endswith(FORMATTED_SUFFIXES)
                         and not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            found.add(path)
    return sorted(found)
