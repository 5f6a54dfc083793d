"""The `provision` command group. Subcommands are imported lazily so start-up stays fast."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from provisioner import __version__
from provisioner.cli import exit_codes
from provisioner.cli.output import no_color_option
from provisioner.errors import ProvisionError

# name -> ("module:attribute", short help). Each module owns one command.
_COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("provisioner.cli.validate:validate", "Check a project offline; report every error."),
    "render": ("provisioner.cli.validate:render", "Print the fully expanded YAML of a project."),
    "schema": ("provisioner.cli.validate:schema", "Print the JSON schema of the configuration files."),
    "sandbox": ("provisioner.cli.sandbox:sandbox", "Run the local emulator of both vendors' APIs."),
    "plan": ("provisioner.cli.plan:plan", "Show what apply would change."),
    "show": ("provisioner.cli.show:show", "Render a saved plan file (text, markdown, json)."),
    "apply": ("provisioner.cli.apply:apply", "Make the live platforms match the configuration."),
    "unlock": ("provisioner.cli.unlock:unlock", "Free a stack's apply lease left by a dead apply."),
    "import": ("provisioner.cli.import_:import_", "Write a project from live objects."),
    "fmt": ("provisioner.cli.fmt:fmt", "Rewrite YAML files in the canonical layout (--check for CI)."),
    "graph": ("provisioner.cli.graph:graph", "Draw the dependency graph or hierarchy (mermaid, dot, svg)."),
    "boarding": ("provisioner.cli.boarding:boarding", "Write each managed agent's boarding file."),
    "outputs": ("provisioner.cli.outputs:outputs", "Print the server ids of managed objects."),
    "simulate": ("provisioner.cli.simulate:simulate", "Run field agents that upload plausible values."),
    "check": ("provisioner.cli.check:check", "Check that every agent and mapping delivers data."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=exit_codes.help_text())
@click.version_option(__version__, prog_name="provision")
@no_color_option
def cli() -> None:
    """Declarative configuration-as-code for Siemens Insights Hub and Bentley iTwin IoT."""


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; expected failures print a message and exit non-zero, never a traceback."""
    try:
        return cli.main(args=argv, prog_name="provision", standalone_mode=False)
    except ProvisionError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(exit_codes.code_for(exc, exc.exit_code))
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(exit_codes.ERROR)
    except click.UsageError as exc:  # click's own 2 would read as "changes present"
        exc.show()
        sys.exit(exit_codes.ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
