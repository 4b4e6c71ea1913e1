"""`wb model ...` and `wb predict`: the registry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..core.errors import EXIT_CHECK_FAILED, InvalidInput
from ..core.models import evaluation, registry
from ..core.models.evaluation import Evaluation
from ..core.models.records import ModelDetail, ModelSummary, Promotion
from ..core.names import plural, short_id
from ..formatting import fmt_num
from ..presenters import models as model_words
from . import output
from .context import HTML_OPTION, JSON_OPTION, workspace

if TYPE_CHECKING:
    from ..core.models.history import ModelHistory

app = typer.Typer(
    help="The model registry: register, list, show, history, promote, rollback, evaluate.",
    no_args_is_help=True,
)


@app.command("register")
def register(
    ctx: typer.Context,
    run_ref: str = typer.Argument(
        ..., metavar="RUN", help=("The finished run whose model to register: its id or a unique prefix.")
    ),
    name: str = typer.Option(..., "--name", help="The model to add a version to."),
    description: str = typer.Option(
        "",
        "--description",
        metavar="TEXT",
        help=("What this version is, for the people who read `wb model show`."),
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register the model a run trained as a new version of NAME."""
    output.emit(
        registry.register(workspace(ctx), run_ref, name, description),
        as_json,
        lambda mv: output.line(
            f"registered {mv.ref} from run {short_id(mv.run_id)} (trained on {mv.dataset})"
        ),
    )


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Registered models with their aliases."""
    output.emit(registry.list_models(workspace(ctx)), as_json, _models_table)


def _models_table(found: list[ModelSummary]) -> None:
    if not found:
        output.line("No models yet: `wb model register RUN --name NAME` (or `wb train --register`).")
        return
    output.table(
        ["name", "versions", "latest", "aliases"],
        [(m.name, m.versions, m.latest, ", ".join(f"{a}=@{v}" for a, v in m.aliases.items())) for m in found],
        justify_right=("versions", "latest"),
    )


@app.command("show")
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(
        ..., metavar="MODELREF", help=("A model version: NAME@VERSION, NAME@ALIAS or NAME (the latest).")
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """A version with its lineage (a bare name: the latest, and the alias history)."""
    output.emit(registry.show(workspace(ctx), ref), as_json, _detail)


def _detail(detail: ModelDetail) -> None:
    mv = detail.version
    output.line(model_words.title(mv), style="bold")
    output.pairs(model_words.facts(detail))
    output.table(["metric", "validation"], model_words.metric_rows(mv), justify_right=("validation",))
    output.table(["input", "type"], [(c["name"], c["dtype"]) for c in mv.schema])
    if detail.alias_history:
        output.table(list(model_words.HISTORY_COLUMNS), model_words.history_rows(detail.alias_history))


@app.command("history")
def history(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="A model name."),
    html: Path | None = HTML_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """The model's performance over time: per drop a version scored (`wb drift check
    --model`, the watcher), its metric with labels, the label-free estimate, the drift share
    and the alerts, with which version was production then."""
    from ..core.models import history as history_core

    found = history_core.history(workspace(ctx), name)
    if html is not None:
        from ..presenters import html_report

        output.write_page(html, html_report.history_page(found))
    output.emit(found.points, as_json, lambda _: _history(found))


def _history(found: ModelHistory) -> None:
    from rich.text import Text

    from ..charts import line_chart
    from ..formatting import visible

    notes = model_words.story(found)
    if found.points:
        output.table(
            list(model_words.point_columns(found)),
            model_words.point_rows(found),
            justify_right=(found.metric, "vs validation", "drift"),
        )
        # The chart's colours are ANSI, so the names in it are escaped before it is drawn.
        chart = line_chart(
            visible(f"{found.model}: {found.metric} per drop, with labels"),
            {visible(k): v for k, v in model_words.series(found).items()},
            min(output.stdout.width, 100),
            xlabel="drop",
            xticks={x: visible(d) for x, d in model_words.drop_ticks(found).items()},
        )
        output.stdout.print(Text.from_ansi(chart))
    for note in notes:
        output.line(note.text, style=output.NOTE_STYLES[note.level])


@app.command("promote")
def promote(
    ctx: typer.Context,
    ref: str = typer.Argument(
        ..., metavar="MODELREF", help=("A model version: NAME@VERSION, NAME@ALIAS or NAME (the latest).")
    ),
    to: str = typer.Option(..., "--to", metavar="ALIAS", help="The alias, e.g. production or staging."),
    data: str | None = typer.Option(
        None,
        "--data",
        metavar="REF",
        help=(
            "Compare with production on this dataset version (default: the newest version "
            "of the training dataset that the candidate has not seen)."
        ),
    ),
    force: bool = typer.Option(False, "--force", help="Override failed gates."),
    reason: str | None = typer.Option(
        None,
        "--reason",
        metavar="TEXT",
        help=("Why the gates are overridden: required with --force, and only with it."),
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Point an alias at a version; to production only through the gates.

    Promoting a version to the alias it already has changes nothing and exits 0.
    """
    if reason is not None and not force:
        raise InvalidInput(
            "--reason goes with --force (it says why the gates are overridden); "
            "a promotion through the gates takes no reason"
        )
    result = registry.promote(workspace(ctx), ref, to, data=data, force=force, reason=reason or "")
    output.emit(result, as_json, _promotion)
    if not (result.promoted or result.already):
        raise typer.Exit(EXIT_CHECK_FAILED)


def _promotion(result: Promotion) -> None:
    if result.gates:
        output.table(
            ["gate", "passed", "detail"],
            [(g.name, "yes" if g.passed else "NO", g.detail) for g in result.gates],
        )
    if result.caution:
        output.line(f"note: {result.caution}", style="yellow")
    style = (
        "green"
        if result.already
        else "bold red"
        if not result.promoted
        else "yellow"
        if result.forced
        else "green"
    )
    output.line(result.message, style=style)


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A model name."),
    alias: str = typer.Option(
        registry.PRODUCTION, "--alias", help="The alias to move back (default: production)."
    ),
    reason: str = typer.Option("", "--reason", help="Why, for the audit log."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Move an alias back to the version it pointed at before."""
    output.emit(
        registry.rollback(workspace(ctx), name, alias, reason),
        as_json,
        lambda moved: output.line(
            f"{name}@{alias} rolled back from @{moved.from_version} to @{moved.to_version}"
        ),
    )


alias_app = typer.Typer(
    help="A model's aliases (`wb model promote` makes and moves them).", no_args_is_help=True
)
app.add_typer(alias_app, name="alias")


@alias_app.command("rm")
def alias_rm(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="A model name."),
    alias: str = typer.Argument(..., metavar="ALIAS", help="The alias to remove."),
    force: bool = typer.Option(
        False, "--force", help=("Remove production too (what predictions and the watcher use).")
    ),
    reason: str = typer.Option(
        "",
        "--reason",
        metavar="TEXT",
        help=("Why, for the alias history and the audit log (required with --force)."),
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Remove an alias of a model; its version stays. Recorded in the alias history.

    production is refused without --force --reason: removing it leaves predictions of
    NAME@production and the watcher without a model.
    """
    output.emit(
        registry.remove_alias(workspace(ctx), name, alias, force=force, reason=reason),
        as_json,
        lambda removed: output.line(
            f"removed the alias {name}@{removed.alias} (it pointed at {name}@{removed.version}, which stays)"
        ),
    )


@app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    ref: str = typer.Argument(
        ..., metavar="MODELREF", help=("A model version: NAME@VERSION, NAME@ALIAS or NAME (the latest).")
    ),
    data: str = typer.Option(..., "--data", help="The dataset version to score on."),
    against: str | None = typer.Option(
        None, "--against", metavar="MODELREF", help="Another version to score on the same data."
    ),
    by: str | None = typer.Option(None, "--by", help="Break down by this column."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Metrics of a model (against another) on the same data, optionally per segment."""
    output.emit(evaluation.evaluate(workspace(ctx), ref, data, against, by), as_json, _evaluation)


def _evaluation(result: Evaluation) -> None:
    models = result.models
    output.line(f"on {result.data} ({result.target})", style="bold")
    output.table(
        ["metric", *models],
        [(k, *(fmt_num(result.overall[m].get(k)) for m in models)) for k in result.metric_names],
        justify_right=models,
    )
    if result.segments:
        columns = [f"{m} {result.primary}" for m in models]
        output.table(
            [result.by or "", "rows", *columns],
            [
                (s.value, f"{s.rows:,}", *(fmt_num(s.scores[m][result.primary]) for m in models))
                for s in result.segments
            ],
            justify_right=("rows", *columns),
        )


def predict(
    ctx: typer.Context,
    ref: str = typer.Argument(
        ..., metavar="MODELREF", help=("A model version: NAME@VERSION, NAME@ALIAS or NAME (the latest).")
    ),
    source: str = typer.Argument(
        ...,
        metavar="INPUT",
        help=("A CSV, Parquet or JSON Lines file, or a dataset version (NAME@N, NAME@ALIAS)."),
    ),
    out: Path = typer.Option(..., "--output", "-o", help="A .csv or .parquet file."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite OUTPUT if it exists."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Score a file or a dataset version with a registered model; the input's columns plus
    predictions. An existing OUTPUT is refused unless --force."""
    from ..core.models import prediction

    stages = {
        "loading": f"loading {source}",
        "checking": f"checking {source} against {ref}",
        "loading model": f"loading {ref}",
        "writing": f"writing {out}",
    }
    with output.status_line(f"loading {ref}", enabled=not as_json) as status:
        result = prediction.predict(
            workspace(ctx),
            ref,
            source,
            out,
            force=force,
            on_progress=status
            and (
                lambda stage, done, total: status.show(
                    f"scoring: rows {done:,}/{total:,}" if stage == "scoring" else stages.get(stage, stage),
                    done,
                    total,
                )
            ),
        )
    output.emit(
        result,
        as_json,
        lambda p: output.line(
            f"wrote {p.rows:,} prediction{'' if p.rows == 1 else 's'} of {p.model} to {p.output}"
        ),
    )


@app.command("export")
def export(
    ctx: typer.Context,
    ref: str = typer.Argument(
        ..., metavar="MODELREF", help=("A model version: NAME@VERSION, NAME@ALIAS or NAME (the latest).")
    ),
    out: Path = typer.Option(..., "--output", "-o", help="The bundle file to write."),
    with_data: bool = typer.Option(
        False, "--with-data", help="Include the training dataset version's bytes."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write a model version, its run and lineage (and data) to one file for another machine."""
    from ..core.models import bundles

    output.emit(
        bundles.export(workspace(ctx), ref, out, with_data),
        as_json,
        lambda r: output.line(
            f"exported {r.model} to {r.file} ({plural(r.objects, 'object')}"
            f"{', with its training data' if r.with_data else ''})"
        ),
    )


def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A bundle from `wb model export`."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Import a model bundle: every hash checked before anything is written."""
    from ..core.models import bundles

    def human(result: bundles.ImportResult) -> None:
        if result.already_present:
            output.line(f"nothing to import: this workspace already has it as {result.model}")
            return
        output.line(
            f"imported {result.model} (run {short_id(result.run)}, "
            f"{plural(result.objects, 'object')} verified)"
        )
        contract = result.contract
        if contract is not None and contract.dataset:
            output.line(contract.note, style="yellow" if contract.differs else None)

    output.emit(bundles.import_bundle(workspace(ctx), file), as_json, human)
