"""Plan and apply-report output: one view model, rendered as text, Markdown or JSON."""

from provisioner.render.json import render_json
from provisioner.render.markdown import MARKDOWN_LIMIT, render_markdown
from provisioner.render.report import render_report_json, render_report_text
from provisioner.render.text import render_text
from provisioner.render.view import ChangeRow, PlanView, Summary, plan_view

__all__ = [
    "MARKDOWN_LIMIT",
    "ChangeRow",
    "PlanView",
    "Summary",
    "plan_view",
    "render_json",
    "render_markdown",
    "render_report_json",
    "render_report_text",
    "render_text",
]
