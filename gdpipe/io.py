"""Every file gdpipe reads or writes goes through here. Writes are atomic (a hidden temporary file
beside the target, renamed over it when complete), so a killed job never leaves a file that looks
finished; reads of tables are checked (a bad file gives a DataError naming file, row and column).
"""

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gdpipe.errors import DataError

_UMASK = os.umask(0)  # read the only way there is: by setting it, then putting it back
os.umask(_UMASK)


def _remake(path: Path) -> str:
    # Deleting a damaged file is not enough when everything after it is up to date: Snakemake
    # re-makes the file alone, and the same bytes leave the rest current.
    return f"make it again with `snakemake --cores all --force {path}`"


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A job killed mid-write leaves its temporary file; the next writer of `path` removes it
    # (one job owns each output, so no live writer is disturbed).
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    tmp.chmod(0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the permissions open() would
    try:
        yield tmp
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, record: dict) -> None:
    # JSON has no NaN or Infinity: a diverged run's numbers become null.
    record = json.loads(json.dumps(record), parse_constant=lambda _: None)
    write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")


def write_table(path: str | Path, frame: pd.DataFrame, na_rep: str = "nan") -> None:
    """Write a DataFrame as CSV, floats in shortest round-trip form: bytes depend on values only."""
    write_text(path, frame.to_csv(index=False, lineterminator="\n", na_rep=na_rep))


def save_figure(path: str | Path, figure) -> None:
    """Render a matplotlib figure to PNG with no version or date metadata."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    write_bytes(path, buffer.getvalue())


def read_json(path: str | Path) -> dict:
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: not a readable JSON file ({err})") from err
    if not isinstance(record, dict):
        raise DataError(f"{path}: expected a JSON object, got {type(record).__name__}")
    return record


def parse_floats(texts: Sequence[str]) -> np.ndarray:
    """Each text's double, correctly rounded as Python's float, so a table reads back the very
    floats written; NaN where a text is no number. Not pd.to_numeric: some pandas releases parse
    inexactly (3.0.6 reads 0.9400000000000001 as 0.94), changing every result downstream."""
    try:
        return np.asarray(texts, dtype=np.str_).astype(np.float64)
    except ValueError:  # some cell is not a number: find which, one by one
        numbers = np.full(len(texts), np.nan)
        for i, text in enumerate(texts):
            with contextlib.suppress(ValueError):
                numbers[i] = float(text)
        return numbers


def read_table(
    path: str | Path,
    columns: Sequence[str],
    min_rows: int = 1,
    text_columns: Sequence[str] = (),
    nonfinite_columns: Sequence[str] = (),
    rows: tuple[int, str] | None = None,
    empty_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a CSV that must hold exactly `columns`, at least `min_rows` rows, and finite numbers
    in every column but `text_columns`, `nonfinite_columns` (nan and inf: a diverged model's
    predictions) and `empty_columns` (empty cells read as NaN). `rows`: (the exact row count,
    the params that imply it). With the csv module, not pandas, which quietly turns an extra
    field into an index and a short row into NaN; a file without a final newline was cut short.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        text = path.read_bytes().decode("utf-8")  # as written: no newline translation
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: not a readable CSV file ({err})") from err
    columns = list(columns)
    head, _, body = text.partition("\n")
    numbers = None if text_columns or not body else _numbers(body, len(columns))
    if numbers is not None and text.endswith("\n") and head.rstrip("\r") == ",".join(columns):
        frame = pd.DataFrame(numbers, columns=columns)
    else:  # something is off, or text: read it cell by cell and name the first fault
        frame = _cells(path, text, columns, text_columns, nonfinite_columns, empty_columns)
    if len(frame) < min_rows:
        raise DataError(f"{path}: {len(frame)} rows; at least {min_rows} needed")
    if rows is not None and len(frame) != rows[0]:
        raise DataError(
            f"{path}: {len(frame)} rows, but {rows[1]} make {rows[0]}: the file is damaged or "
            f"was made with other params; {_remake(path)}"
        )
    return frame


def _numbers(body: str, n_columns: int) -> np.ndarray | None:
    """The rows of a table of finite numbers as (rows, n_columns) float64; None where any field
    is not one. numpy's C reader: 4x faster than the csv module on a million starts, and each
    field is the correctly rounded double, as float() gives (checked on 1.3e6 texts)."""
    try:
        numbers = np.loadtxt(
            io.StringIO(body), dtype=np.float64, delimiter=",", comments=None, ndmin=2
        )
    except ValueError:
        return None
    # loadtxt skips blank lines and takes nan and inf: the cell-by-cell reader judges those.
    if numbers.shape != (body.count("\n"), n_columns) or not np.isfinite(numbers).all():
        return None
    return numbers


def _cells(path, text, columns, text_columns, nonfinite_columns, empty_columns) -> pd.DataFrame:
    """read_table's table from the csv module, each cell checked: the first fault is named."""
    try:
        table = list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        raise DataError(f"{path}: not a readable CSV file ({err})") from err
    if not table:
        raise DataError(f"{path}: empty file; expected a header line {','.join(columns)}")
    if not text.endswith("\n"):
        raise DataError(f"{path}: no newline at the end: the file was cut short; {_remake(path)}")
    header, *rows_read = table
    if header != columns:
        raise DataError(f"{path}: expected columns {', '.join(columns)}; found {', '.join(header)}")
    for line, row in enumerate(rows_read, start=2):
        if len(row) != len(columns):
            raise DataError(f"{path}: line {line}: {len(row)} fields, expected {len(columns)}")
    frame = pd.DataFrame(rows_read, columns=columns, dtype=object)
    for column in columns:
        cells = frame[column]
        if column in text_columns:
            frame[column] = cells.astype(str)
            continue
        numbers = parse_floats(cells.tolist())
        valid = np.isfinite(numbers)
        if column in nonfinite_columns:
            valid |= cells.isin(["nan", "inf", "-inf"]).to_numpy()
        if column in empty_columns:
            valid |= (cells == "").to_numpy()
        if not valid.all():
            row = int(np.argmin(valid))  # the first bad one; its line counts the header, from 1
            raise DataError(
                f"{path}: line {row + 2}, column {column}: {cells[row]!r} is not a finite number"
            )
        frame[column] = numbers
    return frame
