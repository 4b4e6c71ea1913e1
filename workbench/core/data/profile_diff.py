"""Comparing two dataset profiles (see profile.py). Pure Python: no polars needed to diff."""

from __future__ import annotations

from typing import Any


def diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """What changed from profile `a` to profile `b`: columns added, removed and retyped, the row
    delta, and per-column shifts in the statistics both sides have."""
    cols_a = {c["name"]: c for c in a["columns"]}
    cols_b = {c["name"]: c for c in b["columns"]}
    shifts = []
    for name in (n for n in cols_b if n in cols_a):
        shift = _column_shift(cols_a[name], cols_b[name])
        if shift:
            shifts.append({"column": name, **shift})
    return {
        "rows": {"a": a["rows"], "b": b["rows"], "delta": b["rows"] - a["rows"]},
        "added": [{"name": n, "dtype": cols_b[n]["dtype"]} for n in cols_b if n not in cols_a],
        "removed": [{"name": n, "dtype": cols_a[n]["dtype"]} for n in cols_a if n not in cols_b],
        "retyped": [
            {"name": n, "from": cols_a[n]["dtype"], "to": cols_b[n]["dtype"]}
            for n in cols_b
            if n in cols_a and cols_a[n]["dtype"] != cols_b[n]["dtype"]
        ],
        "shifts": shifts,
    }


def _column_shift(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("null_fraction", "distinct", "mean", "std", "min", "max"):
        va, vb = a.get(key), b.get(key)
        if va != vb and (va is not None or vb is not None):
            changes[key] = {"a": va, "b": vb}
    if "mean" in changes and a.get("std"):
        va, vb = changes["mean"]["a"], changes["mean"]["b"]
        if va is not None and vb is not None:
            # The mean's move in units of the old spread: a quick, scale-free size of the shift.
            changes["mean"]["std_units"] = (vb - va) / a["std"]
    if "top_values" in a and "top_values" in b:
        seen_a = {v["value"] for v in a["top_values"]}
        seen_b = {v["value"] for v in b["top_values"]}
        if seen_b - seen_a:
            changes["new_top_values"] = sorted(seen_b - seen_a)
        if seen_a - seen_b:
            changes["dropped_top_values"] = sorted(seen_a - seen_b)
    return changes
