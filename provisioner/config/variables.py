"""Template variables: `vars/` files, `--var-file`, `--var key=value`, and an env overlay's `vars:`.

Precedence, lowest to highest: `vars/` files, the env overlay's `vars:`, `--var-file` files (in the
order given), `--var` options. A higher source replaces a variable as a whole (no deep merge).
Inside `vars/` a variable defined by two files is an error naming both.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from provisioner.config.confine import leaves_project, outside_issue
from provisioner.config.limits import MAX_CSV_BYTES, MAX_CSV_FIELD, MAX_FILE_BYTES, LimitExceeded, load_json
from provisioner.config.locations import SourceMap
from provisioner.config.yamlsource import parse_yaml
from provisioner.errors import ConfigIssue, SourceLocation

VAR_SUFFIXES = (".yaml", ".yml", ".json", ".csv")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Variables = dict[str, Any]
Origins = dict[str, SourceLocation]


def _read(path: Path, issues: list[ConfigIssue]) -> str | None:
    limit = MAX_CSV_BYTES if path.suffix.lower() == ".csv" else MAX_FILE_BYTES
    try:
        if path.stat().st_size > limit:
            issues.append(ConfigIssue(f"file is larger than the limit of {limit} bytes",
                                      SourceLocation(str(path), 1, 1)))
            return None
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        issues.append(ConfigIssue(f"cannot read file: {type(exc).__name__}", SourceLocation(str(path), 1, 1)))
        return None


def _load_csv(path: Path, text: str, issues: list[ConfigIssue]) -> list[dict[str, str]] | None:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = []
        for row in reader:
            if any(len(cell) > MAX_CSV_FIELD for cell in row):
                issues.append(ConfigIssue(f"a CSV field is longer than {MAX_CSV_FIELD} characters",
                                          SourceLocation(str(path), reader.line_num, 1)))
                return None
            rows.append(row)
    except csv.Error as exc:
        issues.append(ConfigIssue(f"CSV error: {exc}", SourceLocation(str(path), reader.line_num, 1)))
        return None
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    bad = [h for h in header if not _NAME.match(h)]
    if bad or len(set(header)) != len(header):
        issues.append(
            ConfigIssue(
                "CSV header must hold unique column names like site_key (letters, digits, underscore)",
                SourceLocation(str(path), 1, 1),
            )
        )
        return None
    out: list[dict[str, str]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            issues.append(
                ConfigIssue(
                    f"row has {len(row)} columns, the header has {len(header)}",
                    SourceLocation(str(path), number, 1),
                )
            )
            continue
        out.append(dict(zip(header, row, strict=True)))
    return out


def load_var_file(path: Path, issues: list[ConfigIssue]) -> tuple[Variables, SourceLocation]:
    """The variables of one file: a CSV is one variable (its stem), YAML/JSON a mapping of them."""
    where = SourceLocation(str(path), 1, 1)
    text = _read(path, issues)
    if text is None:
        return {}, where
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _load_csv(path, text, issues)
        if not _NAME.match(path.stem):
            issues.append(
                ConfigIssue("a CSV file's name must be a variable name (letters, digits, _)", where)
            )
            return {}, where
        return ({path.stem: rows} if rows is not None else {}), where
    if suffix == ".json":
        try:
            data = load_json(text)
        except json.JSONDecodeError as exc:
            issues.append(
                ConfigIssue(f"JSON syntax error: {exc.msg}", SourceLocation(str(path), exc.lineno, exc.colno))
            )
            return {}, where
        except (LimitExceeded, RecursionError) as exc:
            issues.append(ConfigIssue(f"JSON error: {exc or 'nesting too deep'}", where))
            return {}, where
    else:
        doc = parse_yaml(text, SourceMap(str(path)))
        issues.extend(doc.issues)
        data = doc.data
    if data is None:
        return {}, where
    if not isinstance(data, dict) or not all(isinstance(k, str) and _NAME.match(k) for k in data):
        issues.append(ConfigIssue("a variables file must be a mapping of variable names to values", where))
        return {}, where
    return data, where


def load_vars_dir(root: Path, issues: list[ConfigIssue]) -> tuple[Variables, Origins]:
    """Variables from `root/vars/*` (sorted by name); a variable in two files is an error."""
    directory = root / "vars"
    variables: Variables = {}
    origins: Origins = {}
    if not directory.is_dir():
        return variables, origins
    real_root = root.resolve()
    for path in sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in VAR_SUFFIXES):
        if leaves_project(path, real_root):
            issues.append(outside_issue(str(path)))
            continue
        data, where = load_var_file(path, issues)
        for name, value in data.items():
            if name in origins:
                issues.append(
                    ConfigIssue(f"variable {name!r} is defined twice (also in {origins[name].file})", where)
                )
                continue
            variables[name] = value
            origins[name] = where
    return variables, origins


def parse_cli_vars(pairs: Mapping[str, str] | Iterable[str], issues: list[ConfigIssue]) -> Variables:
    """`--var` values: a mapping, or `key=value` strings. Values stay strings."""
    out: Variables = {}
    items: Iterable[tuple[str, str]]
    if isinstance(pairs, Mapping):
        items = pairs.items()
    else:
        items = []
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep:
                issues.append(ConfigIssue(f"--var {key!r}: expected key=value"))
                continue
            items.append((key.strip(), value))
    for key, value in items:
        if not _NAME.match(key):
            issues.append(ConfigIssue(f"--var {key!r}: a variable name is letters, digits and _"))
            continue
        out[key] = value
    return out


def collect_variables(
    root: Path,
    env_vars: Any,
    env_vars_at: SourceLocation | None,
    var_files: Iterable[str | Path],
    cli_vars: Mapping[str, str] | Iterable[str],
    issues: list[ConfigIssue],
) -> Variables:
    """All template variables with their precedence applied."""
    variables, _ = load_vars_dir(root, issues)
    if env_vars is not None:
        if isinstance(env_vars, dict) and all(isinstance(k, str) and _NAME.match(k) for k in env_vars):
            variables.update(env_vars)
        else:
            issues.append(ConfigIssue("vars: must be a mapping of variable names to values", env_vars_at))
    for file in var_files:
        path = Path(file)
        if not path.is_file():
            issues.append(ConfigIssue(f"--var-file {file}: no such file"))
            continue
        if path.suffix.lower() not in VAR_SUFFIXES:
            issues.append(ConfigIssue(f"--var-file {file}: expected .yaml, .yml, .json or .csv"))
            continue
        data, _ = load_var_file(path, issues)
        variables.update(data)
    variables.update(parse_cli_vars(cli_vars, issues))
    return variables
