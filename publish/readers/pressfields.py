"""The press office's fields (embargo, contacts, notes to editors, end mark, corrections) read from YAML data, for
the Markdown front matter and the collection manifest alike: each value checked, each mistake one `PressProblem`
with the line it stands on."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from publish import model
from publish.readers import yamlform

FIELDS: dict[str, str] = {
    "embargo": "embargo", "embargoed": "embargo",
    "contacts": "contacts", "contact": "contacts",
    "notes_to_editors": "notes_to_editors", "notes-to-editors": "notes_to_editors",
    "ends": "ends", "end_mark": "ends",
    "corrections": "corrections", "correction": "corrections",
}
"""The keys a front matter or manifest may give them by, and the model field each fills."""
CHOSEN = frozenset(FIELDS.values())
"""The model fields these keys fill."""
CONTACT_KEYS = ("name", "role", "phone", "email")
CORRECTION_KEYS = ("date", "text")
EMAIL = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\".]+")
"""An e-mail address as a contact gives it: one @, no spaces or brackets, a dot in the domain."""
ZONE_EXAMPLE = "2024-06-12T06:00+05:00 or 2024-06-12T01:00Z"


class PressProblem(Exception):
    """A press field's value publish cannot use; `line` is its line in the file where known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def value(field: str, key: Any, data: Any, line: int) -> Any:
    """The model value of one press field given under `key` on `line`; a `PressProblem` for a bad one."""
    if field == "embargo":
        return embargo(key, data, line)
    if field == "contacts":
        return _contacts(key, data, line)
    if field == "notes_to_editors":
        return _notes(key, data, line)
    if field == "ends":
        return _text(key, data, line)
    if field == "corrections":
        return _corrections(key, data, line)
    raise AssertionError(f"not a press field: {field}")  # pragma: no cover


def embargo(key: Any, data: Any, line: int) -> dt.datetime:
    """A moment with its time zone: a date alone, or a time without a zone, is refused, since either could lift
    the embargo hours early somewhere."""
    moment: dt.date = data
    if isinstance(data, str):
        try:
            moment = yamlform.iso_date(data)
        except ValueError as exc:
            raise PressProblem(f"{key}: {yamlform.shown(data)} {exc}", line) from None
    elif not isinstance(data, dt.date):
        raise PressProblem(f"{key}: {yamlform.shown(data)} is not a date and time; write {ZONE_EXAMPLE}", line)
    if not isinstance(moment, dt.datetime):
        raise PressProblem(f"{key}: {moment.isoformat()} is a date alone; an embargo needs a time and zone, as "
                           f"{ZONE_EXAMPLE}", line)
    if moment.utcoffset() is None:
        raise PressProblem(f"{key}: {moment.isoformat()} has no time zone; write it with one, as {ZONE_EXAMPLE}",
                           line)
    return moment


def _text(key: Any, data: Any, line: int) -> str:
    if isinstance(data, str):
        return data.strip()
    raise PressProblem(f"{key}: expected text, not {yamlform.kind(data)}", line)


def _items(key: Any, data: Any, line: int) -> list[tuple[Any, int]]:
    """A list's items with their lines; one mapping or text stands for a list of one."""
    if isinstance(data, list):
        return [(item, yamlform.line_of(data, index, line) or line) for index, item in enumerate(data)]
    if isinstance(data, (dict, str)):
        return [(data, line)]
    raise PressProblem(f"{key}: expected a list, not {yamlform.kind(data)}", line)


def _contacts(key: Any, data: Any, line: int) -> tuple[model.Contact, ...]:
    out = []
    for number, (item, at) in enumerate(_items(key, data, line), 1):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            raise PressProblem(f"{key}: contact {number} is {yamlform.kind(item)}; give name, role, phone and "
                               "email", at)
        unknown = sorted(str(k) for k in item if str(k) not in CONTACT_KEYS)
        if unknown:
            raise PressProblem(f"{key}: contact {number}: unknown key {unknown[0]!r}; a contact has "
                               f"{', '.join(CONTACT_KEYS)}", yamlform.line_of(item, unknown[0], at) or at)
        fields = {}
        for name in CONTACT_KEYS:
            given = item.get(name)
            if given is not None:
                fields[name] = _text(f"{key}: contact {number}: {name}", given, yamlform.line_of(item, name, at) or at)
        if not fields.get("name"):
            raise PressProblem(f"{key}: contact {number} has no name; each contact needs one", at)
        email = fields.get("email", "")
        if email and not EMAIL.fullmatch(email):
            raise PressProblem(f"{key}: contact {number}: email {yamlform.shown(email)} is not an e-mail address "
                               "(name@example.org)", yamlform.line_of(item, "email", at) or at)
        out.append(model.Contact(**fields))
    return tuple(out)


def _notes(key: Any, data: Any, line: int) -> tuple[str, ...]:
    """Paragraphs: a list of them, or one text whose blank lines part them."""
    if isinstance(data, str):
        return tuple(" ".join(part.split()) for part in data.split("\n\n") if part.strip())
    if isinstance(data, list):
        out = []
        for index, item in enumerate(data):
            out.append(" ".join(_text(f"{key}: note {index + 1}", item,
                                      yamlform.line_of(data, index, line) or line).split()))
        return tuple(note for note in out if note)
    raise PressProblem(f"{key}: give the notes as text or a list of paragraphs, not {yamlform.kind(data)}", line)


def _corrections(key: Any, data: Any, line: int) -> tuple[model.Correction, ...]:
    out = []
    for number, (item, at) in enumerate(_items(key, data, line), 1):
        if not isinstance(item, dict):
            raise PressProblem(f"{key}: correction {number} is {yamlform.kind(item)}; give its date and text", at)
        unknown = sorted(str(k) for k in item if str(k) not in CORRECTION_KEYS)
        if unknown:
            raise PressProblem(f"{key}: correction {number}: unknown key {unknown[0]!r}; a correction has "
                               f"{', '.join(CORRECTION_KEYS)}", yamlform.line_of(item, unknown[0], at) or at)
        when, words = item.get("date"), item.get("text")
        if when is None:
            raise PressProblem(f"{key}: correction {number} has no date", at)
        date_line = yamlform.line_of(item, "date", at) or at
        if isinstance(when, str):
            try:
                when = yamlform.iso_date(when)
            except ValueError as exc:
                raise PressProblem(f"{key}: correction {number}: date {yamlform.shown(when)} {exc}",
                                   date_line) from None
        if not isinstance(when, dt.date):
            raise PressProblem(f"{key}: correction {number}: date {yamlform.shown(when)} is not a date; write "
                               "YYYY-MM-DD or YYYY-MM-DDTHH:MM", date_line)
        text = " ".join(_text(f"{key}: correction {number}: text", words if words is not None else "",
                              yamlform.line_of(item, "text", at) or at).split())
        if not text:
            raise PressProblem(f"{key}: correction {number} has no text", at)
        out.append(model.Correction(when, text))
    return tuple(out)
