"""A model version (`wb model show`, the TUI's models area) in words."""

from __future__ import annotations

from collections.abc import Sequence

from ..core import metrics
from ..core.models.records import AliasEvent, ModelDetail, ModelVersion
from ..formatting import fmt_num, short_time

HISTORY_COLUMNS = ("time", "alias", "move", "by", "why")


def title(mv: ModelVersion) -> str:
    return mv.ref + (f"  [{', '.join(mv.aliases)}]" if mv.aliases else "")


def facts(detail: ModelDetail) -> list[tuple[str, str]]:
    """What the version is and where it came from, as (what, value) pairs."""
    mv, lineage = detail.version, detail.lineage
    return [
        *[("about", mv.description)] * bool(mv.description),
        ("task", f"{mv.task} of {mv.target}"),
        ("run", f"{lineage.run_id} ({lineage.run_name}, {lineage.experiment})"),
        ("data", f"{mv.dataset} {(mv.dataset_hash or '')[:12]}"),
        (
            "code",
            (lineage.git_commit or "not a git checkout")
            + (" + uncommitted changes" if lineage.git_dirty else ""),
        ),
        ("artifact", mv.artifact_hash),
        ("created", short_time(mv.created_at)),
    ]


def metric_rows(mv: ModelVersion) -> list[tuple[str, str]]:
    """Its validation scores (not the row counts recorded beside them)."""
    return [(k, fmt_num(v, 6)) for k, v in mv.metrics.items() if k not in metrics.BOOKKEEPING]


def history_rows(history: Sequence[AliasEvent]) -> list[tuple[str, str, str, str, str]]:
    """HISTORY_COLUMNS for each move of an alias of the model, in the order given (oldest first)."""
    return [
        (
            short_time(e.created_at),
            e.alias,
            f"{e.action} @{e.from_version or '-'} -> "
            + (f"@{e.to_version}" if e.to_version is not None else "-")
            + (" FORCED" if e.forced else ""),
            e.user,
            e.reason,
        )
        for e in history
    ]
