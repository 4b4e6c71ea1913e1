"""Drift checks as wb runs them: a current version or file against a reference version, feature
by feature (`statistics`) and, when asked, through a model (`model_checks`); each check is
stored as a report (its JSON in the object store, a row in `drift_reports`, a record that
travels: `report_records`) with its event and alerts, and read back by `list_reports` and `show`.

The reference side is read from the profile stored with its version: a check reads only the
current data (and the reference's rows only for the model-based checks). Which columns are
features, which the target, the time or left out is planned by `roles`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from .. import events
from ..data import contracts
from ..errors import Ambiguous, InvalidInput, NotFound
from ..names import plural
from ..storage import records
from ..storage.db import transaction
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import alerts, batch, model_checks, model_stream, report_records, roles, statistics
from .records import DatasetDrift, DriftReport, ReportSummary

if TYPE_CHECKING:
    from ..data.datasets import DatasetVersion


def check(
    ws: Workspace,
    reference: str,
    current: str,
    *,
    model: str | None = None,
    target: str | None = None,
    classifier: bool = False,
) -> DriftReport:
    """Compare a current version or file with a reference version; store the report, raise
    alerts for dataset drift and degraded performance, and return the report.

    With `model` (a MODELREF such as `demand@production`, or a run that trained one):
    prediction drift, and with `target` in the current
    data, performance against the model's validation metric. With `classifier`: a model that
    tries to tell reference rows from current ones. Both read the reference's data too."""
    from ..data import big_inputs, datasets
    from ..models import scoring

    settings = ws.config.drift
    ref_version = datasets.resolve(ws, reference)
    loaded = model_checks.load_model(ws, model) if model else None
    # The domain classifier needs the rows: only a check without it streams a big drop (a
    # model scores it batch by batch, model_stream.py).
    big = None if classifier else big_inputs.of_target(ws, current)
    if big is None:
        cur_label, cur_df, _ = datasets.load_ref_or_file(ws, current)
        cur_columns = cur_df.columns
    else:
        cur_label, cur_df, cur_columns = big.label, None, None
    ref_df = datasets.load(ws, ref_version) if (loaded or classifier) else None
    ref_profile = ref_version.profile
    if not any("drift_bins" in c or "category_counts" in c for c in ref_profile["columns"]):
        # Profiled before profiles carried what drift needs: profile the reference again.
        ref_profile = _profile_again(ws, ref_version, ref_df)
    scored = None
    if loaded is not None:  # a drop the model cannot score is refused before anything is stored
        scoring.check_fit(
            loaded.meta["features"]["inputs"], ref_df, loaded.label, f"the reference {ref_version.ref}"
        )
        if big is not None:
            ref_outputs = model_checks.reference_outputs(loaded, ref_df)
            scored = model_stream.ScoredPass(ws, loaded, ref_outputs, target, cur_label)
    if big is not None:
        cur_profile = _streamed_profile(ws, big, ref_profile, also=() if scored is None else (scored,))
        cur_columns = [c["name"] for c in cur_profile["columns"]]
    if target is not None and target not in cur_columns:
        raise InvalidInput(f"the current data has no column {target!r}")
    if not {c["name"] for c in ref_version.schema} & set(cur_columns):
        raise InvalidInput(
            f"{cur_label} has no column in common with {ref_version.ref} (its "
            f"columns: {', '.join(cur_columns[:8]) or 'none'}): there is "
            f"nothing to compare"
        )
    if loaded is not None and cur_df is not None:
        scoring.check_fit(loaded.meta["features"]["inputs"], cur_df, loaded.label, cur_label)
    plans = _plans(ws, ref_version, ref_profile, target)
    if big is None:
        found = statistics.compare(ref_profile, cur_df, settings, plans)
        estimated = None
    else:
        found = statistics.compare_profiles(ref_profile, cur_profile, settings, plans)
        estimated = _estimated(found, cur_profile)
    predictions = perf = estimate = None
    if scored is not None:
        predictions, sketched = scored.prediction_drift(settings)
        estimated = (*(estimated or ()), "prediction") if sketched else estimated
        estimate = scored.estimate(ws, settings)
        perf = scored.performance(ws, settings) if target is not None else None
    elif loaded is not None:
        with batch.batch():  # the model scores the current data once for all three
            predictions = model_checks.prediction_drift(loaded, ref_df, cur_df, settings)
            estimate = model_checks.estimate_performance(ws, loaded, cur_df, settings)
            if target is not None:
                perf = model_checks.performance(ws, loaded, cur_df, target, settings)
    if perf is not None and estimate is not None:
        estimate = model_checks.with_concept_drift(estimate, perf, settings)
    report = DriftReport(
        report_id=uuid.uuid4().hex,
        reference=ref_version.ref,
        current=cur_label,
        created_at=now_iso(),
        model_run=loaded.run_id if loaded else None,
        **{f.name: getattr(found, f.name) for f in fields(DatasetDrift)},
        prediction_drift=predictions,
        performance=perf,
        performance_estimate=estimate,
        multivariate=model_checks.domain_classifier(ref_df, cur_df, settings, target) if classifier else None,
        estimated=estimated,
    )
    _store(ws, report)
    return report


def _profile_again(ws: Workspace, version: DatasetVersion, df: Any) -> dict[str, Any]:
    """A version's profile computed afresh, from its frame when it is read already, else in
    batches when it is too big to read whole."""
    from ..data import big_inputs, datasets, profile, streaming

    big = None if df is not None else big_inputs.of_version(ws, version)
    if big is None:
        return profile.compute(df if df is not None else datasets.load(ws, version))
    with big_inputs.verified(ws, big):
        budget = ws.config.data.memory_budget_mb
        return streaming.profile_file(
            big.path, big.fmt, budget_mb=budget, bins=profile.BINS, top=profile.TOP
        )[1]


def _streamed_profile(
    ws: Workspace, big: Any, ref_profile: dict[str, Any], also: tuple[Any, ...]
) -> dict[str, Any]:
    """The current side's profile, read in batches, with the counts a comparison needs; the
    sinks in `also` (a model scoring) see the same batches."""
    from ..data import big_inputs, profile, streaming

    count_in = statistics.count_in_edges(ref_profile)
    with big_inputs.verified(ws, big):
        return streaming.profile_file(
            big.path,
            big.fmt,
            budget_mb=ws.config.data.memory_budget_mb,
            bins=profile.BINS,
            top=profile.TOP,
            count_in=count_in,
            also=also,
        )[1]


def _estimated(found: DatasetDrift, cur_profile: dict[str, Any]) -> tuple[str, ...]:
    """The compared columns whose score came from the current side's quantile sketch (the
    Wasserstein distance): every other test counts exactly in a streamed check."""
    sketched = {c["name"] for c in cur_profile["columns"] if "sketch" in c.get("approximate", ())}
    return tuple(
        f.name
        for f in (*found.features, *found.label_drift)
        if f.name in sketched and any(t.test == "wasserstein" for t in f.tests)
    )


def _plans(
    ws: Workspace, ref_version: DatasetVersion, ref_profile: dict[str, Any], target: str | None
) -> dict[str, roles.ColumnPlan]:
    """The role of each reference column: from the config, the dataset's contract, `target`."""
    text = contracts.get_text(ws, ref_version.name)
    given, key = (
        contracts.roles(contracts.parse(text, f"the contract of {ref_version.name}")) if text else ({}, None)
    )
    return roles.plan(ref_profile, ws.config.drift.columns, roles.Given(given, key, ref_version.name, target))


def _store(ws: Workspace, report: DriftReport) -> None:
    oid, _ = ws.store.put_bytes(json.dumps(report.to_dict(), sort_keys=True).encode())
    drifted = report.drifted
    row = {
        "id": report.report_id,
        "created_at": report.created_at,
        "reference": report.reference,
        "current": report.current,
        "dataset_drift": report.dataset_drift,
        "drift_share": report.drift_share,
        "drifted": list(drifted),
        "hash": oid,
    }
    with transaction(ws.conn) as conn:
        report_records.insert(conn, row)
        records.write(ws.store, conn, report_records.record_of(row))
        summary = (
            f"drift check of {report.current} against {report.reference}: "
            f"{len(drifted)} of {plural(report.n_features, 'feature')} drifted"
            + (
                f" ({', '.join(drifted[:5])}"
                + (f" and {len(drifted) - 5} more" if len(drifted) > 5 else "")
                + ")"
                if drifted
                else ""
            )
            + "".join(f"; label {f.name} drifted" for f in report.label_drift if f.drifted)
        )
        events.record(
            conn,
            "drift.check",
            summary,
            subject=report.report_id,
            data={"dataset_drift": report.dataset_drift},
        )
        link = alerts.AlertLink(report=report.report_id, dataset=report.current, run=report.model_run)
        if report.dataset_drift:
            alerts.raise_alert(
                conn, "drift", "dataset drift: " + summary, subject=report.report_id, link=link
            )
        perf = report.performance
        if perf and perf.degraded:
            alerts.raise_alert(
                conn,
                "performance",
                f"{perf.metric} on {report.current} is {perf.current:.4g}, "
                f"{perf.degradation:.0%} worse than at validation "
                f"({perf.validation:.4g})",
                subject=report.report_id,
                link=link,
            )


def list_reports(ws: Workspace, limit: int = 50) -> list[ReportSummary]:
    """The stored reports, newest first."""
    rows = ws.conn.execute(
        "SELECT id, created_at, reference, current, dataset_drift, "
        "drift_share, drifted FROM drift_reports ORDER BY created_at DESC "
        "LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        ReportSummary(
            report_id=r["id"],
            created_at=r["created_at"],
            reference=r["reference"],
            current=r["current"],
            dataset_drift=bool(r["dataset_drift"]),
            drift_share=r["drift_share"],
            drifted=tuple(json.loads(r["drifted"])),
        )
        for r in rows
    ]


def show(ws: Workspace, ref: str) -> DriftReport:
    """A stored report by id or unique id prefix."""
    prefix = ref.strip().lower()
    rows = (
        ws.conn.execute(
            "SELECT hash FROM drift_reports WHERE id >= ? AND id < ? LIMIT 2", (prefix, prefix + "g")
        ).fetchall()
        if prefix
        else []
    )
    if not rows:
        raise NotFound(f"no drift report matches {ref!r}; `wb drift list` shows them")
    if len(rows) > 1:
        raise Ambiguous(f"{ref!r} matches more than one drift report; give more of the id")
    return DriftReport.from_dict(json.loads(ws.store.read_verified(rows[0]["hash"])))
