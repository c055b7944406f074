"""Load and validate params.yaml: the one place settings live.

Each section is a frozen dataclass of gdpipe.schema fields: an experiment's comes from its
registry entry (gdpipe.experiments), the lab's is below. Importing this module must stay cheap
(no torch): the Snakefile imports it on every start.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gdpipe.errors import ParamsError
from gdpipe.experiments import EXPERIMENTS
from gdpipe.objectives import SURFACES
from gdpipe.optimizers import OPTIMIZERS as LAB_OPTIMIZER_REGISTRY
from gdpipe.schema import (
    choices,
    decay,
    integer,
    number,
    positive,
    rule,
    unknown_key,
    validate_section,
)

DEVICES = ("auto", "cpu", "cuda")
LAB_OPTIMIZERS = tuple(LAB_OPTIMIZER_REGISTRY)  # the lab's, in gdpipe.optimizers' order


@dataclass(frozen=True)
class LabParams:
    """The optimizer lab: every optimizer × lr × start on each surface, one batch per optimizer."""

    surfaces: tuple[str, ...] = choices(tuple(SURFACES))
    optimizers: tuple[str, ...] = choices(LAB_OPTIMIZERS)
    lrs: tuple[float, ...] = rule(float, low=0.0, open_low=True, many=True)
    seed: int = integer(0)
    n_starts: int = integer(1)
    steps: int = integer(1)
    target: float = positive()
    momentum: float = decay()
    beta1: float = decay()
    beta2: float = decay()
    eps: float = number(0.0)
    alpha: float = decay()
    condition: float = positive()
    paths: int = integer(0)

    def relations(self):
        return ()


SECTIONS = {**{name: e.params for name, e in EXPERIMENTS.items()}, "lab": LabParams}
TOP_LEVEL = ("device", *SECTIONS)
# All of params.yaml, validated: `device` and a section per experiment and the lab.
Params = dataclasses.make_dataclass("Params", [("device", str), *SECTIONS.items()], frozen=True)


def validate_params(raw: Any, source: str = "params.yaml") -> Params:
    """Check loaded params and return them typed; raise one ParamsError listing every problem."""
    if not isinstance(raw, dict):
        raise ParamsError(
            f"{source}: expected a mapping at the top level, got {type(raw).__name__}"
        )
    errors = [unknown_key(str(k), list(TOP_LEVEL), "") for k in raw if k not in TOP_LEVEL]
    device = raw.get("device")
    if "device" not in raw:
        errors.append(f"missing key device (one of {', '.join(map(repr, DEVICES))})")
    elif device not in DEVICES:
        errors.append(
            f"device = {device!r} is invalid: expected one of {', '.join(map(repr, DEVICES))}"
        )
    sections = {}
    for name, cls in SECTIONS.items():
        if name not in raw:
            errors.append(f"missing section {name}")
            continue
        sections[name], section_errors = validate_section(name, raw[name], cls)
        errors.extend(section_errors)
    if errors:
        raise ParamsError(f"{source}: " + "\n  ".join(["invalid params", *errors]))
    return Params(device=device, **sections)


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
