"""`wb rollout ...`: a challenger on some segments (stores) beside the champion, its outcomes,
its verdict, and its end."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from ..core.errors import InvalidInput
from ..formatting import short_time
from . import output
from .context import JSON_OPTION, workspace

if TYPE_CHECKING:
    from ..core.models.rollout_records import Outcomes, Rollout, RolloutStatus

app = typer.Typer(
    help="Roll a challenger out to some segments, join outcomes, promote or roll back.", no_args_is_help=True
)


@app.command("start")
def start(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="MODELREF", help="The challenger: NAME@VERSION."),
    segment: str = typer.Option(
        ..., "--segment", metavar="COLUMN", help="The column whose values are the segments (store_id)."
    ),
    share: float | None = typer.Option(
        None, "--share", metavar="PCT", help="Percent of segments on the challenger, by a stable hash."
    ),
    segments: str | None = typer.Option(
        None, "--segments", metavar="V1,V2", help="The challenger's segments, listed."
    ),
    against: str | None = typer.Option(
        None, "--against", metavar="MODELREF", help="The champion (default: NAME@production)."
    ),
    shadow: bool = typer.Option(
        False, "--shadow", help="Score with both, publish only the champion's predictions."
    ),
    name: str | None = typer.Option(None, "--name", help="The rollout's name (default: NAME-VERSION)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Start a rollout: the challenger serves some segments, the champion the rest."""
    from ..core.models import rollouts
    from ..presenters import rollouts as words

    result = rollouts.start(
        workspace(ctx),
        ref,
        segment,
        share,
        segments.split(",") if segments else None,
        against,
        shadow,
        name,
    )
    output.emit(
        result,
        as_json,
        lambda r: output.line(
            f"started rollout {r.name}: {words.plan(r)}; "
            f"score with `wb predict rollout:{r.name} INPUT -o OUTPUT`"
        ),
    )


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Rollouts, the newest first."""
    from ..core.models import rollouts

    def human(found: list[Rollout]) -> None:
        if not found:
            output.line("No rollouts. `wb rollout start MODELREF --segment COLUMN --share PCT` starts one.")
            return
        output.table(
            ["name", "model", "challenger", "champion", "split", "state", "started"],
            [
                (
                    r.name,
                    r.model,
                    f"@{r.challenger}",
                    f"@{r.champion}",
                    r.split + (" shadow" if r.shadow else ""),
                    r.state,
                    short_time(r.created_at),
                )
                for r in found
            ],
        )

    output.emit(rollouts.list_rollouts(workspace(ctx)), as_json, human)


@app.command("status")
def status(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The rollout."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Each arm's rows, labelled rows and metric, their difference with a bootstrap interval,
    and the [rollout] policy's verdict."""
    from ..core.models import rollout_outcomes
    from ..presenters import rollouts as words

    def human(s: RolloutStatus) -> None:
        output.line(words.heading(s.rollout))
        output.table(words.ARM_COLUMNS, words.arm_rows(s))
        output.line(words.difference(s))
        note = words.verdict(s)
        output.line(note.text, style={"good": "green", "alarm": "red"}.get(note.level))
        if step := words.next_step(s):
            output.line(step)

    output.emit(rollout_outcomes.status(workspace(ctx), name), as_json, human)


@app.command("outcomes")
def outcomes(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The rollout."),
    file: str = typer.Argument(..., metavar="FILE", help="Labelled rows: a data file or a dataset version."),
    target: str = typer.Option(..., "--target", metavar="COLUMN", help="The column with the outcomes."),
    key: str | None = typer.Option(
        None,
        "--key",
        metavar="COLS",
        help="Columns that identify a row beside the segment (date,store_id,item_id).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Join outcomes to what each arm predicted for those rows."""
    from ..core.models import rollout_outcomes

    def human(o: Outcomes) -> None:
        output.line(
            f"joined {o.joined['champion']:,} champion and {o.joined['challenger']:,} challenger rows "
            f"of {o.file} on {','.join(o.key)}"
            + (f"; {o.already:,} were labelled before" if o.already else "")
            + (f"; {o.unmatched:,} rows joined no prediction" if o.unmatched else "")
        )

    output.emit(
        rollout_outcomes.add_outcomes(workspace(ctx), name, file, target, key.split(",") if key else None),
        as_json,
        human,
    )


@app.command("stop")
def stop(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The rollout."),
    promote: bool = typer.Option(
        False, "--promote", help="Promote the challenger to production (through the gates)."
    ),
    rollback: bool = typer.Option(False, "--rollback", help="End it keeping the champion."),
    as_json: bool = JSON_OPTION,
) -> None:
    """End a rollout: --promote the challenger, or --rollback to the champion."""
    from ..core.models import rollouts

    if promote == rollback:
        raise InvalidInput("say how the rollout ends: --promote or --rollback")
    output.emit(
        rollouts.stop(workspace(ctx), name, promote=promote),
        as_json,
        lambda e: output.line(
            f"rollout {e.rollout} {e.state.replace('_', ' ')}: {e.production} is production"
        ),
    )
