"""What an import produces: entries to write and findings to report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JSONDict = dict[str, Any]

Severity = Literal["skipped", "note"]


@dataclass(frozen=True, slots=True)
class Finding:
    """Something the configuration language cannot express, or a consequence worth knowing.

    `skipped` objects are not in the written project (the reason says why); a `note` names
    something that is imported but not exactly (a property that is not managed, a marker that
    the next apply rewrites).
    """

    severity: Severity
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One resource in the configuration language: where it goes and what it says.

    `path` is its place in the document (`("insights_hub", "assets", "plant")`); `group` is the
    site it belongs to (its top-level asset or its connection), used by `--layout site`.
    """

    path: tuple[str, ...]
    body: JSONDict
    group: str


@dataclass(slots=True)
class Imported:
    """The entries and findings of one platform."""

    entries: list[Entry] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def skip(self, subject: str, message: str) -> None:
        self.findings.append(Finding("skipped", subject, message))

    def note(self, subject: str, message: str) -> None:
        self.findings.append(Finding("note", subject, message))
