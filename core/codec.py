"""One codec for the frozen dataclasses that are stored or sent: `to_json(obj)` and `from_json(cls, data)`.

Driven by the dataclass fields and their type hints: nested dataclasses, tuple[X, ...], tuple[X, Y], list[X],
frozenset[X] (as a sorted list), dict[str, X], Mapping[str, X], X | None, Literal, Enum, Path, str, int, float, bool
and Any. A field with a default that the data lacks takes its default (older files stay readable);
`field(metadata={"json": False})` leaves a field out of the JSON (it must have a default). A stored format with a
version number checks it before calling the codec.
"""

from __future__ import annotations

import dataclasses
import reprlib
import types
from collections.abc import Mapping
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")
JSON_METADATA_KEY = "json"


def to_json(obj: Any) -> Any:
    """A JSON-ready value (dicts, lists, str, int, float, bool, None) of a dataclass or of any value the codec reads."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {field.name: to_json(getattr(obj, field.name)) for field in _stored_fields(type(obj))}
    if isinstance(obj, Enum):
        return to_json(obj.value)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Mapping):
        return {key: to_json(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(value) for value in obj]
    if isinstance(obj, frozenset):  # a plain set is mutable: no stored dataclass holds one
        return [to_json(value) for value in sorted(obj)]
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    raise TypeError(f"The codec cannot write a {type(obj).__name__} ({obj!r}) as JSON.")


def from_json(cls: type[T], data: Any) -> T:
    """The `cls` dataclass that `to_json` wrote as `data`; a ValueError names the field that does not fit its type."""
    return _decode(cls, data, cls.__name__)


@cache
def _stored_fields(cls: type) -> tuple[dataclasses.Field, ...]:
    stored = []
    for field in dataclasses.fields(cls):
        if field.metadata.get(JSON_METADATA_KEY, True):
            stored.append(field)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{field.name} is left out of JSON, so it needs a default.")
    return tuple(stored)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _decode(hint: Any, value: Any, where: str) -> Any:
    if hint is Any:
        return value
    origin, args = get_origin(hint), get_args(hint)
    if origin is Union or origin is types.UnionType:
        return _decode_union(args, value, where)
    if origin is Literal:
        if value not in args:
            raise ValueError(f"{where}: expected one of {', '.join(map(repr, args))}, got {reprlib.repr(value)}.")
        return value
    if origin is tuple:
        return _decode_tuple(args, value, where)
    if origin is list or hint is list:
        _expect(isinstance(value, list), "a list", value, where)
        item = args[0] if args else Any
        return [_decode(item, element, f"{where}[{index}]") for index, element in enumerate(value)]
    if origin is frozenset or hint is frozenset:
        _expect(isinstance(value, list), "a list", value, where)
        item = args[0] if args else Any
        return frozenset(_decode(item, element, f"{where}[{index}]") for index, element in enumerate(value))
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        _expect(isinstance(value, Mapping), "an object", value, where)
        key_hint, value_hint = args if args else (Any, Any)
        return {
            _decode(key_hint, key, f"{where} key"): _decode(value_hint, item, f"{where}[{key!r}]")
            for key, item in value.items()
        }
    if dataclasses.is_dataclass(hint):
        return _decode_dataclass(hint, value, where)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            allowed = ", ".join(repr(member.value) for member in hint)
            raise ValueError(f"{where}: expected one of {allowed}, got {reprlib.repr(value)}.") from None
    return _decode_scalar(hint, value, where)


def _decode_union(options: tuple[Any, ...], value: Any, where: str) -> Any:
    if value is None and type(None) in options:
        return None
    errors = []
    for option in (option for option in options if option is not type(None)):
        try:
            return _decode(option, value, where)
        except ValueError as error:
            errors.append(str(error))
    if len(errors) == 1:
        raise ValueError(errors[0])
    raise ValueError(f"{where}: {reprlib.repr(value)} fits none of its types ({' / '.join(errors)}).")


def _decode_tuple(args: tuple[Any, ...], value: Any, where: str) -> tuple:
    _expect(isinstance(value, (list, tuple)), "a list", value, where)
    if len(args) == 2 and args[1] is Ellipsis:
        args = (args[0],) * len(value)
    elif not args:
        args = (Any,) * len(value)
    elif len(args) != len(value):
        raise ValueError(f"{where}: expected {len(args)} items, got {len(value)}.")
    return tuple(_decode(item, element, f"{where}[{index}]") for index, (item, element) in enumerate(zip(args, value)))


def _decode_dataclass(cls: type, value: Any, where: str) -> Any:
    _expect(isinstance(value, Mapping), "an object", value, where)
    stored, hints = _stored_fields(cls), _hints(cls)
    unknown = set(value) - {field.name for field in stored}
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}.")
    kwargs = {}
    for field in stored:
        if field.name in value:
            kwargs[field.name] = _decode(hints[field.name], value[field.name], f"{where}.{field.name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ValueError(f"{where}.{field.name}: missing (the field has no default).")
    return cls(**kwargs)


def _decode_scalar(hint: Any, value: Any, where: str) -> Any:
    if hint is type(None):
        _expect(value is None, "null", value, where)
    elif hint is bool:
        _expect(isinstance(value, bool), "true or false", value, where)
    elif hint is int:
        _expect(isinstance(value, int) and not isinstance(value, bool), "an integer", value, where)
    elif hint is float:
        _expect(isinstance(value, (int, float)) and not isinstance(value, bool), "a number", value, where)
        return float(value)
    elif hint is str:
        _expect(isinstance(value, str), "a string", value, where)
    elif hint is Path:
        _expect(isinstance(value, str), "a path string", value, where)
        return Path(value)
    else:
        raise TypeError(f"{where}: the codec cannot read type {hint!r}.")
    return value


def _expect(holds: bool, expected: str, value: Any, where: str) -> None:
    if not holds:
        raise ValueError(f"{where}: expected {expected}, got {type(value).__name__} {reprlib.repr(value)}.")
