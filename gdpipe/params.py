"""Load and validate params.yaml: the one place settings live.

Each section is a frozen dataclass; a field's metadata is its rule, so the schema, the typed
settings and the error messages come from one definition. Importing this module must stay cheap
(no torch): the Snakefile imports it on every start.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gdpipe.errors import ParamsError
from gdpipe.objectives import SURFACES
from gdpipe.optimizers import OPTIMIZERS as LAB_OPTIMIZER_REGISTRY

DEVICES = ("auto", "cpu", "cuda")
AUTO = "auto"  # a surface setting taken from the surface itself (gdpipe.objectives)
OPTIMIZERS = ("sgd", "adam", "rmsprop")  # keep in step with gdpipe.training
LAB_OPTIMIZERS = tuple(LAB_OPTIMIZER_REGISTRY)  # the lab's, in gdpipe.optimizers' order
LOSSES = ("l1", "mse")


def _rule(
    kind: type,
    *,
    low=None,
    high=None,
    open_low=False,
    open_high=False,
    choices=(),
    auto=False,
    many=False,
):
    return field(
        metadata={
            "kind": kind,
            "low": low,
            "high": high,
            "open_low": open_low,
            "open_high": open_high,
            "choices": choices,
            "auto": auto,
            "many": many,  # a non-empty list of such values, none repeated
        }
    )


def _integer(low=None):
    return _rule(int, low=low)


def _number(low=None, *, open_low=False, high=None, open_high=False, auto=False):
    return _rule(float, low=low, open_low=open_low, high=high, open_high=open_high, auto=auto)


def _positive(auto=False):
    return _number(0.0, open_low=True, auto=auto)


def _fraction():
    return _number(0.0, open_low=True, high=1.0, open_high=True)


def _choice(choices):
    return _rule(str, choices=choices)


def _choices(choices):
    return _rule(str, choices=choices, many=True)


def _decay():
    # torch.optim's (and gdpipe.optimizers.Hyper's) range for momentum, betas and alpha
    return _number(0.0, high=1.0, open_high=True)


@dataclass(frozen=True)
class SurfaceParams:
    """Example 1: plain gradient descent from many random starts on a 2-D surface."""

    name: str = _choice(tuple(SURFACES))
    seed: int = _integer(0)
    n_starts: int = _integer(1)
    steps: int = _integer(1)
    lr: float = _positive(auto=True)
    low: float = _number(auto=True)
    high: float = _number(auto=True)
    paths: int = _integer(0)

    def resolved(self) -> SurfaceParams:
        """`auto` replaced by the surface's own start square and step size."""
        surface = SURFACES[self.name]
        own = {"low": surface.domain[0], "high": surface.domain[1], "lr": surface.lr}
        return dataclasses.replace(
            self, **{key: value for key, value in own.items() if getattr(self, key) == AUTO}
        )

    def relations(self):
        if not self.low < self.high:
            yield "low", f"must be below surface.high ({self.high}), got {self.low}"


@dataclass(frozen=True)
class QuadraticParams:
    """Example 2: a*t^2 + b*t + c fitted to noisy speed-vs-time data by hand-written steps."""

    seed: int = _integer(0)
    init_seed: int = _integer(0)
    n_points: int = _integer(4)
    noise: float = _number(0.0)
    test_size: float = _fraction()
    split_seed: int = _integer(0)
    lr: float = _positive()
    epochs: int = _integer(1)

    def relations(self):
        yield from _split_relations(self.n_points, self.test_size, "n_points")


@dataclass(frozen=True)
class LinearParams:
    """Example 3: an nn.Module linear regression on y = weight*x + bias trained with torch.optim."""

    seed: int = _integer(0)
    weight: float = _number()
    bias: float = _number()
    start: float = _number()
    end: float = _number()
    step: float = _positive()
    test_size: float = _fraction()
    split_seed: int = _integer(0)
    optimizer: str = _choice(OPTIMIZERS)
    loss: str = _choice(LOSSES)
    lr: float = _positive()
    epochs: int = _integer(1)
    batch_size: int = _integer(1)

    @property
    def n_points(self) -> int:
        """How many points np.arange(start, end, step) yields."""
        return max(0, math.ceil((self.end - self.start) / self.step))

    def relations(self):
        if not self.start < self.end:
            yield "start", f"must be below linear.end ({self.end}), got {self.start}"
            return
        yield from _split_relations(self.n_points, self.test_size, "step")


def _split_relations(n_points: int, test_size: float, key: str):
    # train_test_split gives ceil(n * test_size) test rows; both sides need at least 2 rows
    # so that a loss over each is more than a single residual.
    n_test = math.ceil(n_points * test_size)
    if n_test < 2 or n_points - n_test < 2:
        yield (
            key,
            (
                f"gives {n_points} points, which test_size {test_size} splits into "
                f"{n_points - n_test} train / {n_test} test; each side needs at least 2"
            ),
        )


@dataclass(frozen=True)
class LabParams:
    """The optimizer lab: every optimizer × lr × start on each surface, one batch per optimizer."""

    surfaces: tuple[str, ...] = _choices(tuple(SURFACES))
    optimizers: tuple[str, ...] = _choices(LAB_OPTIMIZERS)
    lrs: tuple[float, ...] = _rule(float, low=0.0, open_low=True, many=True)
    seed: int = _integer(0)
    n_starts: int = _integer(1)
    steps: int = _integer(1)
    target: float = _positive()
    momentum: float = _decay()
    beta1: float = _decay()
    beta2: float = _decay()
    eps: float = _number(0.0)
    alpha: float = _decay()
    condition: float = _positive()
    paths: int = _integer(0)

    def relations(self):
        return ()


@dataclass(frozen=True)
class Params:
    """All of params.yaml, validated."""

    device: str
    surface: SurfaceParams
    quadratic: QuadraticParams
    linear: LinearParams
    lab: LabParams


SECTIONS = {
    "surface": SurfaceParams,
    "quadratic": QuadraticParams,
    "linear": LinearParams,
    "lab": LabParams,
}
TOP_LEVEL = ("device", *SECTIONS)


def _allowed(meta) -> str:
    if meta["many"]:
        return "a non-empty list of distinct values, each " + _allowed({**meta, "many": False})
    if meta["choices"]:
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    noun = "an integer" if meta["kind"] is int else "a number"
    bounds = []
    if meta["low"] is not None:
        bounds.append(f"{'>' if meta['open_low'] else '>='} {meta['low']:g}")
    if meta["high"] is not None:
        bounds.append(f"{'<' if meta['open_high'] else '<='} {meta['high']:g}")
    auto = f" or {AUTO!r} (the surface's own)" if meta["auto"] else ""
    return noun + (" " + " and ".join(bounds) if bounds else "") + auto


def _coerce(value: Any, meta) -> Any:
    """Return the value as the field's type, or raise ValueError saying what is wrong."""
    kind = meta["kind"]
    if meta["auto"] and value == AUTO:
        return value
    if kind is str:
        if value not in meta["choices"]:
            close = difflib.get_close_matches(str(value), meta["choices"], n=1)
            raise ValueError(
                f"unknown name; did you mean {close[0]!r}?" if close else "unknown name"
            )
        return value
    if isinstance(value, str):
        hint = ""
        try:
            float(value)
            hint = " (YAML 1.1 reads 1e-3 as text: write 0.001 or 1.0e-3)"
        except ValueError:
            pass
        raise ValueError(f"got text, not a number{hint}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"got {type(value).__name__}")
    if kind is int and not isinstance(value, int):
        raise ValueError("got a non-integer")
    if kind is float and not math.isfinite(value):
        raise ValueError("not finite")
    value = kind(value)
    low, high = meta["low"], meta["high"]
    if low is not None and (value < low or (meta["open_low"] and value == low)):
        raise ValueError("out of range")
    if high is not None and (value > high or (meta["open_high"] and value == high)):
        raise ValueError("out of range")
    return value


def _coerce_list(dotted: str, value: Any, meta) -> tuple[tuple, list[str]]:
    """A list field as a tuple, or the errors naming each bad item (`lab.lrs[2] = -1 ...`)."""
    if not isinstance(value, list) or not value:
        why = "empty list" if isinstance(value, list) else f"got {type(value).__name__}"
        return (), [f"{dotted} = {value!r} is invalid ({why}): expected {_allowed(meta)}"]
    one = {**meta, "many": False}
    items, errors, seen = [], [], {}
    for i, item in enumerate(value):
        try:
            items.append(_coerce(item, one))
        except ValueError as why:
            errors.append(f"{dotted}[{i}] = {item!r} is invalid ({why}): expected {_allowed(one)}")
            continue
        if items[-1] in seen:
            errors.append(
                f"{dotted}[{i}] = {item!r} is invalid (repeats {dotted}[{seen[items[-1]]}]): "
                "expected distinct values"
            )
        seen.setdefault(items[-1], i)
    return tuple(items), errors


def _unknown_key(key: str, allowed, prefix: str) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"; did you mean {prefix}{close[0]}?" if close else ""
    return f"unknown key {prefix}{key}{hint} (allowed: {', '.join(allowed)})"


def _validate_section(name: str, raw: Any, cls) -> tuple[Any, list[str]]:
    if not isinstance(raw, dict):
        return None, [f"{name}: expected a mapping of settings, got {type(raw).__name__}"]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    errors = [_unknown_key(str(k), list(fields), f"{name}.") for k in raw if k not in fields]
    values = {}
    for key, spec in fields.items():
        if key not in raw:
            errors.append(f"missing key {name}.{key} ({_allowed(spec.metadata)})")
            continue
        if spec.metadata["many"]:
            values[key], problems = _coerce_list(f"{name}.{key}", raw[key], spec.metadata)
            errors.extend(problems)
            continue
        try:
            values[key] = _coerce(raw[key], spec.metadata)
        except ValueError as why:
            errors.append(
                f"{name}.{key} = {raw[key]!r} is invalid ({why}): "
                f"expected {_allowed(spec.metadata)}"
            )
    if errors:
        return None, errors
    section = cls(**values)
    if hasattr(section, "resolved"):
        section = section.resolved()
    errors = [f"{name}.{key}: {message}" for key, message in section.relations()]
    return (None if errors else section), errors


def validate_params(raw: Any, source: str = "params.yaml") -> Params:
    """Check loaded params and return them typed; raise one ParamsError listing every problem."""
    if not isinstance(raw, dict):
        raise ParamsError(
            f"{source}: expected a mapping at the top level, got {type(raw).__name__}"
        )
    errors = [_unknown_key(str(k), list(TOP_LEVEL), "") for k in raw if k not in TOP_LEVEL]
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
        sections[name], section_errors = _validate_section(name, raw[name], cls)
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
