"""The import contract between the stages, checked over the source with `ast`.

- the engine is vendor-free: `model/`, `plan/`, `apply/` and `render/` import neither
  `provisioner.providers` nor an HTTP library (httpx, aiohttp);
- `providers/` does not import `plan/` (a provider maps and applies one change; planning is not
  its business);
- `sandbox/` imports nothing of `provisioner` outside `provisioner.sandbox` (it is an independent
  implementation of the vendors' contract).

Every import counts: module level, inside functions, relative ones, and `importlib.import_module`
with a constant name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ENGINE = ("model", "plan", "apply", "render")
HTTP_LIBRARIES = ("httpx", "aiohttp")


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.imported} ({self.rule})"


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the source of `module`."""
    found: list[tuple[int, str]] = []
    package_parts = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # `from provisioner import plan` imports the subpackage itself
            found.extend((node.lineno, f"{name}.{alias.name}") for alias in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return found


def _rules(stage: str, imported: str) -> str | None:
    """The rule `imported` breaks when imported from `stage` (a top-level subpackage), or None."""
    if stage in ENGINE:
        if _within(imported, "provisioner.providers"):
            return f"{stage}/ is vendor-free: no providers/"
        if any(_within(imported, lib) for lib in HTTP_LIBRARIES):
            return f"{stage}/ is vendor-free: no HTTP library"
    if stage == "providers" and _within(imported, "provisioner.plan"):
        return "providers/ do not import plan/"
    outside = _within(imported, "provisioner") and not _within(imported, "provisioner.sandbox")
    if stage == "sandbox" and outside:
        return "sandbox/ imports nothing of provisioner outside sandbox/"
    return None


def check(root: Path) -> list[Violation]:
    """Every contract violation in the `provisioner` package under `root`."""
    package = root / "provisioner"
    found: list[Violation] = []
    for file in sorted(package.rglob("*.py")):
        parts = file.relative_to(root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        if len(parts) < 3:
            continue  # top-level modules (errors, session, ...) are under no stage rule
        stage = parts[1]
        for line, imported in imported_modules(file.read_text(encoding="utf-8"), module, is_package):
            rule = _rules(stage, imported)
            if rule is not None:
                found.append(Violation(file.relative_to(root).as_posix(), line, imported, rule))
    return sorted(set(found), key=lambda v: (v.path, v.line, v.imported))


def test_the_source_keeps_the_import_contract() -> None:
    violations = check(ROOT)
    assert not violations, "\n".join(map(str, violations))


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in {"provisioner/__init__.py": "", **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(tmp_path).parents:
            init = tmp_path / parent / "__init__.py"
            if parent != Path() and not init.exists():
                init.write_text("")
        path.write_text(text)
    return tmp_path


def test_a_planted_forbidden_import_fails_the_check(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "provisioner/apply/executor.py": "import httpx\nfrom provisioner.providers.http.errors import X\n",
        "provisioner/render/text.py": "def f():\n    import aiohttp\n",
        "provisioner/plan/builder.py": "from ..providers import insights_hub\n",
        "provisioner/model/change.py": "from provisioner import providers\n",
        "provisioner/providers/insights_hub/provider.py": "from provisioner.plan.diff import note\n",
        "provisioner/sandbox/store.py": "import importlib\nimportlib.import_module('provisioner.model')\n",
        "provisioner/sandbox/app.py": "from provisioner.errors import ProvisionError\n",
    })
    found = {(v.path, v.imported) for v in check(root)}
    assert found == {
        ("provisioner/apply/executor.py", "httpx"),
        ("provisioner/apply/executor.py", "provisioner.providers.http.errors"),
        ("provisioner/apply/executor.py", "provisioner.providers.http.errors.X"),
        ("provisioner/render/text.py", "aiohttp"),
        ("provisioner/plan/builder.py", "provisioner.providers"),
        ("provisioner/plan/builder.py", "provisioner.providers.insights_hub"),
        ("provisioner/model/change.py", "provisioner.providers"),
        ("provisioner/providers/insights_hub/provider.py", "provisioner.plan.diff"),
        ("provisioner/providers/insights_hub/provider.py", "provisioner.plan.diff.note"),
        ("provisioner/sandbox/store.py", "provisioner.model"),
        ("provisioner/sandbox/app.py", "provisioner.errors"),
        ("provisioner/sandbox/app.py", "provisioner.errors.ProvisionError"),
    }


def test_allowed_imports_pass_the_check(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "provisioner/apply/executor.py": "from provisioner.plan.graph import Node\nfrom ..errors import E\n",
        "provisioner/providers/insights_hub/provider.py": "import httpx\nfrom provisioner.model import C\n",
        "provisioner/sandbox/app.py": "from provisioner.sandbox.store import Store\nfrom . import store\n",
        "provisioner/session.py": "import httpx\nfrom provisioner.providers import insights_hub\n",
        "provisioner/cli/apply.py": "from provisioner.providers.http import errors\n",
    })
    assert check(root) == []
