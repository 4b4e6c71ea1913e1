"""A run (`wb runs show`, the TUI's run detail), runs side by side (`wb runs compare`, the
TUI's compare) and the TUI's runs table (its columns) in words: cells as text, values None as
empty cells."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core.names import short_id
from ..formatting import fmt_bytes, fmt_num, short_time

if TYPE_CHECKING:
    from ..core.experiments.comparison import Comparison, History
    from ..core.experiments.records import RunRecord, RunSummary


def text(value: Any) -> str:
    """A param's (or any recorded value's) cell: as Python prints it, empty for None."""
    return "" if value is None else str(value)


# -- one run ---------------------------------------------------------------------------------


def title(info: RunRecord) -> str:
    return f"run {info.id}  {info.name}"


def status(info: RunRecord) -> str:
    return info.status + (f" ({info.error})" if info.error else "")


def facts(info: RunRecord) -> list[tuple[str, str]]:
    """What ran, where and how, as (what, value) pairs."""
    env = info.environment
    return [
        ("experiment", info.experiment),
        ("status", status(info)),
        ("kind", info.kind + (f" / {info.model}" if info.model else "")),
        ("started", short_time(info.started_at)),
        ("duration", f"{info.duration_s:.2f} s" if info.duration_s is not None else ""),
        ("command", " ".join(info.command)),
        ("cwd", text(info.cwd)),
        ("host", f"{info.host} (pid {info.pid})"),
        ("python", env.get("python", "")),
        (
            "git",
            (env.get("git_commit") or "not a git checkout")
            + (" (uncommitted changes)" if env.get("git_dirty") else ""),
        ),
        ("seed", text(info.seed)),
    ]


def input_rows(info: RunRecord) -> list[tuple[str, str]]:
    """(input, hash) for each dataset version the run read."""
    return [(i.ref, i.hash[:12]) for i in info.inputs]


def param_rows(info: RunRecord) -> list[tuple[str, str]]:
    """(param, value), by name."""
    return [(k, text(v)) for k, v in sorted(info.params.items())]


def metric_rows(info: RunRecord) -> list[tuple[str, str, str]]:
    """(metric, latest value, how many steps it was logged over), in the order logged."""
    return [(k, fmt_num(v, 6), text(info.metric_steps.get(k))) for k, v in info.metrics.items()]


def tag_rows(info: RunRecord) -> list[tuple[str, str]]:
    return sorted(info.tags.items())


def artifact_rows(info: RunRecord) -> list[tuple[str, str, str, str]]:
    """(path, kind, size, hash) for each file the run logged."""
    return [(a.path, a.kind, fmt_bytes(a.size), a.hash[:12]) for a in info.artifacts]


# -- runs side by side -------------------------------------------------------------------------


def names(result: Comparison) -> list[str]:
    """The compared runs' names: the columns of every row below, in their order."""
    return [r.name for r in result.runs]


def differing_param_rows(result: Comparison) -> list[tuple[str, ...]]:
    """(param, its value in each run) for the params the runs do not share."""
    return [(k, *(text(v) for v in values)) for k, values in result.params_differ.items()]


def compared_metric_rows(result: Comparison) -> list[tuple[str, ...]]:
    """(metric, its value in each run), the best marked ` *`."""
    return [
        (k, *(fmt_num(v) + (" *" if best else "") for v, best in zip(row.values, row.best, strict=True)))
        for k, row in result.metrics.items()
    ]


def curves(result: Comparison) -> list[tuple[str, dict[str, History]]]:
    """(metric, run name -> its step history) for each metric logged over several steps."""
    return [(key, {r.name: histories[r.id] for r in result.runs}) for key, histories in result.curves.items()]


# -- the TUI's runs table ----------------------------------------------------------------------
# A column is a built-in name, or "metrics.KEY" / "params.KEY" for what the runs logged.
FIRST_COLUMNS = ("id", "name", "status")  # always there, in this order: what names a run
LATER_COLUMNS = ("started", "duration", "model", "experiment")
FAILED = ("failed", "lost", "killed")  # the states shown in the theme's error colour


def duration(seconds: float | None) -> str:
    """`0.42 s`, `12.3 s`, `4m 05s`, `2h 03m`: short enough for a column."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    return f"{minutes // 60}h {minutes % 60:02d}m"


def logged_columns(found: Sequence[RunSummary]) -> list[str]:
    """The metrics, then the params, these runs have, each the most common first (ties: the
    built-in metric names in their usual order, then by name)."""
    from collections import Counter

    from ..core.metrics import PREFERRED

    def by_use(kind: str, counts: Counter[str]) -> list[str]:
        def rank(key: str) -> tuple:
            known = PREFERRED.index(key) if kind == "metrics" and key in PREFERRED else len(PREFERRED)
            return (-counts[key], known, key)

        return [f"{kind}.{key}" for key in sorted(counts, key=rank)]

    metric_counts = Counter(k for r in found for k in r.metrics)
    param_counts = Counter(k for r in found for k in r.params)
    return by_use("metrics", metric_counts) + by_use("params", param_counts)


def cell(run: RunSummary, column: str) -> str:
    """What a run shows in a column ("" where it has no such value)."""
    kind, _, key = column.partition(".")
    if kind == "metrics" and key:
        return fmt_num(run.metrics.get(key))
    if kind == "params" and key:
        return text(run.params.get(key))
    return {
        "id": lambda: short_id(run.id),
        "name": lambda: run.name,
        "status": lambda: run.status,
        "started": lambda: short_time(run.started_at)[5:16],  # 12-03 09:15: the detail has it whole
        "duration": lambda: duration(run.duration_s),
        "model": lambda: run.model or run.kind,
        "experiment": lambda: run.experiment,
    }.get(column, lambda: "")()


def labels(columns: Sequence[str]) -> list[str]:
    """Each column's header: a metric or param by its key alone, unless another column
    has that name too (then whole: `params.rmse`)."""
    short = [c.partition(".")[2] or c for c in columns]
    return [s if short.count(s) == 1 else c for s, c in zip(short, columns, strict=True)]


def fitting(columns: Sequence[str], widths: dict[str, int], room: int) -> list[str]:
    """The columns to show by default in `room` cells: the first three, then while they fit
    the three most common metrics, start time, duration, model, experiment, the other
    metrics and the params; in the table's order."""
    logged = [c for c in columns if c not in FIRST_COLUMNS and c not in LATER_COLUMNS]
    metrics_ = [c for c in logged if c.startswith("metrics.")]
    params = [c for c in logged if c.startswith("params.")]
    wanted = [*FIRST_COLUMNS, *metrics_[:3], *LATER_COLUMNS, *metrics_[3:], *params]
    chosen, used = set(), 0
    for column in wanted:
        width = widths.get(column, len(column)) + 2  # a cell's padding, each side
        if column in FIRST_COLUMNS or used + width <= room:
            chosen.add(column)
            used += width
    return [c for c in [*FIRST_COLUMNS, *metrics_, *params, *LATER_COLUMNS] if c in chosen]


def available(found: Sequence[RunSummary]) -> list[str]:
    """Every column a chooser offers for these runs, in the default table's order."""
    return [*FIRST_COLUMNS, *logged_columns(found), *LATER_COLUMNS]
