"""A step reads only the params keys it declares: Snakemake and DVC re-run a step when one of
them changes, so a key read but not declared would let a params change go unnoticed."""

import re

import pytest

from gdpipe.pipeline import UndeclaredKeyError, read_step_params
from tests.conftest import write_params


@pytest.fixture
def params_file(tmp_path, unit_params):
    path = tmp_path / "params.yaml"
    write_params(path, unit_params)
    return path


def test_a_step_reads_the_keys_it_declares(params_file):
    train = read_step_params(params_file, "train", "linear")
    assert (train.device, train.linear.lr, train.linear.batch_size) == ("cpu", 0.001, 1)
    # A property is computed through the view: linear.n_points reads start, end and step.
    assert read_step_params(params_file, "split_data", "linear").linear.n_points == 50


@pytest.mark.parametrize(
    ("step", "experiment", "surface", "read", "key"),
    [
        ("train", "linear", None, lambda p: p.linear.end, "linear.end"),
        ("train", "linear", None, lambda p: p.quadratic.lr, "quadratic.lr"),
        ("generate_data", "linear", None, lambda p: p.device, "device"),
        ("plot", "linear", None, lambda p: p.linear.n_points, "linear.end"),
        ("lab_run", "lab", "sincos", lambda p: p.lab.condition, "lab.condition"),  # the bowl's
    ],
)
def test_reading_a_key_the_step_does_not_declare_is_an_error(
    params_file, step, experiment, surface, read, key
):
    params = read_step_params(params_file, step, experiment, surface)
    with pytest.raises(UndeclaredKeyError, match=rf"step '{step}' read {re.escape(key)},"):
        read(params)
