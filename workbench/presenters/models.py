"""A model version (`wb model show`, the TUI's models area) in words."""

from __future__ import annotations

from typing import Any

from ..core import metrics
from ..formatting import fmt_num, short_time

HISTORY_COLUMNS = ("time", "alias", "move", "by", "why")


def title(info: dict[str, Any]) -> str:
    return f"{info['name']}@{info['version']}" + (
        f"  [{', '.join(info['aliases'])}]" if info["aliases"] else ""
    )


def facts(info: dict[str, Any]) -> list[tuple[str, str]]:
    """What the version is and where it came from, as (what, value) pairs."""
    lineage = info["lineage"]
    return [
        *[("about", info["description"])] * bool(info["description"]),
        ("task", f"{info['task']} of {info['target']}"),
        ("run", f"{lineage['run']['id']} ({lineage['run']['name']}, {lineage['run']['experiment']})"),
        ("data", f"{info['dataset']} {(info['dataset_hash'] or '')[:12]}"),
        (
            "code",
            (lineage["git_commit"] or "not a git checkout")
            + (" + uncommitted changes" if lineage["git_dirty"] else ""),
        ),
        ("artifact", info["artifact_hash"]),
        ("created", short_time(info["created_at"])),
    ]


def metric_rows(info: dict[str, Any]) -> list[tuple[str, str]]:
    """Its validation scores (not the row counts recorded beside them)."""
    return [(k, fmt_num(v, 6)) for k, v in info["metrics"].items() if k not in metrics.BOOKKEEPING]


def history_rows(history: list[dict[str, Any]]) -> list[tuple[str, str, str, str, str]]:
    """HISTORY_COLUMNS for each move of an alias of the model, newest first."""
    return [
        (
            short_time(h["created_at"]),
            h["alias"],
            f"{h['action']} @{h['from_version'] or '-'} -> "
            + (f"@{h['to_version']}" if h["to_version"] is not None else "-")
            + (" FORCED" if h["forced"] else ""),
            h["user"],
            h["reason"],
        )
        for h in history
    ]
