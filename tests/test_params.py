"""params.yaml is validated once, with messages naming the key, the value and what is allowed."""

import dataclasses
import typing

import pytest
import yaml

from gdpipe.errors import ParamsError
from gdpipe.objectives import SURFACES
from gdpipe.params import SECTIONS, read_params, validate_params
from tests.conftest import ROOT
from tests.params_cases import PARAMS_CASES


def test_every_shipped_setting_keeps_its_value_as_its_field_s_type(default_params):
    # Validation changes a setting's type, never its value: an integer stays int, a number
    # becomes float even written as an integer (lab.condition: 100), a list becomes a tuple of
    # its items' type, and `auto` becomes the surface's own float. `==` cannot tell 100 from
    # 100.0, nor does validation look at the annotations: each type is checked by identity
    # against the field's annotation.
    raw, params = default_params, read_params(ROOT / "params.yaml")
    assert (type(params.device), params.device) == (str, raw["device"])
    for name, cls in SECTIONS.items():
        section, kinds = getattr(params, name), typing.get_type_hints(cls)
        for key, given in raw[name].items():
            value, kind, dotted = getattr(section, key), kinds[key], f"{name}.{key}"
            if typing.get_origin(kind) is tuple:
                item = typing.get_args(kind)[0]
                assert type(value) is tuple, dotted
                assert [type(v) for v in value] == [item] * len(given), dotted
                assert list(value) == given, dotted
            else:
                assert type(value) is kind, f"{dotted} = {value!r}"
                assert value == given or given == "auto", dotted


def test_notebook_defaults(default_params):
    p = validate_params(default_params)
    assert (p.linear.weight, p.linear.bias) == (0.7, 0.3)
    assert (p.linear.start, p.linear.end, p.linear.step) == (0.0, 1.0, 0.02)
    assert (p.linear.test_size, p.linear.split_seed) == (0.3, 42)
    assert (p.linear.optimizer, p.linear.loss, p.linear.lr) == ("sgd", "l1", 0.001)
    assert (p.linear.epochs, p.linear.batch_size) == (50, 1)
    assert (p.quadratic.n_points, p.quadratic.noise, p.quadratic.lr, p.quadratic.epochs) == (
        20,
        3.0,
        1e-5,
        20,
    )
    assert (p.surface.name, p.surface.low, p.surface.high) == ("sincos", 0.0, 10.0)


def test_lab_defaults_are_the_issues(default_params):
    lab = validate_params(default_params).lab
    assert lab.surfaces == tuple(SURFACES)
    assert lab.optimizers == ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
    assert lab.lrs == (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
    assert (lab.seed, lab.n_starts, lab.steps, lab.target) == (0, 100, 1000, 1e-6)
    assert (lab.momentum, lab.beta1, lab.beta2, lab.eps, lab.alpha) == (0.9, 0.9, 0.999, 1e-8, 0.99)
    assert (lab.condition, lab.paths) == (100.0, 8)
    assert isinstance(lab.lrs, tuple)  # hashable, like every other setting


@pytest.mark.parametrize("key", ["momentum", "beta1", "beta2", "alpha", "eps"])
@pytest.mark.parametrize("value", [-0.5, 0, 0.5, 0.999, 1, 1.5])
def test_lab_hyperparameters_accept_what_the_optimizers_accept(default_params, key, value):
    from gdpipe.optimizers import OPTIMIZERS, get_optimizer, hyperparameters

    try:
        for name in (n for n in OPTIMIZERS if key in hyperparameters(n)):
            get_optimizer(name, **{key: value})
        accepted = True
    except ValueError:
        accepted = False
    default_params["lab"][key] = value
    if accepted:
        assert getattr(validate_params(default_params).lab, key) == value
    else:
        with pytest.raises(ParamsError, match=rf"lab\.{key} = "):
            validate_params(default_params)


def test_every_key_is_documented_in_params_yaml():
    # Each key carries a comment on its own line, in its own section, of the shipped file (the
    # docs point there); linear.end and linear.step share linear.start's.
    section, commented = None, {}
    for line in (ROOT / "params.yaml").read_text().splitlines():
        key, colon, rest = line.partition(":")
        if not colon or key.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            section = key
        commented[f"{section}.{key.strip()}" if line.startswith(" ") else key] = "#" in rest
    for name, cls in SECTIONS.items():
        for field in dataclasses.fields(cls):
            dotted = f"{name}.{field.name}"
            assert commented[dotted] or dotted in ("linear.end", "linear.step"), dotted


def test_integers_are_accepted_where_numbers_are_meant(default_params):
    default_params["linear"]["weight"] = 1
    default_params["lab"]["lrs"][-1] = 1
    p = validate_params(default_params)
    assert (type(p.linear.weight), p.linear.weight) == (float, 1.0)
    assert (type(p.lab.lrs[-1]), p.lab.lrs[-1]) == (float, 1.0)


def test_every_problem_is_reported_at_once(default_params):
    default_params["linear"]["lr"] = -1
    default_params["surface"]["steps"] = 0
    with pytest.raises(ParamsError) as err:
        validate_params(default_params)
    assert "linear.lr" in str(err.value)
    assert "surface.steps" in str(err.value)


@pytest.mark.parametrize(
    ("case", "edit", "pattern"), PARAMS_CASES, ids=[c[0] for c in PARAMS_CASES]
)
def test_malformed_params_name_the_problem(tmp_path, default_params, case, edit, pattern):
    content = edit(default_params)
    path = tmp_path / "params.yaml"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    with pytest.raises(ParamsError, match=pattern):
        read_params(path)


def test_missing_params_file(tmp_path):
    with pytest.raises(ParamsError, match=r"nope\.yaml: cannot read params file"):
        read_params(tmp_path / "nope.yaml")


def test_allowed_names_match_the_registries():
    # params.py must stay cheap to import (no torch), so Example 3's module lists the names of its
    # torch.optim classes and losses; they must match. (Surfaces and the lab's optimizers come
    # from their registries, which import no torch.)
    from gdpipe import training
    from gdpipe.experiments import linear

    assert tuple(training.TORCH_OPTIMIZERS) == linear.OPTIMIZER_NAMES
    assert tuple(training.LOSSES) == linear.LOSSES


def test_importing_params_does_not_import_torch():
    import subprocess
    import sys

    modules = "gdpipe.params, gdpipe.pipeline, gdpipe.lab_summary"
    code = f"import sys, {modules}; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # the Snakefile imports these on every start
