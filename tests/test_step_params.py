"""A step reads only the params keys it declares: Snakemake and DVC re-run a step when one of
them changes, so a key read but not declared would let a params change go unnoticed."""

import json
import re
import subprocess
import sys

import pytest

from gdpipe.params import validate_params
from gdpipe.pipeline import LAB_STEP_KEYS, UndeclaredKeyError, read_step_params, step_settings
from tests.conftest import write_params

STEPS = [*LAB_STEP_KEYS]


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


def test_a_hyperparameter_change_re_runs_the_lab_runs_alone(unit_params):
    before = {step: step_settings(validate_params(unit_params), step, "lab") for step in STEPS}
    unit_params["lab"]["alpha"] = 0.5  # RMSprop's
    after = {step: step_settings(validate_params(unit_params), step, "lab") for step in STEPS}
    assert {s for s in STEPS if after[s] != before[s]} == {"lab_run"}
    assert after["lab_run"]["lab.alpha"] == 0.5


# An optimizer with a hyperparameter no other reads, registered before the lab's keys are made.
NEW_HYPERPARAMETER = """
import json, sys
from gdpipe import optimizers
from gdpipe.errors import ParamsError

def lion(beta1: optimizers.Decay = 0.9, rho: optimizers.Decay = 0.5) -> optimizers.Optimizer:
    return optimizers.sgd()

optimizers.OPTIMIZERS["lion"] = lion
from gdpipe.params import read_raw_params, validate_params
from gdpipe.pipeline import step_settings

raw = read_raw_params(sys.argv[1])
try:
    validate_params(raw)
except ParamsError as error:
    missing = str(error).splitlines()[-1].strip()
raw["lab"]["rho"] = 0.25
print(json.dumps([missing, step_settings(validate_params(raw), "lab_run", "lab")]))
"""


def test_a_new_hyperparameter_is_one_keyword_argument_away(params_file):
    # Its signature alone makes it a required lab key, with its range, that lab_run reads.
    job = [sys.executable, "-c", NEW_HYPERPARAMETER, str(params_file)]
    done = subprocess.run(job, capture_output=True, text=True, check=True)
    missing, settings = json.loads(done.stdout)
    assert missing == "missing key lab.rho (a number >= 0 and < 1)"
    assert settings["lab.rho"] == 0.25
