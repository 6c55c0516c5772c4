"""The model's versioned JSON form: `dumps` and `loads` round-trip an `Article` exactly; `loads` checks each field."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import types
import typing
from typing import Any, Union

from publish import model
from publish.errors import ModelError
from publish.model import language
from publish.readers import sanitise

FORMAT = "publish-article"
VERSION = 1
MAX_DIGITS = 9
"""The longest whole number the model takes (a list's first number), as CommonMark allows: Word's numbering and
Python's int-to-text conversion (4,300 digits) both have limits well below what JSON can write."""


class _NotJson:
    """NaN, Infinity or -Infinity, which Python's JSON reader takes but JSON has not: refused where it stands."""

    def __init__(self, name: str) -> None:
        self.name = name


class _LongNumber:
    """A whole number in the JSON too long to be one of the model's numbers, kept as its digit count."""

    def __init__(self, digits: str) -> None:
        self.digits = len(digits.lstrip("-"))


OPTIONAL_META = frozenset({"embargo", "contacts", "notes_to_editors", "ends", "corrections"})
"""The press office's fields: written only when set, so an article without them reads and writes as before."""


def to_data(article: model.Article) -> dict[str, Any]:
    """The article as plain JSON-ready data: meta in full (the press office's fields when set), nodes without
    their default fields."""
    meta = {f.name: _encode(getattr(article.meta, f.name)) for f in dataclasses.fields(model.Meta)
            if f.name not in OPTIONAL_META or getattr(article.meta, f.name) != f.default}
    return {"format": FORMAT, "version": VERSION, "meta": meta, "blocks": [_encode(b) for b in article.blocks]}


def dumps(article: model.Article) -> str:
    """The article as indented JSON text, keys in model order, non-ASCII kept as written."""
    return json.dumps(to_data(article), ensure_ascii=False, indent=2) + "\n"


def loads(text: str, *, source: str = "<json>") -> model.Article:
    """Parse and check the JSON form; any problem is a `ModelError` naming `source` and where in it."""
    return from_data(parse(text, source=source), source=source)


def parse(text: str, *, source: str = "<json>") -> Any:
    """JSON text as data, refusing what is not JSON with its line, and numbers no output can hold (a number of
    thousands of digits, NaN, Infinity) where they stand."""
    try:
        return json.loads(text, parse_int=_whole_number, parse_constant=_NotJson)
    except json.JSONDecodeError as exc:
        raise ModelError(f"not valid JSON: {exc.msg} (column {exc.colno})", path=source, line=exc.lineno) from None


def from_data(data: Any, *, source: str = "<json>") -> model.Article:
    """Build an `Article` from data shaped like `to_data`'s output."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f'not a publish article: expected an object with "format": "{FORMAT}"', path=source)
    if data.get("version") != VERSION:
        raise ModelError(
            f"article model version {data.get('version')!r} is not supported; this publish reads version {VERSION}",
            path=source,
        )
    _no_extra_keys(data, {"format", "version", "meta", "blocks"}, "the top level", source)
    meta = _decode_dataclass(model.Meta, data.get("meta"), "meta", source)
    try:
        meta = dataclasses.replace(meta, language=language.bcp47(meta.language))
    except ValueError as exc:
        raise _fail("meta.language", source, str(exc)) from None
    if not meta.headline.strip():
        raise _fail("meta.headline", source, "is empty; every article needs a headline")
    blocks = _decode(data.get("blocks", []), tuple[model.Block, ...], "blocks", source)
    return model.Article(meta=meta, blocks=blocks)


def from_trusted_data(data: dict[str, Any]) -> model.Article:
    """An `Article` from `to_data`'s output made by this very code (a signed entry of publish's own cache): the
    model's own constraints are kept, the checks `from_data` makes on a stranger's JSON are not, so reading back
    the 200 articles of a collection takes milliseconds. A malformed entry raises KeyError, TypeError or
    ValueError."""
    meta = _trusted(model.Meta, data["meta"])
    meta = dataclasses.replace(meta, language=language.bcp47(meta.language))  # as from_data does
    return model.Article(meta=meta, blocks=tuple(map(_BLOCK, data["blocks"])))


Converter = typing.Callable[[Any], Any]


@functools.cache
def _plan(cls: type) -> tuple[tuple[str, Converter | None], ...]:
    """Per field of a model class, how its JSON value becomes the field's value (None: as it is)."""
    hints, fields = _shape(cls)
    return tuple((name, _converter(hints[name])) for name in fields)


def _converter(hint: Any) -> Converter | None:
    if hint in (str, int, bool):
        return None
    if hint is dt.datetime:
        return dt.datetime.fromisoformat
    if hint is dt.date:
        return lambda value: dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _nodes_of((hint,))
    origin = typing.get_origin(hint)
    if origin is tuple:
        item = _converter(typing.get_args(hint)[0])
        return tuple if item is None else lambda values: tuple(map(item, values))
    if origin in (Union, types.UnionType):
        options = tuple(option for option in typing.get_args(hint) if option is not type(None))
        if dt.date in options or dt.datetime in options:
            date = _converter(dt.date if dt.date in options else dt.datetime)
            assert date is not None
            return lambda value: None if value is None else date(value)
        return _nodes_of(options)
    raise TypeError(f"jsonform cannot decode type {hint!r}")  # a model change this module missed: a bug


def _nodes_of(options: tuple[type, ...]) -> Converter:
    kinds = {cls.kind: cls for cls in options}  # type: ignore[attr-defined]
    return lambda value: _trusted(kinds[value["type"]], value)


def _trusted(cls: type, data: dict[str, Any]) -> Any:
    return cls(**{name: data[name] if convert is None else convert(data[name])
                  for name, convert in _plan(cls) if name in data})


# --- encoding ----------------------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    kind: Any = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is tuple:
        return [_encode(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    fields = _encoded_fields(kind)
    if fields is None:
        return value
    out: dict[str, Any] = {"type": kind.kind}
    for name, default in fields:
        v = getattr(value, name)
        if default is not dataclasses.MISSING and v == default:
            continue
        out[name] = _encode(v)
    return out


@functools.cache
def _encoded_fields(kind: type) -> tuple[tuple[str, Any], ...] | None:
    """A model class's fields and their defaults (None for a type that is not a dataclass), worked out once."""
    if not dataclasses.is_dataclass(kind):
        return None
    return tuple((f.name, f.default) for f in dataclasses.fields(kind))


# --- decoding ----------------------------------------------------------------------------------------------


def _whole_number(digits: str) -> int | _LongNumber:
    """A JSON integer; one too long for the model is kept as its length (int() refuses past 4,300 digits)."""
    return int(digits) if len(digits.lstrip("-")) <= MAX_DIGITS else _LongNumber(digits)


def _fail(where: str, source: str, message: str) -> ModelError:
    return ModelError(f"{where}: {message}", path=source)


def _no_extra_keys(data: dict[str, Any], allowed: set[str], where: str, source: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise _fail(where, source, f"unknown field(s) {', '.join(extra)}; known: {', '.join(sorted(allowed))}")


@functools.cache
def _shape(cls: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]:
    """A model class's field types and fields, worked out once (get_type_hints is slow; the cache reads
    thousands of nodes per build)."""
    return typing.get_type_hints(cls), {f.name: f for f in dataclasses.fields(cls)}


def _decode_dataclass(cls: type, data: Any, where: str, source: str) -> Any:
    if not isinstance(data, dict):
        raise _fail(where, source, "expected an object")
    hints, fields = _shape(cls)
    _no_extra_keys(data, set(fields) | {"type"}, where, source)
    kwargs = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _decode(data[name], hints[name], f"{where}.{name}", source)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _fail(where, source, f'missing field "{name}"')
    try:
        return cls(**kwargs)
    except ValueError as exc:  # the model's own constraints (heading level, table shape)
        raise _fail(where, source, str(exc)) from None


def _decode(value: Any, hint: Any, where: str, source: str) -> Any:
    origin = typing.get_origin(hint)
    if isinstance(value, _NotJson):
        raise _fail(where, source, f"{value.name} is not a JSON value")
    if hint is str:
        if not isinstance(value, str):
            raise _fail(where, source, "expected a string")
        bad = sanitise.UNWRITABLE.search(value)
        if bad:
            raise _fail(where, source, f"holds U+{ord(bad.group()):04X} (a control character or half a surrogate "
                                       "pair), which no output format can hold")
        return value
    if hint is int:
        if isinstance(value, _LongNumber):
            raise _fail(where, source, f"a number of {value.digits:,} digits; expected a whole number of at most "
                                       f"{MAX_DIGITS} digits")
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(where, source, "expected a whole number")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise _fail(where, source, "expected true or false")
        return value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _decode_node(value, (hint,), where, source)
    if origin is tuple:
        if not isinstance(value, list):
            raise _fail(where, source, "expected a list")
        item_hint = typing.get_args(hint)[0]
        return tuple(_decode(v, item_hint, f"{where}[{i}]", source) for i, v in enumerate(value))
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        if dt.date in options:
            return _decode_date(value, where, source)
        if dt.datetime in options:  # a moment (an embargo): a date alone will not do
            moment = _decode_date(value, where, source)
            if not isinstance(moment, dt.datetime):
                raise _fail(where, source, f"{value!r} is a date; give a date and time with its zone")
            return moment
        return _decode_node(value, options, where, source)
    raise TypeError(f"jsonform cannot decode type {hint!r}")  # a model change this module missed: a bug


def _decode_date(value: Any, where: str, source: str) -> dt.date:
    if not isinstance(value, str):
        raise _fail(where, source, "expected an ISO 8601 date string")
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
    except ValueError:
        raise _fail(where, source, f"{value!r} is not an ISO 8601 date or date-time") from None


def _decode_node(value: Any, options: tuple[type, ...], where: str, source: str) -> Any:
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise _fail(where, source, 'expected an object with a "type"')
    allowed = {cls.kind: cls for cls in options}  # type: ignore[attr-defined]
    cls = allowed.get(value["type"])
    if cls is None:
        what = "a block" if model.Paragraph in options else "an inline"
        raise _fail(where, source, f"{value['type']!r} is not {what} type; known: {', '.join(sorted(allowed))}")
    return _decode_dataclass(cls, value, where, source)


_BLOCK = _nodes_of(model.BLOCK_TYPES)
