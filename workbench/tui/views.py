"""What each screen shows, as plain rows: the bridge from core's data to the TUI's tables.
Runs in worker threads, each with its own Workspace (its own SQLite connection)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import alerts, datasets, drift, events, registry, runs
from ..core.metrics import PREFERRED
from ..core.workspace import Workspace
from ..formatting import fmt_num, short_time


@contextmanager
def opened(root: Path) -> Iterator[Workspace]:
    """A workspace with its own connection, for one worker call, closed after it."""
    ws = Workspace(root)
    try:
        yield ws
    finally:
        ws.close()


@dataclass
class Table:
    columns: list[str]
    rows: list[tuple]
    keys: list[str] = field(default_factory=list)  # one per row: what selecting it opens
    empty: str = ""  # what to say (and suggest) when there are no rows


def datasets_table(root: Path) -> Table:
    with opened(root) as ws:
        rows, keys = [], []
        for d in datasets.list_datasets(ws):
            for v in reversed(datasets.log(ws, d["name"])):
                rows.append((v.ref, f"{v.rows:,}", v.columns, short_time(v.created_at),
                             {None: "", True: "valid", False: "INVALID"}[v.valid], v.message))
                keys.append(v.ref)
        return Table(["version", "rows", "cols", "added", "contract", "message"], rows, keys,
                     "No datasets yet. Add one:  wb data add FILE --name NAME")


def dataset_detail(root: Path, ref: str) -> str:
    with opened(root) as ws:
        v = datasets.resolve(ws, ref)
        lines = [f"{v.ref}  {v.format}  {v.rows:,} rows x {v.columns} columns",
                 f"hash {v.hash[:16]}", ""]
        for c in v.profile["columns"]:
            spark = sparkline(c.get("histogram", {}) and c["histogram"]["counts"]) \
                if c.get("histogram") else ""
            top = ", ".join(t["value"] for t in c.get("top_values", [])[:3])
            stats = (f"min {fmt_num(c.get('min'))} mean {fmt_num(c.get('mean'))} max {fmt_num(c.get('max'))}"
                     if c["kind"] == "numeric" else top)
            lines.append(f"{c['name']:<16} {c['dtype']:<9} nulls {c['null_fraction']:>6.1%}  "
                         f"{spark}  {stats}")
        return "\n".join(lines)


SPARKS = " ▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    top = max(counts) if counts else 0
    return "".join(SPARKS[round(c / top * 8)] if top else " " for c in counts)


def runs_table(root: Path, where: str | None = None) -> Table:
    with opened(root) as ws:
        found = runs.list_runs(ws, where=where or None, limit=500)
        logged = {k for r in found for k in r.metrics}
        keys = [k for k in PREFERRED if k in logged][:5]
        rows = [(r.id[:8], r.name, r.experiment, r.status, r.model or r.kind,
                 short_time(r.started_at), *(fmt_num(r.metrics.get(k)) for k in keys)) for r in found]
        return Table(["id", "name", "experiment", "status", "model", "started", *keys], rows,
                     [r.id for r in found],
                     "No runs match." if where else
                     "No runs yet. Train one:  wb train --data NAME --target COLUMN")


def run_detail(root: Path, run_id: str) -> str:
    with opened(root) as ws:
        info = runs.show(ws, run_id)
        lines = [f"{info['name']}  {info['status']}" + (f" ({info['error']})" if info["error"]
                                                       else ""),
                 f"id {info['id']}", f"command {' '.join(info['command'])}",
                 "inputs " + ", ".join(f"{i['dataset']}@{i['version']}" for i in info["inputs"]),
                 "", "params:"]
        lines += [f"  {k} = {json.dumps(v)}" for k, v in info["params"].items()]
        lines += ["", "metrics:"] + [f"  {k} = {fmt_num(v)}" for k, v in info["metrics"].items()]
        lines += ["", "artifacts:"] + [f"  {a['path']} ({a['size']:,} B)"
                                       for a in info["artifacts"]]
        return "\n".join(lines)


def drift_table(root: Path) -> Table:
    with opened(root) as ws:
        rows, keys = [], []
        for a in alerts.list_alerts(ws, open_only=True):
            rows.append(("ALERT", str(a["id"]), short_time(a["created_at"]), a["kind"], a["message"]))
            keys.append(f"alert:{a['id']}")
        for r in drift.list_reports(ws, limit=200):
            rows.append(("report", r["report_id"][:12], short_time(r["created_at"]),
                         "DRIFT" if r["dataset_drift"] else "ok",
                         f"{r['current']} vs {r['reference']}: " + ", ".join(r["drifted"])))
            keys.append(f"report:{r['report_id']}")
        return Table(["", "id", "time", "verdict", "what"], rows, keys,
                     "No drift reports. Check a drop:  wb drift check --reference REF "
                     "--current REF|PATH")


def drift_detail(root: Path, key: str) -> str:
    kind, _, ident = key.partition(":")
    if kind == "alert":
        return f"alert {ident}: press a to acknowledge it"
    with opened(root) as ws:
        report = drift.show(ws, ident)
        lines = [f"{report['current']} vs {report['reference']}: "
                 + ("DATASET DRIFT" if report["dataset_drift"] else "no dataset drift"), ""]
        for f in report["features"]:
            lines.append(f"{'*' if f['drifted'] else ' '} {f['name']:<16} {f['test']:<15} "
                         f"{f['score']:.3f} (>= {f['threshold']:g})  {f['detail']}")
            lines += distribution_lines(f.get("distribution"))
        return "\n".join(lines)


def distribution_lines(dist: dict[str, Any] | None) -> list[str]:
    """Reference and current side by side: histograms as sparklines on the same bins, or the
    main categories' shares."""
    if not dist:
        return []
    if "edges" in dist:
        top = max(max(dist["reference"]) / max(sum(dist["reference"]), 1),
                  max(dist["current"]) / max(sum(dist["current"]), 1)) or 1

        def spark(counts: list[int]) -> str:
            total = max(sum(counts), 1)
            return "".join(SPARKS[round(n / total / top * 8)] for n in counts)

        return [f"    reference {spark(dist['reference'])}  {fmt_num(dist['edges'][0])} .. "
                f"{fmt_num(dist['edges'][-1])}", f"    current   {spark(dist['current'])}"]
    return [f"    {k[:14]:<14} {a:6.1%} -> {b:6.1%}" for k, a, b in
            zip(dist["categories"], dist["reference"], dist["current"], strict=True)]


def ack_alert(root: Path, key: str) -> bool:
    kind, _, ident = key.partition(":")
    if kind != "alert":
        return False
    with opened(root) as ws:
        return alerts.ack(ws, int(ident))


def models_table(root: Path) -> Table:
    with opened(root) as ws:
        rows, keys = [], []
        for m in registry.list_models(ws):
            for v in reversed(registry.versions(ws, m["name"])):
                rows.append((v.ref, ", ".join(v.aliases), v.dataset or "",
                             fmt_num(v.metrics.get("rmse", v.metrics.get("roc_auc"))),
                             short_time(v.created_at)))
                keys.append(v.ref)
        return Table(["version", "aliases", "trained on", "rmse/auc", "registered"], rows, keys,
                     "No models yet. Register one:  wb model register RUN --name NAME")


def model_detail(root: Path, ref: str) -> str:
    with opened(root) as ws:
        info = registry.show(ws, ref.partition("@")[0])
        chosen = registry.show(ws, ref)
        lines = [f"{chosen['name']}@{chosen['version']}  [{', '.join(chosen['aliases'])}]",
                 f"run {chosen['lineage']['run']['name']}  data {chosen['dataset']}", "",
                 "metrics:"]
        lines += [f"  {k} = {fmt_num(v)}" for k, v in chosen["metrics"].items()]
        lines += ["", "alias history:"]
        lines += [f"  {short_time(h['created_at'])} {h['alias']}: {h['action']} "
                  f"@{h['from_version'] or '-'} -> @{h['to_version']} by {h['user']}"
                  + (f" ({h['reason']})" if h["reason"] else "")
                  for h in info.get("alias_history", [])]
        return "\n".join(lines)


def activity_table(root: Path) -> Table:
    with opened(root) as ws:
        found = events.recent(ws.conn, 500)
        return Table(["time", "kind", "message"],
                     [(short_time(e.created_at), e.kind, e.message) for e in found],
                     [str(e.id) for e in found], "Nothing has happened yet.")


def promotion_preview(root: Path, ref: str) -> dict[str, Any]:
    with opened(root) as ws:
        return registry.preview_promotion(ws, ref, registry.PRODUCTION)


def promote(root: Path, ref: str) -> bool:
    with opened(root) as ws:
        return registry.promote(ws, ref, registry.PRODUCTION, reason="from the TUI").promoted


def rollback(root: Path, ref: str) -> str:
    with opened(root) as ws:
        moved = registry.rollback(ws, ref.partition("@")[0], registry.PRODUCTION,
                                  "from the TUI")
        return f"{moved['model']}@production is back on @{moved['to']}"


def compare_text(root: Path, run_ids: list[str], width: int) -> str:
    """Runs side by side: the params that differ, metrics with the best marked *, and the
    learning curves (ANSI text from plotext)."""
    from ..core import charts, comparison

    with opened(root) as ws:
        result = comparison.compare(ws, run_ids)
    names = [r["name"] for r in result["runs"]]
    cell = max(12, *(len(n) for n in names)) + 2
    lines = ["".ljust(24) + "".join(n.ljust(cell) for n in names), "", "params that differ:"]
    lines += [f"  {k:<22}" + "".join(json.dumps(v).ljust(cell) for v in values)
              for k, values in result["params_differ"].items()] or ["  (none)"]
    lines += ["", "metrics (* best):"]
    lines += [f"  {k:<22}" + "".join((fmt_num(v) + (" *" if best else "")).ljust(cell)
                                     for v, best in zip(row["values"], row["best"], strict=True))
              for k, row in result["metrics"].items()]
    for key, histories in result["curves"].items():
        by_name = {n: histories[r["id"]] for n, r in zip(names, result["runs"], strict=True)}
        lines += ["", charts.line_chart(key, by_name, max(40, width - 4), 14)]
    return "\n".join(lines)
