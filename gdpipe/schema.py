"""The rules of a params section: a frozen dataclass whose fields' metadata are their rules.

`integer()`, `number()`, `choice()`, ... declare a field and its allowed values; validate_section
checks one section of the loaded YAML against its dataclass, with messages that name the dotted
key, the value and what is allowed. Cheap to import (no torch).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from typing import Any

AUTO = "auto"  # a surface setting taken from the surface itself (gdpipe.objectives)


@dataclass(frozen=True)
class Rule:
    """What a field allows: its type, bounds (each open or closed), names, `auto`."""

    kind: type
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    choices: tuple = ()
    auto: bool = False
    many: bool = False  # a non-empty list of such values, none repeated


def rule(kind: type, **allowed):
    """A dataclass field whose metadata is its Rule."""
    return field(metadata={"rule": Rule(kind, **allowed)})


def integer(low=None):
    return rule(int, low=low)


def number(low=None, *, open_low=False, high=None, open_high=False, auto=False):
    return rule(float, low=low, open_low=open_low, high=high, open_high=open_high, auto=auto)


def positive(auto=False):
    return number(0.0, open_low=True, auto=auto)


def fraction():
    return number(0.0, open_low=True, high=1.0, open_high=True)


def choice(names):
    return rule(str, choices=names)


def choices(names):
    return rule(str, choices=names, many=True)


def decay():
    # torch.optim's (and gdpipe.optimizers.Hyper's) range for momentum, betas and alpha
    return number(0.0, high=1.0, open_high=True)


def split_relations(n_points: int, test_size: float, key: str):
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


def _allowed(r: Rule) -> str:
    if r.many:
        one = dataclasses.replace(r, many=False)
        return "a non-empty list of distinct values, each " + _allowed(one)
    if r.choices:
        return "one of " + ", ".join(repr(c) for c in r.choices)
    noun = "an integer" if r.kind is int else "a number"
    bounds = []
    if r.low is not None:
        bounds.append(f"{'>' if r.open_low else '>='} {r.low:g}")
    if r.high is not None:
        bounds.append(f"{'<' if r.open_high else '<='} {r.high:g}")
    auto = f" or {AUTO!r} (the surface's own)" if r.auto else ""
    return noun + (" " + " and ".join(bounds) if bounds else "") + auto


def _coerce(value: Any, r: Rule) -> Any:
    """Return the value as the field's type, or raise ValueError saying what is wrong."""
    kind = r.kind
    if r.auto and value == AUTO:
        return value
    if kind is str:
        if value not in r.choices:
            close = difflib.get_close_matches(str(value), r.choices, n=1)
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
    low, high = r.low, r.high
    if low is not None and (value < low or (r.open_low and value == low)):
        raise ValueError("out of range")
    if high is not None and (value > high or (r.open_high and value == high)):
        raise ValueError("out of range")
    return value


def _coerce_list(dotted: str, value: Any, r: Rule) -> tuple[tuple, list[str]]:
    """A list field as a tuple, or the errors naming each bad item (`lab.lrs[2] = -1 ...`)."""
    if not isinstance(value, list) or not value:
        why = "empty list" if isinstance(value, list) else f"got {type(value).__name__}"
        return (), [f"{dotted} = {value!r} is invalid ({why}): expected {_allowed(r)}"]
    one = dataclasses.replace(r, many=False)
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


def unknown_key(key: str, allowed, prefix: str) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"; did you mean {prefix}{close[0]}?" if close else ""
    return f"unknown key {prefix}{key}{hint} (allowed: {', '.join(allowed)})"


def validate_section(name: str, raw: Any, cls) -> tuple[Any, list[str]]:
    if not isinstance(raw, dict):
        return None, [f"{name}: expected a mapping of settings, got {type(raw).__name__}"]
    rules = {f.name: f.metadata["rule"] for f in dataclasses.fields(cls)}
    errors = [unknown_key(str(k), list(rules), f"{name}.") for k in raw if k not in rules]
    values = {}
    for key, r in rules.items():
        if key not in raw:
            errors.append(f"missing key {name}.{key} ({_allowed(r)})")
            continue
        if r.many:
            values[key], problems = _coerce_list(f"{name}.{key}", raw[key], r)
            errors.extend(problems)
            continue
        try:
            values[key] = _coerce(raw[key], r)
        except ValueError as why:
            errors.append(f"{name}.{key} = {raw[key]!r} is invalid ({why}): expected {_allowed(r)}")
    if errors:
        return None, errors
    section = cls(**values)
    if hasattr(section, "resolved"):
        section = section.resolved()
    errors = [f"{name}.{key}: {message}" for key, message in section.relations()]
    return (None if errors else section), errors
