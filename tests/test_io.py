"""Library I/O: writes are atomic, reads name the file, line and column of a problem."""

import json

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


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("old\n")

    def killed_mid_write():
        with io.atomic_path(path) as tmp:
            tmp.write_text("half a fi")
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        killed_mid_write()
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
