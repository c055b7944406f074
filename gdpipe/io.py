"""Every file gdpipe reads or writes: atomic writes (a killed job leaves no finished-looking file)
and checked table reads (a DataError names file, row and column)."""

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gdpipe.errors import DataError

_UMASK = os.umask(0)  # read the only way there is: by setting it, then putting it back
os.umask(_UMASK)


def _remake(path: Path) -> str:
    # Not "delete it": with everything after it up to date, Snakemake would not re-make it.
    return f"make it again with `snakemake --cores all --force {path}`"


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, renamed onto `path` once complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A job killed mid-write leaves its temporary file; the next writer of `path` removes it
    # (one job owns each output, so no live writer is disturbed).
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600: the permissions open() gives
            handle.write(data)
            handle.flush()
            os.fsync(fd)
        Path(tmp).replace(path)
    finally:
        Path(tmp).unlink(missing_ok=True)


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
    """Each text's double as Python's float reads it (NaN if none): pd.to_numeric is inexact in
    some pandas releases (3.0.6 reads 0.9400000000000001 as 0.94)."""
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
    """A CSV of exactly `columns` and `min_rows` rows or more (`rows`: the exact count, the params
    implying it), finite numbers but in `text_columns`, `nonfinite_columns` and `empty_columns`."""
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
    """A table of finite numbers as float64, else None: numpy's reader, exact and 4x the csv's
    (pandas' is 7× faster, but pandas 3.0.6 rounds some numbers otherwise than 3.1.1)."""
    try:
        numbers = np.loadtxt(io.StringIO(body), delimiter=",", comments=None, ndmin=2)
    except ValueError:
        return None
    # loadtxt skips blank lines and takes nan and inf: the cell-by-cell reader judges those.
    whole = numbers.shape == (body.count("\n"), n_columns) and np.isfinite(numbers).all()
    return numbers if whole else None


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
