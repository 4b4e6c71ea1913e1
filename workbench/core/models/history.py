"""A model's performance over time (`wb model history`): one `HistoryPoint` per stored drift
report that one of its versions scored (`wb drift check --model`, the watcher), across all its
versions, so that a challenger taking over is on the same line as the champion it replaces.

A point joins three records wb already keeps: the report (its performance with labels, the
label-free estimate, the drift share), the alerts raised about it, and the alias history (which
version was production when the drop was checked). Nothing here writes.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import metrics
from ..monitoring import alerts
from ..monitoring.records import DriftReport
from ..storage.workspace import Workspace
from . import registry
from .records import ModelVersion


@dataclass(frozen=True)
class PointAlert:
    """An alert raised about a point's report."""

    id: int
    kind: str  # drift or performance
    severity: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class HistoryPoint:
    """One drop scored by one version of the model."""

    drop: str  # the current data checked: a dataset version's ref or a file's path
    drop_index: int  # 1 for the model's first drop, ...; versions scoring the same drop share it
    checked_at: str  # when the check ran (ISO time)
    report_id: str
    reference: str  # the reference version the drop was compared with
    version: int  # the model version that scored the drop
    production: int | None  # the version production pointed at then (None: none was)
    metric: str  # the task's primary metric (rmse, roc_auc)
    value: float | None  # that metric on the drop's labels; None: checked without labels
    validation: float | None  # the same metric at the version's validation
    degraded: bool | None  # worse than validation by more than the threshold; None: no labels
    rows: int | None  # the labelled rows scored; None: no labels
    estimate_metric: str | None  # what the label-free estimate estimates (mae, accuracy)
    estimate: float | None  # its value; None: no estimate was made
    estimate_degraded: bool | None
    drift_share: float  # the share of features that drifted
    dataset_drift: bool
    alerts: tuple[PointAlert, ...]  # the alerts raised for this report

    @property
    def in_production(self) -> bool:
        """The version that scored the drop was production at the time."""
        return self.production == self.version

    def to_dict(self) -> dict[str, Any]:
        """A `wb model history --json` item."""
        return {
            "drop": self.drop,
            "drop_index": self.drop_index,
            "checked_at": self.checked_at,
            "report_id": self.report_id,
            "reference": self.reference,
            "version": self.version,
            "production": self.production,
            "in_production": self.in_production,
            "metric": self.metric,
            "value": self.value,
            "validation": self.validation,
            "degraded": self.degraded,
            "rows": self.rows,
            "estimate_metric": self.estimate_metric,
            "estimate": self.estimate,
            "estimate_degraded": self.estimate_degraded,
            "drift_share": self.drift_share,
            "dataset_drift": self.dataset_drift,
            "alerts": [a.to_dict() for a in self.alerts],
        }


@dataclass(frozen=True)
class ModelHistory:
    """Every point of a model, oldest check first; `--json` prints `points` as a list."""

    model: str
    metric: str  # the primary metric of its latest version
    versions: tuple[int, ...]  # those with at least one point, in order
    points: tuple[HistoryPoint, ...]

    def of_version(self, version: int) -> list[HistoryPoint]:
        """A version's line: one point per drop it scored (its latest check of that drop,
        labelled first), in the order of the drops."""
        line: dict[int, HistoryPoint] = {}
        for p in self.points:
            if p.version == version and (p.value is not None or p.drop_index not in line):
                line[p.drop_index] = p
        return [line[i] for i in sorted(line)]

    @property
    def drops(self) -> list[str]:
        """The drops in the order of their `drop_index`."""
        seen: dict[str, None] = {}
        for p in self.points:
            seen.setdefault(p.drop, None)
        return list(seen)


def history(ws: Workspace, name: str) -> ModelHistory:
    """The points of model `name` (a clear error for an unknown one); reports that no version
    of it scored are left out."""
    found = registry.versions(ws, name)
    by_run = {mv.run_id: mv for mv in found}
    production = _production_over_time(ws, name)
    raised = _alerts_by_report(ws)
    drops: dict[str, int] = {}
    points = []
    for report in _reports(ws):
        mv = by_run.get(report.model_run or "")
        if mv is None:
            continue
        index = drops.setdefault(report.current, len(drops) + 1)
        points.append(_point(report, mv, index, production(report.created_at), raised))
    return ModelHistory(
        model=name,
        metric=metrics.primary(found[-1].task),
        versions=tuple(sorted({p.version for p in points})),
        points=tuple(points),
    )


def _point(
    report: DriftReport,
    mv: ModelVersion,
    index: int,
    production: int | None,
    raised: dict[str, list[PointAlert]],
) -> HistoryPoint:
    perf, est = report.performance, report.performance_estimate
    metric = metrics.primary(mv.task)
    return HistoryPoint(
        drop=report.current,
        drop_index=index,
        checked_at=report.created_at,
        report_id=report.report_id,
        reference=report.reference,
        version=mv.version,
        production=production,
        metric=metric,
        value=perf.current if perf else None,
        validation=perf.validation if perf else mv.metrics.get(metric),
        degraded=perf.degraded if perf else None,
        rows=perf.rows if perf else None,
        estimate_metric=est.metric if est else None,
        estimate=est.estimated if est else None,
        estimate_degraded=est.degraded if est else None,
        drift_share=report.drift_share,
        dataset_drift=report.dataset_drift,
        alerts=tuple(raised.get(report.report_id, ())),
    )


def _reports(ws: Workspace) -> list[DriftReport]:
    """Every stored report, oldest first (the index does not say which model scored one:
    its JSON does)."""
    rows = ws.conn.execute("SELECT hash FROM drift_reports ORDER BY created_at, rowid").fetchall()
    return [DriftReport.from_dict(json.loads(ws.store.read_verified(r["hash"]))) for r in rows]


def _production_over_time(ws: Workspace, name: str) -> Callable[[str], int | None]:
    """A function of an ISO time: the version production pointed at then (None before the
    first promotion or after a removal)."""
    moves = sorted(
        (e for e in registry.alias_history(ws, name) if e.alias == registry.PRODUCTION),
        key=lambda e: e.created_at,  # pulled moves keep their origin's times
    )
    times = [e.created_at for e in moves]

    def at(when: str) -> int | None:
        i = bisect.bisect_right(times, when)
        return moves[i - 1].to_version if i else None

    return at


def _alerts_by_report(ws: Workspace) -> dict[str, list[PointAlert]]:
    out: dict[str, list[PointAlert]] = {}
    for a in reversed(alerts.list_alerts(ws)):  # oldest first
        if a.subject:
            out.setdefault(a.subject, []).append(PointAlert(a.id, a.kind, a.severity, a.message))
    return out
