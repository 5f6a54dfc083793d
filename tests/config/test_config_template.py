"""Templates: sandboxed rendering and the map from output lines back to template lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from provisioner.config.template import TemplateRenderer, tag_source

TEMPLATES = {
    "loop": "a:\n{% for x in xs %}\n  {{ x }}: {v: {{ x }}}\n  {{ x }}-b: 1\n{% endfor %}\nz: 2\n",
    "multiline-tag": (
        "{% set items = [\n  1,\n  2] %}\nlist:\n{% for i in items %}\n  - {{ i }}\n{% endfor %}\n"
    ),
    "whitespace-control": "a: [\n{%- for x in xs -%}\n  {{ x }},\n{%- endfor %}\n]\nb: 1\n",
    "raw": "{% raw %}\nk: {{ not_a_var }}\n{% endraw %}\nn: 1\n",
    "comment": "{# a\n   multi-line comment #}\nk: v\n  {# indented #}\nm: w\n",
    "filter-block": "{% filter upper %}\nk: v\n{% endfilter %}\n",
    "string-with-braces": "k: {{ '}}' }}\nm: {{ \"%}\" }}\n",
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_tagging_does_not_change_the_output(tmp_path: Path, name: str) -> None:
    source = TEMPLATES[name]
    env = SandboxedEnvironment(
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True
    )
    expected = env.from_string(source).render(xs=["p", "q", "r"])
    (tmp_path / "t.yaml.j2").write_text(source)
    rendered = TemplateRenderer(tmp_path, tmp_path, {"xs": ["p", "q", "r"]}).render("t.yaml.j2")
    assert not isinstance(rendered, Exception) and hasattr(rendered, "text")
    assert rendered.text == expected


def test_loop_output_lines_map_to_template_lines(tmp_path: Path) -> None:
    (tmp_path / "t.yaml.j2").write_text(TEMPLATES["loop"])
    rendered = TemplateRenderer(tmp_path, tmp_path, {"xs": ["p", "q", "r"]}).render("t.yaml.j2")
    assert hasattr(rendered, "source_map")
    smap = rendered.source_map
    out_lines = rendered.text.split("\n")
    assert out_lines[:4] == ["a:", "  p: {v: p}", "  p-b: 1", "  q: {v: q}"]
    assert [smap.locate(i, 2).line for i in range(8)] == [1, 3, 4, 3, 4, 3, 4, 6]
    # columns survive while the line is literal and point at the expression after it
    assert smap.locate(5, 2).column == 3
    assert smap.locate(5, 6).column == 3  # inside "{v: r}" -> the "{{ x }}" at column 3


def test_include_maps_to_the_included_file(tmp_path: Path) -> None:
    (tmp_path / "_part.j2").write_text("  inc: 1\n  inc2: {{ x }}\n")
    (tmp_path / "t.yaml.j2").write_text("top:\n{% include '_part.j2' %}\nend: 1\n")
    rendered = TemplateRenderer(tmp_path, tmp_path, {"x": 5}).render("t.yaml.j2")
    assert hasattr(rendered, "source_map")
    loc = rendered.source_map.locate(2, 2)
    assert (Path(loc.file).name, loc.line) == ("_part.j2", 2)
    assert rendered.source_map.locate(3, 0).line == 3


def test_sandbox_blocks_unsafe_attribute_access(tmp_path: Path) -> None:
    (tmp_path / "t.yaml.j2").write_text("a: 1\nb: {{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    issue = TemplateRenderer(tmp_path, tmp_path, {}).render("t.yaml.j2")
    assert not hasattr(issue, "source_map")
    assert "template error" in str(issue)
    assert ":2:" in str(issue)


def test_include_outside_the_project_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (tmp_path / "secret.j2").write_text("x: 1\n")
    (project / "t.yaml.j2").write_text("{% include '../secret.j2' %}\n")
    issue = TemplateRenderer(project, project, {}).render("t.yaml.j2")
    assert "template error" in str(issue)


def test_syntax_error_names_the_template_line(tmp_path: Path) -> None:
    source = "a: 1\n{% for x in xs %}\nb: {{ x }\n{% endfor %}\n"
    (tmp_path / "t.yaml.j2").write_text(source)
    issue = TemplateRenderer(tmp_path, Path("proj"), {"xs": [1]}).render("t.yaml.j2")
    assert str(issue).startswith("proj/t.yaml.j2:3:1: template syntax error")


def test_tag_source_keeps_line_count() -> None:
    for source in TEMPLATES.values():
        assert tag_source(source, 0).count("\n") == source.count("\n")
