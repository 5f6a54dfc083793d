"""YAML text → plain data plus the position of every key and value.

The fast parser (`fastyaml`) handles the block/flow subset that configuration files use; any
text it does not fully understand is parsed by ruamel.yaml's composer instead, so the result
is the same either way. Duplicate keys are errors naming both places.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError, MaxDepthExceededError
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from provisioner.config.limits import (
    MAX_ALIAS_NODES,
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_FULL_YAML_SECONDS,
    LimitExceeded,
    check_int_literal,
    wall_alarm,
)
from provisioner.config.locations import Loc, Path, SourceMap, path_str
from provisioner.config.yaml_messages import syntax_issue
from provisioner.errors import ConfigIssue

_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
TIMESTAMP, MERGE, VALUE = _TAG + "timestamp", _TAG + "merge", _TAG + "value"

_loader = YAML(typ="safe", pure=True)
_resolver: VersionedResolver = _loader.resolver
_constructor: SafeConstructor = _loader.constructor


@dataclass(slots=True)
class ParsedDoc:
    """One parsed file: its data, key and value positions by path, and problems found."""

    data: Any
    keys: dict[Path, Loc] = field(default_factory=dict)
    values: dict[Path, Loc] = field(default_factory=dict)
    issues: list[ConfigIssue] = field(default_factory=list)


def construct_scalar(tag: str, value: str) -> Any:
    """A scalar's Python value from its resolved tag. Timestamps stay strings."""
    if tag in (STR, TIMESTAMP):
        return value
    if tag == NULL:
        return None
    if tag == BOOL:
        return value.lower() == "true"
    if tag == INT:
        check_int_literal(value)
        return _constructor.construct_yaml_int(ScalarNode(tag, value))
    if tag == FLOAT:
        return _constructor.construct_yaml_float(ScalarNode(tag, value))
    return value  # `=` (value) and `<<` (merge) outside a key position are plain text


_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_ ./-]*")
_SPECIAL_WORDS = frozenset({"true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL"})


def resolve_plain(value: str) -> Any:
    """The value of a plain (unquoted) scalar under YAML 1.2 as ruamel.yaml resolves it.

    Short decimal integers and words that cannot be a bool or null resolve here directly (ruamel's
    resolver costs ~30 µs a scalar: a million distinct scalars took 35 s); the rest go to ruamel.
    """
    if _DECIMAL.fullmatch(value):
        return int(value)
    if _WORD.fullmatch(value) and value not in _SPECIAL_WORDS:
        return value
    return _resolve_slow(value)


@lru_cache(maxsize=65536)
def _resolve_slow(value: str) -> Any:
    tag = _resolver.resolve(ScalarNode, value, (True, False))
    return construct_scalar(str(tag), value)


def duplicate_issue(path: Path, first: Loc, second: Loc) -> ConfigIssue:
    where = first[0].locate(first[1], first[2])
    return ConfigIssue(
        f"duplicate key {path[-1]!r} (first defined at {where})",
        second[0].locate(second[1], second[2]),
        path_str(path),
    )


def parse_yaml(text: str, smap: SourceMap) -> ParsedDoc:
    """Parse one YAML document; syntax errors become issues (data is then None)."""
    from provisioner.config.fastyaml import Unsupported, parse_fast

    try:
        return parse_fast(text, smap)
    except (Unsupported, LimitExceeded) as exc:  # ruamel.yaml then reports the problem with its place
        line = exc.line if isinstance(exc, Unsupported) else 0
        return _within_time(lambda: parse_ruamel(text, smap), smap, line, len(text))


class _FullReaderTimeout(Exception):
    """The full YAML reader ran past MAX_FULL_YAML_SECONDS."""


def _within_time(parse: Callable[[], ParsedDoc], smap: SourceMap, line: int, size: int) -> ParsedDoc:
    """`parse()` stopped after MAX_FULL_YAML_SECONDS (`wall_alarm`), then an issue at `line`, where
    the fast reader stopped."""
    try:
        with wall_alarm(MAX_FULL_YAML_SECONDS, _FullReaderTimeout):
            return parse()
    except _FullReaderTimeout:
        doc = ParsedDoc(None)
        doc.issues.append(ConfigIssue(
            f"YAML outside the plain subset (anchors, tags, block scalars, multi-line values) or a "
            f"syntax error near here: the full YAML reader gave up on this {size / 2**20:.1f} MiB file "
            f"after {MAX_FULL_YAML_SECONDS:g} s; fix the syntax, or keep a file this large to block "
            "mappings, block lists and one-line flow lists", smap.locate(line, 0)))
        return doc


class _LimitedComposer(Composer):
    """ruamel.yaml's composer, counting alias uses against MAX_ALIASES."""

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.parser.check_event(AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.parser.peek_event().start_mark
                raise ComposerError(None, None, f"more than {MAX_ALIASES} aliases", mark)
        return super().compose_node(parent, index)


def _expanded_size(node: Node, memo: dict[int, int], active: set[int]) -> int:
    """Nodes in `node` with every alias expanded; memoised per node, so linear in distinct nodes."""
    key = id(node)
    known = memo.get(key)
    if known is not None:
        return known
    if key in active:
        raise LimitExceeded("an alias refers to a node that contains it (a recursive structure)")
    active.add(key)
    size = 1
    if isinstance(node, SequenceNode):
        size += sum(_expanded_size(item, memo, active) for item in node.value)
    elif isinstance(node, MappingNode):
        size += sum(_expanded_size(k, memo, active) + _expanded_size(v, memo, active) for k, v in node.value)
    active.discard(key)
    memo[key] = size
    return size


def _alias_issue(node: Node, smap: SourceMap) -> ConfigIssue | None:
    """An issue when alias expansion would add more than MAX_ALIAS_NODES nodes (or never ends)."""
    memo: dict[int, int] = {}
    anchored: list[Node] = []

    def where(n: Node) -> Any:
        return smap.locate(n.start_mark.line, n.start_mark.column)

    try:
        total = _expanded_size(node, memo, set())
    except LimitExceeded as exc:
        return ConfigIssue(f"YAML alias error: {exc}", where(node))
    except RecursionError:
        return ConfigIssue(f"YAML aliases nest deeper than {MAX_DEPTH} levels", where(node))
    added = total - len(memo)
    if added <= MAX_ALIAS_NODES:
        return None
    stack = [node]
    seen: set[int] = set()
    while stack:  # find the anchor whose expansion is largest, to point at it
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if getattr(n, "anchor", None):
            anchored.append(n)
        if isinstance(n, SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, MappingNode):
            stack.extend(x for pair in n.value for x in pair)
    biggest = max(anchored, key=lambda n: memo.get(id(n), 0), default=node)
    return ConfigIssue(
        f"YAML alias expansion would add {added} nodes; the limit is {MAX_ALIAS_NODES} "
        f"(largest anchor: &{getattr(biggest, 'anchor', None) or '?'})", where(biggest))


def parse_ruamel(text: str, smap: SourceMap) -> ParsedDoc:
    """Parse with ruamel.yaml's composer (full YAML 1.2), keeping node positions."""
    doc = ParsedDoc(None)
    loader = YAML(typ="safe", pure=True)
    loader.Composer = _LimitedComposer
    loader.max_depth = MAX_DEPTH
    try:
        node = loader.compose(text)
    except MaxDepthExceededError as exc:
        mark = exc.problem_mark
        where = smap.locate(mark.line, mark.column) if mark is not None else smap.locate(0, 0)
        doc.issues.append(ConfigIssue(f"YAML nesting is deeper than {MAX_DEPTH} levels", where))
        return doc
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        context = ""
        if exc.context and exc.context_mark is not None and exc.problem:
            start = smap.locate(exc.context_mark.line, exc.context_mark.column)
            context = f" ({exc.context} started at {start})"
        opened = (exc.context_mark.line, exc.context_mark.column) if exc.context_mark is not None else None
        line, column = (mark.line, mark.column) if mark is not None else (0, 0)
        doc.issues.append(syntax_issue(text, smap, line, column, f"{problem}{context}", opened))
        return doc
    except (YAMLError, RecursionError, ValueError) as exc:
        doc.issues.append(ConfigIssue(f"YAML error: {type(exc).__name__}", smap.locate(0, 0)))
        return doc
    if node is None:
        return doc
    if loader.composer.aliases:
        issue = _alias_issue(node, smap)
        if issue is not None:
            doc.issues.append(issue)
            return doc
    walker = _Walker(smap, doc)
    try:
        doc.data = walker.walk(node, ())
    except RecursionError:
        doc.data = None
        doc.issues.append(ConfigIssue(f"YAML nesting is deeper than {MAX_DEPTH} levels", smap.locate(0, 0)))
    return doc


class _Walker:
    """Turns a composed node tree into plain data, recording positions."""

    def __init__(self, smap: SourceMap, doc: ParsedDoc) -> None:
        self.smap = smap
        self.doc = doc

    def loc(self, node: Node) -> Loc:
        return (self.smap, node.start_mark.line, node.start_mark.column)

    def walk(self, node: Node, path: Path) -> Any:
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                item_path = (*path, index)
                self.doc.keys[item_path] = self.doc.values[item_path] = self.loc(item)
                items.append(self.walk(item, item_path))
            return items
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        self.issue("unsupported YAML node", node, path)
        return None

    def scalar(self, node: ScalarNode) -> Any:
        tag = str(node.tag)
        if tag in (STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, MERGE, VALUE):
            try:
                return construct_scalar(tag, node.value)
            except LimitExceeded as exc:
                self.issue(str(exc), node, ())
                return None
            except (YAMLError, ValueError, TypeError):
                self.issue(f"invalid {tag.removeprefix(_TAG)} value", node, ())
                return None
        self.issue(f"unsupported YAML tag {tag}", node, ())
        return None

    def mapping(self, node: MappingNode, path: Path) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if str(key_node.tag) == MERGE:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self.issue("mapping keys must be scalars", key_node, path)
                continue
            key = self.scalar(key_node)
            if not isinstance(key, str | int | float | bool) and key is not None:
                continue
            key_path = (*path, key)
            if key in out:
                self.doc.issues.append(duplicate_issue(key_path, self.doc.keys[key_path], self.loc(key_node)))
                continue
            self.doc.keys[key_path] = self.loc(key_node)
            self.doc.values[key_path] = self.loc(value_node)
            out[key] = self.walk(value_node, key_path)
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, MappingNode):
                    self.issue("a merge key (<<) needs a mapping", source, path)
                    continue
                scratch = ParsedDoc(None)
                merged = _Walker(self.smap, scratch).mapping(source, path)
                for key, value in merged.items():
                    out.setdefault(key, value)
                for key_path, loc in scratch.keys.items():
                    self.doc.keys.setdefault(key_path, loc)
                for key_path, loc in scratch.values.items():
                    self.doc.values.setdefault(key_path, loc)
                self.doc.issues.extend(scratch.issues)
        return out

    def issue(self, message: str, node: Node, path: Path) -> None:
        where = self.smap.locate(node.start_mark.line, node.start_mark.column)
        self.doc.issues.append(ConfigIssue(message, where, path_str(path) or None))
