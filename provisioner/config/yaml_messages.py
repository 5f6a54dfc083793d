"""YAML syntax errors in words: what is wrong, the line as written, and a caret under the spot.

The parser's own text (`expected <block end>, but found '<block mapping start>'`) says little to
someone who mis-indented one line. The explanation here comes from the source text itself, not
from the parser's message: an indentation walk over the lines before the error finds a line that
lines up with nothing above it, a tab used for indentation, or a quoted string never closed.
When none of these is found the message says where the parser stopped and keeps its text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from provisioner.config.locations import SourceMap
from provisioner.errors import ConfigIssue, SourceLocation

_LOOKBACK = 4  # the culprit is at most this many lines before the parser's mark


@dataclass(frozen=True)
class Finding:
    line: int  # 0-based line of the culprit
    column: int  # 0-based column for the caret
    words: str
    context_line: int | None = None  # another line worth showing (the one it should line up with)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _spaces(count: int) -> str:
    return f"{count} space{'' if count == 1 else 's'}"


def _meaningful(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#") and stripped not in ("---", "...")


def _code(line: str) -> str:
    """The line without a trailing comment (a `#` after a space, outside quotes)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _opens_block(code: str) -> bool:
    """`key:` or `- key:` with nothing after it: deeper lines follow (a block scalar's text lines
    are skipped before this is asked)."""
    return code.endswith(":") or code.strip() == "-"


def _indentation(lines: list[str], stop: int, number: Callable[[int], int]) -> list[Finding]:
    """The lines up to `stop` that line up with no open level, walking the block structure."""
    levels: list[int] = [0]
    previous: int | None = None
    found: list[Finding] = []
    scalar_at: int | None = None  # inside a block scalar whose key is at this indentation
    scalar_content: int | None = None  # ... whose text lines are indented this much
    depth = 0  # open flow brackets
    for index, line in enumerate(lines[: stop + 1]):
        if "\t" in line[: len(line) - len(line.lstrip(" \t"))]:
            column = line.index("\t")
            found.append(Finding(index, column, "a tab is used for indentation here; YAML indents with "
                                                "spaces only"))
            continue
        if not _meaningful(line):
            continue
        ind = _indent(line)
        if scalar_at is not None:
            content = scalar_content if scalar_content is not None else ind
            if ind > scalar_at and ind >= content:
                scalar_content = content
                continue
            scalar_at = scalar_content = None
        if depth > 0:
            depth = max(0, depth + _brackets(_code(line)))
            continue
        code = _code(line)
        prev_opens = previous is not None and _opens_block(_code(lines[previous]))
        if prev_opens and previous is not None and ind > levels[-1]:
            levels.append(ind)
        elif ind in levels:
            del levels[levels.index(ind) + 1:]
        elif previous is not None and ind > levels[-1]:
            words = (f"line {number(index)} is indented {_spaces(ind)}, deeper than line {number(previous)} "
                     f"({_spaces(levels[-1])}), which already has a value: the keys of one mapping "
                     "must line up")
            found.append(Finding(index, ind, words, previous))
            levels.append(ind)
        else:
            shown = ", ".join(str(n) for n in levels)
            words = (f"line {number(index)} is indented {_spaces(ind)}, which lines up with no key above it "
                     f"(the open levels are {shown} spaces)")
            found.append(Finding(index, ind, words, previous))
            levels = [n for n in levels if n < ind] + [ind]
        if code.lstrip().startswith("- "):
            levels.append(ind + 2 + _indent(code.lstrip()[2:]))
        if code.endswith(("|", ">", "|-", ">-", "|+", ">+")):
            scalar_at = ind
        depth = max(0, _brackets(code))
        previous = index
    return found


def _brackets(code: str) -> int:
    """Open minus closed flow brackets on a line, outside quotes."""
    balance, quote = 0, ""
    for ch in code:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            balance += 1
        elif ch in "]}":
            balance -= 1
    return balance


def _unclosed_quote(lines: list[str], line: int, column: int,
                    number: Callable[[int], int]) -> Finding | None:
    """A string opened with a quote at (line, column) and not closed on that line."""
    if not 0 <= line < len(lines) or column >= len(lines[line]):
        return None
    text = lines[line]
    quote = text[column]
    if quote not in "'\"" or quote in text[column + 1:]:
        return None
    return Finding(line, column, f"the string opened with {quote} on line {number(line)} is never closed: "
                                 f"add the closing {quote}")


def explain(text: str, line: int, column: int, context: tuple[int, int] | None,
            number: Callable[[int], int] = lambda i: i + 1) -> Finding | None:
    """Why the YAML parser stopped at 0-based (line, column), judged from the text alone; `number`
    gives the line number to name for a 0-based line (a template's own line, for rendered text)."""
    lines = text.split("\n")
    if context is not None:
        quoted = _unclosed_quote(lines, *context, number)
        if quoted:
            return quoted
    near = [f for f in _indentation(lines, min(line + 1, len(lines) - 1), number)
            if line - _LOOKBACK <= f.line <= line + 1]
    return near[0] if near else None


def excerpt(smap: SourceMap, lines: list[str], shown: list[int], caret: tuple[int, int]) -> str:
    """The given 0-based lines as `  <n> | text`, with a caret line under `caret` (line, column)."""
    numbers = {i: smap.locate(i, 0).line for i in shown}
    width = max(len(str(n)) for n in numbers.values())
    out = []
    for i in sorted(set(shown)):
        out.append(f"    {numbers[i]:>{width}} | {lines[i] if i < len(lines) else ''}")
        if i == caret[0]:
            out.append(f"    {'':>{width}} | {' ' * caret[1]}^")
    return "\n".join(out)


def syntax_issue(text: str, smap: SourceMap, line: int, column: int, problem: str,
                 context: tuple[int, int] | None) -> ConfigIssue:
    """The issue for a YAML syntax error the parser reported at 0-based (line, column)."""
    lines = text.split("\n")
    finding = explain(text, line, column, context, lambda i: smap.locate(i, 0).line)
    if finding is None:
        where: SourceLocation = smap.locate(line, column)
        words = f"the file is not valid YAML here ({problem})"
        shown = [line]
        caret = (line, column)
    else:
        where = smap.locate(finding.line, finding.column)
        words = f"{finding.words} (the parser says: {problem})"
        shown = [finding.line] if finding.context_line is None else [finding.context_line, finding.line]
        caret = (finding.line, finding.column)
    shown = [i for i in shown if 0 <= i < len(lines)]
    body = excerpt(smap, lines, shown, caret) if shown else ""
    return ConfigIssue(f"YAML syntax error: {words}" + (f"\n{body}" if body else ""), where)
