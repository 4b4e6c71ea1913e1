"""Dataset profiles: what a version holds, column by column, computed with polars.

A profile is plain JSON-able data stored with the version:
{"rows": int, "columns": [{"name", "dtype", "kind", "nulls", "null_fraction", "distinct", ...}]}
Numeric columns add min/max/mean/std, quantiles and an equal-width histogram (the reference
a drift check compares against); text columns add their most frequent values; temporal columns
add min/max.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


def column_kind(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_numeric():
        return "numeric"
    if dtype.is_temporal():
        return "temporal"
    if dtype in (pl.String, pl.Categorical, pl.Enum):
        return "text"
    return "other"


def schema_of(df: pl.DataFrame) -> list[dict[str, str]]:
    return [{"name": name, "dtype": str(dtype)} for name, dtype in df.schema.items()]


def compute(df: pl.DataFrame, *, bins: int = 20, top: int = 10) -> dict[str, Any]:
    kinds = {name: column_kind(dtype) for name, dtype in df.schema.items()}
    stats = df.select(_stat_exprs(kinds)).row(0, named=True)
    columns = []
    for name, dtype in df.schema.items():
        kind = kinds[name]
        nulls = stats[f"{name}\0nulls"]
        col: dict[str, Any] = {
            "name": name, "dtype": str(dtype), "kind": kind, "nulls": nulls,
            "null_fraction": nulls / df.height if df.height else 0.0,
            "distinct": stats[f"{name}\0distinct"],
        }
        if kind == "numeric":
            col.update(_numeric(df.get_column(name), stats, name, bins))
        elif kind == "temporal":
            col["min"] = _iso(stats[f"{name}\0min"])
            col["max"] = _iso(stats[f"{name}\0max"])
        elif kind in ("text", "boolean"):
            col["top_values"] = _top_values(df.get_column(name), top)
        columns.append(col)
    return {"rows": df.height, "columns": columns}


def _stat_exprs(kinds: dict[str, str]) -> list[pl.Expr]:
    exprs = []
    for name, kind in kinds.items():
        c = pl.col(name)
        exprs += [c.null_count().alias(f"{name}\0nulls"), c.n_unique().alias(f"{name}\0distinct")]
        if kind in ("numeric", "temporal"):
            exprs += [c.min().alias(f"{name}\0min"), c.max().alias(f"{name}\0max")]
        if kind == "numeric":
            f = c.cast(pl.Float64).fill_nan(None)  # NaN counts as missing, not as a number
            exprs += [f.mean().alias(f"{name}\0mean"), f.std().alias(f"{name}\0std")]
            exprs += [f.quantile(q, "linear").alias(f"{name}\0q{q}") for q in QUANTILES]
    return exprs


def _numeric(series: pl.Series, stats: dict[str, Any], name: str, bins: int) -> dict[str, Any]:
    lo, hi = stats[f"{name}\0min"], stats[f"{name}\0max"]
    out: dict[str, Any] = {
        "min": _num(lo), "max": _num(hi),
        "mean": _num(stats[f"{name}\0mean"]), "std": _num(stats[f"{name}\0std"]),
        "quantiles": {str(q): _num(stats[f"{name}\0q{q}"]) for q in QUANTILES},
        "histogram": None,
    }
    if lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi):
        out["histogram"] = histogram(series, float(lo), float(hi), bins)
    return out


def histogram(series: pl.Series, lo: float, hi: float, bins: int) -> dict[str, list]:
    """Counts of non-null, finite values in `bins` equal-width bins over [lo, hi]."""
    values = series.drop_nulls().cast(pl.Float64)
    values = values.filter(values.is_finite())
    if hi == lo:
        return {"edges": [lo, hi], "counts": [values.len()]}
    width = (hi - lo) / bins
    idx = ((values - lo) / width).floor().clip(0, bins - 1).cast(pl.Int64)
    counts = [0] * bins
    for i, n in idx.rename("bin").value_counts(name="n").iter_rows():
        counts[i] = n
    return {"edges": [lo + i * width for i in range(bins)] + [hi], "counts": counts}


def _top_values(series: pl.Series, top: int) -> list[dict[str, Any]]:
    # Renamed first: a column called "count" would collide with value_counts' own column.
    counts = series.drop_nulls().rename("value").value_counts(sort=True, name="n").head(top)
    return [{"value": str(v), "count": n} for v, n in counts.iter_rows()]


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()

