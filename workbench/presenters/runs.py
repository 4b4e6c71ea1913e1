"""A run (`wb runs show`, the TUI's run detail) and runs side by side (`wb runs compare`, the
TUI's compare) in words: cells as text, values None as empty cells."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..formatting import fmt_bytes, fmt_num, short_time

if TYPE_CHECKING:
    from ..core.experiments.comparison import Comparison, History
    from ..core.experiments.records import RunRecord


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
