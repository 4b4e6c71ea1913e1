"""The part each column plays in a drift check (Evidently calls it column mapping): a feature
(compared, and counted in the dataset's drift share), an id or ignored (left out), the target
(compared apart, as label drift) or the time column (which names the period each side covers).

A role is given by `[drift.columns.NAME]` in the config, else by the dataset's contract, else
by `--target`; without one, the contract's one-column key and a column unique per row in the
reference are ids, a date or time column is a time column, and a column of a type drift cannot
compare (lists, structs) is ignored. The config also picks a column's test and threshold.
Nothing here reads data: the reference side is its profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config import DriftColumn
from ..data.contracts import unique_per_row
from .records import LeftOut, Period, Span

FEATURE, TARGET, TIME = "feature", "target", "time"
COMPARED = (FEATURE, TARGET)  # the roles whose columns are compared


@dataclass(frozen=True)
class ColumnPlan:
    """What a check does with one reference column, and why (`reason`, for a role other than
    feature); `test` and `threshold` replace the column's default ones when set."""

    role: str
    reason: str = ""
    test: str | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class Given:
    """The roles given to a check's columns beyond the config: by the reference's contract
    (`contract`, with its one-column `key`, from the dataset `dataset`) and by `--target`."""

    contract: Mapping[str, str]
    key: str | None = None
    dataset: str = ""
    target: str | None = None


def plan(ref: dict[str, Any], configured: Mapping[str, DriftColumn], given: Given) -> dict[str, ColumnPlan]:
    """A plan for every column of reference profile `ref`."""
    out = {}
    for col in ref["columns"]:
        name = col["name"]
        setting = configured.get(name, DriftColumn())
        role, reason = _role(col, ref["rows"], setting, given)
        if role in COMPARED and col["kind"] in ("temporal", "other"):
            role, reason = "ignored", f"of type {col['dtype']}, which drift does not compare"
        out[name] = ColumnPlan(role, reason, setting.test, setting.threshold)
    return out


def _role(col: dict[str, Any], rows: int, setting: DriftColumn, given: Given) -> tuple[str, str]:
    name = col["name"]
    if setting.role:
        return setting.role, f"set in .wb/config.toml [drift.columns.{name}]"
    if name in given.contract:
        return given.contract[name], f"set in the contract of {given.dataset}"
    if name == given.target:
        return TARGET, "named by --target"
    if name == given.key:
        return "id", f"the key of the contract of {given.dataset}"
    if unique_per_row(col, rows):
        return "id", "unique per row in the reference"
    if col["kind"] == "temporal":
        return TIME, "a date or time column"
    return FEATURE, ""


def left_out(plans: Mapping[str, ColumnPlan]) -> tuple[LeftOut, ...]:
    """The columns that are no features, in the reference's order."""
    return tuple(LeftOut(name, p.role, p.reason) for name, p in plans.items() if p.role != FEATURE)


def period(plans: Mapping[str, ColumnPlan], ref: dict[str, Any], cur: dict[str, Any]) -> Period | None:
    """The span of the first time column on each side (profiles `ref` and `cur`)."""
    column = next((name for name, p in plans.items() if p.role == TIME), None)
    if column is None:
        return None
    cur_col = next((c for c in cur["columns"] if c["name"] == column), None)
    ref_col = next(c for c in ref["columns"] if c["name"] == column)
    return Period(column, _span(ref_col), None if cur_col is None else _span(cur_col))


def _span(col: dict[str, Any]) -> Span:
    """First and last value: a profile keeps them for dates and numbers; for text, the least
    and greatest of its counted values (ISO dates in text order), when it counted them all."""
    if "min" in col:
        return Span(col["min"], col["max"])
    counted = col.get("category_counts") or {}
    if not counted or len(counted) < col.get("distinct", 0):
        return Span(None, None)
    return Span(min(counted), max(counted))
