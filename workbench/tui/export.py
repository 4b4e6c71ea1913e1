"""A table written to a file, as `ctrl+e` exports it: CSV, or JSON when the name ends .json."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

from .views import Table

CAP = 100_000  # rows at most in one export: a filter's 100,000 runs, not a runaway file


def default_name(area: str, now: datetime | None = None) -> str:
    """`wb-runs-20261203-163000.csv`: the area, and when, in the current folder."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"wb-{'-'.join(area.split())}-{stamp}.csv"


def write(table: Table, path: Path, key_column: str | None = None) -> int:
    """The table's rows as the screen shows them, but `key_column` (a shortened id) holds the
    whole key; how many rows were written."""
    at = table.columns.index(key_column) if key_column in table.columns else None
    rows = [
        [key if i == at else cell for i, cell in enumerate(row)]
        for row, key in zip(table.rows, table.keys, strict=True)
    ]
    if path.suffix.lower() == ".json":
        records = [dict(zip(table.columns, row, strict=True)) for row in rows]
        path.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    else:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(table.columns)
            writer.writerows(rows)
    return len(rows)
