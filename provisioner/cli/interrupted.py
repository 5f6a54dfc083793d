"""The notice `plan` and `apply` give about operations an interrupted apply left unfinished."""

from __future__ import annotations

from pathlib import Path

import click

from provisioner.apply.journal import Journal, JournalEntry, interrupted_lines


def report_interrupted(project_dir: str | Path) -> tuple[Journal, list[JournalEntry]]:
    """Print (to standard error) the journal's started-but-unfinished operations of the project in
    `project_dir` whose apply is no longer running; return the journal and them (for
    `Journal.reconcile` once a fresh read has planned)."""
    journal = Journal(project_dir)
    pending = journal.interrupted()
    for line in interrupted_lines(pending):
        click.echo(line, err=True)
    return journal, pending
