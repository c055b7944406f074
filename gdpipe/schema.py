"""What params.yaml allows, as JSON Schema (checked by jsonschema): a section is a frozen dataclass
whose fields carry their schema (`key(...)`); `problems` words each error with the dotted key."""

import difflib
import math
import re
from dataclasses import field, fields
from typing import Any

from jsonschema import Draft202012Validator, validators

AUTO = "auto"  # a surface setting taken from the surface itself (gdpipe.objectives)
# YAML, unlike JSON, has bools that are ints, .nan and .inf; and 2.0 is no count.
_TYPES = Draft202012Validator.TYPE_CHECKER.redefine_many(
    {
        "integer": lambda _, v: type(v) is int,
        "number": lambda _, v: type(v) is int or (type(v) is float and math.isfinite(v)),
    }
)
Validator = validators.extend(Draft202012Validator, type_checker=_TYPES)


def number(**bounds) -> dict:  # bounds: JSON Schema's minimum, exclusiveMaximum, ...
    return {"type": "number", **bounds}


def integer(minimum: int) -> dict:
    return {"type": "integer", "minimum": minimum}


POSITIVE = number(exclusiveMinimum=0)
FRACTION = number(exclusiveMinimum=0, exclusiveMaximum=1)
DECAY = number(minimum=0, exclusiveMaximum=1)  # torch.optim's momentum, betas and alpha


def one_of(names) -> dict:
    return {"enum": list(names)}


def distinct(item: dict) -> dict:  # params.yaml's only kind of list
    return {"type": "array", "items": item, "minItems": 1, "uniqueItems": True}


def or_auto(schema: dict) -> dict:
    return {"anyOf": [schema, {"const": AUTO}]}


def key(schema: dict):
    """A section's field, its schema in the metadata."""
    return field(metadata={"schema": schema})


def mapping(properties: dict) -> dict:
    """Exactly these keys, each required."""
    closed = {"required": [*properties], "additionalProperties": False}
    return {"type": "object", "properties": properties, **closed}


def section_schema(cls) -> dict:
    return mapping({f.name: f.metadata["schema"] for f in fields(cls)})


def section(cls, raw: dict):
    """A valid section as its dataclass: lists as tuples, numbers as float, `auto` resolved."""
    made = cls(**{f.name: _typed(raw[f.name], f.metadata["schema"]) for f in fields(cls)})
    return made.resolved() if hasattr(made, "resolved") else made


def _typed(value: Any, schema: dict) -> Any:
    if isinstance(value, list):
        return tuple(_typed(item, schema["items"]) for item in value)
    return float(value) if type(value) is int and schema.get("type") != "integer" else value


def split_relations(n_points: int, test_size: float, key: str):
    # train_test_split gives ceil(n * test_size) test rows; a loss needs two rows a side.
    n_test = math.ceil(n_points * test_size)
    if n_test < 2 or n_points - n_test < 2:
        split = f"{n_points - n_test} train / {n_test} test; each side needs at least 2"
        yield key, f"gives {n_points} points, which test_size {test_size} splits into {split}"


_SIGNS = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}


def allowed(schema: dict) -> str:
    """What a schema allows, in words: 'an integer >= 1', "one of 'l1', 'mse'", ..."""
    if "anyOf" in schema:
        return " or ".join(map(allowed, schema["anyOf"]))
    if "const" in schema:
        return repr(schema["const"])
    if "enum" in schema:
        return "one of " + ", ".join(map(repr, schema["enum"]))
    if schema["type"] == "array":  # distinct()'s
        return "a non-empty list of distinct values, each " + allowed(schema["items"])
    if schema["type"] == "object":
        return "a mapping of settings"
    bounds = " and ".join(f"{sign} {schema[k]:g}" for k, sign in _SIGNS.items() if k in schema)
    return f"{'an integer' if schema['type'] == 'integer' else 'a number'} {bounds}".strip()


def problems(instance: Any, schema: dict) -> dict[str, str]:
    """Every way instance breaks schema, worded: message -> the top-level key it is under."""
    found = {}
    for error in Validator(schema).iter_errors(instance):
        path = [*error.absolute_path]
        at = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        for message in _words(error, at):
            found.setdefault(message, str(path[0]) if path else "")
    return found


def _words(error, at: str) -> list[str]:
    value, schema, prefix = error.instance, error.schema, f"{at}." if at else ""
    if error.validator == "required":  # one error per missing key; each words them all
        missing = [k for k in schema["required"] if k not in value]
        return [f"missing key {prefix}{k} ({allowed(schema['properties'][k])})" for k in missing]
    if error.validator == "additionalProperties":
        names = [*schema["properties"]]
        return [_unknown(str(k), prefix, names) for k in value if k not in names]
    if error.validator == "uniqueItems":
        first = [value.index(item) for item in value]
        return [
            f"{at}[{j}] = {value[j]!r} is invalid (repeats {at}[{i}]): expected distinct values"
            for j, i in enumerate(first)
            if i != j
        ]
    return [f"{at} = {value!r} is invalid ({_why(error)}): expected {allowed(schema)}"]


def _unknown(name: str, prefix: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {prefix}{close[0]}?" if close else ""
    return f"unknown key {prefix}{name}{hint} (allowed: {', '.join(names) or 'none'})"


def _why(error) -> str:
    value, expected = error.instance, error.validator_value
    if error.validator == "anyOf":  # `auto` aside: why the first branch refused it
        return _why(next(e for e in error.context if e.relative_schema_path[0] == 0))
    if error.validator == "enum":
        close = difflib.get_close_matches(str(value), map(str, expected), n=1)
        return f"unknown name; did you mean {close[0]!r}?" if close else "unknown name"
    if error.validator != "type":
        return "empty list" if error.validator == "minItems" else "out of range"
    if isinstance(value, float) and expected in ("number", "integer"):
        return "got a non-integer" if math.isfinite(value) else "not finite"
    if isinstance(value, str) and expected in ("number", "integer"):
        exponent = re.fullmatch(r"[-+]?\d+(\.\d*)?[eE][-+]?\d+", value)
        hint = " (YAML 1.1 reads 1e-3 as text: write 0.001 or 1.0e-3)" if exponent else ""
        return "got text, not a number" + hint
    return f"got {type(value).__name__}"
