"""A fast parser for the plain subset of YAML that configuration files use.

Block mappings and sequences, single-line flow collections, plain and single-line quoted
scalars, comments. Scalars resolve exactly as ruamel.yaml resolves them. Anything else
(anchors, tags, block scalars, multi-line scalars or flows, documents markers, tabs) raises
`Unsupported`, and the caller parses the text with ruamel.yaml instead. ruamel.yaml in pure
Python composes about 7,000 lines a second; this is about ten times faster.
"""

from __future__ import annotations

import re
from typing import Any

from provisioner.config.limits import MAX_DEPTH
from provisioner.config.locations import Loc, Path, SourceMap
from provisioner.config.yamlsource import ParsedDoc, duplicate_issue, resolve_plain


class Unsupported(Exception):
    """The text uses YAML outside the fast subset; `line` (0-based) is about where the fast
    reader stopped."""

    line = 0


_PLAIN_KEY = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_.\-/ ]*):(?:[ \t]+|$)")
_DQ = re.compile(r'"((?:[^"\\]|\\.)*)"')
_SQ = re.compile(r"'((?:[^']|'')*)'")
_SEP = re.compile(r"[ \t]*:(?:[ \t]+|$)")
_FLOW_PLAIN = re.compile(r"-?[^\s,\[\]{}#&*!|>'\"%@`?:\-][^,\[\]{}#:]*")
_FLOW_ENTRY = re.compile(
    r"[ \t]*([A-Za-z0-9_][A-Za-z0-9_.\-/]*)[ \t]*:[ \t]+(-?[^\s,\[\]{}#&*!|>'\"%@`?:\-][^,\[\]{}#:]*)(?=[,}])"
)
_ESCAPES = {"\\": "\\", '"': '"', "/": "/", "n": "\n", "t": "\t", "r": "\r", "0": "\0", " ": " "}
_HEX = {"x": 2, "u": 4, "U": 8}
_BLOCK_START_BAD = set("|>&*!%@`?,]}#")

Line = tuple[int, str, int]
"""(indent, content without indentation and trailing blanks, 0-based line number)."""


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        code = body[i + 1]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        elif code in _HEX:
            digits = body[i + 2 : i + 2 + _HEX[code]]
            if len(digits) != _HEX[code] or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise Unsupported
            out.append(chr(int(digits, 16)))
            i += 2 + _HEX[code]
        else:
            raise Unsupported
    return "".join(out)


def _quoted(text: str, pos: int) -> tuple[str, int]:
    """A quoted scalar starting at text[pos]; returns its value and the index after it."""
    if text[pos] == '"':
        match = _DQ.match(text, pos)
        if match is None:
            raise Unsupported
        return _unescape(match.group(1)), match.end()
    match = _SQ.match(text, pos)
    if match is None:
        raise Unsupported
    return match.group(1).replace("''", "'"), match.end()


def _tail_ok(text: str, pos: int) -> None:
    rest = text[pos:]
    if rest.strip() and not (rest[:1] in " \t" and rest.lstrip(" \t").startswith("#")):
        raise Unsupported


class _Parser:
    def __init__(self, lines: list[Line], smap: SourceMap) -> None:
        self.lines = lines
        self.i = 0
        self.smap = smap
        self.doc = ParsedDoc(None)

    def record(self, path: Path, key: Loc, value: Loc) -> None:
        self.doc.keys[path] = key
        self.doc.values[path] = value

    def block(self, indent: int, path: Path) -> Any:
        if len(path) >= MAX_DEPTH:
            raise Unsupported  # ruamel.yaml reports the depth with its place
        content = self.lines[self.i][1]
        if content == "-" or content.startswith("- "):
            return self.sequence(indent, path)
        return self.mapping(indent, path)

    def nested(self, indent: int, path: Path, allow_same_indent_seq: bool) -> tuple[Any, Loc | None]:
        """The block value on the following lines, or None when there is none."""
        if self.i < len(self.lines):
            nxt_indent, nxt, line_no = self.lines[self.i]
            is_seq = nxt == "-" or nxt.startswith("- ")
            if nxt_indent > indent or (allow_same_indent_seq and nxt_indent == indent and is_seq):
                return self.block(nxt_indent, path), (self.smap, line_no, nxt_indent)
        return None, None

    def mapping(self, indent: int, path: Path) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        lines = self.lines
        while self.i < len(lines) and lines[self.i][0] == indent:
            _, content, line_no = lines[self.i]
            first = content[0]
            if first == '"' or first == "'":
                key, end = _quoted(content, 0)
                sep = _SEP.match(content, end)
                if sep is None:
                    raise Unsupported
                rest = content[sep.end() :]
            else:
                match = _PLAIN_KEY.match(content)
                if match is None:
                    raise Unsupported
                key = resolve_plain(match.group(1))
                rest = content[match.end() :]
            key_loc: Loc = (self.smap, line_no, indent)
            key_path = (*path, key)
            self.i += 1
            if rest == "" or rest[0] == "#":
                value, value_loc = self.nested(indent, key_path, True)
                if value_loc is None:
                    value_loc = key_loc
            else:
                col = indent + len(content) - len(rest)
                value = self.inline(rest, line_no, col, key_path)
                value_loc = (self.smap, line_no, col)
                if self.i < len(lines) and lines[self.i][0] > indent:
                    raise Unsupported
            if key in out:
                self.doc.issues.append(duplicate_issue(key_path, self.doc.keys[key_path], key_loc))
                continue
            self.record(key_path, key_loc, value_loc)
            out[key] = value
        return out

    def sequence(self, indent: int, path: Path) -> list[Any]:
        out: list[Any] = []
        lines = self.lines
        while self.i < len(lines) and lines[self.i][0] == indent:
            _, content, line_no = lines[self.i]
            if not (content == "-" or content.startswith("- ")):
                break
            item_path = (*path, len(out))
            rest = content[1:].lstrip(" ")
            col = indent + len(content) - len(rest)
            if rest == "" or rest[0] == "#":
                self.i += 1
                value, loc = self.nested(indent, item_path, False)
                self.record(
                    item_path, loc or (self.smap, line_no, indent), loc or (self.smap, line_no, indent)
                )
            elif rest == "-" or rest.startswith("- ") or self._is_entry(rest):
                lines[self.i] = (col, rest, line_no)
                self.record(item_path, (self.smap, line_no, col), (self.smap, line_no, col))
                value = self.block(col, item_path)
            else:
                self.i += 1
                value = self.inline(rest, line_no, col, item_path)
                self.record(item_path, (self.smap, line_no, col), (self.smap, line_no, col))
                if self.i < len(lines) and lines[self.i][0] > indent:
                    raise Unsupported
            out.append(value)
        if self.i < len(lines) and lines[self.i][0] > indent:
            raise Unsupported
        return out

    @staticmethod
    def _is_entry(text: str) -> bool:
        if text[0] in "\"'":
            _, end = _quoted(text, 0)
            return _SEP.match(text, end) is not None
        return _PLAIN_KEY.match(text) is not None

    def inline(self, text: str, line_no: int, col: int, path: Path) -> Any:
        first = text[0]
        if first == '"' or first == "'":
            value, end = _quoted(text, 0)
            _tail_ok(text, end)
            return value
        if first == "{" or first == "[":
            value, end = self.flow(text, 0, line_no, col, path)
            _tail_ok(text, end)
            return value
        if first in _BLOCK_START_BAD or (first in "-:" and (len(text) == 1 or text[1] in " \t")):
            raise Unsupported
        cut = text.find(" #")
        plain = text if cut < 0 else text[:cut]
        plain = plain.rstrip(" \t")
        if ": " in plain or plain.endswith(":") or "\t#" in plain:
            raise Unsupported
        return resolve_plain(plain)

    def flow(self, text: str, pos: int, line_no: int, col: int, path: Path) -> tuple[Any, int]:
        """A flow node starting at text[pos] (after blanks); returns it and the index after it."""
        pos = _skip(text, pos)
        if pos >= len(text) or len(path) >= MAX_DEPTH:
            raise Unsupported
        first = text[pos]
        if first == "{":
            return self.flow_mapping(text, pos + 1, line_no, col, path)
        if first == "[":
            return self.flow_sequence(text, pos + 1, line_no, col, path)
        if first == '"' or first == "'":
            return _quoted(text, pos)
        match = _FLOW_PLAIN.match(text, pos)
        if match is None:
            raise Unsupported
        return resolve_plain(match.group(0).rstrip(" \t")), match.end()

    def flow_mapping(self, text: str, pos: int, line_no: int, col: int, path: Path) -> tuple[Any, int]:
        out: dict[Any, Any] = {}
        size = len(text)
        while True:
            simple = _FLOW_ENTRY.match(text, pos)
            if simple is not None:  # the common `key: plain` entry in one regex
                key = resolve_plain(simple.group(1))
                key_loc: Loc = (self.smap, line_no, col + simple.start(1))
                value_loc: Loc = (self.smap, line_no, col + simple.start(2))
                value = resolve_plain(simple.group(2).rstrip(" \t"))
                pos = simple.end()
            else:
                pos = _skip(text, pos)
                if pos >= size:
                    raise Unsupported
                if text[pos] == "}":
                    return out, pos + 1
                key, key_loc, value, value_loc, pos = self.flow_entry(text, pos, line_no, col, path)
                pos = _skip(text, pos)
            key_path = (*path, key)
            if key in out:
                self.doc.issues.append(duplicate_issue(key_path, self.doc.keys[key_path], key_loc))
            else:
                self.doc.keys[key_path] = key_loc
                self.doc.values[key_path] = value_loc
                out[key] = value
            if pos < size and text[pos] == ",":
                pos += 1
            elif pos < size and text[pos] == "}":
                return out, pos + 1
            else:
                raise Unsupported

    def flow_entry(self, text: str, pos: int, line_no: int, col: int,
                   path: Path) -> tuple[Any, Loc, Any, Loc, int]:
        """One `key: value` entry of a flow mapping, in general form."""
        key_loc: Loc = (self.smap, line_no, col + pos)
        quoted = text[pos] in "\"'"
        key, pos = _quoted(text, pos) if quoted else self.flow(text, pos, line_no, col, path)
        if isinstance(key, dict | list):
            raise Unsupported
        pos = _skip(text, pos)
        if pos >= len(text) or text[pos] != ":":
            raise Unsupported
        pos += 1
        if not quoted and pos < len(text) and text[pos] not in " \t":
            raise Unsupported
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] in ",}":
            return key, key_loc, None, key_loc, pos
        value_loc: Loc = (self.smap, line_no, col + pos)
        value, pos = self.flow(text, pos, line_no, col, (*path, key))
        return key, key_loc, value, value_loc, pos

    def flow_sequence(self, text: str, pos: int, line_no: int, col: int, path: Path) -> tuple[Any, int]:
        out: list[Any] = []
        while True:
            pos = _skip(text, pos)
            if pos >= len(text):
                raise Unsupported
            if text[pos] == "]":
                return out, pos + 1
            item_path = (*path, len(out))
            loc: Loc = (self.smap, line_no, col + pos)
            value, pos = self.flow(text, pos, line_no, col, item_path)
            self.record(item_path, loc, loc)
            out.append(value)
            pos = _skip(text, pos)
            if pos < len(text) and text[pos] == ",":
                pos += 1
            elif pos >= len(text) or text[pos] != "]":
                raise Unsupported


_UNUSUAL = re.compile("[^\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BLANKS = re.compile(r"[ \t]*")


def _skip(text: str, pos: int) -> int:
    end: int = _BLANKS.match(text, pos).end()  # type: ignore[union-attr]
    return end


def _lines(text: str) -> list[Line]:
    lines: list[Line] = []
    for line_no, raw in enumerate(text.split("\n")):
        content = raw.lstrip(" ")
        if not content or content[0] == "#":
            continue
        content = content.rstrip(" \t\r")
        if not content:
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if (
            content[0] == "\t"
            or "\ufeff" in content
            or (
                indent == 0
                and content[0] in "-.%"
                and (content.startswith(("---", "...")) or content[0] == "%")
            )
        ):
            raise Unsupported
        lines.append((indent, content, line_no))
    return lines


def parse_fast(text: str, smap: SourceMap) -> ParsedDoc:
    """Parse `text` if it is in the fast subset; raise Unsupported otherwise."""
    unusual = _UNUSUAL.search(text)
    starts = [i for i in (text.find("\t"), text.find("\r"), unusual.start() if unusual else -1) if i >= 0]
    if starts:
        exc = Unsupported()
        exc.line = text.count("\n", 0, min(starts))
        raise exc
    lines = _lines(text)
    parser = _Parser(lines, smap)
    try:
        if lines:
            parser.doc.data = parser.block(lines[0][0], ())
            if parser.i != len(lines):
                raise Unsupported
    except Unsupported as exc:
        exc.line = lines[min(parser.i, len(lines) - 1)][2] if lines else 0
        raise
    return parser.doc
