"""No decision in provisioner/ reads a reason string or an exception message.

Decisions come from typed fields (`Change.adopt`, `.protected`, `.data_destructive`), exception
types and status/error codes. This test walks the syntax tree of every module and flags a
comparison or text search whose operand is the text of an exception (`str(exc)`, `exc.message`,
`exc.args`) or a change's `reasons`: `"x" in str(exc)`, `ADOPT_REASON in change.reasons`,
`exc.message == ...`, `str(exc).startswith(...)`, `re.search(..., str(exc))`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "provisioner"

TEXT_ATTRIBUTES = frozenset({"message", "reasons", "args"})
COMMON_EXCEPTION_NAMES = frozenset({"exc", "err", "error", "e", "ex"})
SEARCH_METHODS = frozenset({"startswith", "endswith", "find", "rfind", "index", "count", "__contains__"})
RE_FUNCTIONS = frozenset({"search", "match", "fullmatch", "findall", "finditer"})

# (path under the repo, source text of the flagged expression): each names why it may stay.
ALLOWED: dict[tuple[str, str], str] = {
    # Presentation only: picks the column an error message points at from the name Jinja puts in
    # its UndefinedError text (the exception carries no name field); it decides nothing.
    ("provisioner/config/template.py", "re.search(r\"'([A-Za-z_][A-Za-z0-9_]*)'\", str(exc))"):
        "column of a template error message",
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    source: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.source}"


def _exception_names(tree: ast.AST) -> set[str]:
    names = set(COMMON_EXCEPTION_NAMES)
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _is_text(node: ast.AST, exc_names: set[str]) -> bool:
    """An expression standing for an exception's message or a change's reasons."""
    if isinstance(node, ast.Subscript):
        return _is_text(node.value, exc_names)
    if isinstance(node, ast.Attribute):
        return node.attr in TEXT_ATTRIBUTES
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("str", "repr"):
        return any(
            (isinstance(a, ast.Name) and a.id in exc_names) or _is_text(a, exc_names) for a in node.args
        )
    return False


def text_decisions(source: str, path: str) -> list[Finding]:
    """Every comparison or search on exception text or reasons in one module's `source`."""
    tree = ast.parse(source)
    exc_names = _exception_names(tree)
    found: list[Finding] = []
    for node in ast.walk(tree):
        flagged = False
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            decisive = all(isinstance(op, ast.In | ast.NotIn | ast.Eq | ast.NotEq) for op in node.ops)
            flagged = decisive and any(_is_text(o, exc_names) for o in operands)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if func.attr in SEARCH_METHODS:
                flagged = _is_text(func.value, exc_names)
            elif func.attr in RE_FUNCTIONS and isinstance(func.value, ast.Name) and func.value.id == "re":
                flagged = any(_is_text(a, exc_names) for a in node.args)
        if flagged:
            found.append(Finding(path, node.lineno, ast.get_source_segment(source, node) or ""))
    return found


def scan(root: Path, base: Path) -> list[Finding]:
    findings: list[Finding] = []
    for file in sorted(root.rglob("*.py")):
        findings.extend(text_decisions(file.read_text(encoding="utf-8"), file.relative_to(base).as_posix()))
    return findings


def _allowed(finding: Finding) -> bool:
    return any(path == finding.path and text in finding.source for path, text in ALLOWED)


def test_no_decision_reads_a_reason_or_an_exception_message() -> None:
    findings = [f for f in scan(PACKAGE, ROOT) if not _allowed(f)]
    listed = "\n".join(map(str, findings))
    assert not findings, f"decide from typed fields or error codes, not text:\n{listed}"


def test_every_allowance_still_matches_something() -> None:
    findings = scan(PACKAGE, ROOT)
    stale = [key for key in ALLOWED if not any(f.path == key[0] and key[1] in f.source for f in findings)]
    assert not stale, f"these allowances match nothing any more; delete them from ALLOWED: {stale}"


@pytest.mark.parametrize("snippet", [
    "def f(change):\n    return ADOPT_REASON in change.reasons\n",
    "def f(change):\n    return 'x' not in change.reasons[0]\n",
    "try:\n    g()\nexcept ValueError as problem:\n    if 'refId' in str(problem):\n        pass\n",
    "def f(exc):\n    return exc.message == 'gone'\n",
    "def f(exc):\n    return str(exc).startswith('HTTP 404')\n",
    "import re\ndef f(err):\n    return re.search('refId', str(err))\n",
    "def f(exc):\n    return exc.args[0] != 'x'\n",
])
def test_the_checker_flags_a_planted_text_decision(snippet: str) -> None:
    assert text_decisions(snippet, "planted.py"), snippet


@pytest.mark.parametrize("snippet", [
    "def f(change):\n    return change.adopt and change.action is Action.UPDATE\n",
    "def f(exc):\n    return exc.status in (404, 409)\n",
    "def f(exc):\n    raise Other(f'failed: {exc.message}') from exc\n",
    "def f(change):\n    return [f'# {r}' for r in change.reasons]\n",
])
def test_the_checker_leaves_typed_decisions_and_messages_alone(snippet: str) -> None:
    assert text_decisions(snippet, "fine.py") == []


def test_the_checker_scans_a_tree(tmp_path: Path) -> None:
    package = tmp_path / "provisioner" / "apply"
    package.mkdir(parents=True)
    (package / "ok.py").write_text("def f(c):\n    return c.protected\n")
    (package / "bad.py").write_text("def f(c):\n    return 'protected' in c.reasons\n")
    [finding] = scan(tmp_path / "provisioner", tmp_path)
    assert (finding.path, finding.line) == ("provisioner/apply/bad.py", 2)
