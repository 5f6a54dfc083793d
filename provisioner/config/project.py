"""`load_project`: a project directory → a validated `Project`, or a ConfigError with every issue."""

from __future__ import annotations

import gc
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from provisioner.config import addresses
from provisioner.config.confine import leaves_project, outside_issue
from provisioner.config.emit import emit_yaml
from provisioner.config.limits import MAX_FILE_BYTES
from provisioner.config.locations import Locator, SourceMap, to_location
from provisioner.config.locations import Path as DocPath
from provisioner.config.merge import MergedDoc
from provisioner.config.schema import ProjectConfig
from provisioner.config.schema_errors import schema_issues
from provisioner.config.secrets import Secret, iter_secrets, missing_issue
from provisioner.config.template import TemplateRenderer
from provisioner.config.variables import collect_variables
from provisioner.config.yamlsource import ParsedDoc, parse_yaml
from provisioner.errors import ConfigError, ConfigIssue, SourceLocation
from provisioner.render.view import plural

PROJECT_FILE = "provision.yaml"
YAML_SUFFIXES = (".yaml", ".yml")
TEMPLATE_SUFFIXES = (".yaml.j2", ".yml.j2")
SKIPPED_DIRS = ("vars", "env")
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ENV_TEXT = "${env:"


@dataclass(frozen=True)
class Project:
    """A loaded, validated project.

    `config` is the typed desired state; `locations` maps every resource address to where it is
    defined; `rendered` holds the YAML text parsed for each file (templates expanded);
    `document` is the merged document after the env overlay (secrets as `${env:NAME}`).
    """

    root: Path
    config: ProjectConfig
    locations: dict[str, SourceLocation]
    rendered: dict[str, str]
    document: dict[str, Any]
    env: str | None = None
    files: tuple[str, ...] = field(default=())

    def render_yaml(self) -> str:
        """The fully expanded, merged project as YAML (secrets stay `${env:NAME}` references)."""
        return emit_yaml(self.document)

    def location(self, address: str) -> SourceLocation | None:
        return self.locations.get(address)

    def counts(self) -> dict[str, int]:
        """Resources per kind."""
        ih, itwin = self.config.insights_hub, self.config.itwin_iot
        agents = ih.agents.values()
        devices = [d for c in itwin.connections.values() for d in c.devices.values()]
        return {
            "aspect types": len(ih.aspect_types),
            "asset types": len(ih.asset_types),
            "assets": len(ih.assets),
            "agents": len(ih.agents),
            "data points": sum(len(s.data_points) for a in agents for s in a.data_sources.values()),
            "mappings": sum(len(a.mappings) for a in agents),
            "event mappings": sum(len(a.event_mappings) for a in agents),
            "connections": len(itwin.connections),
            "devices": len(devices),
            "sensors": sum(len(d.sensors) for d in devices),
        }

    def summary(self) -> str:
        """One line: the stack, env and resource counts."""
        counts = ", ".join(f"{n} {kind if n != 1 else kind[:-1]}" for kind, n in self.counts().items())
        env = f" (env {self.env})" if self.env else ""
        return f"OK: stack {self.config.stack}{env}: {plural(len(self.locations), 'resource')}: {counts}"


def resolve_secrets(project: Project) -> None:
    """Check every `${env:NAME}` secret is set; ConfigError naming each missing one and its place."""
    missing = [missing_issue(s) for s in iter_secrets(project.config.platforms) if not s.is_set()]
    if missing:
        raise ConfigError(missing)


def project_files(root: Path) -> list[Path]:
    """The project's YAML files and templates (relative paths), provision.yaml first."""
    found: list[Path] = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if rel.parts[0] in SKIPPED_DIRS or any(p.startswith(".") for p in rel.parts):
            continue
        name = path.name.lower()
        if name.endswith(YAML_SUFFIXES + TEMPLATE_SUFFIXES) and path.is_file():
            found.append(rel)
    return sorted(found, key=lambda p: (p.as_posix() != PROJECT_FILE, p.as_posix()))


def _read_yaml_file(path: Path, display: str) -> ParsedDoc:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            doc = ParsedDoc(None)
            doc.issues.append(ConfigIssue(f"file is larger than the limit of {MAX_FILE_BYTES} bytes",
                                          SourceLocation(display, 1, 1)))
            return doc
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        doc = ParsedDoc(None)
        doc.issues.append(
            ConfigIssue(f"cannot read file: {type(exc).__name__}", SourceLocation(display, 1, 1))
        )
        return doc
    return parse_yaml(text, SourceMap(display))


def _load_overlay(root: Path, display_root: Path, env: str, issues: list[ConfigIssue]) -> ParsedDoc | None:
    if not _ENV_NAME.match(env):
        issues.append(ConfigIssue(f"--env {env!r}: not an environment name"))
        return None
    for suffix in YAML_SUFFIXES:
        path = root / "env" / f"{env}{suffix}"
        if path.is_file():
            display = str(display_root / "env" / f"{env}{suffix}")
            if leaves_project(path, root):
                issues.append(outside_issue(display))
                return None
            return _checked_overlay(_read_yaml_file(path, display), display, issues)
    env_dir = root / "env"
    known = (
        sorted(p.name.split(".")[0] for p in env_dir.iterdir() if p.suffix in YAML_SUFFIXES)
        if env_dir.is_dir()
        else []
    )
    issues.append(
        ConfigIssue(
            f"--env {env}: no env/{env}.yaml in {display_root}"
            + (f" (known: {', '.join(known)})" if known else "")
        )
    )
    return None


def _checked_overlay(doc: ParsedDoc, display: str, issues: list[ConfigIssue]) -> ParsedDoc | None:
    """The overlay if it is a mapping; otherwise an issue at its first value (an empty file: line 1)."""
    if isinstance(doc.data, dict) or doc.issues:  # a YAML error is reported by the merge
        return doc
    found = {type(None): "an empty file", list: "a list", str: "text"}.get(type(doc.data), "a single value")
    loc = doc.values.get(()) or next(iter(doc.values.values()), None)  # a list: its first item
    where = to_location(loc) if loc else SourceLocation(display, 1, 1)
    issues.append(ConfigIssue(f"an env overlay must be a mapping like `platforms: ...`, found {found}; "
                              "with it --env would change nothing", where))
    return None


def _check_env_refs(data: dict[str, Any], locator: Locator, issues: list[ConfigIssue]) -> None:
    """`${env:...}` is only meaningful in auth fields: report it anywhere else."""
    for key, value in data.items():
        if key != "platforms" and _ENV_TEXT not in json.dumps(value, default=str):
            continue  # quick path: the C JSON encoder finds none in this section
        _env_refs_outside_auth(value, (key,), locator, issues)


def _env_refs_outside_auth(data: Any, path: DocPath, locator: Locator, issues: list[ConfigIssue]) -> None:
    if isinstance(data, dict):
        if len(path) == 2 and path[0] == "platforms":
            data = {k: v for k, v in data.items() if k != "auth"}
        for key, value in data.items():
            _env_refs_outside_auth(value, (*path, key), locator, issues)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _env_refs_outside_auth(value, (*path, index), locator, issues)
    elif isinstance(data, str) and _ENV_TEXT in data:
        issues.append(
            ConfigIssue(
                "${env:...} references are only resolved in secret fields (platforms.*.auth)",
                locator.value(path),
                addresses.address_of_path(path),
            )
        )


def _check_values(data: dict[str, Any], locator: Locator, issues: list[ConfigIssue]) -> None:
    """Every string must be encodable UTF-8 (no lone surrogates from `\\ud800` escapes) and every
    number finite: the vendors' JSON carries neither, and sending one would crash `plan`."""
    try:  # quick path: the C JSON encoder finds neither in the whole document
        json.dumps(data, allow_nan=False, ensure_ascii=False, default=str).encode("utf-8")
        return
    except (ValueError, UnicodeEncodeError):
        pass
    stack: list[tuple[DocPath, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and not _encodable(key):
                    issues.append(ConfigIssue("key is not valid Unicode text (a lone surrogate escape)",
                                              locator.key((*path, key)), addresses.address_of_path(path)))
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, i), item) for i, item in enumerate(value))
        elif isinstance(value, str) and not _encodable(value):
            issues.append(ConfigIssue("value is not valid Unicode text (a lone surrogate escape)",
                                      locator.value(path), addresses.address_of_path(path)))
        elif isinstance(value, float) and not math.isfinite(value):
            issues.append(ConfigIssue(f"{value} is not a number the APIs accept (use a finite number)",
                                      locator.value(path), addresses.address_of_path(path)))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _without(data: dict[str, Any], paths: Iterable[DocPath]) -> dict[str, Any]:
    """A copy of the document without the resources at `paths` (platform, collection, key)."""
    out = dict(data)
    for top, collection, key in paths:
        section = out[top] = dict(out[top])
        items = section[collection] = dict(section[collection])
        items.pop(key, None)
    return out


def _validate_schema(
    data: dict[str, Any], locator: Locator, issues: list[ConfigIssue]
) -> tuple[ProjectConfig | None, set[DocPath]]:
    """The typed config, dropping resources that fail the schema so later checks can still run."""
    try:
        return ProjectConfig.model_validate(data), set()
    except ValidationError as exc:
        found, paths = schema_issues(exc, data, locator)
        issues.extend(found)
    invalid = {p[:3] for p in paths if len(p) >= 3 and p[0] in ("insights_hub", "itwin_iot")}
    if any(len(p) < 3 or p[0] not in ("insights_hub", "itwin_iot") for p in paths):
        return None, invalid
    try:
        return ProjectConfig.model_validate(_without(data, invalid)), invalid
    except (ValidationError, KeyError, TypeError):
        return None, invalid


def _attach_secret_locations(config: ProjectConfig, locator: Locator) -> None:
    for platform in ("insights_hub", "itwin_iot"):
        settings = getattr(config.platforms, platform)
        if settings is None:
            continue
        for name in type(settings.auth).model_fields:
            value = getattr(settings.auth, name)
            if isinstance(value, Secret):
                value.location = locator.value(("platforms", platform, "auth", name))


def load_project(
    path: str | Path,
    *,
    env: str | None = None,
    var_files: Iterable[str | Path] = (),
    variables: Mapping[str, str] | None = None,
) -> Project:
    """Load, render, merge, overlay and validate the project in directory `path`.

    Raises ConfigError carrying every issue found (each stage runs as far as it can).
    The cyclic garbage collector is paused meanwhile: loading builds many small acyclic objects,
    and repeated full collections made large fleets load in superlinear time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_project(Path(path), env, var_files, variables)
    finally:
        if enabled:
            gc.enable()


def _load_project(
    path: Path, env: str | None, var_files: Iterable[str | Path], variables: Mapping[str, str] | None
) -> Project:
    display_root = path
    root = display_root.resolve()
    if not root.is_dir():
        raise ConfigError([ConfigIssue(f"{display_root}: not a project directory")])
    issues: list[ConfigIssue] = []

    overlay = _load_overlay(root, display_root, env, issues) if env else None
    env_vars, env_vars_at = None, None
    if overlay is not None and isinstance(overlay.data, dict) and "vars" in overlay.data:
        env_vars = overlay.data.pop("vars")
        loc = overlay.keys.get(("vars",))
        env_vars_at = loc[0].locate(loc[1], loc[2]) if loc else None
    template_vars = collect_variables(root, env_vars, env_vars_at, var_files, variables or {}, issues)

    files = project_files(root)
    if not files:
        issues.append(ConfigIssue(f"{display_root}: no *.yaml, *.yml or *.yaml.j2 files"))
    renderer = TemplateRenderer(root, display_root, template_vars)
    merged = MergedDoc()
    rendered: dict[str, str] = {}
    for rel in files:
        display = str(display_root / rel)
        if rel.name.lower().endswith(".j2"):
            result = renderer.render(rel.as_posix())
            if isinstance(result, ConfigIssue):
                issues.append(result)
                continue
            rendered[display] = result.text
            doc = parse_yaml(result.text, result.source_map)
        elif leaves_project(root / rel, root):
            issues.append(outside_issue(display))
            continue
        else:
            doc = _read_yaml_file(root / rel, display)
        merged.add(doc)
    if overlay is not None:
        merged.overlay(overlay)
    issues.extend(merged.issues)

    first_file = (
        SourceLocation(str(display_root / PROJECT_FILE), 1, 1) if (root / PROJECT_FILE).is_file() else None
    )
    locator = Locator(merged.keys, merged.values, first_file)
    _check_env_refs(merged.data, locator, issues)
    _check_values(merged.data, locator, issues)
    config, invalid = _validate_schema(merged.data, locator, issues)
    if config is None:
        raise ConfigError(_sorted(issues))

    from provisioner.config.validate import validate_config

    _attach_secret_locations(config, locator)
    issues.extend(validate_config(config, locator, invalid))
    if issues:
        raise ConfigError(_sorted(issues))
    locations = {}
    for address, doc_path in addresses.resource_paths(config):
        where = locator.key(doc_path)
        if where is not None:
            locations[address] = where
    return Project(
        root=display_root,
        config=config,
        locations=locations,
        rendered=rendered,
        document=merged.data,
        env=env,
        files=tuple(str(display_root / f) for f in files),
    )


def _sorted(issues: list[ConfigIssue]) -> list[ConfigIssue]:
    """Issues by file, line and column (issues without a place first), duplicates removed."""
    unique = list(dict.fromkeys(issues))

    def key(issue: ConfigIssue) -> tuple[str, int, int]:
        loc = issue.location
        return (loc.file, loc.line, loc.column) if loc else ("", 0, 0)

    return sorted(unique, key=key)
