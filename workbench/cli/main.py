"""The root of `wb`: global options, error handling, and the sub-apps per noun."""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup
from typer.models import CommandInfo, TyperInfo

from ..core.errors import EXIT_INTERRUPTED, EXIT_USAGE, Caution, WbError
from ..core.storage import failures
from ..formatting import visible
from . import output
from .commands import COMMANDS
from .context import Options
from .context import workspace as context_workspace

EXIT_CRASH = 70  # sysexits' EX_SOFTWARE: a bug in wb, not in the user's input
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell shows for `git log | head`


GLOBAL_OPTIONS = ("-w", "--workspace", "--debug")


class WbGroup(TyperGroup):
    """Turns WbError into one sentence on stderr and its exit code; hides tracebacks unless
    --debug. Arguments that are not UTF-8 are refused before any command sees them. Each
    command is loaded when it is asked for (commands.py)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands()

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        """The listing from the summaries, without loading a command."""
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [
            (name, TyperCommand(name, help=e.summary).get_short_help_str(limit))
            for name, e in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, info_name, args, parent=None, **extra):
        if parent is None:  # the root: every argument on the command line, before parsing
            problem = not_utf8(args)
            if problem:
                output.error(problem)
                raise typer.Exit(EXIT_USAGE)
            name_placeholders(self, recurse=False)
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except typer.BadParameter.__base__ as exc:  # click's UsageError, as typer bundles it
            _place_global_option(exc)
            raise
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except WbError as exc:
            _report(ctx, str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _report(ctx, "interrupted; nothing was changed by the unfinished step")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            _quiet_stdout()
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        except Exception as exc:
            known = failures.translate(exc)  # a full disk, a read-only folder: not a crash
            if known is not None:
                _report(ctx, str(known))
                raise typer.Exit(known.exit_code) from None
            _report(
                ctx,
                f"wb crashed: {type(exc).__name__}: {exc} (run with --debug for the "
                f"traceback, and please report it)",
            )
            raise typer.Exit(EXIT_CRASH) from None


class NamedArgument(TyperArgument):
    """An argument shown by its name alone, as git and click do (`REF`, `[PATH]`), not
    typer's `{ref}` and `ref <str>`."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 and not name.endswith("...") else "")


def _place_global_option(exc: Exception) -> None:
    """`wb status -w PATH` is an unknown option of `status`: say where wb's own options go."""
    option = getattr(exc, "option_name", None)
    if option in GLOBAL_OPTIONS and getattr(exc, "ctx", None) is not None:
        command = exc.ctx.command_path.partition(" ")[2]
        exc.message = (
            f"{option} is an option of wb itself: put it before the command, `wb {option} ... {command}`"
        )


class LazyCommands(MutableMapping[str, Any]):
    """The root's commands by name, each built the first time it is looked up. Every name is
    known up front, so listing and "did you mean" need no module loaded."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in COMMANDS:
                raise KeyError(name)
            self._built[name] = _load(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


def _load(name: str) -> TyperCommand | TyperGroup:
    """The click command for `wb NAME`, built by typer from the module that defines it."""
    import importlib

    entry = COMMANDS[name]
    target = getattr(importlib.import_module(f"{__package__}.{entry.module}"), entry.attribute)
    # As add_typer would: the root's plain-text help, not rich panels.
    style: dict[str, Any] = {"pretty_exceptions_short": True, "rich_markup_mode": None}
    if isinstance(target, typer.Typer):
        command: Any = typer.main.get_group_from_info(TyperInfo(target), suggest_commands=True, **style)
    else:
        settings = {"allow_interspersed_args": False} if entry.options_first else None
        command = typer.main.get_command_from_info(
            CommandInfo(name=name, callback=target, context_settings=settings), **style
        )
    command.name = name
    name_placeholders(command)
    return command


def name_placeholders(command: Any, recurse: bool = True) -> None:
    """Help says what a value is (`--where WHERE`, `REF`), not its Python type (`<str>`,
    `<list[str]>`, `<int range>`, which typer shows for a parameter without a metavar)."""
    for param in command.params:
        if param.metavar is None and not getattr(param, "is_flag", False) and param.name:
            param.metavar = param.name.upper()
        if type(param) is TyperArgument:
            param.__class__ = NamedArgument
    for sub in getattr(command, "commands", {}).values() if recurse else ():
        name_placeholders(sub)


def not_utf8(args: list[str]) -> str | None:
    """The sentence refusing the first argument that is not UTF-8, if one is not. Python hands
    such bytes (a file name in Latin-1, a message with byte 0xff) over as lone surrogates,
    which neither SQLite, JSON nor the terminal can take: refused here, once for every
    command, nothing else has to care."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            try:  # the bytes as the shell gave them: 0xff as \xff
                shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            except UnicodeEncodeError:
                shown = arg
            return (
                f"the argument '{visible(shown)}' is not valid UTF-8; wb takes its "
                f"arguments (file names too) as UTF-8, so rename the file or retype the text"
            )
    return None


def _quiet_stdout() -> None:
    """The reader of our stdout went away (`wb log | head`): like git, stop quietly. What is
    still buffered goes nowhere, instead of failing again when Python flushes at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _report(ctx: typer.Context, message: str) -> None:
    options: Options = ctx.obj or Options()
    if options.debug:  # the traceback quotes the same input the message does: escaped alike
        sys.stderr.write(visible(traceback.format_exc(), lines=True))
    output.error(message)


app = typer.Typer(
    cls=WbGroup,
    add_completion=False,
    no_args_is_help=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="wb: a local-first MLOps workbench. Datasets, experiments, drift and models, offline.",
)


def _version(value: bool) -> None:
    if value:
        import workbench

        print(f"wb {workbench.__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    workspace: Path | None = typer.Option(
        None,
        "--workspace",
        "-w",
        help="Use this workspace (default: WB_WORKSPACE, then the "
        "nearest .wb/ at or above the current folder).",
        show_default=False,
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    ctx.obj = Options(workspace=workspace, debug=debug)
    warnings.showwarning = _show_warning
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            ui(ctx)
        else:  # no terminal to draw on: say what there is to do instead
            typer.echo(ctx.get_help())


def _show_warning(
    message, category, filename, lineno, file=None, line=None, _default=warnings.showwarning
) -> None:
    """Core's cautions (a setting it does not know, INVALID data) are a line for the user,
    not a source line."""
    if issubclass(category, Caution):
        output.note(f"warning: {message}", style="yellow")
    else:
        _default(message, category, filename, lineno, file, line)


def ui(ctx: typer.Context) -> None:
    """Open the terminal UI (what a bare `wb` does on a terminal)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):  # else textual would spin, drawing nowhere
        raise WbError(
            "wb ui needs a terminal on its input and output; from a script, use the "
            "wb commands (`wb status`, `wb runs list --json`, ...)"
        )
    from ..tui.app import run  # textual: only when the UI opens

    run(context_workspace(ctx).root)


def main() -> None:
    try:
        app(prog_name="wb")
    except KeyboardInterrupt:  # a second Ctrl-C (or SIGTERM) while the first was being handled
        sys.exit(EXIT_INTERRUPTED)
    finally:
        try:
            sys.stdout.flush()  # output still buffered meets a closed pipe here, if at all
        except BrokenPipeError:
            _quiet_stdout()
            sys.exit(EXIT_BROKEN_PIPE)
