"""Reading a file bigger than memory: one pass over polars' streaming batches.

`read_in_batches` hands every batch, typed as a whole read types the file, to its sinks: the
profiler here, and a contract's checks (contract_stream.py). `profile_file` gives the schema
and the profile `profile.compute` would give for the whole file, in memory bounded by a budget
instead of by the file's size. Counts, nulls, min, max, means and standard deviations stay
exact (moments merge across batches), and so do the counts of values in another profile's bins
(`count_in`, what a drift check compares); quantiles, the histogram, the drift sketch and drift
bins come from a KLL sketch, and distinct counts past DISTINCT_EXACT_CAP from a HyperLogLog;
text category counts past CATEGORY_CAP keep the most frequent. Each column's "approximate"
lists which of its statistics are estimates, and the profile says "streamed": true.

One pass, not two: an exact histogram would need a second read once min and max are known,
and the sketch's counts are within its rank error anyway.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import polars as pl

from ..errors import InvalidInput
from . import profile, tabular, trees
from .sketches import (
    DISTINCT_EXACT_CAP,
    DistinctCounter,
    Moments,
    QuantileSketch,
    weighted_counts_below,
    weighted_quantiles,
)

CATEGORY_CAP = 100_000  # distinct text values counted exactly; past it, the most frequent
ROW_BYTES_FLOOR = 16  # an in-memory row costs at least this, however short its text
BATCHES_IN_BUDGET = 8  # a batch is this share of the budget: polars and the sketches need room
READ_CHUNK_FLOOR = 256 * 1024  # bytes of the file polars parses at once, at least...
READ_CHUNK_CEILING = 4 * 2**20  # ...and at most (more buys no speed)
READ_PREFETCH = 4  # chunks read ahead
FAST_PATH_SHARE = 3  # a whole read needs about the file's size, and sorting a column as much again


def fits_in_memory(size: int, budget_mb: int) -> bool:
    """Whether reading a file of `size` bytes whole stays within the budget (then a whole read,
    faster and exact throughout, is the way)."""
    return size * FAST_PATH_SHARE <= budget_mb * 2**20


def chunk_rows(path: Path | trees.Tree, fmt: str, budget_mb: int) -> int:
    """Rows per batch: a share of the budget over the bytes a row takes in the file."""
    if isinstance(path, trees.Tree) or fmt == "parquet":
        row_bytes = 64.0  # compressed columns: a guess (a batch is rows in memory, not on disk)
    else:
        with open(path, "rb") as f:
            head = f.read(tabular.SNIFF_BYTES)
        row_bytes = len(head) / max(1, head.count(b"\n"))
    per_batch = budget_mb * 2**20 / BATCHES_IN_BUDGET
    return max(1_000, int(per_batch / max(row_bytes * 2, ROW_BYTES_FLOOR)))


class _DateMismatch(Exception):
    """A column the first batch read as dates holds a value later that is not one."""

    def __init__(self, column: str):
        self.column = column


@contextlib.contextmanager
def _bounded_reads(budget_mb: int) -> Iterator[None]:
    """Polars' streaming readers prefetch raw chunks of the file well ahead of the batches they
    hand out (about 1.2 x the file in memory, measured with polars 2.1): cap the chunk size and
    how many are prefetched, so that they hold a share of the budget. A user's own setting of
    these variables wins."""
    chunk = max(READ_CHUNK_FLOOR, min(READ_CHUNK_CEILING, budget_mb * 2**20 // 16))
    settings = {
        "POLARS_CSV_CHUNK_SIZE": chunk,
        "POLARS_CSV_CHUNK_PREFETCH_LIMIT": READ_PREFETCH,
        "POLARS_NDJSON_CHUNK_SIZE": chunk,
        "POLARS_NDJSON_CHUNK_PREFETCH_LIMIT": READ_PREFETCH,
        "POLARS_ROW_GROUP_PREFETCH_SIZE": READ_PREFETCH,
    }
    ours = {k: str(v) for k, v in settings.items() if k not in os.environ}
    os.environ.update(ours)
    try:
        yield
    finally:
        for key in ours:
            os.environ.pop(key, None)


class Sink(Protocol):
    """Something that takes every batch of a pass (a profiler, a contract's checks)."""

    def reset(self) -> None:
        """Forget what earlier batches gave: the pass starts again."""

    def update(self, batch: pl.DataFrame) -> None: ...


@dataclass(frozen=True)
class Pass:
    """What a pass over the whole file found: its columns (as typed) and rows."""

    schema: pl.Schema
    rows: int


def read_in_batches(path: Path | trees.Tree, fmt: str, budget_mb: int, sinks: Sequence[Sink]) -> Pass:
    """Hand every batch of the file, typed as `tabular.read_table` types it, to each sink. A
    value past the type inference window that disagrees with the inferred type starts the pass
    again with types inferred from every row, as `read_table` does; a column whose later values
    are not all dates stays text. Each new pass resets the sinks."""
    rows = chunk_rows(path, fmt, budget_mb)
    infer: int | None = 10_000
    text_only: set[str] = set()
    while True:
        for sink in sinks:
            sink.reset()
        try:
            with _bounded_reads(budget_mb):
                schema, n = _one_pass(path, fmt, rows, infer, text_only, sinks)
            return Pass(schema, n)
        except _DateMismatch as exc:
            text_only.add(exc.column)
        except pl.exceptions.ComputeError as exc:
            text = str(exc)
            if fmt in ("csv", "tsv") and "more fields than defined" in text:
                _ragged(path, fmt)
            if infer is None or fmt not in ("csv", "tsv") or "could not parse" not in text:
                raise tabular.unreadable(path, fmt, exc) from None
            infer = None
        except pl.exceptions.NoDataError:
            raise InvalidInput(f"{path} is empty") from None
        except (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError, ValueError) as exc:
            raise tabular.unreadable(path, fmt, exc) from None


def profile_file(
    path: Path | trees.Tree,
    fmt: str,
    *,
    budget_mb: int,
    bins: int,
    top: int,
    count_in: dict[str, list[list[float]]] | None = None,
    also: Sequence[Sink] = (),
) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """(schema, profile) of the file, read in batches, as `profile.compute` gives them (with
    its `count_in`: those counts are exact). The sinks in `also` see the same batches."""
    profiler = Profiler(count_in or {})
    done = read_in_batches(path, fmt, budget_mb, [profiler, *also])
    schema = [{"name": name, "dtype": str(dtype)} for name, dtype in done.schema.items()]
    return schema, profiler.result(bins, top)


def _one_pass(
    path: Path | trees.Tree,
    fmt: str,
    rows: int,
    infer: int | None,
    text_only: set[str],
    sinks: Sequence[Sink],
) -> tuple[pl.Schema, int]:
    schema: pl.Schema | None = None
    dates: dict = {}
    n = last_nulls = 0
    source = (
        trees.batches(path, rows)
        if isinstance(path, trees.Tree)
        else tabular.scan_batches(path, fmt, rows, infer)
    )
    for batch in source:
        if schema is None and fmt in ("csv", "tsv", "jsonl"):  # Parquet has its own dates (as read_table)
            dates = {k: v for k, v in tabular.date_columns(batch).items() if k not in text_only}
        converted = []
        for name, convert in dates.items():
            try:
                converted.append(convert(batch.get_column(name)))
            except pl.exceptions.PolarsError:
                raise _DateMismatch(name) from None
        batch = batch.with_columns(converted) if converted else batch
        if schema is None:
            schema = batch.schema
        elif batch.schema != schema:
            raise InvalidInput(f"a batch of the file has other column types ({batch.schema}) than its first")
        n += batch.height
        if batch.width:
            last_nulls += batch.get_column(batch.columns[-1]).null_count()
        for sink in sinks:
            sink.update(batch)
    if schema is None or n == 0:
        what = "a header but no data rows" if fmt in ("csv", "tsv") else "no rows"
        raise InvalidInput(f"{path} has {what}")
    if not schema:
        raise InvalidInput(f"{path} has no columns")
    if fmt in ("csv", "tsv") and len(schema) > 1 and last_nulls:
        # polars pads a short row with nulls: a closer (streaming, slower) look at the rows.
        _ragged(path, fmt)
    return schema, n


def _ragged(path: Path | trees.Tree, fmt: str) -> None:
    assert isinstance(path, Path)  # a CSV or TSV file: a folder is Parquet files
    tabular.raise_ragged(path, "\t" if fmt == "tsv" else ",")


class Profiler:
    """What the profile needs of every batch, merged as batches arrive."""

    def __init__(self, count_in: dict[str, list[list[float]]]):
        self.count_in = count_in
        self.reset()

    def reset(self) -> None:
        self.schema = pl.Schema()
        self.rows = 0
        self.columns: dict[str, _Column] = {}

    def update(self, batch: pl.DataFrame) -> None:
        if not self.columns:
            self.schema = batch.schema
            self.columns = {
                name: _Column(profile.column_kind(dtype), self.count_in.get(name, []))
                for name, dtype in batch.schema.items()
            }
        self.rows += batch.height
        # One query per column, run together on polars' threads (the text columns' counts
        # are much of a pass's work: one column after another, they kept one core busy).
        lf = batch.lazy()
        frames = pl.collect_all([col.query(lf, name) for name, col in self.columns.items()])
        for (name, col), frame in zip(self.columns.items(), frames, strict=True):
            col.update(batch.get_column(name).null_count(), frame)

    def result(self, bins: int, top: int) -> dict[str, Any]:
        columns = []
        for (name, dtype), col in zip(self.schema.items(), self.columns.values(), strict=True):
            out: dict[str, Any] = {
                "name": name,
                "dtype": str(dtype),
                "kind": col.kind,
                "nulls": col.nulls,
                "null_fraction": col.nulls / self.rows if self.rows else 0.0,
            }
            out.update(col.result(bins, top))
            # An estimate can overshoot: never more values than the column holds.
            out["distinct"] = min(out["distinct"], self.rows - col.nulls)
            columns.append(out)
        return {"rows": self.rows, "columns": columns, "streamed": True}


class _Column:
    def __init__(self, kind: str, count_in: list[list[float]]):
        self.kind = kind
        # Another profile's bin edges to count the finite values in (exactly: counts add up).
        self.count_edges = [np.asarray(edges, dtype=np.float64) for edges in count_in]
        self.counts_in = [np.zeros(edges.size + 1, dtype=np.int64) for edges in self.count_edges]
        self.nulls = 0
        # Text counts its values exactly until pruned: only the estimate is needed after.
        self.distinct = DistinctCounter(exact_cap=0 if kind in ("text", "boolean") else DISTINCT_EXACT_CAP)
        # numeric: exact moments, extremes, a sketch
        self.moments = Moments()
        self.lo: Any = None
        self.hi: Any = None
        self.sketch = QuantileSketch()
        self.small_counts: dict[float, int] | None = {}  # numeric values, while they are few
        # text and boolean: counts of each value, the most frequent past CATEGORY_CAP
        self.counts = pl.DataFrame(schema={"value": pl.String, "n": pl.Int64})
        self.pruned = False

    def query(self, batch: pl.LazyFrame, name: str) -> pl.LazyFrame:
        """What `update` needs of this column in a batch: the numbers but NaN, the counts of
        each text value, or a date's extremes and its values' hashes."""
        values = pl.col(name).drop_nulls()
        if self.kind == "numeric":
            numbers = values.cast(pl.Float64)
            return batch.select(numbers.filter(numbers.is_not_nan()).alias("value"))
        if self.kind in ("text", "boolean"):
            # str() of each value, as profile.compute keys them (True, not polars' true)
            keys = values.cast(pl.String)
            if self.kind == "boolean":
                keys = keys.replace_strict({"true": "True", "false": "False"})
            return batch.select(keys.alias("value")).group_by("value").len(name="n")
        return batch.select(
            values.min().alias("lo"), values.max().alias("hi"), values.unique().hash(seed=0).implode()
        )

    def update(self, nulls: int, frame: pl.DataFrame) -> None:
        self.nulls += nulls
        if self.kind == "numeric":
            # polars' sort on one thread: several times numpy's here, and the other core parses
            array = frame.get_column("value").sort(multithreaded=False).to_numpy()
            uniques = array[np.r_[True, array[1:] != array[:-1]]] if array.size else array
            self._numeric(array, uniques)
            self.distinct.update(pl.Series(uniques).hash(seed=0).to_numpy())
        elif self.kind in ("text", "boolean"):
            batch = frame.with_columns(pl.col("n").cast(pl.Int64))
            merged = pl.concat([self.counts, batch]).group_by("value").agg(pl.col("n").sum())
            if merged.height > CATEGORY_CAP:
                merged, self.pruned = merged.sort("n", descending=True).head(CATEGORY_CAP // 2), True
            self.counts = merged
            self.distinct.update(batch.get_column("value").hash(seed=0).to_numpy())
        else:
            lo, hi, hashes = frame.row(0)
            if lo is not None:
                self.lo = lo if self.lo is None else min(self.lo, lo)
                self.hi = hi if self.hi is None else max(self.hi, hi)
            self.distinct.update(np.asarray(hashes, dtype=np.uint64))

    def _numeric(self, array: np.ndarray, uniques: np.ndarray) -> None:
        """Merge a batch's finite numbers, sorted (`uniques`: each once)."""
        n = array.size
        if n == 0:
            return
        self.moments.update(array)
        lo, hi = float(array[0]), float(array[-1])
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)
        self.sketch.update(array)
        if self.count_edges:
            finite = array[np.searchsorted(array, -np.inf, side="right") : np.searchsorted(array, np.inf)]
            for edges, counts in zip(self.count_edges, self.counts_in, strict=True):
                below = np.searchsorted(finite, edges, side="left")  # as profile.bin_counts
                counts += np.diff(below, prepend=0, append=finite.size)
        if self.small_counts is not None and uniques.size <= profile.MAX_NUMERIC_CATEGORIES:
            starts = np.searchsorted(array, uniques, side="left")
            counts = np.diff(starts, append=n)
            for value, count in zip(uniques.tolist(), counts.tolist(), strict=True):
                self.small_counts[value] = self.small_counts.get(value, 0) + count
            if len(self.small_counts) > profile.MAX_NUMERIC_CATEGORIES:
                self.small_counts = None
        else:
            self.small_counts = None

    def result(self, bins: int, top: int) -> dict[str, Any]:
        approximate = ["distinct"] if self.distinct.approximate else []
        if self.kind == "numeric":
            return self._numeric_result(bins, approximate)
        if self.kind in ("text", "boolean"):
            ranked = self.counts.sort(["n", "value"], descending=[True, False]).rows()
            approximate = ["distinct", "top_values", "category_counts"] if self.pruned else []
            return {
                "distinct": self.distinct.count() if self.pruned else len(ranked),
                "top_values": [{"value": v, "count": n} for v, n in ranked[:top]],
                "category_counts": dict(ranked[: profile.MAX_CATEGORY_COUNTS]),
                "approximate": approximate,
            }
        out: dict[str, Any] = {"distinct": self.distinct.count()}
        if self.kind == "temporal":
            out["min"] = profile._iso(self.lo)
            out["max"] = profile._iso(self.hi)
        out["approximate"] = approximate
        return out

    def _numeric_result(self, bins: int, approximate: list[str]) -> dict[str, Any]:
        m = self.moments
        out: dict[str, Any] = {
            "distinct": self.distinct.count(),
            "min": None,
            "max": None,
            "mean": profile._num(m.mean) if m.n else None,
            "std": profile._num(math.sqrt(m.m2 / (m.n - 1))) if m.n > 1 else None,
            "quantiles": dict.fromkeys(str(q) for q in profile.QUANTILES),
            "histogram": None,
        }
        if m.n:
            out["min"], out["max"] = profile._num(self.lo), profile._num(self.hi)
            if self.count_edges:
                out["counts_in"] = [counts.tolist() for counts in self.counts_in]
            if self.small_counts is not None:  # few values: every rank is known exactly
                out["category_counts"] = {profile._category_key(v): n for v, n in self.small_counts.items()}
                items = np.array(sorted(self.small_counts), dtype=np.float64)
                ranks = items, np.cumsum([self.small_counts[v] for v in items])
            else:
                ranks = self.sketch.weighted()
                if self.sketch.rank_error():
                    approximate = [*approximate, "quantiles", "histogram", "sketch", "drift_bins"]
            quantiles = functools.partial(weighted_quantiles, *ranks)
            out["quantiles"] = {
                str(q): profile._num(v)
                for q, v in zip(profile.QUANTILES, quantiles(list(profile.QUANTILES)), strict=True)
            }
            if math.isfinite(self.lo) and math.isfinite(self.hi):
                below = functools.partial(weighted_counts_below, *ranks)
                out["histogram"] = self._histogram(bins, below)
                out["sketch"] = quantiles(
                    [(i + 0.5) / profile.SKETCH_POINTS for i in range(profile.SKETCH_POINTS)]
                )
                edges = sorted(set(quantiles([i / profile.DRIFT_BINS for i in range(1, profile.DRIFT_BINS)])))
                out["drift_bins"] = {"edges": edges, "counts": self._bin_counts(edges, below)}
        out["approximate"] = approximate
        return out

    def _bin_counts(self, inner_edges: list[float], below: Callable[[list[float]], list[int]]) -> list[int]:
        bounds = [0, *below(inner_edges), self.moments.n]
        return [b - a for a, b in pairwise(bounds)]

    def _histogram(self, bins: int, below: Callable[[list[float]], list[int]]) -> dict[str, list]:
        """As profile.histogram: `bins` equal-width bins over [min, max], the last holding max."""
        lo, hi = self.lo, self.hi
        if hi == lo:
            return {"edges": [lo, hi], "counts": [self.moments.n]}
        width = (hi - lo) / bins
        edges = [lo + i * width for i in range(bins)] + [hi]
        return {"edges": edges, "counts": self._bin_counts(edges[1:-1], below)}
