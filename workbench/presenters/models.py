"""A model version (`wb model show`, the TUI's models area) and its performance over time (`wb
model history`) in words."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core import metrics
from ..core.models.records import AliasEvent, ModelDetail, ModelVersion
from ..core.names import plural
from ..formatting import fmt_num, short_time
from . import Note

if TYPE_CHECKING:
    from ..core.models.history import HistoryPoint, ModelHistory

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


# -- performance over time (`wb model history`, the TUI's models detail, the HTML page) ------
SPARKS = "▁▂▃▄▅▆▇█"
SPARK_DROPS = 40  # the drops a sparkline shows, the newest: a pane's width


def point_columns(found: ModelHistory) -> tuple[str, ...]:
    return ("drop", "version", found.metric, "vs validation", "estimated", "drift", "alerts")


def point_rows(found: ModelHistory) -> list[tuple[str, ...]]:
    """point_columns for each point, oldest first."""
    return [
        (
            p.drop,
            f"@{p.version}" + (" production" if p.in_production else ""),
            fmt_num(p.value) if p.value is not None else "no labels",
            _against_validation(p),
            f"{p.estimate_metric} {fmt_num(p.estimate)}" if p.estimate is not None else "",
            f"{p.drift_share:.0%}" + (" DRIFT" if p.dataset_drift else ""),
            ", ".join(a.kind for a in p.alerts),
        )
        for p in found.points
    ]


def _against_validation(p: HistoryPoint) -> str:
    if p.value is None or p.validation is None:
        return ""
    worse = metrics.worse_by(p.metric, p.value, p.validation)
    return f"{worse:+.0%} " + ("DEGRADED" if p.degraded else "worse" if worse > 0 else "better")


def series(found: ModelHistory) -> dict[str, list[tuple[float, float | None]]]:
    """Each version's labelled metric by drop number, for a chart."""
    return {
        f"{found.model}@{v}": [(p.drop_index, p.value) for p in found.of_version(v)] for v in found.versions
    }


def drop_ticks(found: ModelHistory, most: int = 8) -> dict[float, str]:
    """Names for at most `most` drops spread along the x axis (their drop numbers)."""
    drops = found.drops
    step = max(1, -(-len(drops) // most))
    return {i + 1: drops[i] for i in range(0, len(drops), step)}


def story(found: ModelHistory) -> list[Note]:
    """Each version's line in one sentence: where its metric went, when it degraded, and
    whether it was production; then the moves of production between drops."""
    if not found.points:
        return [
            Note(
                f"no drift check has scored {found.model} yet: `wb drift check --reference REF "
                f"--current REF --model {found.model}@production --target COLUMN` adds a point",
                "warning",
            )
        ]
    notes = []
    for v in found.versions:
        points = found.of_version(v)
        labelled = [p for p in points if p.value is not None]
        role = " (production)" if all(p.in_production for p in points) else ""
        if not labelled:
            notes.append(Note(f"{found.model}@{v}{role}: {plural(len(points), 'drop')}, none with labels"))
            continue
        first, last = labelled[0], labelled[-1]
        text = f"{found.model}@{v}{role}: {found.metric} {fmt_num(first.value)} on {first.drop}" + (
            f" -> {fmt_num(last.value)} on {last.drop}" if last is not first else ""
        )
        bad = next((i for i, p in enumerate(labelled) if p.degraded), None)
        if bad is None:
            notes.append(Note(text + "; never degraded", "good"))
        else:
            fine = f"fine to {labelled[bad - 1].drop}, " if bad else ""
            notes.append(Note(f"{text}; {fine}degraded from {labelled[bad].drop}", "alarm"))
    notes += _challengers(found)
    moves = [(p.drop, p.production) for p in found.points]
    for (_, before), (drop, after) in itertools.pairwise(moves):
        if after != before and after is not None:
            notes.append(Note(f"production moved to {found.model}@{after} before {drop}", "info"))
    return notes


def _challengers(found: ModelHistory) -> list[Note]:
    """On the newest drop that production and another version both scored with labels, how
    the other compares: a challenger that would take over shows here."""
    lines = {v: {p.drop_index: p for p in found.of_version(v) if p.value is not None} for v in found.versions}
    for index in range(len(found.drops), 0, -1):
        here = [line[index] for line in lines.values() if index in line]
        champion = next((p for p in here if p.in_production), None)
        others = [p for p in here if p is not champion]
        if champion is None or not others or champion.value is None:
            continue
        notes = []
        for p in others:
            assert p.value is not None  # only labelled points are on `lines`
            worse = metrics.worse_by(p.metric, p.value, champion.value)
            notes.append(
                Note(
                    f"on {p.drop}, {found.model}@{p.version} scores {p.metric} {fmt_num(p.value)} against "
                    f"{fmt_num(champion.value)} for {found.model}@{champion.version} in production: "
                    f"{abs(worse):.0%} {'better' if worse < 0 else 'worse'}",
                    "good" if worse < 0 else "warning",
                )
            )
        return notes
    return []


def sparks(found: ModelHistory, most: int = SPARK_DROPS) -> list[str]:
    """Each version's metric over the last `most` drops as a sparkline, one character a drop
    (blank where it did not score one with labels), on one scale: the line that fits a small
    pane."""
    first = max(1, len(found.drops) - most + 1)  # the drop_index the line starts at
    values = [p.value for p in found.points if p.value is not None and p.drop_index >= first]
    if not values:
        return []
    low, high = min(values), max(values)
    lines = []
    for v in found.versions:
        cells = [" "] * (len(found.drops) - first + 1)
        for p in found.of_version(v):
            if p.value is not None and p.drop_index >= first:
                level = (p.value - low) / (high - low) if high > low else 0.5
                cells[p.drop_index - first] = SPARKS[round(level * (len(SPARKS) - 1))]
        last = next((p for p in reversed(found.of_version(v)) if p.value is not None), None)
        lines.append(
            f"@{v} {''.join(cells)}" + (f"  {fmt_num(last.value)} on {last.drop}" if last is not None else "")
        )
    return lines
