"""Merging a project's files into one document, and deep-merging an env overlay over it."""

from __future__ import annotations

from typing import Any

from provisioner.config.locations import Loc, Path, path_str, to_location
from provisioner.config.yamlsource import ParsedDoc
from provisioner.errors import ConfigIssue

CONTAINERS: frozenset[Path] = frozenset(
    {
        ("platforms",),
        ("insights_hub",),
        ("itwin_iot",),
        ("insights_hub", "aspect_types"),
        ("insights_hub", "asset_types"),
        ("insights_hub", "assets"),
        ("insights_hub", "agents"),
        ("itwin_iot", "connections"),
    }
)
"""Mappings whose entries may come from several files. Anything else defined twice is an error."""


class MergedDoc:
    """The merged document and the position of every key and value in it."""

    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}
        self.keys: dict[Path, Loc] = {}
        self.values: dict[Path, Loc] = {}
        self.issues: list[ConfigIssue] = []

    def add(self, doc: ParsedDoc) -> None:
        """Merge one file; keys it defines again are errors naming both places."""
        self.issues.extend(doc.issues)
        if doc.data is None:
            return
        if not isinstance(doc.data, dict):
            loc = doc.values.get(()) or next(iter(doc.keys.values()), None)
            where = to_location(loc) if loc else None
            self.issues.append(ConfigIssue("a project file must be a mapping at the top level", where))
            return
        self._merge(self.data, doc.data, (), doc)
        keys, values = self.keys, self.values
        for path, loc in doc.keys.items():
            keys.setdefault(path, loc)
        for path, loc in doc.values.items():
            values.setdefault(path, loc)

    def _merge(self, into: dict[Any, Any], new: dict[Any, Any], path: Path, doc: ParsedDoc) -> None:
        for key, value in new.items():
            key_path = (*path, key)
            if key not in into:
                into[key] = value
                continue
            old = into[key]
            if key_path in CONTAINERS and isinstance(old, dict) and isinstance(value, dict):
                self._merge(old, value, key_path, doc)
                continue
            if key_path in CONTAINERS and old is None:
                into[key] = value
                continue
            if key_path in CONTAINERS and value is None:
                continue
            first = self.keys.get(key_path)
            second = doc.keys.get(key_path)
            also = f" (first defined at {to_location(first)})" if first else ""
            self.issues.append(
                ConfigIssue(
                    f"defined twice{also}", to_location(second) if second else None, path_str(key_path)
                )
            )

    def overlay(self, doc: ParsedDoc) -> None:
        """Apply an env overlay as a JSON merge patch: mappings merge, null deletes, the rest replaces."""
        self.issues.extend(doc.issues)
        if not isinstance(doc.data, dict):
            return
        self.data = _deep_merge(self.data, doc.data)
        self.keys.update(doc.keys)
        self.values.update(doc.values)


def _deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = _deep_merge(base[key], value) if key in base else value
        return out
    return over
