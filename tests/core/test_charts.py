"""Terminal charts: they fit the width they are given, and each draw starts afresh."""

from __future__ import annotations

import re

import pytest

from workbench.charts import bars_side_by_side, line_chart

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _widest(text: str) -> int:
    return max(len(ANSI.sub("", line)) for line in text.splitlines())


@pytest.mark.parametrize("width", [40, 61, 76, 77, 150])
def test_side_by_side_bars_fit_their_width(width):
    drawn = bars_side_by_side(
        {"reference": [0.1, 0.5, 0.4], "current": [0.4, 0.5, 0.1]}, ["a", "b", "c"], width, 10
    )
    assert _widest(drawn) <= width
    assert "reference" in drawn and "current" in drawn


def test_a_chart_drawn_after_side_by_side_bars_is_one_chart():
    bars_side_by_side({"reference": [1.0], "current": [1.0]}, ["a"], 60, 8)
    alone = line_chart("rmse", {"run": [(1, 3.0), (2, 2.0)]}, 40, 8)
    assert _widest(alone) <= 40 and alone.count("rmse") == 1
