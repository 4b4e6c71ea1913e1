"""Reading the tabular files wb versions (CSV, Parquet, JSON Lines) into polars frames.

Every way a file can be unusable becomes one InvalidInput sentence naming the file.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..errors import InvalidInput
from ..names import plural

if TYPE_CHECKING:
    from .trees import Tree

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
FORMAT_NAMES = {
    "csv": "CSV",
    "tsv": "TSV",
    "parquet": "Parquet",
    "jsonl": "JSON Lines",
    "parquet_dir": "partitioned Parquet",  # trees.FORMAT: a folder of Parquet files
}
SNIFF_BYTES = 64 * 1024
PARQUET_MAGIC = b"PAR1"


def check_readable(path: Path) -> int:
    """The file's size, once it is known to be a readable, non-empty regular file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InvalidInput(f"{path} does not exist") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if info.st_size == 0:
        raise InvalidInput(f"{path} is empty")
    return info.st_size


def detect_format(path: Path) -> str:
    """The format from the extension, else from the first bytes."""
    head = _head(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        if head.startswith(PARQUET_MAGIC):
            fmt = "parquet"
        elif head.lstrip().startswith(b"{"):
            fmt = "jsonl"
        elif path.suffix:
            raise InvalidInput(
                f"{path} has an unsupported type ({path.suffix}); wb reads CSV, TSV, Parquet and JSON Lines"
            )
        else:
            fmt = "csv"
    if fmt == "parquet":
        if not head.startswith(PARQUET_MAGIC):
            raise InvalidInput(f"{path} is not a Parquet file")
    else:
        _check_text(path, head, fmt)
    return fmt


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(SNIFF_BYTES)


def _check_text(path: Path, head: bytes, fmt: str) -> None:
    if b"\x00" in head:
        raise InvalidInput(f"{path} is not a {FORMAT_NAMES[fmt]} file (it holds binary data)")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sniff window is fine; anything else is not UTF-8.
        if exc.start < len(head) - 3:
            raise InvalidInput(f"{path} is not UTF-8 text; wb reads UTF-8 {FORMAT_NAMES[fmt]}") from None


def read_table(path: Path, fmt: str) -> pl.DataFrame:
    """The whole file as a DataFrame with at least one row. `path` is that file, never a
    pattern: polars would take `week[1].csv` for a glob (glob=False, or an open file)."""
    try:
        if fmt in ("csv", "tsv"):
            df = _read_csv(path, "\t" if fmt == "tsv" else ",")
        elif fmt == "parquet":
            df = pl.read_parquet(path, glob=False)
        else:
            df = _read_ndjson(path)
    except InvalidInput:
        raise
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError, ValueError) as exc:
        raise unreadable(path, fmt, exc) from None
    if df.width == 0:
        raise InvalidInput(f"{path} has no columns")
    if df.height == 0:
        what = "a header but no data rows" if fmt in ("csv", "tsv") else "no rows"
        raise InvalidInput(f"{path} has {what}")
    return df


def scan_batches(
    path: Path, fmt: str, chunk_rows: int, infer_schema_length: int | None
) -> Iterator[pl.DataFrame]:
    """The file in batches of about `chunk_rows` rows from polars' streaming engine, typed as
    `read_table` types them except for dates (see `date_columns`). Read errors are polars'
    own: the caller decides which to retry."""
    if fmt in ("csv", "tsv"):
        lf = pl.scan_csv(
            path,
            separator="\t" if fmt == "tsv" else ",",
            truncate_ragged_lines=False,
            raise_if_empty=True,
            glob=False,
            infer_schema_length=infer_schema_length,
        )
    elif fmt == "parquet":
        lf = pl.scan_parquet(path, glob=False)
    else:
        # scan_ndjson has no glob=False: a name polars would take for a pattern goes as a file.
        source = open(path, "rb") if any(c in str(path) for c in "*?[{") else path
        lf = pl.scan_ndjson(source, infer_schema_length=10_000)
    yield from lf.collect_batches(chunk_size=chunk_rows)


def unreadable(path: Path | Tree, fmt: str, exc: BaseException) -> InvalidInput:
    """The one sentence a polars error reading `path` becomes."""
    return InvalidInput(f"cannot read {path} as {FORMAT_NAMES[fmt]}: {_first_line(exc)}")


def _read_csv(path: Path, separator: str) -> pl.DataFrame:
    # Dates are found afterwards (parse_dates), not by polars' try_parse_dates, which tries
    # date formats on every text cell of the 10,000-row inference sample: 2x the whole read.
    read = functools.partial(
        pl.read_csv, path, separator=separator, truncate_ragged_lines=False, raise_if_empty=True, glob=False
    )
    try:
        df = read(infer_schema_length=10_000)
    except pl.exceptions.NoDataError:
        raise InvalidInput(f"{path} is empty") from None
    except pl.exceptions.ComputeError as exc:
        text = str(exc)
        if "more fields than defined" in text:
            raise_ragged(path, separator)
        if "could not parse" not in text:
            raise
        # A value past the inference window disagrees with the inferred type: infer from all rows.
        df = read(infer_schema_length=None)
    # polars pads a short row with nulls; only then is a closer look at field counts needed.
    if df.width > 1 and df.get_column(df.columns[-1]).null_count():
        _check_field_counts(path, separator, df.width)
    return parse_dates(df)


def _read_ndjson(path: Path) -> pl.DataFrame:
    # polars' read_ndjson has no glob=False: handed the open file, it cannot take a name with
    # `[`, `*`, `?` or `{` for a pattern (and read another file, or none).
    with open(path, "rb") as f:
        return parse_dates(pl.read_ndjson(f, infer_schema_length=10_000))


ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"
DATE_SAMPLE = 1000


def parse_dates(df: pl.DataFrame) -> pl.DataFrame:
    """Text columns whose every value is an ISO date (or date and time) become dates: in CSV
    and in JSON Lines alike (which has no date type), so that a model trained on one scores
    the other."""
    converted = []
    for name, convert in date_columns(df).items():
        try:
            converted.append(convert(df.get_column(name)))
        except pl.exceptions.PolarsError:
            pass  # a later value is not a date after all: the column stays text
    return df.with_columns(converted) if converted else df


def date_columns(df: pl.DataFrame) -> dict[str, Callable[[pl.Series], pl.Series]]:
    """The text columns whose first DATE_SAMPLE values all read as ISO dates (or dates and
    times), each with the conversion that makes it one (which may still fail on a later value)."""
    found: dict[str, Callable[[pl.Series], pl.Series]] = {}
    for name, dtype in df.schema.items():
        if dtype != pl.String:
            continue
        sample = df.get_column(name).drop_nulls().head(DATE_SAMPLE)
        if sample.len() == 0:
            continue
        for pattern, convert in (
            (ISO_DATE, lambda c: c.str.to_date("%Y-%m-%d")),
            (ISO_DATETIME, lambda c: c.str.to_datetime()),
        ):
            if sample.str.contains(pattern).all():
                found[name] = convert
                break
    return found


def _check_field_counts(path: Path, separator: str, n_fields: int) -> None:
    """Raise if a row has fewer fields than the header. A fast pass counts separators outside
    quotes on each line; only if it finds a mismatch (which a quoted line break can also
    cause) does the exact, slower csv-module scan decide."""
    try:
        lines = (
            pl.read_csv(
                path,
                has_header=False,
                separator="\x1f",
                quote_char=None,
                new_columns=["line"],
                schema_overrides=[pl.String],
                infer_schema=False,
                glob=False,
            )
            .get_column("line")
            .drop_nulls()
        )
        fields = lines.str.replace_all(r'"[^"]*"', "").str.count_matches(separator, literal=True) + 1
        suspicious = bool((fields != n_fields).any())
    except pl.exceptions.PolarsError:
        suspicious = True
    if suspicious:
        raise_ragged(path, separator)


def raise_ragged(path: Path, separator: str) -> None:
    """Raise naming the first row whose field count differs from the header's; else return."""
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f, delimiter=separator)
        header = next(reader, [])
        for row in reader:
            if row and len(row) != len(header):
                raise InvalidInput(
                    f"{path} has ragged rows: line {reader.line_num} has {plural(len(row), 'field')}, "
                    f"the header has {len(header)}"
                )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].rstrip(".:")


def read_stored(data: bytes, fmt: str) -> pl.DataFrame:
    """A stored version's verified bytes as a DataFrame, read as `read_table` read them."""
    import io

    source = io.BytesIO(data)
    if fmt in ("csv", "tsv"):
        return parse_dates(
            pl.read_csv(source, separator="\t" if fmt == "tsv" else ",", infer_schema_length=None)
        )
    if fmt == "parquet":
        return pl.read_parquet(source)
    return parse_dates(pl.read_ndjson(source, infer_schema_length=10_000))
