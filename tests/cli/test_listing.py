"""`output.listing`: a term and what it is, the text wrapped under its own column within the
terminal's width, with no padding after it (what `wb demo` prints as its "try:" list)."""

from __future__ import annotations

import io

from rich.console import Console

from workbench.cli import output


def test_a_listing_wraps_each_text_under_its_column_within_the_width(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(output, "stdout", Console(file=screen, width=40, highlight=False))
    output.listing(
        [("wb drift list", "the weekly drift reports, newest first, with their verdicts"), ("wb", "ui")]
    )
    lines = screen.getvalue().splitlines()
    assert lines == [
        "  wb drift list  the weekly drift",  # 40 columns: 23 left for the text
        "                 reports, newest first,",
        "                 with their verdicts",
        "  wb             ui",
    ]
