"""What a rollout's status says: its arms as table rows and its verdict as a note."""

from __future__ import annotations

from ..core.models.rollout_records import COLLECTING, HOLD, PROMOTE, RolloutStatus
from . import Note

ARM_COLUMNS = ["arm", "version", "segments", "rows", "labelled", "metric"]


def arm_rows(status: RolloutStatus) -> list[tuple[str, ...]]:
    r = status.rollout
    return [
        (
            a.arm + (" (shadow)" if r.shadow and a.arm == "challenger" else ""),
            r.ref(a.arm),
            f"{a.segments:,}",
            f"{a.rows:,}",
            f"{a.labelled:,}",
            "" if a.value is None else f"{a.metric} {a.value:.4g}",
        )
        for a in status.arms
    ]


def difference(status: RolloutStatus) -> str:
    d = status.difference
    if d.value is None or d.low is None or d.high is None:
        return "difference: not measured yet (no outcomes for an arm)"
    metric = status.arms[0].metric
    return (
        f"difference (challenger - champion) in {metric}: {d.value:+.4g}, "
        f"95% interval [{d.low:+.4g}, {d.high:+.4g}]"
    )


def verdict(status: RolloutStatus) -> Note:
    level = {PROMOTE: "good", COLLECTING: "info", HOLD: "info"}.get(status.verdict, "alarm")
    return Note(f"verdict: {status.verdict} ({status.why})", level)  # type: ignore[arg-type]
