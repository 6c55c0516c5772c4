"""Bad press-office fields, in the catalogue's style (tests/test_bad_inputs.py): an embargo that is no moment, or
has no time zone; a contact without a name, with an unknown key or an address that is no address; a correction
without a date or text; the same in a manifest and in the JSON form. Each is one exact line naming the file and
line, exit 1, and no output: the earlier outputs are left as they were. An embargo still to come is a warning, and
with `--strict` a refusal."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_bad_inputs import _parses

from catalogue import judge

FRONT = "---\ntitle: Ferry release\n{fields}---\n\nThe harbour authority extends its night ferry.\n"
MANIFEST = "title: Press brief\n{fields}articles:\n  - ferry.md\n"
FERRY = "---\ntitle: Ferry release\n---\n\nThe harbour authority extends its night ferry.\n"
JSON = ('{{"format": "publish-article", "version": 1, "meta": {{"headline": "Ferry release", {fields}}}, '
        '"blocks": []}}')


@dataclass(frozen=True)
class Case:
    """One bad press field: the files to write, the inputs to build, the exact lines publish prints."""

    files: dict[str, str]
    """File name → text, written in the test folder."""
    message: str
    """The exact stderr lines, joined by newlines."""
    inputs: list[str] = field(default_factory=lambda: ["release.md"])
    builds: bool = False
    formats: str = "html"


def _front(fields: str) -> dict[str, str]:
    return {"release.md": FRONT.format(fields=fields)}


CATALOGUE: dict[str, Case] = {
    "embargo that is no date": Case(
        _front("embargo: next Tuesday\n"),
        "publish: error: release.md:3: embargo: 'next Tuesday' is not a date; write YYYY-MM-DD or YYYY-MM-DDTHH:MM"),
    "embargo on a day that does not exist": Case(
        _front("embargo: 2024-06-31T06:00+05:00\n"),
        "publish: error: release.md:3: embargo: '2024-06-31T06:00+05:00' is not a real date (day is out of range "
        "for month)"),
    "embargo without a time zone": Case(
        _front("embargo: 2024-06-12T06:00\n"),
        "publish: error: release.md:3: embargo: 2024-06-12T06:00:00 has no time zone; write it with one, as "
        "2024-06-12T06:00+05:00 or 2024-06-12T01:00Z"),
    "embargo a date alone": Case(
        _front("embargo: 2024-06-12\n"),
        "publish: error: release.md:3: embargo: 2024-06-12 is a date alone; an embargo needs a time and zone, as "
        "2024-06-12T06:00+05:00 or 2024-06-12T01:00Z"),
    "contact without a name": Case(
        _front("contacts:\n  - name: Sana Iqbal\n  - role: Duty press officer\n    phone: +92 300 555 0142\n"),
        "publish: error: release.md:5: contacts: contact 2 has no name; each contact needs one"),
    "contact with an unknown key": Case(
        _front("contacts:\n  - name: Sana Iqbal\n    mobile: +92 300 555 0142\n"),
        "publish: error: release.md:5: contacts: contact 1: unknown key 'mobile'; a contact has name, role, phone, "
        "email"),
    "contact whose e-mail is no address": Case(
        _front("contacts:\n  - name: Sana Iqbal\n    email: press office\n"),
        "publish: error: release.md:5: contacts: contact 1: email 'press office' is not an e-mail address "
        "(name@example.org)"),
    "contacts as a number of things": Case(
        _front("contacts: true\n"),
        "publish: error: release.md:3: contacts: expected a list, not true or false"),
    "correction without a date": Case(
        _front("corrections:\n  - text: The last crossing is at 3 a.m.\n"),
        "publish: error: release.md:4: corrections: correction 1 has no date"),
    "correction on a day that does not exist": Case(
        _front("corrections:\n  - date: 2024-02-30\n    text: The last crossing is at 3 a.m.\n"),
        "publish: error: release.md:4: corrections: correction 1: date '2024-02-30' is not a real date (day is out "
        "of range for month)"),
    "correction without text": Case(
        _front("corrections:\n  - date: 2024-06-13\n    text: \"\"\n"),
        "publish: error: release.md:4: corrections: correction 1 has no text"),
    "notes to editors as a mapping": Case(
        _front("notes_to_editors:\n  about: The authority runs the piers.\n"),
        "publish: error: release.md:3: notes_to_editors: give the notes as text or a list of paragraphs, not a "
        "mapping"),
    "manifest embargo without a zone": Case(
        {"brief.yaml": MANIFEST.format(fields="embargo: 2024-06-12T06:00\n"), "ferry.md": FERRY},
        "publish: error: brief.yaml:2: embargo: 2024-06-12T06:00:00 has no time zone; write it with one, as "
        "2024-06-12T06:00+05:00 or 2024-06-12T01:00Z", inputs=["brief.yaml"]),
    "manifest contact without a name": Case(
        {"brief.yaml": MANIFEST.format(fields="contacts:\n  - phone: +92 21 3456 7890\n"), "ferry.md": FERRY},
        "publish: error: brief.yaml:3: contacts: contact 1 has no name; each contact needs one",
        inputs=["brief.yaml"]),
    "JSON embargo without a zone": Case(
        {"release.json": JSON.format(fields='"embargo": "2024-06-12T06:00:00"')},
        "publish: error: release.json: meta: an embargo needs its time zone (for example 2024-06-12T06:00+05:00 or "
        "...T01:00Z)", inputs=["release.json"]),
    "JSON contact without a name": Case(
        {"release.json": JSON.format(fields='"contacts": [{"type": "contact", "name": " "}]')},
        "publish: error: release.json: meta.contacts[0]: a contact needs a name", inputs=["release.json"]),
    "embargo still to come": Case(
        _front("embargo: 2999-01-01T06:00Z\n"),
        "publish: warning: release.md: the article is under embargo until 2999-01-01T06:00:00+00:00 ({days} days "
        "from now): hold every output until then", builds=True, formats="html,pdf,docx,epub"),
    "embargo still to come, --strict": Case(
        _front("embargo: 2999-01-01T06:00Z\n"),
        "publish: error: release.md: the article is under embargo until 2999-01-01T06:00:00+00:00 ({days} days "
        "from now); --strict builds nothing under embargo", inputs=["release.md", "--strict"],
        formats="html,pdf,docx,epub"),
    "manifest article still under embargo": Case(
        {"brief.yaml": MANIFEST.format(fields="embargo: 2999-01-01T06:00Z\n").replace(
            "  - ferry.md\n", "  - ferry.md\n  - ferry-2.md\n"), "ferry.md": FERRY,
         "ferry-2.md": FERRY.replace("Ferry release", "Pier release").replace("night ferry", "pier lighting")},
        "publish: error: brief.yaml: article 1 “Ferry release” is under embargo until 2999-01-01T06:00:00+00:00 "
        "({days} days from now); --strict builds nothing under embargo", inputs=["brief.yaml", "--strict"]),
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_bad_press_field(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    import datetime as dt

    case = CATALOGUE[name]
    for file_name, content in case.files.items():
        (tmp_path / file_name).write_text(content, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    days = (dt.datetime(2999, 1, 1, 6, tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)).days
    expected = case.message.format(days=f"{days:,}".replace(",", "")).split("\n")
    judge(name, tmp_path, capsys, case.inputs, case.formats, expected, case.builds, None, _parses)
