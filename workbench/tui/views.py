"""What each screen shows, as plain rows: the bridge from core's data to the TUI's tables.
Runs in worker threads, each with its own Workspace (its own SQLite connection).

Everything here leaves through `visible`: a table's cells (Table escapes them) and each
view's text (`@shown`, or piece by piece where plotext draws ANSI around the data), so a
CSV value or a run name never drives the terminal."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import events, metrics
from ..core.data import datasets
from ..core.errors import InvalidInput, WbError
from ..core.experiments import command_runs, run_logs, runs
from ..core.models import evaluation, history, registry, rollout_outcomes, rollouts
from ..core.models.records import PromotionPreview
from ..core.models.rollout_records import ACTIVE, Rollout
from ..core.monitoring import alerts, drift
from ..core.names import plural, short_id
from ..core.storage.workspace import Workspace
from ..formatting import VALID_TEXT, fitting, fmt_num, short_time, visible
from ..presenters import datasets as dataset_words
from ..presenters import drift as drift_words
from ..presenters import models as model_words
from ..presenters import rollouts as rollout_words
from ..presenters import runs as run_words
from ..presenters import status as status_words
from . import layout, prefs


@contextmanager
def opened(root: Path) -> Iterator[Workspace]:
    """A workspace with its own connection, for one worker call, closed after it."""
    ws = Workspace(root)
    try:
        yield ws
    finally:
        ws.close()


PAGE = 200  # rows a table holds at once; the rest stay in SQLite until paged to
CHART_WIDTH = 80  # a learning curve's width, at least, before another fits beside it
# A column's width at most when choosing the columns that fit: the table then gives long
# text the room that is left, or cuts it (a long run name does not push the metrics out).
WIDEST = 24


# A row's state, shown in the theme's colour of that name with a symbol (monochrome reads it).
ERROR, WARNING, SUCCESS = "error", "warning", "success"


@dataclass
class Table:
    columns: list[str]  # the headers
    rows: list[tuple]
    keys: list[str] = field(default_factory=list)  # one per row: what selecting it opens
    empty: str = ""  # what to say (and suggest) when there are no rows
    offset: int = 0  # where this page starts among all `total` rows
    total: int = 0
    note: str = ""  # a line above the table (the watcher's state, say)
    ids: list[str] = field(default_factory=list)  # each column's id (default: its header)
    states: list[str] = field(default_factory=list)  # per row: "", ERROR, WARNING or SUCCESS
    state_column: str = ""  # the column (id) that carries a row's state symbol
    choices: list[str] = field(default_factory=list)  # the columns a chooser offers (runs)
    scope: str = ""  # whose column choice this is (runs: the experiment the rows share)
    estimated: bool = False  # `total` is an estimate (a filter over many runs), counted later

    def __post_init__(self) -> None:
        # The keys stay as they are: they look things up, they are not shown.
        self.rows = [tuple(visible(c) for c in row) for row in self.rows]
        self.columns = [visible(c) for c in self.columns]
        self.note = visible(self.note)
        self.ids = self.ids or list(self.columns)
        self.states = self.states or [""] * len(self.rows)


def shown(make: Callable[..., str]) -> Callable[..., str]:
    """A view of text to read in a pane: its lines kept, anything else that would drive the
    terminal made visible."""

    @functools.wraps(make)
    def escaped(*args: Any, **kwargs: Any) -> str:
        return visible(make(*args, **kwargs), lines=True)

    return escaped


def page_of(
    columns: list[str],
    rows: list[tuple],
    keys: list[str],
    empty: str,
    offset: int,
    limit: int,
    states: Sequence[str] = (),
    state_column: str = "",
) -> Table:
    """A page of a list built whole (datasets, drift, models: hundreds, not 100,000s)."""
    return Table(
        columns,
        rows[offset : offset + limit],
        keys[offset : offset + limit],
        empty,
        offset,
        len(rows),
        states=list(states[offset : offset + limit]),
        state_column=state_column,
    )


def datasets_table(root: Path, offset: int = 0, limit: int = PAGE) -> Table:
    with opened(root) as ws:
        rows, keys, states = [], [], []
        for d in datasets.list_datasets(ws):
            for v in reversed(datasets.log(ws, d.name)):
                states.append(ERROR if v.valid is False else "")
                rows.append(
                    (
                        v.ref,
                        f"{v.rows:,}",
                        v.columns,
                        short_time(v.created_at),
                        VALID_TEXT[v.valid],
                        ", ".join(v.tags),
                        v.message,
                    )
                )
                keys.append(v.ref)
        return page_of(
            ["version", "rows", "cols", "added", "valid", "tags", "message"],
            rows,
            keys,
            "No datasets yet. Add one on the command line:  wb data add FILE --name NAME",
            offset,
            limit,
            states,
            "valid",
        )


@shown
def dataset_detail(root: Path, ref: str, check: bool = False) -> str:
    """A version's schema and profile; with `check`, what it breaks of its contract (that
    reads the data, so only when asked: `enter`)."""
    with opened(root) as ws:
        v = datasets.resolve(ws, ref)
        lines = [
            f"{v.ref}  {v.format}  {v.rows:,} row{'' if v.rows == 1 else 's'} x "
            f"{plural(v.columns, 'column')}",
            f"hash {v.hash[:16]}",
        ]
        if v.valid is False:
            lines.append(f"breaks the contract of {v.name}" + (":" if check else " (enter lists how)"))
            if check:
                from ..core.data import validation

                found = validation.check(ws, v.ref, record=False)[1]  # a look records nothing
                # As `wb data validate` prints them: column, check, what was found.
                lines += [f"  {(x.column or '(table)')[:16]:<16} {x.check:<18} {x.detail}" for x in found]
        lines.append("")
        for c in v.profile["columns"]:
            spark = (
                sparkline(c.get("histogram", {}) and c["histogram"]["counts"]) if c.get("histogram") else ""
            )
            top = ", ".join(t["value"] for t in c.get("top_values", [])[:3])
            stats = (
                f"min {fmt_num(c.get('min'))} mean {fmt_num(c.get('mean'))} max {fmt_num(c.get('max'))}"
                if c["kind"] == "numeric"
                else f"{c.get('min')} .. {c.get('max')}"
                if c["kind"] == "temporal"
                else top
            )
            lines.append(
                f"{c['name']:<16} {c['dtype']:<9} nulls {c['null_fraction']:>6.1%}  {spark}  {stats}"
            )
        return "\n".join(lines)


SPARKS = " ▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    top = max(counts) if counts else 0
    return "".join(SPARKS[round(c / top * 8)] if top else " " for c in counts)


def runs_table(
    root: Path,
    where: str = "",
    sort: str = "",
    total: int | None = None,
    room: int = 0,
    offset: int = 0,
    limit: int = PAGE,
) -> Table:
    """One page of runs, filtered and sorted in SQL. Its columns: the ones chosen for the
    experiment the page's runs share (prefs.py), or those that fit in `room` cells (0: all),
    the metrics and params the page's runs logged the most common first. `total`, when the
    caller knows it, spares counting again; a filter's count it does not know is estimated
    (`estimated`: the screen counts in the background, `runs_count`) unless the page says it."""
    estimated = False
    with opened(root) as ws:
        runs.reap_lost(ws)  # a run whose process died shows as lost, not running
        found = runs.list_runs(ws, where=where or None, sort=sort or None, limit=limit, offset=offset)
        if total is None:
            total, estimated = _runs_total(ws, where, len(found), offset, limit)
    experiments = {r.experiment for r in found}
    scope = experiments.pop() if len(experiments) == 1 else prefs.MIXED
    choices = run_words.available(found)
    columns = prefs.run_columns(root, scope)
    if columns is None:
        widths = {
            c: min(WIDEST, max([len(c.partition(".")[2] or c), *(len(run_words.cell(r, c)) for r in found)]))
            for c in choices
        }
        columns = run_words.fitting(choices, widths, room) if room else choices
    return Table(
        run_words.labels(columns),
        [tuple(run_words.cell(r, c) for c in columns) for r in found],
        [r.id for r in found],
        "No runs match." if where else "No runs yet. Press n to train one.",
        offset,
        total,
        ids=columns,
        states=[ERROR if r.status in run_words.FAILED else "" for r in found],
        state_column="status",
        choices=choices,
        scope=scope,
        estimated=estimated,
    )


def _runs_total(ws: Workspace, where: str, shown: int, offset: int, limit: int) -> tuple[int, bool]:
    """How many runs the pages hold, and whether that is an estimate: a page of `shown` rows
    at `offset` came back."""
    if not where:
        return runs.count_runs(ws), False  # the index's count: a few ms
    if 0 < shown < limit or not (shown or offset):  # a short page: its end is the end
        return offset + shown, False
    if not shown:  # past the end of an estimate: where the end is matters now
        return runs.count_runs(ws, where=where), False
    total, exact = runs.estimate_runs(ws, where)
    # Never fewer than the pages so far, and one more past this full one.
    return (total, False) if exact else (max(total, offset + shown + 1), True)


def runs_count(root: Path, where: str) -> int:
    """How many runs a filter matches, exactly (a few hundred ms over 100,000 runs)."""
    with opened(root) as ws:
        return runs.count_runs(ws, where=where or None)


@shown
def run_detail(root: Path, run_id: str) -> str:
    with opened(root) as ws:
        info = runs.get(ws, run_id)
        lines = [
            f"{info.name}  {run_words.status(info)}",
            f"id {info.id}",
            f"command {' '.join(info.command)}",
            "inputs " + ", ".join(ref for ref, _ in run_words.input_rows(info)),
            "registered as "
            + (", ".join(_marked(ws, ref) for ref in registry.refs_of_run(ws, info.id)) or "-"),
            "",
            "params:",
        ]
        lines += [f"  {k} = {v}" for k, v in run_words.param_rows(info)] or ["  (none)"]
        lines += ["", "metrics:"] + (
            [f"  {k} = {v}" for k, v, _ in run_words.metric_rows(info)] or ["  (none)"]
        )
        lines += ["", "artifacts:"] + [
            f"  {path} ({size})" for path, _, size, _ in run_words.artifact_rows(info)
        ]
        for stream, tail in run_logs.tail(ws, info.id).items():
            lines += ["", f"{stream} (last lines):", *(f"  {line}" for line in tail)]
        return "\n".join(lines)


def drift_table(root: Path, offset: int = 0, limit: int = PAGE) -> Table:
    with opened(root) as ws:
        rows, keys, states = [], [], []
        # Open alerts first (a critical one, a model that predicts worse, in the error colour),
        # then the acknowledged ones (u opens one again), then the reports.
        found = alerts.list_alerts(ws)
        for a in sorted(found, key=lambda a: a.acked):
            rows.append(
                ("acked" if a.acked else "ALERT", str(a.id), short_time(a.created_at), a.kind, a.message)
            )
            keys.append(f"alert:{a.id}")
            states.append("" if a.acked else ERROR if a.severity == "critical" else WARNING)
        for r in drift.list_reports(ws, limit=10_000):
            states.append(WARNING if r.dataset_drift else "")
            rows.append(
                (
                    "report",
                    r.report_id[:12],
                    short_time(r.created_at),
                    "DRIFT" if r.dataset_drift else "ok",
                    f"{r.current} vs {r.reference}: " + ", ".join(r.drifted),
                )
            )
            keys.append(f"report:{r.report_id}")
        return page_of(
            ["", "id", "time", "verdict", "what"],
            rows,
            keys,
            "No drift reports. Check a drop on the command line:  wb drift check --reference A --current B",
            offset,
            limit,
            states,
            "",
        )


@shown
def drift_detail(root: Path, key: str) -> str:
    kind, _, ident = key.partition(":")
    with opened(root) as ws:
        if kind == "alert":
            a = alerts.get(ws, int(ident))
            if a is None:
                return f"alert {ident} is gone"
            return "\n".join(
                [
                    f"alert {a.id}  {a.kind}  {short_time(a.created_at)}",
                    f"about {a.subject}" if a.subject else "",
                    "",
                    a.message,
                    "",
                    "acknowledged (u: open it again)" if a.acked else "a: acknowledge it",
                    "enter: the drift report it is about"
                    if _report_of(ws, a)
                    else f"enter: rollout {a.link.rollout}"
                    if _rollout_of(ws, a)
                    else "",
                ]
            )
        report = drift.show(ws, ident)
        # The findings beyond the features (a degraded model) first: they are what to act on.
        lines = [
            drift_words.verdict(report),
            *(("! " if n.level == "alarm" else "  ") + n.text for n in drift_words.notes(report)),
            "enter: each feature with its distributions",
            "",
        ]
        lines += [
            f"{'*' if f.drifted else ' '} {f.name:<16} {f.test:<15} {f.score:.3f} (>= {f.threshold:g})"
            for f in sorted(report.features, key=lambda f: -f.score)
        ]
        return "\n".join(lines)


def report_table(root: Path, report_id: str, offset: int = 0, limit: int = PAGE) -> Table:
    """A report's features, the most shifted first, then its target (label drift)."""
    with opened(root) as ws:
        report = drift.show(ws, report_id)
    features = [*sorted(report.features, key=lambda f: -f.score), *report.label_drift]
    labels = {f.name for f in report.label_drift}
    rows = [
        (
            ("LABEL " if f.name in labels else "") + ("DRIFT" if f.drifted else "ok"),
            f.name,
            f.test,
            f"{f.score:.3f}",
            f"{f.threshold:g}",
        )
        for f in features
    ]
    return page_of(
        ["verdict", "feature", "test", "score", "threshold"],
        rows,
        [f"{report_id}:{f.name}" for f in features],
        "This report has no features.",
        offset,
        limit,
        [WARNING if f.drifted else "" for f in features],
        "verdict",
    )


def feature_detail(root: Path, key: str, width: int) -> str:
    """One feature of a report: its verdict, then reference and current drawn side by side."""
    from .. import charts

    report_id, _, name = key.partition(":")
    with opened(root) as ws:
        report = drift.show(ws, report_id)
    feature = next(f for f in (*report.features, *report.label_drift) if f.name == name)
    # Shown with ANSI colours: the column's name and values are escaped first, one by one.
    lines = [
        f"{visible(name)}: {'DRIFT' if feature.drifted else 'no drift'}  "
        f"{feature.test} {feature.score:.3f} (>= {feature.threshold:g})",
        visible(feature.detail),
        "",
    ]
    dist = feature.distribution
    if not dist:
        return "\n".join([*lines, "(no distribution stored with this report)"])
    drawn = drift_words.bins(dist)
    lines += [drawn.range_said, ""] if drawn.range_said else []
    labels = drawn.labels if dist.categories is None else [visible(c)[:10] for c in drawn.labels]
    shares = {"reference": drawn.reference, "current": drawn.current}
    lines.append(charts.bars_side_by_side(shares, labels, max(40, width), 16))
    if dist.categories is not None:
        lines += [""] + [
            f"{visible(k)[:20]:<20} {a:6.1%} -> {b:6.1%}"
            for k, a, b in zip(dist.categories, drawn.reference, drawn.current, strict=True)
        ]
    return "\n".join(lines)


def alert_report(root: Path, key: str) -> str | None:
    """The id of the drift report an alert is about (what `enter` opens)."""
    with opened(root) as ws:
        alert = alerts.get(ws, int(key.partition(":")[2]))
        return _report_of(ws, alert) if alert is not None else None


def alert_rollout(root: Path, key: str) -> str | None:
    """The name of the rollout an alert is about (what `enter` opens when no report is)."""
    with opened(root) as ws:
        alert = alerts.get(ws, int(key.partition(":")[2]))
        return alert.link.rollout if alert is not None and _rollout_of(ws, alert) else None


def _rollout_of(ws: Workspace, alert: alerts.Alert) -> bool:
    """Whether the alert is about a rollout that is still recorded."""
    names = {r.name for r in rollouts.list_rollouts(ws)}
    return alert.link.rollout is not None and alert.link.rollout in names


def _report_of(ws: Workspace, alert: alerts.Alert) -> str | None:
    """None for an alert about anything else (a dataset version a watcher refused) or whose
    report is gone."""
    if not alert.subject:
        return None
    try:
        report_id = drift.show(ws, alert.subject).report_id
    except WbError:
        return None
    return report_id if report_id == alert.subject else None  # whole, not a prefix of it


def ack_alert(root: Path, key: str, ack: bool = True) -> bool:
    """Acknowledge the alert of a row (or, not `ack`, open it again); False for a report's row
    or an alert already so."""
    kind, _, ident = key.partition(":")
    if kind != "alert":
        return False
    with opened(root) as ws:
        return (alerts.ack if ack else alerts.unack)(ws, int(ident))


def models_table(root: Path, offset: int = 0, limit: int = PAGE) -> Table:
    """Every version, the newest of each model first; while a rollout is in progress, a
    column marks its arms."""
    with opened(root) as ws:
        rolling = _rolling(ws)
        rows, keys = [], []
        for m in registry.list_models(ws):
            for v in reversed(registry.versions(ws, m.name)):
                arm = (rollout_words.arm_mark(rolling.get(m.name), v.version),) if rolling else ()
                rows.append(
                    (
                        v.ref,
                        ", ".join(v.aliases),
                        *arm,
                        v.dataset or "",
                        fmt_num(v.metrics.get(metrics.primary(v.task))),
                        short_time(v.created_at),
                    )
                )
                keys.append(v.ref)
        return page_of(
            ["version", "aliases", *(["rollout"] if rolling else []), "trained on", "rmse/auc", "registered"],
            rows,
            keys,
            "No models yet. Register a run on the command line:  wb model register RUN --name NAME",
            offset,
            limit,
        )


def _rolling(ws: Workspace) -> dict[str, Rollout]:
    """The rollouts in progress, by model."""
    return {r.model: r for r in rollouts.list_rollouts(ws) if r.state == ACTIVE}


def _marked(ws: Workspace, ref: str) -> str:
    """A version's reference, with its arm when it serves in a rollout in progress."""
    name, _, version = ref.partition("@")
    rollout = rollouts.active_of(ws.conn, name)
    arm = rollout_words.arm_mark(rollout, int(version))
    return f"{ref} ({arm} of rollout {rollout.name})" if rollout and arm else ref


@shown
def model_detail(root: Path, ref: str, width: int = 78) -> str:
    """A version: its scores, its model's rollout in progress (in `width` cells), its
    performance over time, where it came from and its aliases' moves."""
    with opened(root) as ws:
        info = registry.show(ws, ref.partition("@")[0])
        chosen = registry.show(ws, ref)
        mv = chosen.version
        rollout = rollouts.active_of(ws.conn, mv.name)
        # Scores first, on one line: at 80x24 the pane shows a handful of lines.
        lines = [
            model_words.title(mv) if mv.aliases else f"{model_words.title(mv)}  (no alias)",
            "  ".join(f"{k} {v}" for k, v in model_words.metric_rows(mv)),
            *(_rollout_lines(ws, rollout, width) if rollout else []),
            *_performance_line(ws, mv.name),
            "",
            *(f"{what:<9}{value}" for what, value in model_words.facts(chosen)),
        ]
        lines += ["", "alias history:"]
        lines += [
            "  " + "  ".join(cell for cell in row if cell)
            for row in model_words.history_rows(info.alias_history or ())
        ]
        return "\n".join(lines)


def _rollout_lines(ws: Workspace, rollout: Rollout, width: int) -> list[str]:
    """The rollout as `wb rollout status` says it, verdict first (a pane shows a handful of
    lines), each line made to fit: the table's columns that do not fit left out."""
    found = rollout_outcomes.status(ws, rollout.name)
    verdict = rollout_words.verdict(found)
    return [
        "",
        *_wrapped(f"{rollout_words.MARK} {rollout_words.heading(rollout)}", width),
        *_wrapped(verdict.text, width, "! " if verdict.level == "alarm" else "  "),
        *_aligned(rollout_words.ARM_COLUMNS, rollout_words.arm_rows(found), width, "  "),
        *_wrapped(rollout_words.difference(found), width, "  "),
        "  o: the rollout full width",
    ]


def rollout_of(root: Path, model: str) -> str | None:
    """The model's rollout to show: the one in progress, else its latest; None without any."""
    with opened(root) as ws:
        mine = [r for r in rollouts.list_rollouts(ws) if r.model == model]  # the newest first
    return next((r.name for r in mine if r.state == ACTIVE), mine[0].name if mine else None)


@shown
def rollout_text(root: Path, name: str, width: int) -> str:
    """A rollout full width: `wb rollout status`, what to do next, the policy and its log."""
    with opened(root) as ws:
        found = rollout_outcomes.status(ws, name)
        log = rollouts.batches(ws, name)
        settings = ws.config.rollout
    width = max(40, width - 4)  # the pane's padding and scroll bar
    step = rollout_words.next_step(found)
    return "\n".join(
        [
            *_wrapped(rollout_words.heading(found.rollout), width),
            "",
            *_aligned(rollout_words.ARM_COLUMNS, rollout_words.arm_rows(found), width),
            *(line for text in rollout_words.served(found) for line in _wrapped(text, width)),
            "",
            *_wrapped(rollout_words.difference(found), width),
            *_wrapped(rollout_words.verdict(found).text, width),
            *(_wrapped(step, width) if step else []),
            "",
            *_wrapped(rollout_words.policy(settings), width),
            "",
            "its log:" if log else f"nothing scored yet: `wb predict rollout:{name} INPUT -o OUTPUT`",
            *(line for b in log for line in _wrapped(rollout_words.batch_line(b), width, "  ")),
        ]
    )


def _wrapped(text: str, width: int, indent: str = "") -> list[str]:
    """A sentence in lines of `width` cells after `indent` (a "! " marks the first only), with
    the pane's hanging indent."""
    lines = layout.hang(" " * len(indent) + text, max(20, width)).split("\n")
    lines[0] = indent + lines[0][len(indent) :]
    return lines


def _aligned(columns: list[str], rows: list[tuple[str, ...]], width: int, indent: str = "") -> list[str]:
    """A table as lines of text in `width` cells: the columns that do not fit are left out, as
    the CLI leaves them out of a narrow terminal (the arm and its metric stay longest)."""
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    room = width - len(indent)
    keep = fitting(columns, widths, room, ("segments", "rows", "version", "labelled"))
    lines = [indent + "  ".join(row[i].ljust(widths[i]) for i in keep).rstrip() for row in [columns, *rows]]
    return [layout.cut(line, width) for line in lines]


def _performance_line(ws: Workspace, name: str) -> list[str]:
    """The model's metric per drop as sparklines (`wb model history`), then what it says."""
    found = history.history(ws, name)
    if not found.points:
        return []
    shown = found.drops[-model_words.SPARK_DROPS :]  # those `sparks` draws
    return [
        "",
        f"{found.metric} per drop, {shown[0]} .. {shown[-1]}:",
        *("  " + line for line in model_words.sparks(found)),
        *(("! " if n.level == "alarm" else "  ") + n.text for n in model_words.story(found)),
    ]


def activity_table(root: Path, offset: int = 0, limit: int = PAGE) -> Table:
    """The audit log, newest first, under the watchers' state."""
    from ..core import status

    with opened(root) as ws:
        found = events.recent(ws.conn, limit, offset)
        watching = status.watchers(ws)
        note = (
            "; ".join(f"watching {status_words.watching(w)}" for w in watching)
            or "No watcher running (on the command line: wb watch DIR --dataset NAME)"
        )
        return Table(
            ["time", "kind", "message"],
            [(short_time(e.created_at), e.kind, e.message) for e in found],
            [str(e.id) for e in found],
            "Nothing has happened yet.",
            offset,
            events.count(ws.conn),
            note,
        )


@shown
def activity_detail(root: Path, key: str) -> str:
    with opened(root) as ws:
        event = events.by_id(ws.conn, int(key))
    if event is None:
        return ""
    return "\n".join(
        [
            f"{short_time(event.created_at)}  {event.kind}",
            f"subject {event.subject}",
            "",
            event.message,
            "",
            json.dumps(event.data, indent=2),
        ]
    )


def promotion_preview(root: Path, ref: str) -> PromotionPreview:
    with opened(root) as ws:
        return registry.preview_promotion(ws, ref, registry.PRODUCTION)


def rollback_question(root: Path, ref: str) -> str:
    name = ref.partition("@")[0]
    with opened(root) as ws:
        current, before = registry.rollback_target(ws, name)
    return (
        f"Roll {name}@production back from @{current} to @{before} (the version "
        f"before the promotion of @{current})?"
    )


def rollout_caution(root: Path, ref: str) -> list[str]:
    """What promoting by hand means while the model's rollout is in progress."""
    with opened(root) as ws:
        rollout = rollouts.active_of(ws.conn, ref.partition("@")[0])
    if rollout is None:
        return []
    return [
        "",
        visible(
            f"{rollout_words.MARK} {rollout_words.heading(rollout)}: a promotion here leaves it "
            f"running; `wb rollout stop {rollout.name} --promote` (or --rollback) ends it"
        ),
    ]


def promote(root: Path, ref: str) -> bool:
    with opened(root) as ws:
        return registry.promote(ws, ref, registry.PRODUCTION, reason="from the TUI").promoted


def rollback(root: Path, ref: str) -> str:
    with opened(root) as ws:
        moved = registry.rollback(ws, ref.partition("@")[0], registry.PRODUCTION, "from the TUI")
        return f"{moved.model}@production is back on @{moved.to_version}"


def kill_question(root: Path, run_id: str) -> tuple[str, list[str], bool]:
    """The question `x` asks about a run; InvalidInput for a run that is not running."""
    with opened(root) as ws:
        runs.reap_lost(ws)  # a run whose process died is lost, not killable
        info = runs.get(ws, run_id)
    if info.status not in ("running", "queued"):
        raise InvalidInput(f"run {info.name} is {info.status}: only a running run can be killed")
    return (
        f"Kill run {info.name} ({short_id(info.id)})?",
        [
            f"{info.status} since {short_time(info.started_at)}" if info.started_at else info.status,
            f"command {' '.join(info.command)}",
        ],
        True,
    )


def kill(root: Path, run_id: str) -> tuple[str, bool]:
    """What `wb runs kill` does: SIGTERM, then the run is recorded as killed."""
    with opened(root) as ws:
        command_runs.kill(ws, run_id)
        return f"killed run {runs.get(ws, run_id).name}", True


def compare_text(root: Path, run_ids: list[str], width: int, height: int = 24) -> str:
    """Runs side by side in `width` cells (as columns when they fit, else one per line under
    each row: layout.py): the params that differ, metrics with the best marked *, then the
    learning curves (ANSI text from plotext) sharing the width and filling the height left."""
    from .. import charts
    from ..core.experiments import comparison

    with opened(root) as ws:
        result = comparison.compare(ws, run_ids)
    # Shown with ANSI colours: the data in it is escaped first, piece by piece.
    room = width - 4  # the pane's padding and scroll bar

    def escaped(rows: list[tuple[str, ...]]) -> list[tuple[str, list[str]]]:
        return [(visible(k), [visible(c) for c in cells]) for k, *cells in rows]

    lines = layout.side_by_side(
        [visible(n) for n in run_words.names(result)],
        [
            # Each run's inputs, unless none has any (a script's runs).
            *(
                [("", escaped([("data", *(", ".join(r.data) for r in result.runs))]))]
                * any(r.data for r in result.runs)
            ),
            ("params that differ:", escaped(run_words.differing_param_rows(result))),
            ("metrics (* best):", escaped(run_words.compared_metric_rows(result))),
        ],
        room,
    )
    curves = run_words.curves(result)
    across = max(1, min(len(curves), room // CHART_WIDTH))  # charts side by side on a wide screen
    chart_width = max(40, (room - across + 1) // across)
    chart_height = max(14, height - len(lines) - 5)  # the first screen shows a row of them whole
    for at in range(0, len(curves), across):
        drawn = [
            charts.line_chart(
                visible(key), {visible(n): h for n, h in histories.items()}, chart_width, chart_height
            )
            for key, histories in curves[at : at + across]
        ]
        lines += ["", charts.beside(drawn)]
    return "\n".join(lines)


@shown
def diff_text(root: Path, refs: list[str], width: int) -> str:
    """Two dataset versions, as `wb data diff` shows them."""
    with opened(root) as ws:
        d = datasets.diff(ws, refs[0], refs[1])
    lines = [note.text for note in dataset_words.diff_lines(d)]
    shifts = dataset_words.shift_rows(d)
    if shifts:
        header = ("column", "statistic", d.a, d.b, "change")
        widths = [max(len(row[i]) for row in [header, *shifts]) for i in range(5)]
        lines.append("")
        if sum(widths) + 2 * 4 <= width - 4:  # a table, when its widest row fits
            lines += [
                "  ".join(
                    [c.ljust(widths[0]), s.ljust(widths[1]), a.rjust(widths[2]), b.rjust(widths[3]), change]
                ).rstrip()
                for c, s, a, b, change in [header, *shifts]
            ]
        else:  # a line each, wrapped to the width by the screen
            lines += [
                f"{c} {s}: {a} -> {b}" + (f"  {change}" if change else "") for c, s, a, b, change in shifts
            ]
    return "\n".join(lines)


@shown
def evaluation_text(root: Path, ref: str, width: int) -> str:
    """A version against production, on the newest version of the dataset it was trained on."""
    with opened(root) as ws:
        result = evaluation.evaluate_against_production(ws, ref)
    models = result.models
    rows = [(k, [fmt_num(result.overall[m].get(k)) for m in models]) for k in result.metric_names]
    # As wide as the names and figures are (at 60 columns too), the figures right-aligned.
    label = max([len("metric"), *(len(k) for k, _ in rows)])
    widths = [max([len(m), *(len(cells[i]) for _, cells in rows)]) + 2 for i, m in enumerate(models)]
    lines = [
        f"on {result.data}, target {result.target}",
        f"(note: {result.caution})" if result.caution else "",
        "" if len(models) > 1 else f"({ref} has no other production version to compare with)",
        "metric".ljust(label) + "".join(m.rjust(w) for m, w in zip(models, widths, strict=True)),
    ]
    lines += [
        k.ljust(label) + "".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) for k, cells in rows
    ]
    return "\n".join(lines)
