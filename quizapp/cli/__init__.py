"""The `quizapp` command. Subcommands live in their own modules and are registered lazily
so that `quizapp --help` and the TUI start without importing what they do not use."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from quizapp import __version__
from quizapp.cli.options import bank_option, db_option, device_option, user_option, watch_option

# name -> (module, attribute). Modules are imported only when the command is used.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("quizapp.cli.app_cmd", "run_cmd"),
    "validate": ("quizapp.cli.bank_cmds", "validate_cmd"),
    "check": ("quizapp.cli.bank_cmds", "check_cmd"),
    "show": ("quizapp.cli.bank_cmds", "show_cmd"),
    "list": ("quizapp.cli.bank_cmds", "list_cmd"),
    "users": ("quizapp.cli.progress_cmds", "users_cmd"),
    "stats": ("quizapp.cli.progress_cmds", "stats_cmd"),
    "export": ("quizapp.cli.progress_cmds", "export_cmd"),
    "import": ("quizapp.cli.progress_cmds", "import_cmd"),
    "reset": ("quizapp.cli.progress_cmds", "reset_cmd"),
    "queue": ("quizapp.cli.practice_cmds", "queue_cmd"),
    "optimize": ("quizapp.cli.readiness_cmds", "optimize_cmd"),
}

SHORT_HELP: dict[str, str] = {
    "run": "Open the practice app (the default).",
    "validate": "Load and run every question live; report every problem.",
    "check": "Grade one answer to one question.",
    "show": "Print a question as a user sees it.",
    "list": "List the bank's questions, with filters and a coverage summary.",
    "users": "List, add, rename or remove profiles; set a profile's settings.",
    "stats": "Progress statistics for a profile.",
    "export": "Export a profile's progress as JSON.",
    "import": "Import progress exported with `quizapp export`.",
    "reset": "Forget progress on a question or topic.",
    "queue": "Print the round the app would serve now (records nothing).",
    "optimize": "Fit the scheduler to a profile's own reviews.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None
        command: click.Command = getattr(module, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP.get(name, "")) for name in SUBCOMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="quizapp")
@db_option
@bank_option
@device_option
@user_option
@watch_option
@click.pass_context
def cli(ctx: click.Context, **kwargs: Any) -> None:
    """Practise PyTorch interview questions, graded by running real PyTorch code.

    With no command, opens the practice app.
    """
    if ctx.invoked_subcommand is None:
        run_cmd = cli.get_command(ctx, "run")
        if run_cmd is None:
            raise click.ClickException("the practice app is not available in this build")
        ctx.invoke(run_cmd, **kwargs)


def main() -> None:
    try:
        cli(prog_name="quizapp")
    except Exception as exc:  # a defect, not user input: Click already handled usage errors
        from quizapp.cli.crash import debugging, report_crash

        if debugging():
            raise
        sys.exit(report_crash(exc, sys.argv[1:]))
