"""YAML as publish reads it (front matter and collection manifests): duplicate keys refused, scalars kept as written,
every key's line known, alias bombs stopped.

PyYAML's safe loader follows YAML 1.1, which loses or breaks ordinary values: `identifier: 0012` becomes the
octal number 10, `title: 1.10` the number 1.1, `date: 2024-02-30` and a 5,000-digit number raise a Python
ValueError, and a key given twice silently keeps the last value. publish asks YAML only for text, dates, lists,
mappings and true/false, so this loader reads as Pandoc does (YAML 1.2's core schema for booleans, numbers kept
as the text written): numbers stay text, a timestamp that is no real date stays text (the field that wants a date
then names the problem), only true/false are booleans, and a key given twice is an error naming both lines.
It subclasses the C loader where PyYAML has one (about ten times faster than the pure-Python one).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable
from typing import Any, ClassVar

import yaml

from publish.readers import sanitise

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_VALUES = 10_000
"""More values than any article's metadata or any manifest needs: YAML aliases can make a few lines stand for
billions."""

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"


class YamlProblem(Exception):
    """The YAML text cannot be read as publish needs it; `line` is a line of the file (1-based) where known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class Mapping(dict[Any, Any]):
    """A YAML mapping that knows the file line of its start and of each of its keys."""

    line: int = 1
    """Where the mapping starts."""
    lines: dict[Any, int]
    """The line of each key."""

    def line_of(self, key: Any) -> int:
        """The line of `key`, else the mapping's own line."""
        lines: dict[Any, int] = getattr(self, "lines", {})
        return lines.get(key, self.line)


class Sequence(list[Any]):
    """A YAML sequence that knows the file line of its start and of each of its items."""

    line: int = 1
    """Where the sequence starts."""
    lines: list[int]
    """The line of each item."""

    def line_of(self, index: int) -> int:
        """The line of item `index`, else the sequence's own line."""
        lines = getattr(self, "lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


def line_of(container: Any, key: Any, default: int | None = None) -> int | None:
    """The line of `key` in a loaded mapping or sequence; `default` for anything else."""
    if isinstance(container, (Mapping, Sequence)):
        return container.line_of(key)
    return default


class _Loader(_Base):  # type: ignore[misc]
    """The safe loader with the changes the module docstring gives."""

    first_line = 1
    """The file line of the YAML text's first line (front matter starts on the line after its ---)."""
    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, Any]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT, _FLOAT, _BOOL)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def _line(self, node: yaml.Node) -> int:
        return int(node.start_mark.line) + self.first_line

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Hashable, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue  # a merge (<<) brings keys the mapping may override: not a duplicate
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the base class names this with its line
            line = self._line(key_node)
            if key in seen:
                raise YamlProblem(f"gives the key {str(key)!r} twice (lines {seen[key]} and {line}); keep one", line)
            seen[key] = line
        data: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return data

    def construct_yaml_map(self, node: yaml.MappingNode) -> Any:
        data = Mapping()
        data.line = self._line(node)
        yield data
        data.update(self.construct_mapping(node))
        data.lines = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key_node.tag != _MERGE:
                data.lines[key] = self._line(key_node)

    def construct_yaml_seq(self, node: yaml.SequenceNode) -> Any:
        data = Sequence()
        data.line = self._line(node)
        yield data
        data.extend(self.construct_sequence(node))
        data.lines = [self._line(item) for item in node.value]

    def construct_scalar(self, node: yaml.ScalarNode) -> Any:
        value = super().construct_scalar(node)
        bad = sanitise.UNWRITABLE.search(value) if isinstance(value, str) else None
        if bad:  # written as an escape ("\x07", "\0"), past the reader's cleaning of the raw text
            raise YamlProblem(f"holds U+{ord(bad.group()):04X} (a control character or half a surrogate pair), "
                              "which no output format can hold", self._line(node))
        return value

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):  # 2024-02-30, 2024-13-45, 25:61: kept as written
            return self.construct_scalar(node)

    def construct_number(self, node: yaml.ScalarNode) -> Any:
        """`!!int` and `!!float` written explicitly: also kept as written (a 5,000-digit int cannot be printed)."""
        return self.construct_scalar(node)

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> Any:
        value = self.construct_scalar(node)
        if re.fullmatch(r"true|True|TRUE", value):
            return True
        if re.fullmatch(r"false|False|FALSE", value):
            return False
        return value  # yes, no, on, off: text, as in YAML 1.2


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_yaml_seq)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor(_INT, _Loader.construct_number)
_Loader.add_constructor(_FLOAT, _Loader.construct_number)
_Loader.add_constructor(_BOOL, _Loader.construct_yaml_bool)
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load(text: str, *, what: str, first_line: int = 1) -> Any:
    """The YAML document in `text`; YamlProblem (its message starts with `what`, "front matter" or "manifest")
    for invalid YAML, a key given twice, or more than MAX_VALUES values once aliases are expanded."""
    loader = _Loader(text)
    loader.first_line = first_line
    try:
        data = loader.get_single_data()
    except YamlProblem as exc:
        raise YamlProblem(f"{what} {exc.message}", exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        context = getattr(exc, "context_mark", None)
        if context is not None and (mark is None or mark.line >= len(text.splitlines())):
            mark = context  # an unclosed [ or {: the end of the text is no help, where it opened is
        problem = getattr(exc, "problem", None) or "invalid YAML"
        line = None if mark is None else mark.line + first_line
        if problem == "found unhashable key":  # valid YAML, but no key publish reads is a list or a mapping
            raise YamlProblem(f"{what} uses a list or a mapping as a key; keys are names such as title:",
                              line) from None
        tag = re.match(r"could not determine a constructor for the tag '(.*)'", problem)
        if tag:  # valid YAML too: !include, !!python/object...; the safe loader makes nothing of them
            raise YamlProblem(f"{what} uses the tag {tag.group(1).replace('tag:yaml.org,2002:', '!!', 1)!r}, which "
                              "publish does not read; write the value without it", line) from None
        raise YamlProblem(f"{what} is not valid YAML: {problem}", line) from None
    except RecursionError:  # thousands of nested [[[[: the constructor runs out of stack
        raise YamlProblem(f"{what} nests far too deeply to read", first_line) from None
    finally:
        loader.dispose()
    if _too_many_values(data):
        raise YamlProblem(f"{what} holds more than {MAX_VALUES:,} values once its YAML aliases are expanded; write "
                          "the values out", None)
    return data


def _too_many_values(data: Any) -> bool:
    """Whether the loaded YAML, aliases expanded, holds more than MAX_VALUES values (counted with an early stop,
    so a "billion laughs" document costs no more than the limit)."""
    budget = MAX_VALUES
    stack = [data]
    while stack:
        value = stack.pop()
        budget -= 1
        if budget < 0:
            return True
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(value: str) -> dt.date:
    """A date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS][+HH:MM]) written as text; ValueError says what is
    wrong in words that follow "'2024-02-30' ": "is not a real date (day is out of range for month)"."""
    value = value.strip()
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
    except ValueError as exc:
        reason = str(exc)
        if _DATE_SHAPE.match(value) and not reason.startswith("Invalid isoformat"):
            if "offset" in reason:
                reason = "its time zone offset must be under 24 hours"
            raise ValueError(f"is not a real date ({reason})") from None
    raise ValueError("is not a date; write YYYY-MM-DD or YYYY-MM-DDTHH:MM")


def shown(value: Any, limit: int = 40) -> str:
    """A value for a message, as Python writes it, cut short (with its length) when long."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit - 1]}… ({len(str(value)):,} characters)"


def kind(value: Any) -> str:
    """What a loaded YAML value is, in a message's words: "a list", "a mapping", "true or false", "a date"."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a date" if isinstance(value, dt.date) else f"a {type(value).__name__}"
