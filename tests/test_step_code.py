"""Every step declares the code it runs: Snakemake and DVC re-run a step when one of its
declared modules changes, so a module a step imports but does not declare would let a code
change go unnoticed."""

import ast
import re
from pathlib import Path

import pytest

from gdpipe.pipeline import (
    SCRIPTS,
    UndeclaredKeyError,
    module_path,
    read_step_params,
    step_code,
)
from tests.conftest import ROOT, write_params


def _imported_gdpipe_modules(path: Path, everywhere: bool) -> set[str]:
    """gdpipe modules a file imports: at module level, or `everywhere` (in functions too).

    A dotted name is a package's module (experiments.linear); importing it runs the package's
    __init__ too. `from gdpipe.experiments import linear` may name modules or other objects: a
    name with a file of its own is a module."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree) if everywhere else tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gdpipe"):
            package = node.module.removeprefix("gdpipe").removeprefix(".")
            if package:
                found.add(package)
            for alias in node.names:
                name = f"{package}.{alias.name}" if package else alias.name
                if _file(name).exists():
                    found.add(name)
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("gdpipe.") for a in node.names if a.name.startswith("gdpipe.")
            )
    # and the packages above each module: experiments.linear imports experiments first
    return found | {m.rsplit(".", 1)[0] for m in found if "." in m}


def _file(module: str) -> Path:
    return ROOT / module_path(module)


def _closure(script: Path) -> set[str]:
    """The gdpipe modules a script runs: everything it imports, and what those import at module
    level, and so on. (A library function that imports a module when called, as gdpipe.lab's
    run_surface imports the engine, is declared by hand for the steps that call it.)"""
    seen, todo = {"__init__"}, _imported_gdpipe_modules(script, everywhere=True)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo |= _imported_gdpipe_modules(_file(module), everywhere=False)
    return seen


def _module(path: str) -> str:
    """gdpipe/experiments/linear.py -> experiments.linear; gdpipe/experiments/__init__.py ->
    experiments (gdpipe/__init__.py stays __init__)."""
    parts = Path(path).with_suffix("").parts[1:]
    if len(parts) > 1 and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@pytest.mark.parametrize("step", sorted(SCRIPTS))
def test_a_step_declares_every_gdpipe_module_it_runs(step):
    declared = {_module(p) for p in step_code(step) if p.startswith("gdpipe/")}
    missing = _closure(ROOT / SCRIPTS[step]) - declared
    assert not missing, f"{step} runs gdpipe modules it does not declare: {sorted(missing)}"


# -- and the params keys it reads: pipeline.read_step_params lets a step read its own alone ---


@pytest.fixture
def params_file(tmp_path, unit_params):
    path = tmp_path / "params.yaml"
    write_params(path, unit_params)
    return path


def test_a_step_reads_the_keys_it_declares(params_file):
    train = read_step_params(params_file, "train", "linear")
    assert (train.device, train.linear.lr, train.linear.batch_size) == ("cpu", 0.001, 1)
    # A property is computed through the view: linear.n_points reads start, end and step.
    assert read_step_params(params_file, "split", "linear").linear.n_points == 50


@pytest.mark.parametrize(
    ("step", "experiment", "surface", "read", "key"),
    [
        ("train", "linear", None, lambda p: p.linear.end, "linear.end"),
        ("train", "linear", None, lambda p: p.quadratic.lr, "quadratic.lr"),
        ("generate", "linear", None, lambda p: p.device, "device"),
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
