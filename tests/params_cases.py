"""Malformed params files and the message each must produce (shared by library and CLI tests).

Each case: (id, edit, pattern). `edit` takes the default params (plain YAML data) and returns
the malformed data, or a str that is written to the file as it is.
"""

import copy


def _set(dotted, value):
    def edit(params):
        params = copy.deepcopy(params)
        *parents, last = dotted.split(".")
        node = params
        for key in parents:
            node = node[key]
        node[last] = value
        return params

    return edit


def _drop(dotted):
    def edit(params):
        params = copy.deepcopy(params)
        *parents, last = dotted.split(".")
        node = params
        for key in parents:
            node = node[key]
        del node[last]
        return params

    return edit


def _text(text):
    return lambda params: text


def _exponent(params):
    # What a user writes by habit; PyYAML (YAML 1.1) reads it as the string '1e-3'.
    import yaml

    return yaml.safe_dump(params, sort_keys=False).replace("lr: 0.001", "lr: 1e-3")


PARAMS_CASES = [
    ("yaml_syntax", _text("linear: [unclosed\n"), r"not valid YAML"),
    ("top_level_list", _text("- 1\n- 2\n"), r"expected a mapping at the top level, got list"),
    ("empty_file", _text(""), r"expected a mapping at the top level, got NoneType"),
    ("unknown_top_key", _set("linar", {}), r"unknown key linar; did you mean linear\?"),
    (
        "unknown_section_key",
        _set("linear.lrr", 0.1),
        r"unknown key linear\.lrr; did you mean linear\.lr\?",
    ),
    (
        "missing_section",
        _drop("quadratic"),
        r"missing key quadratic \(a mapping of settings\)",
    ),
    ("missing_key", _drop("linear.epochs"), r"missing key linear\.epochs \(an integer >= 1\)"),
    ("missing_device", _drop("device"), r"missing key device"),
    (
        "section_not_mapping",
        _set("surface", 3),
        r"surface = 3 is invalid \(got int\): expected a mapping of settings",
    ),
    (
        "bad_device",
        _set("device", "tpu"),
        r"device = 'tpu' is invalid \(unknown name; did you mean 'cpu'\?\): "
        r"expected one of 'auto', 'cpu', 'cuda'",
    ),
    (
        "negative_lr",
        _set("linear.lr", -0.1),
        r"linear\.lr = -0\.1 is invalid \(out of range\): expected a number > 0",
    ),
    (
        "zero_lr",
        _set("quadratic.lr", 0),
        r"quadratic\.lr = 0 is invalid \(out of range\): expected a number > 0",
    ),
    (
        "lr_as_text",
        _set("linear.lr", "fast"),
        r"linear\.lr = 'fast' is invalid \(got text, not a number\)",
    ),
    (
        "lr_yaml11_exponent",
        _exponent,
        r"linear\.lr = '1e-3' is invalid \(got text, not a number \(YAML 1\.1 reads 1e-3 as text",
    ),
    ("nan_lr", _set("surface.lr", float("nan")), r"surface\.lr = nan is invalid \(not finite\)"),
    (
        "float_epochs",
        _set("linear.epochs", 2.5),
        r"linear\.epochs = 2\.5 is invalid \(got a non-integer\): expected an integer >= 1",
    ),
    (
        "bool_epochs",
        _set("quadratic.epochs", True),
        r"quadratic\.epochs = True is invalid \(got bool\)",
    ),
    (
        "zero_epochs",
        _set("quadratic.epochs", 0),
        r"quadratic\.epochs = 0 is invalid \(out of range\): expected an integer >= 1",
    ),
    (
        "negative_seed",
        _set("surface.seed", -1),
        r"surface\.seed = -1 is invalid .*expected an integer >= 0",
    ),
    ("list_seed", _set("linear.seed", [1, 2]), r"linear\.seed = \[1, 2\] is invalid \(got list\)"),
    (
        "test_size_one",
        _set("linear.test_size", 1.0),
        r"linear\.test_size = 1\.0 is invalid .*expected a number > 0 and < 1",
    ),
    ("test_size_zero", _set("quadratic.test_size", 0.0), r"quadratic\.test_size = 0\.0 is invalid"),
    (
        "test_size_tiny",
        _set("linear.test_size", 0.01),
        r"linear\.step: gives 50 points, which test_size 0\.01 splits into 49 train / 1 test",
    ),
    (
        "low_above_high",
        _set("surface.low", 20.0),
        r"surface\.low: must be below surface\.high \(10\.0\), got 20\.0",
    ),
    (
        "start_after_end",
        _set("linear.start", 2.0),
        r"linear\.start: must be below linear\.end \(1\.0\), got 2\.0",
    ),
    (
        "zero_step",
        _set("linear.step", 0.0),
        r"linear\.step = 0\.0 is invalid \(out of range\): expected a number > 0",
    ),
    ("huge_step", _set("linear.step", 0.5), r"linear\.step: gives 2 points"),
    (
        "too_few_points",
        _set("quadratic.n_points", 3),
        r"quadratic\.n_points = 3 is invalid .*expected an integer >= 4",
    ),
    (
        "unknown_optimizer",
        _set("linear.optimizer", "adamw"),
        r"linear\.optimizer = 'adamw' is invalid \(unknown name; did you mean 'adam'\?\): expected one of 'sgd', 'adam', 'rmsprop'",
    ),
    (
        "unknown_loss",
        _set("linear.loss", "huber"),
        r"linear\.loss = 'huber' is invalid .*expected one of 'l1', 'mse'",
    ),
    (
        "unknown_surface",
        _set("surface.name", "sincoss"),
        r"surface\.name = 'sincoss' is invalid \(unknown name; did you mean 'sincos'\?\)",
    ),
    ("zero_batch", _set("linear.batch_size", 0), r"linear\.batch_size = 0 is invalid"),
    (
        "negative_noise",
        _set("quadratic.noise", -1.0),
        r"quadratic\.noise = -1\.0 is invalid .*expected a number >= 0",
    ),
    ("zero_starts", _set("surface.n_starts", 0), r"surface\.n_starts = 0 is invalid"),
    # The lab: list keys are checked item by item, each message naming the item.
    (
        "lab_negative_lr_item",
        _set("lab.lrs", [0.1, 0.01, -1]),
        r"lab\.lrs\[2\] = -1 is invalid \(out of range\): expected a number > 0",
    ),
    (
        "lab_lr_item_yaml11_exponent",
        _set("lab.lrs", [0.1, "1e-3"]),
        r"lab\.lrs\[1\] = '1e-3' is invalid \(got text, not a number \(YAML 1\.1 reads 1e-3 as text",
    ),
    (
        "lab_repeated_lr",
        _set("lab.lrs", [0.1, 0.01, 0.1]),
        r"lab\.lrs\[2\] = 0\.1 is invalid \(repeats lab\.lrs\[0\]\): expected distinct values",
    ),
    (
        "lab_lrs_not_a_list",
        _set("lab.lrs", 0.1),
        r"lab\.lrs = 0\.1 is invalid \(got float\): expected a non-empty list of distinct values, each a number > 0",
    ),
    (
        "lab_empty_surfaces",
        _set("lab.surfaces", []),
        r"lab\.surfaces = \[\] is invalid \(empty list\)",
    ),
    (
        "lab_unknown_optimizer",
        _set("lab.optimizers", ["sgd", "nesterof"]),
        r"lab\.optimizers\[1\] = 'nesterof' is invalid \(unknown name; did you mean 'nesterov'\?\): expected one of 'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam'",
    ),
    (
        "lab_unknown_surface",
        _set("lab.surfaces", ["rosenbrok"]),
        r"lab\.surfaces\[0\] = 'rosenbrok' is invalid \(unknown name; did you mean 'rosenbrock'\?\)",
    ),
    (
        "lab_repeated_surface",
        _set("lab.surfaces", ["bowl", "sincos", "bowl"]),
        r"lab\.surfaces\[2\] = 'bowl' is invalid \(repeats lab\.surfaces\[0\]\)",
    ),
    (
        "lab_momentum_one",
        _set("lab.momentum", 1.0),
        r"lab\.momentum = 1\.0 is invalid \(out of range\): expected a number >= 0 and < 1",
    ),
    (
        "lab_negative_beta2",
        _set("lab.beta2", -0.5),
        r"lab\.beta2 = -0\.5 is invalid \(out of range\)",
    ),
    (
        "lab_negative_eps",
        _set("lab.eps", -1.0e-8),
        r"lab\.eps = -1e-08 is invalid .*expected a number >= 0",
    ),
    (
        "lab_zero_condition",
        _set("lab.condition", 0),
        r"lab\.condition = 0 is invalid .*expected a number > 0",
    ),
    (
        "surface_negative_paths",
        _set("surface.paths", -1),
        r"surface\.paths = -1 is invalid .*expected an integer >= 0",
    ),
    (
        "lab_negative_paths",
        _set("lab.paths", -1),
        r"lab\.paths = -1 is invalid .*expected an integer >= 0",
    ),
    (
        "lab_zero_target",
        _set("lab.target", 0.0),
        r"lab\.target = 0\.0 is invalid .*expected a number > 0",
    ),
    (
        "lab_zero_steps",
        _set("lab.steps", 0),
        r"lab\.steps = 0 is invalid .*expected an integer >= 1",
    ),
    ("lab_missing_key", _drop("lab.alpha"), r"missing key lab\.alpha \(a number >= 0 and < 1\)"),
    # Types JSON Schema alone would let through, or that only YAML can write.
    (
        "whole_float_epochs",
        _set("linear.epochs", 2.0),
        r"linear\.epochs = 2\.0 is invalid \(got a non-integer\): expected an integer >= 1",
    ),
    (
        "bool_steps",
        _set("lab.steps", True),
        r"lab\.steps = True is invalid \(got bool\): expected an integer >= 1",
    ),
    (
        "bool_weight",
        _set("linear.weight", False),
        r"linear\.weight = False is invalid \(got bool\): expected a number",
    ),
    (
        "list_lr",
        _set("linear.lr", [0.1]),
        r"linear\.lr = \[0\.1\] is invalid \(got list\): expected a number > 0",
    ),
    (
        "nested_lr",
        _set("linear.lr", {"value": 0.1}),
        r"linear\.lr = \{'value': 0\.1\} is invalid \(got dict\): expected a number > 0",
    ),
    (
        "lab_nested_lr_item",
        _set("lab.lrs", [0.1, [0.01]]),
        r"lab\.lrs\[1\] = \[0\.01\] is invalid \(got list\): expected a number > 0",
    ),
    (
        "lab_bool_lr_item",
        _set("lab.lrs", [0.1, True]),
        r"lab\.lrs\[1\] = True is invalid \(got bool\): expected a number > 0",
    ),
    (
        "lab_nan_lr_item",
        _set("lab.lrs", [float("nan")]),
        r"lab\.lrs\[0\] = nan is invalid \(not finite\): expected a number > 0",
    ),
    (
        "lab_infinite_eps",
        _set("lab.eps", float("inf")),
        r"lab\.eps = inf is invalid \(not finite\): expected a number >= 0",
    ),
    (
        "infinite_low",
        _set("surface.low", float("-inf")),
        r"surface\.low = -inf is invalid \(not finite\): expected a number or 'auto'",
    ),
    (
        "misspelt_auto",
        _set("surface.lr", "autoo"),
        r"surface\.lr = 'autoo' is invalid \(got text, not a number\): "
        r"expected a number > 0 or 'auto'",
    ),
    (
        "lab_empty_lrs",
        _set("lab.lrs", []),
        r"lab\.lrs = \[\] is invalid \(empty list\): expected a non-empty list of distinct "
        r"values, each a number > 0",
    ),
    ("null_lr", _set("quadratic.lr", None), r"quadratic\.lr = None is invalid \(got NoneType\)"),
    (
        "empty_section",
        _set("lab", None),
        r"lab = None is invalid \(got NoneType\): expected a mapping of settings",
    ),
    (
        "lab_unknown_key",
        _set("lab.momentun", 0.9),
        r"unknown key lab\.momentun; did you mean lab\.momentum\?",
    ),
]
