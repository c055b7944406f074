"""Library I/O: writes are atomic, reads name the file, line and column of a problem."""

import json

import numpy as np
import pandas as pd
import pytest

from gdpipe import io
from gdpipe.errors import DataError


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "out" / "a.txt"
    io.write_text(path, "first\n")
    io.write_text(path, "second\n")
    assert path.read_text() == "second\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.txt"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "a.csv"
    path.write_text("old\n")

    def killed(fd):  # the temporary file holds the new bytes, not yet renamed onto the old
        raise RuntimeError("killed")

    monkeypatch.setattr(io.os, "fsync", killed)
    with pytest.raises(RuntimeError):
        io.write_text(path, "half a fi")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_written_files_get_normal_permissions(tmp_path):
    path = tmp_path / "a.txt"
    io.write_text(path, "x")
    assert path.stat().st_mode & 0o044 == 0o044  # readable by group and others, like open()


def test_json_writes_null_for_non_finite(tmp_path):
    path = tmp_path / "m.json"
    io.write_json(path, {"loss": float("nan"), "weight": 0.5, "status": "diverged"})
    assert json.loads(path.read_text()) == {"loss": None, "weight": 0.5, "status": "diverged"}


def test_table_round_trip_is_exact(tmp_path):
    frame = pd.DataFrame({"x": [0.1, 1 / 3, 1e-300], "y": [2.0, -0.0, 123456789.123456789]})
    io.write_table(tmp_path / "t.csv", frame)
    pd.testing.assert_frame_equal(io.read_table(tmp_path / "t.csv", ["x", "y"]), frame)


BAD_TABLES = [
    ("missing", None, r"missing\.csv: file not found"),
    ("empty", "", r"empty\.csv: empty file; expected a header line x,y"),
    ("columns", "a,b\n1,2\n", r"columns\.csv: expected columns x, y; found a, b"),
    ("text", "x,y\n1,2\n3,abc\n", r"text\.csv: line 3, column y: 'abc' is not a finite number"),
    ("nan", "x,y\n1,nan\n", r"nan\.csv: line 2, column y: 'nan' is not a finite number"),
    ("inf", "x,y\ninf,1\n", r"inf\.csv: line 2, column x: 'inf' is not a finite number"),
    ("blank", "x,y\n1,\n", r"blank\.csv: line 2, column y: '' is not a finite number"),
    ("short", "x,y\n1,2\n", r"short\.csv: 1 rows; at least 2 needed"),
    ("long_row", "x,y\n1,2,3\n4,5\n", r"long_row\.csv: line 2: 3 fields, expected 2"),
    ("short_row", "x,y\n1,2\n4\n", r"short_row\.csv: line 3: 1 fields, expected 2"),
    ("blank_line", "x,y\n1,2\n\n3,4\n", r"blank_line\.csv: line 3: 0 fields, expected 2"),
    ("quoted", 'x,y\n1,2\n"3",abc\n', r"quoted\.csv: line 3, column y: 'abc' is not a finite"),
    ("cut", "x,y\n1,2\n3,4", r"cut\.csv: no newline at the end: the file was cut short"),
    ("binary", b"\x89PNG\r\n\x1a\n\xff\xfe", r"binary\.csv: not a readable CSV file"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_TABLES, ids=[b[0] for b in BAD_TABLES])
def test_bad_tables_are_named(tmp_path, name, content, message):
    path = tmp_path / f"{name}.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(DataError, match=message):
        io.read_table(path, ["x", "y"], min_rows=2)


def test_writer_removes_temporary_files_of_a_killed_writer(tmp_path):
    path = tmp_path / "a.csv"
    (tmp_path / ".a.csv.k1ll3d.tmp").write_text("half")
    (tmp_path / ".b.csv.other.tmp").write_text("not ours")
    io.write_text(path, "whole\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".b.csv.other.tmp", "a.csv"]


# Doubles a parser gets wrong when it is not correctly rounded, or that need every digit.
AWKWARD = [
    0.1 + 0.2,
    5e-324,  # the smallest subnormal
    2.2250738585072014e-308,  # the smallest normal
    1.7976931348623157e308,  # the largest double
    -0.0,
    0.9400000000000001,  # pandas 3.0.6's to_numeric reads 0.94
    1 / 3,
    -1.2345678901234567e-100,
]


def _bits(values) -> bytes:
    return np.asarray(values, dtype=np.float64).tobytes()


def test_tables_read_back_the_exact_floats_written(tmp_path):
    random = np.random.default_rng(0)
    # 200,000 doubles spread over the whole range: random bit patterns that are finite.
    patterns = random.integers(0, 2**64, size=250_000, dtype=np.uint64).view(np.float64)
    values = np.concatenate([AWKWARD, patterns[np.isfinite(patterns)][:200_000]])
    path = tmp_path / "awkward.csv"
    io.write_table(path, pd.DataFrame({"x": values}))
    back = io.read_table(path, ["x"])["x"].to_numpy()
    assert _bits(back) == _bits(values)
    assert np.signbit(back[AWKWARD.index(-0.0)])


def test_parse_floats_is_python_float_and_marks_text_as_nan():
    texts = ["0.9400000000000001", "5e-324", "-0.0", "abc", ""]
    parsed = io.parse_floats(texts)
    assert _bits(parsed[:3]) == _bits([float(t) for t in texts[:3]])
    assert np.isnan(parsed[3:]).all()


def test_reading_does_not_rest_on_the_pandas_parser(tmp_path, monkeypatch):
    # Some pandas releases parse numbers with a fast routine that is off in the last bit; mimic
    # one (15 significant digits) and the values must still come back exactly.
    def inexact(values, *args, **kwargs):
        return pd.Series([float(f"{float(v):.15g}") for v in values], dtype=np.float64)

    monkeypatch.setattr(pd, "to_numeric", inexact)
    path = tmp_path / "awkward.csv"
    io.write_table(path, pd.DataFrame({"x": AWKWARD}))
    assert _bits(io.read_table(path, ["x"])["x"]) == _bits(AWKWARD)
