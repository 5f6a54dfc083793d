"""README "Development" holds the module map: one line per package under provisioner/, matching the tree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_map(readme: str) -> list[str]:
    """The lines of the first code block of the "## Development" section."""
    section = readme.split("\n## Development\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```\n(.*?)^```$", section, re.S | re.M)
    assert block is not None, "no code block in README's Development section"
    return block.group(1).splitlines()


def mapped_packages(lines: list[str]) -> list[str]:
    """The packages the map names, as paths under provisioner/ ("" for provisioner/ itself)."""
    named: list[str] = []
    for line in lines:
        first = line.split()[0] if line.strip() else ""
        if first == "provisioner/":
            named.append("")
        elif first.endswith("/") and line.startswith("  ") and not line.startswith("   "):
            named.append(first.rstrip("/"))
    return named


def packages(root: Path) -> set[str]:
    package = root / "provisioner"
    return {
        init.parent.relative_to(package).as_posix().replace(".", "")
        for init in package.rglob("__init__.py")
    }


def test_the_module_map_names_every_package_once_and_nothing_else() -> None:
    named = mapped_packages(module_map((ROOT / "README.md").read_text(encoding="utf-8")))
    assert len(named) == len(set(named)), f"named more than once: {sorted(named)}"
    actual = packages(ROOT)
    assert set(named) == actual, (
        f"missing from the README map: {sorted(actual - set(named))}; "
        f"not a package: {sorted(set(named) - actual)}"
    )


def test_every_mapped_package_says_what_it_owns() -> None:
    lines = module_map((ROOT / "README.md").read_text(encoding="utf-8"))
    for line in lines:
        if line.strip() and line.split()[0].endswith("/"):
            assert len(line.split()) > 2, f"a package line without what it owns: {line!r}"


def test_the_map_checker_catches_a_missing_package(tmp_path: Path) -> None:
    for name in ("provisioner", "provisioner/plan", "provisioner/newstage"):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "__init__.py").write_text("")
    readme = "# x\n\n## Development\n\n```\nprovisioner/   root\n  plan/   planning things\n```\n"
    named = set(mapped_packages(module_map(readme)))
    assert packages(tmp_path) - named == {"newstage"}
