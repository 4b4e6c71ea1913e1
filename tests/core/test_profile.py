from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.core.data import profile


def _col(prof, name):
    return next(c for c in prof["columns"] if c["name"] == name)


def test_numeric_columns_get_statistics_and_a_histogram():
    values = [float(i) for i in range(100)] + [None]
    prof = profile.compute(pl.DataFrame({"x": values}), bins=10)
    x = _col(prof, "x")
    assert prof["rows"] == 101
    assert (x["kind"], x["nulls"], x["distinct"]) == ("numeric", 1, 100)  # distinct non-nulls
    assert (x["min"], x["max"], x["mean"]) == (0.0, 99.0, 49.5)
    assert x["std"] == pytest.approx(29.011, abs=1e-3)
    assert x["quantiles"]["0.5"] == pytest.approx(49.5)
    hist = x["histogram"]
    assert len(hist["edges"]) == 11 and hist["edges"][0] == 0.0 and hist["edges"][-1] == 99.0
    assert hist["counts"] == [10] * 10  # nulls are not counted; the max lands in the last bin


def test_nan_and_infinity_are_not_numbers_in_the_statistics():
    x = _col(profile.compute(pl.DataFrame({"x": [1.0, float("nan"), 3.0]})), "x")
    assert x["mean"] == 2.0 and sum(x["histogram"]["counts"]) == 2
    y = _col(profile.compute(pl.DataFrame({"y": [1.0, float("inf")]})), "y")
    assert y["max"] is None and y["histogram"] is None


def test_a_constant_column_has_one_bin():
    x = _col(profile.compute(pl.DataFrame({"x": [5, 5, 5]})), "x")
    assert x["histogram"] == {"edges": [5.0, 5.0], "counts": [3]}


def test_text_columns_keep_their_most_frequent_values():
    df = pl.DataFrame({"s": ["a", "b", "a", None, "c", "a", "b"]})
    s = _col(profile.compute(df, top=2), "s")
    assert s["kind"] == "text" and s["nulls"] == 1
    assert s["null_fraction"] == pytest.approx(1 / 7)
    assert s["top_values"] == [{"value": "a", "count": 3}, {"value": "b", "count": 2}]


def test_dates_get_their_range():
    df = pl.DataFrame({"d": [dt.date(2026, 1, 5), dt.date(2026, 3, 1)]})
    d = _col(profile.compute(df), "d")
    assert (d["kind"], d["min"], d["max"]) == ("temporal", "2026-01-05", "2026-03-01")


def test_all_null_and_boolean_columns_do_not_break_the_profile():
    df = pl.DataFrame({"n": pl.Series([None, None], dtype=pl.Float64), "b": [True, False]})
    prof = profile.compute(df)
    n = _col(prof, "n")
    assert n["nulls"] == 2 and n["mean"] is None and n["histogram"] is None
    top = _col(prof, "b")["top_values"]
    assert sorted((t["value"], t["count"]) for t in top) == [("False", 1), ("True", 1)]
