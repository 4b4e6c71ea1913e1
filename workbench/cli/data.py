"""`wb data ...`: versioned datasets."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..core.data import datasets
from ..core.errors import EXIT_CHECK_FAILED, InvalidInput
from ..core.names import plural
from ..formatting import VALID_TEXT, short_time, stat_text, visible
from ..presenters import datasets as dataset_words
from . import output
from .context import JSON_OPTION, workspace

if TYPE_CHECKING:  # imported by the commands that check data
    from ..core.data import validation

app = typer.Typer(help="Versioned datasets: add, list, log, show, diff, checkout, tag.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    path: Path = typer.Argument(
        ...,
        help="A CSV, TSV, Parquet or JSON Lines file, or a folder of Parquet files (key=value/ partitions).",
    ),
    name: str = typer.Option(..., "--name", help="The dataset to add a version to."),
    message: str = typer.Option("", "--message", "-m", help="What this version is."),
    strict: bool = typer.Option(
        False,
        "--strict",
        help=("Refuse (store nothing, exit 1) a version that breaks the dataset's contract."),
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a version of a dataset: the exact bytes, a schema and a profile (and a contract
    check, when the dataset has a contract)."""
    from ..core.data.contracts import ContractBroken

    ws = workspace(ctx)
    try:
        with output.progress_bar(f"adding {path.name}", _size_or_none(path)) as progress:
            result = datasets.add(ws, path, name, message, progress=progress, strict=strict)
    except ContractBroken as exc:
        output.emit(
            datasets.Refusal(name, exc.violations), as_json, lambda r: _print_violations(r.violations)
        )
        raise
    output.emit(result, as_json, lambda result: _print_added(result, path))


def _print_added(result: datasets.AddResult, path: Path) -> None:
    v = result.version
    if result.unchanged:
        output.line(f"{v.ref} unchanged: {path} has the same bytes as the latest version")
        return
    output.line(
        f"added {v.ref}  {v.rows:,} rows x {v.columns} columns  {v.hash[:12]}"
        + (f"  (same bytes as {result.same_as})" if result.same_as else "")
    )
    if result.violations:
        output.line(
            f"{plural(len(result.violations), 'contract violation')} (stored anyway; --strict refuses):",
            style="yellow",
        )
        _print_violations(result.violations)
    elif result.violations is not None:
        output.line("passes its contract", style="green")


def _print_violations(violations) -> None:
    output.table(
        ["column", "check", "detail"], [(v.column or "(table)", v.check, v.detail) for v in violations]
    )


def _size_or_none(path: Path) -> int | None:
    try:
        if path.is_dir():  # a partitioned drop: every file is copied
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return None


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Every dataset with its latest version."""
    output.emit(datasets.list_datasets(workspace(ctx)), as_json, _print_list)


def _print_list(found: list[datasets.DatasetSummary]) -> None:
    if not found:
        output.line("No datasets yet: add one with `wb data add FILE --name NAME`.")
        return
    output.table(
        ["name", "versions", "latest", "rows", "updated"],
        [(d.name, d.versions, d.latest, f"{d.rows:,}", short_time(d.updated_at)) for d in found],
        justify_right=("versions", "latest", "rows"),
    )


@app.command("log")
def log(
    ctx: typer.Context, name: str = typer.Argument(..., help="A dataset name."), as_json: bool = JSON_OPTION
) -> None:
    """The versions of a dataset, oldest first."""
    versions = datasets.log(workspace(ctx), name)
    output.emit_summaries(versions, as_json, _print_log)


def _print_log(versions: Sequence[datasets.DatasetVersion]) -> None:
    output.table(
        ["version", "hash", "rows", "cols", "created", "valid", "tags", "message"],
        [
            (
                v.version,
                v.hash[:12],
                f"{v.rows:,}",
                v.columns,
                short_time(v.created_at),
                VALID_TEXT[v.valid],
                ", ".join(v.tags),
                v.message,
            )
            for v in versions
        ],
        justify_right=("version", "rows", "cols"),
    )


@app.command("show")
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help=("NAME, NAME@N, NAME@ALIAS or NAME@HASH.")),
    as_json: bool = JSON_OPTION,
) -> None:
    """A version's schema and profile."""
    from ..core.data import contracts

    ws = workspace(ctx)
    output.emit(
        datasets.resolve(ws, ref),
        as_json,
        lambda v: _print_show(v, contracts.get_text(ws, v.name) is not None),
    )


def _print_show(v: datasets.DatasetVersion, has_contract: bool) -> None:
    output.line(
        f"{v.ref}  {v.format}  {output.fmt_bytes(v.size)}  {v.rows:,} rows x {v.columns} columns",
        style="bold",
    )
    output.line(f"hash     {v.hash_algo}:{v.hash}")
    output.line(f"created  {short_time(v.created_at)}  from {v.source_path}")
    if v.message:
        output.line(f"message  {v.message}")
    if v.tags:
        output.line(f"tags     {', '.join(f'{v.name}@{t}' for t in v.tags)}")
    verdict = _verdict(v, has_contract)
    if verdict:
        output.line(f"valid    {verdict}", style={True: "green", False: "red"}.get(v.valid))
    note = dataset_words.approximate_note(v.profile)
    if note:
        output.line(f"profile  {note}")
    output.table(
        ["column", "type", "nulls", "distinct", "min", "mean", "max", "top values"],
        [_profile_row(c) for c in v.profile["columns"]],
        justify_right=("nulls", "distinct", "min", "mean", "max"),
    )


def _verdict(v, has_contract: bool) -> str | None:
    """What `wb data show` says of a version's contract check (a read: it checks nothing)."""
    if v.valid is True:
        return f"yes: passes the contract of {v.name}"
    if v.valid is False:
        return f"NO: breaks the contract of {v.name}; `wb data validate {v.ref}` lists how"
    if has_contract:
        return (
            f"not checked against the contract of {v.name}; `wb data validate --all "
            f"{v.name}` checks every version not yet checked"
        )
    return None


def _profile_row(col: dict[str, Any]) -> tuple:
    top = dataset_words.marked(
        col, "top_values", ", ".join(f"{t['value']} ({t['count']:,})" for t in col.get("top_values", [])[:3])
    )
    return (
        col["name"],
        col["dtype"],
        f"{col['null_fraction']:.1%}",
        dataset_words.marked(col, "distinct", f"{col['distinct']:,}"),
        stat_text(col.get("min")),
        stat_text(col.get("mean")),
        stat_text(col.get("max")),
        top,
    )


@app.command("diff")
def diff(
    ctx: typer.Context,
    ref_a: str = typer.Argument(..., help="The older version."),
    ref_b: str = typer.Argument(..., help="The newer version."),
    as_json: bool = JSON_OPTION,
) -> None:
    """What changed between two versions: columns, rows, and each column's statistics."""
    output.emit(datasets.diff(workspace(ctx), ref_a, ref_b), as_json, _print_diff)


def _print_diff(d: datasets.DatasetDiff) -> None:
    first, *rest = dataset_words.diff_lines(d)
    output.line(first.text, style="bold")
    for note in rest:
        output.line(note.text, style=output.NOTE_STYLES[note.level])
    shifts = dataset_words.shift_rows(d)
    if shifts:
        output.table(list(dataset_words.SHIFT_COLUMNS), shifts, justify_right=("a", "b", "change"))


@app.command("checkout")
def checkout(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help=("NAME, NAME@N, NAME@ALIAS or NAME@HASH.")),
    out: Path | None = typer.Option(
        None, "--output", "-o", help="Where to write (default: NAME@N.EXT here; a folder's version: NAME@N/)."
    ),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite OUT if it exists."),
) -> None:
    """Write a version's exact bytes back to a file, verified against its hash."""
    v, dest = datasets.checkout(workspace(ctx), ref, out, force)
    files = len(v.profile.get("files", ()))
    what = (
        f"{plural(files, 'file')}, {output.fmt_bytes(v.size)}, hashes"
        if files
        else f"{output.fmt_bytes(v.size)}, hash"
    )
    output.line(f"wrote {v.ref} to {dest} ({what} verified)")
    note = datasets.format_note(v, dest)
    if note:
        output.line(f"note: {note}", style="yellow")


@app.command("tag")
def tag(
    ctx: typer.Context,
    ref: str = typer.Argument(
        ..., metavar="REF", help=("The version: NAME (the latest), NAME@N, NAME@ALIAS or NAME@HASH.")
    ),
    alias: str = typer.Argument(
        ...,
        metavar="ALIAS",
        help=("The name NAME@ALIAS will stand for (not a number, `latest` or hex digits)."),
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Give a version an alias: `wb data tag sales@1 reference` makes sales@reference, usable
    wherever a dataset reference is (and `wb watch` checks drops against NAME@reference).
    Tagging another version moves the alias."""
    output.emit(datasets.tag(workspace(ctx), ref, alias), as_json, _print_tagging)


def _print_tagging(done: datasets.Tagging) -> None:
    v = done.version
    if done.unchanged:
        output.line(f"{v.name}@{done.alias} is already {v.ref}")
    elif done.before is None:
        output.line(f"{v.name}@{done.alias} is now {v.ref}")
    else:
        output.line(f"{v.name}@{done.alias} is now {v.ref} (was {v.name}@{done.before})")


@app.command("untag")
def untag(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A dataset name."),
    alias: str = typer.Argument(..., metavar="ALIAS", help="The alias to remove."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Remove a dataset alias; the version it pointed at stays."""
    output.emit(
        datasets.untag(workspace(ctx), name, alias),
        as_json,
        lambda done: output.line(
            f"removed {name}@{done.alias} (it pointed at {done.version.ref}, which stays)"
        ),
    )


@app.command("validate")
def validate(
    ctx: typer.Context,
    target: str = typer.Argument(
        ..., metavar="REF|PATH|NAME", help=("A dataset version or a data file; with --all, a dataset name.")
    ),
    contract: str | None = typer.Option(
        None, "--contract", help=("Check against this dataset's contract (default: the version's own).")
    ),
    every: bool = typer.Option(
        False,
        "--all",
        help=(
            "Check every version of dataset NAME not yet checked against its contract "
            "(those added before it) and record the results."
        ),
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check data against a contract; exit 1 on any violation."""
    from ..core.data import validation

    if every:
        _validate_all(ctx, target, contract, as_json)
        return
    result = validation.ContractCheck(*validation.check(workspace(ctx), target, contract))
    output.emit(result, as_json, _print_check)
    if not result.passed:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _print_check(result: validation.ContractCheck) -> None:
    if result.passed:
        output.line(f"{result.checked} passes its contract", style="green")
        return
    output.line(f"{result.checked}: {plural(len(result.violations), 'contract violation')}", style="bold red")
    _print_violations(result.violations)


def _validate_all(ctx: typer.Context, name: str, contract: str | None, as_json: bool) -> None:
    """`wb data validate --all NAME`: one line per version checked, then a summary."""
    from ..core.data import validation

    if contract is not None:
        raise InvalidInput(
            "--all checks each version against its own dataset's contract; leave out --contract"
        )
    if "@" in name or Path(name).is_file():
        raise InvalidInput(
            f"--all takes a dataset name, not {name!r}: `wb data validate --all {name.partition('@')[0]}`"
        )
    sweep = validation.check_unchecked(workspace(ctx), name)
    output.emit(sweep, as_json, _print_sweep)
    if sweep.broken:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _print_sweep(sweep: validation.Sweep) -> None:
    for v, found in sweep.checked:
        if found:
            checks = ", ".join(dict.fromkeys(f"{x.column or '(table)'} {x.check}" for x in found))
            output.line(f"{v.ref}: {plural(len(found), 'contract violation')} ({checks})", style="red")
        else:
            output.line(f"{v.ref} passes its contract", style="green")
    output.line(_sweep_summary(sweep), style="bold")


SHOW_BROKEN = 5  # versions checked before and broken that a summary names


def _sweep_summary(sweep) -> str:
    before = len(sweep.already)
    earlier = f"{plural(before, 'version')} checked before" if before else ""
    failed = [v.ref for v in sweep.already if v.valid is False]
    if failed:
        earlier += (
            f", of which {', '.join(failed[:SHOW_BROKEN])}"
            f"{' and more' if len(failed) > SHOW_BROKEN else ''} "
            f"break{'s' if len(failed) == 1 else ''} it"
        )
    if not sweep.checked:
        return f"nothing to check: every version of {sweep.name} was checked before ({earlier})"
    broken, passed = len(sweep.broken), len(sweep.checked) - len(sweep.broken)
    text = (
        f"checked {plural(len(sweep.checked), 'version')} of {sweep.name}: "
        + (
            f"{passed} pass{'es' if passed == 1 else ''}, {broken} break{'s' if broken == 1 else ''}"
            if broken
            else "it passes"
            if passed == 1
            else "all pass"
        )
        + " its contract"
    )
    if earlier:
        text += f" ({earlier})"
    if broken:
        text += f"; `wb data validate {sweep.broken[0].ref}` lists how"
    if not sweep.recorded:
        text += "; a read-only workspace: nothing recorded"
    return text


contract_app = typer.Typer(
    help="Data contracts: infer one from a version, attach it, show it.", no_args_is_help=True
)
app.add_typer(contract_app, name="contract")


@contract_app.command("infer")
def contract_infer(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="A dataset version."),
    out: Path | None = typer.Option(None, "--output", "-o", help="Write here (default: stdout)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite OUT if it exists."),
) -> None:
    """Write a contract inferred from a version (commented TOML, meant to be edited)."""
    from ..core.data import validation

    ws = workspace(ctx)
    text = validation.infer(ws, datasets.resolve(ws, ref))
    if out is None:  # shown, so escaped like any output; -o FILE has the exact text
        typer.echo(visible(text, lines=True), nl=False)
        return
    if out.exists() and not force:
        raise InvalidInput(f"{out} already exists; pass --force to overwrite it")
    out.write_text(text, encoding="utf-8")
    output.line(f"wrote {out}; edit it, then `wb data contract set NAME {out}`")


@contract_app.command("set")
def contract_set(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A dataset name."),
    file: Path = typer.Argument(..., help="The contract (TOML)."),
) -> None:
    """Attach a contract to a dataset: later adds are checked against it."""
    from ..core.data import contracts

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"cannot read {file}: it is not UTF-8 text") from None
    contracts.set_contract(workspace(ctx), name, text, str(file))
    output.line(f"{name} now has the contract in {file}")


@contract_app.command("show")
def contract_show(
    ctx: typer.Context, name: str = typer.Argument(..., help="A dataset name."), as_json: bool = JSON_OPTION
) -> None:
    """Print a dataset's contract."""
    from ..core.data import validation

    output.emit(
        validation.attached(workspace(ctx), name),
        as_json,
        lambda contract: typer.echo(visible(contract.text, lines=True), nl=False),
    )
