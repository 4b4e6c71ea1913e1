"""What a rollout's status says: its plan, its arms as table rows, their difference and the
verdict as a note, for `wb rollout status` and the TUI's models area alike."""

from __future__ import annotations

from pathlib import PurePath

from ..core import metrics
from ..core.config import RolloutSettings
from ..core.models.rollout_records import (
    ACTIVE,
    CHALLENGER,
    CHAMPION,
    COLLECTING,
    HOLD,
    PROMOTE,
    ROLLBACK,
    Rollout,
    RolloutBatch,
    RolloutStatus,
)
from ..core.models.rollout_scoring import PREDICTIONS
from ..formatting import short_time
from . import Note

ARM_COLUMNS = ["arm", "version", "segments", "rows", "labelled", "metric"]
MARK = "⇄"  # a version serving as an arm of a rollout in progress, wherever versions are listed


def plan(r: Rollout) -> str:
    """Which segments each arm serves."""
    return f"{r.ref(CHALLENGER)} on {r.split}, {r.ref(CHAMPION)} on the rest" + (
        " (shadow)" if r.shadow else ""
    )


def heading(r: Rollout) -> str:
    """The rollout, since when, and its plan: the first line of its status."""
    if r.state == ACTIVE:
        when = f"in progress since {short_time(r.created_at)}"
    else:
        when = f"{r.state.replace('_', ' ')} {short_time(r.ended_at)}, started {short_time(r.created_at)}"
    return f"rollout {r.name} ({when}): {plan(r)}"


def arm_mark(r: Rollout | None, version: int) -> str:
    """`⇄ challenger` for a version that is an arm of the rollout in progress, else ""."""
    if r is None or r.state != ACTIVE or version not in (r.champion, r.challenger):
        return ""
    return f"{MARK} {CHALLENGER if version == r.challenger else CHAMPION}"


def arm_rows(status: RolloutStatus) -> list[tuple[str, ...]]:
    r = status.rollout
    return [
        (
            a.arm + (" (shadow)" if r.shadow and a.arm == CHALLENGER else ""),
            r.ref(a.arm),
            f"{a.segments:,}",
            f"{a.rows:,}",
            f"{a.labelled:,}",
            "" if a.value is None else f"{a.metric} {a.value:.4g}",
        )
        for a in status.arms
    ]


def served(status: RolloutStatus, most: int = 12) -> list[str]:
    """The segments each arm scored rows of, by value (the first `most` of each)."""
    segment = status.rollout.segment
    lines = []
    for a in status.arms:
        more = f" and {len(a.served) - most:,} more" if len(a.served) > most else ""
        values = ", ".join(a.served[:most]) or "none yet"
        lines.append(f"{a.arm} served {segment} {values}{more}")
    return lines


def direction(metric: str) -> str:
    return f"{'higher' if metrics.higher_is_better(metric) else 'lower'} is better"


def difference(status: RolloutStatus) -> str:
    d = status.difference
    if d.value is None or d.low is None or d.high is None:
        return "difference: not measured yet (no outcomes for an arm)"
    metric = status.arms[0].metric
    return (
        f"difference (challenger - champion) in {metric} ({direction(metric)}): {d.value:+.4g}, "
        f"95% interval [{d.low:+.4g}, {d.high:+.4g}]"
    )


def verdict(status: RolloutStatus) -> Note:
    level = {PROMOTE: "good", COLLECTING: "info", HOLD: "info"}.get(status.verdict, "alarm")
    return Note(f"verdict: {status.verdict} ({status.why})", level)  # type: ignore[arg-type]


def next_step(status: RolloutStatus) -> str:
    """What a person can do about the verdict; "" once the rollout ended."""
    r = status.rollout
    if r.state != ACTIVE:
        return ""
    if status.verdict == PROMOTE:
        return f"next: `wb rollout stop {r.name} --promote` promotes {r.ref(CHALLENGER)} (through the gates)"
    if status.verdict == ROLLBACK:
        return f"next: `wb rollout stop {r.name} --rollback` ends it, {r.ref(CHAMPION)} stays"
    return (
        f"next: more outcomes decide; `wb rollout outcomes {r.name} FILE --target COLUMN` "
        f"(a watched drop with the labels joins by itself)"
    )


def policy(settings: RolloutSettings) -> str:
    """The `[rollout]` rules the verdict follows."""
    return (
        f"[rollout] policy: promote once each arm has {settings.min_labelled:,} labelled rows and the "
        f"challenger is better by {settings.margin:.0%} or more, the interval clear of zero; roll back "
        f"when it is worse by more than {settings.guardrail:.0%}"
    )


def batch_line(b: RolloutBatch) -> str:
    """One step of the rollout's log."""
    champion, challenger, when = b.rows[CHAMPION], b.rows[CHALLENGER], short_time(b.created_at)
    source = PurePath(b.source).name  # a dataset version as it is, a file by its name
    if b.kind == PREDICTIONS:
        return f"{when}  scored {source}: {champion:,} by champion, {challenger:,} by challenger"
    return f"{when}  outcomes of {source}: {champion:,} champion and {challenger:,} challenger rows labelled"
