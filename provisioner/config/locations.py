"""Source positions: map a parsed (possibly rendered) text position back to the user's file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioner.errors import SourceLocation

Path = tuple[Any, ...]
"""A path in the document: mapping keys and list indexes, e.g. ("insights_hub", "assets", "plant")."""


def path_str(path: Path) -> str:
    return ".".join(str(p) for p in path)


@dataclass(frozen=True, slots=True)
class LineOrigin:
    """Where one rendered line came from: template file, 1-based line, and the template line's text."""

    file: str
    line: int
    text: str


class SourceMap:
    """Maps a 0-based (line, column) in the text that was parsed to a SourceLocation.

    For plain YAML the parsed text is the file. For a rendered template, `origins[i]` is the
    template line that produced rendered line i; columns are kept while the rendered line
    equals the template line, and point at the start of the first expansion after that.
    """

    __slots__ = ("file", "origins", "rendered")

    def __init__(
        self, file: str, origins: list[LineOrigin] | None = None, rendered: list[str] | None = None
    ) -> None:
        self.file = file
        self.origins = origins
        self.rendered = rendered

    def locate(self, line: int, column: int) -> SourceLocation:
        if self.origins is None or self.rendered is None:
            return SourceLocation(self.file, line + 1, column + 1)
        if not self.origins:
            return SourceLocation(self.file, 1, 1)
        index = min(max(line, 0), len(self.origins) - 1)
        origin = self.origins[index]
        out = self.rendered[index] if index < len(self.rendered) else ""
        same = 0
        limit = min(len(out), len(origin.text))
        while same < limit and out[same] == origin.text[same]:
            same += 1
        return SourceLocation(origin.file, origin.line, min(column, same) + 1)


Loc = tuple[SourceMap, int, int]
"""A raw position: the source map of the parsed text, 0-based line and column."""


def to_location(loc: Loc) -> SourceLocation:
    return loc[0].locate(loc[1], loc[2])


class Locator:
    """Finds the source location of any document path (nearest known ancestor as fallback)."""

    def __init__(
        self, keys: dict[Path, Loc], values: dict[Path, Loc], default: SourceLocation | None = None
    ) -> None:
        self.keys = keys
        self.values = values
        self.default = default

    def key(self, path: Path) -> SourceLocation | None:
        """Where the key of `path` is written (where the thing is defined)."""
        for end in range(len(path), 0, -1):
            loc = self.keys.get(path[:end])
            if loc is not None:
                return to_location(loc)
        return self.default

    def value(self, path: Path) -> SourceLocation | None:
        """Where the value at `path` is written; the key's place when the value has none."""
        loc = self.values.get(path)
        if loc is not None:
            return to_location(loc)
        return self.key(path)
