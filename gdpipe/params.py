"""Load and validate params.yaml: the one place settings live.

One JSON Schema (gdpipe.schema) covers the file: `device` and a section per experiment (its
registry entry's dataclass, gdpipe.experiments) and the lab's (below); each section's relations
between keys are checked after it. Importing this module must stay cheap (no torch): the
Snakefile imports it on every start.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from gdpipe.errors import ParamsError
from gdpipe.experiments import EXPERIMENTS
from gdpipe.objectives import SURFACES
from gdpipe.optimizers import OPTIMIZERS, hyperparameters
from gdpipe.schema import (
    POSITIVE,
    distinct,
    integer,
    key,
    mapping,
    one_of,
    problems,
    section,
    section_schema,
)

DEVICES = ("auto", "cpu", "cuda")
# The optimizer lab: every optimizer × lr × start on each surface, one batch per optimizer. Its
# hyperparameter keys are the optimizers' keyword arguments, each with its range there.
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
        *((name, float, key(schema)) for name, (_, schema) in hyperparameters().items()),
        ("condition", float, key(POSITIVE)),
        ("paths", int, key(integer(0))),
    ],
    frozen=True,
    namespace={"relations": lambda self: ()},  # no checks across its keys
)

SECTIONS = {**{name: e.params for name, e in EXPERIMENTS.items()}, "lab": LabParams}
SCHEMA = mapping({"device": one_of(DEVICES)} | {n: section_schema(c) for n, c in SECTIONS.items()})
# All of params.yaml, validated: `device` and a section per experiment and the lab.
Params = dataclasses.make_dataclass("Params", [("device", str), *SECTIONS.items()], frozen=True)


def validate_params(raw: Any, source: str = "params.yaml") -> Params:
    """Check loaded params and return them typed; raise one ParamsError listing every problem."""
    if not isinstance(raw, dict):
        raise ParamsError(
            f"{source}: expected a mapping at the top level, got {type(raw).__name__}"
        )
    found = problems(raw, SCHEMA)  # message -> the section it is in
    # A section's relations are checked once its keys are valid (they compare their values).
    valid = {
        n: section(c, raw[n]) for n, c in SECTIONS.items() if n in raw and n not in found.values()
    }
    relations = (f"{n}.{k}: {why}" for n, s in valid.items() for k, why in s.relations())
    errors = [*found, *relations]
    if errors:
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
    """Read and validate a params file."""
    return validate_params(read_raw_params(path), source=str(path))


def _flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(tree, dict):
        return {prefix.rstrip("."): tree}
    return {k: v for key, sub in tree.items() for k, v in _flat(sub, f"{prefix}{key}.").items()}


def config_override_error(config: dict, raw: Any, source: str) -> str:
    """Why Snakemake's --config is refused, naming each overridden key and what to do instead.

    The scripts read the params file themselves, so an override they never see would lie.
    (Snakemake's own CLI rejects dotted keys such as linear.lr=0.01 before gdpipe runs.)
    """
    given, found = _flat(config), _flat(raw if isinstance(raw, dict) else {})
    changed = sorted(key for key in given if given[key] != found.get(key))
    shown = ", ".join(f"{key}={given[key]!r}" for key in changed)
    example = f"{changed[0]}={given[changed[0]]}" if changed else "linear.lr=0.01"
    return (
        f"--config {shown}: gdpipe reads every setting from {source}, so a --config override "
        f"would never reach the jobs. Edit {source}, pass a complete params file with "
        f"--configfile, or run the change as a DVC experiment: dvc exp run -S {example}"
    )
