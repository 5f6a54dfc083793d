"""Jinja2 templates (`*.yaml.j2`) rendered in a sandbox, with every output line traced to its source.

Before rendering, each template line whose first non-blank character is literal text or a
`{{` expression gets an invisible marker (a private-use character, the file number and the line
number). Markers are copied to the output like any literal text, so after rendering each output
line tells which template line produced it, also inside loops and includes; they are stripped
before the YAML is parsed. Lines that start with `{%`, `{#` or `{{-`, and lines inside a tag, get
no marker (the marker could change whitespace control); their output lines take the origin of the
line before.
"""

from __future__ import annotations

import re
import signal
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import FunctionLoader, StrictUndefined, TemplateError, TemplateSyntaxError

from provisioner.config.emit import scalar
from provisioner.config.limits import MAX_FILE_BYTES
from provisioner.config.locations import LineOrigin, SourceMap
from provisioner.config.template_limits import BoundedEnvironment, RenderBudget
from provisioner.errors import ConfigIssue, SourceLocation

OPEN, CLOSE = "\ue000", "\ue001"
_MARK = re.compile(OPEN + r"(\d+):(\d+)" + CLOSE)
_RAW_BEGIN = re.compile(r"\{%[-+]?\s*raw\s*[-+]?%\}")
_RAW_END = re.compile(r"\{%[-+]?\s*endraw\s*[-+]?%\}")
_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}


def _data_line_starts(source: str) -> list[bool]:
    """For each line of `source`: does it start outside any Jinja tag (in literal text)?"""
    starts = [True]
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\n":
            starts.append(True)
            i += 1
            continue
        opener = source[i : i + 2]
        if opener == "{%" and _RAW_BEGIN.match(source, i):
            end = _RAW_END.search(source, i)
            stop = end.end() if end else n
            starts.extend(True for _ in range(source.count("\n", i, stop)))
            i = stop
            continue
        if opener in _CLOSERS:
            closer = _CLOSERS[opener]
            i += 2
            quote = ""
            while i < n:
                c = source[i]
                if c == "\n":
                    starts.append(False)
                elif quote:
                    if c == "\\":
                        i += 1
                    elif c == quote:
                        quote = ""
                elif c in "'\"" and opener != "{#":
                    quote = c
                elif source.startswith(closer, i):
                    i += 2
                    break
                i += 1
            continue
        i += 1
    return starts


def tag_source(source: str, file_number: int) -> str:
    """The template with an origin marker at the start of every line that produces text."""
    lines = source.split("\n")
    starts = _data_line_starts(source)
    out = []
    for number, (line, in_data) in enumerate(zip(lines, starts, strict=False), start=1):
        body = line.lstrip(" \t")
        if in_data and body and not body.startswith(("{%", "{#", "{{-")):
            indent = len(line) - len(body)
            line = f"{line[:indent]}{OPEN}{file_number}:{number}{CLOSE}{body}"
        out.append(line)
    return "\n".join(out)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered template: the YAML text and the map back to template lines."""

    text: str
    source_map: SourceMap


class TemplateRenderer:
    """Renders the project's templates; `{% include %}`/`{% import %}` resolve inside the project."""

    def __init__(self, root: Path, display_root: Path, variables: Mapping[str, Any]) -> None:
        self.root = root
        self.display_root = display_root
        self.variables = dict(variables)
        self.files: list[str] = []
        self.texts: list[list[str]] = []
        self.env = BoundedEnvironment(
            undefined=StrictUndefined,
            loader=FunctionLoader(self._load),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,
        )
        self.env.add_filter("yaml", scalar)

    def _load(self, name: str) -> tuple[str, str, Any] | None:
        path = (self.root / name).resolve()
        if self.root.resolve() not in (path, *path.parents) or not path.is_file():
            return None
        display = str(self.display_root / path.relative_to(self.root.resolve()))
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TemplateError(f"{display} is larger than {MAX_FILE_BYTES} bytes")
        source = _read_without_alarm(path)
        if OPEN in source or CLOSE in source:
            source = source.replace(OPEN, "").replace(CLOSE, "")
        self.files.append(display)
        self.texts.append(source.split("\n"))
        return tag_source(source, len(self.files) - 1), display, lambda: False

    def render(self, name: str) -> Rendered | ConfigIssue:
        """Render one template (a path relative to the root); an issue on any template error."""
        try:
            template = self.env.get_template(name)
            tagged = RenderBudget.render(lambda: template.generate(self.variables))
        except TemplateSyntaxError as exc:
            return ConfigIssue(f"template syntax error: {exc.message}", self._syntax_location(exc, name))
        except TemplateError as exc:
            return ConfigIssue(
                f"template error: {exc.message or type(exc).__name__}", self._render_location(exc, name)
            )
        except (UnicodeDecodeError, OSError) as exc:
            return ConfigIssue(f"cannot read template: {type(exc).__name__}",
                               SourceLocation(self._display(name), 1, 1))
        except MemoryError:
            return ConfigIssue("template error: rendering needs more memory than is available",
                               SourceLocation(self._display(name), 1, 1))
        except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError, RecursionError,
                SyntaxError, NameError) as exc:  # NameError: jinja2 folds 1e999 into the code as `inf`
            return ConfigIssue(
                f"template error: {type(exc).__name__}: {exc}", self._render_location(exc, name)
            )
        return self._untag(tagged, name)

    def _display(self, name: str) -> str:
        return str(self.display_root / name)

    def _line_text(self, file: str, line: int) -> str:
        if file in self.files:
            lines = self.texts[self.files.index(file)]
            if 0 < line <= len(lines):
                return lines[line - 1]
        return ""

    def _syntax_location(self, exc: TemplateSyntaxError, name: str) -> SourceLocation:
        file = exc.filename or self._display(name)
        text = self._line_text(file, exc.lineno)
        column = len(text) - len(text.lstrip()) + 1 if text.strip() else 1
        return SourceLocation(file, exc.lineno, column)

    def _render_location(self, exc: BaseException, name: str) -> SourceLocation:
        file, line = self._display(name), 1
        for frame, line_no in traceback.walk_tb(exc.__traceback__):
            if frame.f_code.co_filename in self.files:
                file, line = frame.f_code.co_filename, line_no
        text = self._line_text(file, line)
        column = len(text) - len(text.lstrip()) + 1 if text.strip() else 1
        word = re.search(r"'([A-Za-z_][A-Za-z0-9_]*)'", str(exc))
        if word:
            found = re.search(r"\b" + re.escape(word.group(1)) + r"\b", text)
            if found:
                column = found.start() + 1
        return SourceLocation(file, line, column)

    def _untag(self, tagged: str, name: str) -> Rendered:
        display = self._display(name)
        origins: list[LineOrigin] = []
        lines: list[str] = []
        cache: dict[str, LineOrigin] = {}
        current = LineOrigin(display, 1, self._line_text(display, 1))
        for raw in tagged.split("\n"):
            if OPEN in raw:
                match = _MARK.search(raw)
                if match is not None:
                    origin = cache.get(match.group(0))
                    if origin is None:
                        file = self.files[int(match.group(1))]
                        number = int(match.group(2))
                        origin = LineOrigin(file, number, self._line_text(file, number))
                        cache[match.group(0)] = origin
                    current = origin
                    raw = _MARK.sub("", raw)
            origins.append(current)
            lines.append(raw)
        return Rendered("\n".join(lines), SourceMap(display, origins, lines))


def _read_without_alarm(path: Path) -> str:
    """The file's text, read with the render-time alarm held back: a SIGALRM raised inside the read
    would leak the open file; a pending alarm is delivered right after the file is closed."""
    if not hasattr(signal, "pthread_sigmask"):
        return path.read_text(encoding="utf-8")
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:
        return path.read_text(encoding="utf-8")
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
