"""Load and validate params.yaml, the one place settings live: one JSON Schema for `device`, each
experiment's section and the lab's, then each section's relations. No torch: the Snakefile
imports it on every start."""

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from gdpipe import schema
from gdpipe.errors import ParamsError
from gdpipe.experiments import EXPERIMENTS
from gdpipe.objectives import SURFACES
from gdpipe.optimizers import OPTIMIZERS, hyperparameters
from gdpipe.schema import POSITIVE, distinct, integer, key, one_of, section

DEVICES = ("auto", "cpu", "cuda")
# The optimizer lab; its hyperparameter keys are the optimizers' keyword arguments.
LabParams = dataclasses.make_dataclass(
    "LabParams",
    [
        ("surfaces", tuple[str, ...], key(distinct(one_of(SURFACES)))),
        ("optimizers", tuple[str, ...], key(distinct(one_of(OPTIMIZERS)))),  # registry's order
        ("lrs", tuple[float, ...], key(distinct(POSITIVE))),
        ("seed", int, key(integer(0))),
        ("n_starts", int, key(integer(1))),
        ("steps", int, key(integer(1))),
        ("target", float, key(POSITIVE)),
        *((name, float, key(allowed)) for name, (_, allowed) in hyperparameters().items()),
        ("condition", float, key(POSITIVE)),
        ("paths", int, key(integer(0))),
    ],
    frozen=True,
    namespace={"relations": lambda self: ()},  # no checks across its keys
)

SECTIONS = {**{name: e.params for name, e in EXPERIMENTS.items()}, "lab": LabParams}
SCHEMA = schema.mapping(
    {"device": one_of(DEVICES)} | {n: schema.section_schema(c) for n, c in SECTIONS.items()}
)
# All of params.yaml, validated: `device` and a section per experiment and the lab.
Params = dataclasses.make_dataclass("Params", [("device", str), *SECTIONS.items()], frozen=True)


def validate_params(raw: Any, source: str = "params.yaml") -> Params:
    """Check loaded params and return them typed; raise one ParamsError listing every problem."""
    if not isinstance(raw, dict):
        raise ParamsError(
            f"{source}: expected a mapping at the top level, got {type(raw).__name__}"
        )
    found = schema.problems(raw, SCHEMA)  # message -> the section it is in
    # A section's relations are checked once its keys are valid (they compare their values).
    valid = {
        n: section(c, raw[n]) for n, c in SECTIONS.items() if n in raw and n not in found.values()
    }
    relations = (f"{n}.{k}: {why}" for n, s in valid.items() for k, why in s.relations())
    if errors := [*found, *relations]:
        raise ParamsError(f"{source}: " + "\n  ".join(["invalid params", *errors]))
    return Params(device=raw["device"], **valid)


def read_raw_params(path: str | Path) -> Any:
    """The params file as YAML data, unvalidated; ParamsError if unreadable or not YAML."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ParamsError(f"{path}: cannot read params file ({err.strerror})") from err
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ParamsError(f"{path}: not valid YAML: {err}") from err


def read_params(path: str | Path) -> Params:
    return validate_params(read_raw_params(path), source=str(path))


def _flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(tree, dict):
        return {prefix.rstrip("."): tree}
    return {k: v for key, sub in tree.items() for k, v in _flat(sub, f"{prefix}{key}.").items()}


def config_override_error(config: dict, raw: Any, source: str) -> str:
    """Why Snakemake's --config is refused (the scripts read the params file themselves), naming
    each overridden key and what to do instead."""
    given, found = _flat(config), _flat(raw if isinstance(raw, dict) else {})
    changed = sorted(key for key in given if given[key] != found.get(key))
    shown = ", ".join(f"{key}={given[key]!r}" for key in changed)
    example = f"{changed[0]}={given[changed[0]]}" if changed else "linear.lr=0.01"
    return (
        f"--config {shown}: gdpipe reads every setting from {source}, so a --config override "
        f"would never reach the jobs. Edit {source}, pass a complete params file with "
        f"--configfile, or run the change as a DVC experiment: dvc exp run -S {example}"
    )
