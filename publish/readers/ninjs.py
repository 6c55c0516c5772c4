"""Reader for IPTC ninjs (News in JSON) 2.x and 3.x: a wire item, checked against IPTC's schema, as an article.

A `.json` input is publish's own JSON form or ninjs; `publish.readers.jsonmodel` tells them apart by content
(`is_ninjs`) and hands ninjs here, so one extension serves both. The item is validated with jsonschema against the
IPTC schema of the version it declares (`standard.version`, or the version in `standard.schema`/`$schema`); an item
that declares none is taken as the newest version it is valid against. An invalid item is refused with one line:
the first schema error and its JSON path. Schemas are vendored in `publish/schemas/ninjs/` and never fetched.

Mapping: the `main` headline (else the first) is the headline, a `sub`/`subheadline` headline the dek; `by` and
people with an author relation the byline; `versioncreated`/`firstcreated` the dates; `located` the dateline;
subjects, keywords and genres the keywords; descriptions the summary; the HTML body (`bodies` with an HTML
content type, or 1.x `body_html`) the blocks, through the shared sanitising HTML mapper; picture associations
figures at the end of the body; `copyrightnotice` the rights. 2.x names are lower case, 3.x camelCase: both read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from publish import model
from publish.errors import InputError
from publish.readers import Dropped, Inferred, Reading, Source

log = logging.getLogger(__name__)

VERSIONS = ("2.0", "2.1", "2.2", "3.0", "3.1")
"""The ninjs versions publish reads and validates (newest last); their schemas are in publish/schemas/ninjs/."""
GEOJSON_URI = "https://geojson.org/schema/GeoJSON.json"
"""Where ninjs schemas point for place geometry; resolved to a local outline (`geojson-local.json`), never fetched."""
SCHEMA_VERSION = re.compile(r"ninjs-schema_(\d+\.\d+)")
DECLARED_VERSION = re.compile(r"^(\d+\.\d+)")
HTML_TYPES = ("text/html", "application/xhtml+xml")
AUTHOR_RELATIONS = ("author", "creator", "byline", "writer", "correspondent", "reporter")
"""Words in a person's `rel` that make them part of the byline (IPTC leaves `rel` to the provider)."""
BY_PREFIX = re.compile(r"^\s*by\s+", re.IGNORECASE)
NAME_SEPARATOR = re.compile(r"\s*(?:,|;|\band\b|&)\s*")
NINJS_KEYS = {"headlines", "bodies", "body_html", "body_text", "versioncreated", "versionCreated", "firstcreated",
              "firstCreated", "located", "associations", "renditions", "altids", "altIds", "pubstatus", "pubStatus"}
"""Properties only ninjs items carry: an item missing its required `uri` is still ninjs (and refused as such)."""


def is_ninjs(data: Any) -> bool:
    """Whether parsed JSON is a ninjs item: it names ninjs in `standard` or `$schema`, or has a `uri` or ninjs
    properties; `uri`, the one property ninjs requires, is enough (publish's own JSON form always has `format`)."""
    if not isinstance(data, dict) or "format" in data:
        return False
    standard = data.get("standard")
    if isinstance(standard, dict) and ("ninjs" in str(standard.get("schema", "")).lower()
                                       or str(standard.get("name", "")).lower() == "ninjs"):
        return True
    if "ninjs" in str(data.get("$schema", "")).lower():
        return True
    return "uri" in data or bool(NINJS_KEYS & set(data))


def read(source: Source) -> Reading:
    """Read a ninjs file: UTF-8 JSON, validated against the version it declares."""
    text = source.text()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", path=source.name,
                         line=exc.lineno) from None
    return read_data(data, source=source.name, text=text)


def declared_version(data: dict[str, Any]) -> str | None:
    """The ninjs version the item declares (`standard.version`, else the schema URI's), if publish has it."""
    return next((v for v in _named_versions(data) if v in VERSIONS), None)


def _named_versions(data: dict[str, Any]) -> list[str]:
    """Every version the item names, in `standard.version`, `standard.schema` and `$schema`, in that order."""
    found = data.get("standard")
    standard: dict[str, Any] = found if isinstance(found, dict) else {}
    named = []
    for candidate in (str(standard.get("version", "")), str(standard.get("schema", "")), str(data.get("$schema", ""))):
        match = DECLARED_VERSION.match(candidate) or SCHEMA_VERSION.search(candidate)
        if match:
            named.append(match.group(1))
    return named


def read_data(data: Any, *, source: str, text: str = "", version: str | None = None) -> Reading:
    """Validate parsed ninjs and map it onto the model.

    `version` pins the schema (as IPTC's own test suite does per folder); by default it is the version the item
    declares, else the newest one it is valid against.
    """
    if not isinstance(data, dict):
        raise InputError(f"a ninjs item is a JSON object, not {type(data).__name__}", path=source, line=1)
    inferred: list[Inferred] = []
    if version is None:
        version = declared_version(data)
        if version is not None:
            inferred.append(Inferred(1, f"ninjs {version}", "version (declared)"))
        else:
            claimed = _named_versions(data)
            why = f"declares {claimed[0]}, which publish has no schema for" if claimed else "none declared"
            version = _fitting_version(data, source, text)
            inferred.append(Inferred(1, f"ninjs {version}", f"version ({why}; the newest it is valid as)"))
    problem = first_error(data, version)
    if problem is not None:
        raise _refusal(problem, version, source, text)
    return _Mapper(data, source, text, version, inferred).reading()


# --- validation ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchemaError:
    """The first way an item fails its schema."""

    path: str
    """Where in the item, as a JSON path ("$.associations[0].uri")."""
    message: str
    """What is wrong, in jsonschema's words."""
    depth: int
    """How many steps into the item the error is (a deeper error is more specific)."""


def schema(version: str) -> dict[str, Any]:
    """IPTC's schema for a ninjs version, from the vendored copy."""
    if version not in VERSIONS:
        raise InputError(f"unknown ninjs version {version!r}; publish has the schemas of {', '.join(VERSIONS)}")
    loaded: dict[str, Any] = json.loads(_schema_file(f"ninjs-schema_{version}.json"))
    return loaded


def first_error(data: Any, version: str) -> SchemaError | None:
    """The first (most relevant) schema error of the item against the version's schema, or None when it is valid."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator(version).iter_errors(data))
    if error is None:
        return None
    return SchemaError(error.json_path, _short(error.message, error.instance), len(error.absolute_path))


MAX_MESSAGE = 200
"""The longest schema message shown: jsonschema quotes whole values, which can run to pages."""


def _short(message: str, instance: Any) -> str:
    """jsonschema's message with a long quoted value named by its type ("the object is not valid ..."), cut short."""
    quoted = repr(instance)
    if message.startswith(quoted) and len(quoted) > 60:
        kind = "object" if isinstance(instance, dict) else "array" if isinstance(instance, list) else "value"
        message = f"the {kind}{message[len(quoted):]}"
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 1].rstrip() + "…"


@cache
def _validator(version: str) -> Any:
    import jsonschema
    import referencing
    from referencing.jsonschema import DRAFT202012

    document = schema(version)
    geojson = referencing.Resource.from_contents(json.loads(_schema_file("geojson-local.json")),
                                                 default_specification=DRAFT202012)
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(GEOJSON_URI, geojson)
    cls = jsonschema.validators.validator_for(document)
    # "format" (uri, date-time) is an annotation here, as in IPTC's own suite, whose valid examples use bare ids as
    # uris: checking it would also depend on which optional packages happen to be installed
    return cls(document, registry=registry)


def _schema_file(name: str) -> str:
    return (resources.files("publish") / "schemas" / "ninjs" / name).read_text(encoding="utf-8")


def _fitting_version(data: dict[str, Any], source: str, text: str) -> str:
    """The newest version the item is valid as; refuse it with the most specific error when it fits none."""
    errors: list[tuple[str, SchemaError]] = []
    for version in reversed(VERSIONS):
        problem = first_error(data, version)
        if problem is None:
            return version
        errors.append((version, problem))
    version, problem = max(errors, key=lambda pair: pair[1].depth)  # max keeps the newest of equally deep ones
    raise _refusal(problem, version, source, text, undeclared=True)


def _refusal(problem: SchemaError, version: str, source: str, text: str, *, undeclared: bool = False,
             ) -> InputError:
    what = "is not valid ninjs in any version publish knows" if undeclared else f"is not valid ninjs {version}"
    closest = f" (closest: {version})" if undeclared else ""
    return InputError(f"{what}{closest}: at {problem.path}: {problem.message}", path=source,
                      line=_line_of(problem.path, text))


def _line_of(path: str, text: str) -> int | None:
    """The line of the error's property in the source text, following the path's names up to its first array
    index (an element's own line cannot be told from the text alone: the array's line is given instead)."""
    if not text:
        return None
    names = re.findall(r"\.([A-Za-z_$][\w$-]*)|(\[)", path)
    offset = 0
    for name, index in names:
        if index:
            break
        found = text.find(f'"{name}"', offset)
        if found < 0:
            break
        offset = found
    return text.count("\n", 0, offset) + 1


# --- mapping ------------------------------------------------------------------------------------------------


class _Mapper:
    """Maps one valid ninjs item (2.x lower-case or 3.x camelCase names) onto the model."""

    def __init__(self, data: dict[str, Any], source: str, text: str, version: str,
                 inferred: list[Inferred]) -> None:
        self.data, self.source, self.text, self.version = data, source, text, version
        self.inferred = inferred
        self.dropped: list[Dropped] = []

    def get(self, name: str, item: dict[str, Any] | None = None) -> Any:
        """A property by its 2.x name, or its 3.x camelCase spelling."""
        where = self.data if item is None else item
        if name in where:
            return where[name]
        return where.get(_CAMEL.get(name, name))

    def line(self, name: str) -> int:
        found = self.text.find(f'"{name}"') if self.text else -1
        if found < 0 and name in _CAMEL:
            found = self.text.find(f'"{_CAMEL[name]}"')
        return self.text.count("\n", 0, found) + 1 if found >= 0 else 1

    def reading(self) -> Reading:
        blocks = self.body()
        meta = model.Meta(
            headline=self.headline(),
            dek=self.headline_with_roles(("sub", "subheadline", "subtitle", "subhead", "deck", "dek")),
            authors=self.authors(),
            dateline=_string(self.get("located")),
            published=self.date("firstcreated") or self.date("contentcreated") or self.date("versioncreated"),
            updated=self.date("versioncreated"),
            source=self.provider(),
            url=self.link(),
            language=_string(self.get("language")) or "en",
            keywords=self.keywords(),
            summary=self.description(),
            rights=_string(self.get("copyrightnotice")) or _string(self.get("copyrightholder")),
            identifier=self.alt_id(("identifier",)) or _string(self.data.get("uri")),
        )
        meta = dataclasses.replace(meta, embargo=self.embargo())
        for name in ("ednote", "usageterms"):
            note = _string(self.get(name))
            if note:
                self.dropped.append(Dropped(self.line(name), note, f"{name}: a note to editors, not part of the story"))
        return Reading(model.Article(meta, tuple(blocks)), tuple(sorted(self.dropped, key=lambda d: d.line)),
                       tuple(sorted(self.inferred, key=lambda i: i.line)))

    def headline(self) -> str:
        headlines = [h for h in self.get("headlines") or () if _string(h.get("value"))]
        main = next((h for h in headlines if str(h.get("role", "")).lower() == "main"), None) or \
            next((h for h in headlines if not h.get("role")), None) or (headlines[0] if headlines else None)
        if main is not None:
            return _plain(str(main["value"]))
        for name in ("headline", "title", "slugline"):  # 1.x headline, then the item's metadata names
            value = _string(self.data.get(name))
            if value:
                self.inferred.append(Inferred(self.line(name), value, f"headline (from {name}; no headlines)"))
                return value
        fallback = _string(self.data.get("uri"))
        self.inferred.append(Inferred(self.line("uri"), fallback, "headline (the item's uri: it has no headline)"))
        return fallback

    def headline_with_roles(self, roles: tuple[str, ...]) -> str:
        for h in self.get("headlines") or ():
            if str(h.get("role", "")).lower() in roles and _string(h.get("value")):
                return _plain(str(h["value"]))
        return ""

    def authors(self) -> tuple[str, ...]:
        people = [_string(p.get("name")) for p in self.get("people") or ()
                  if any(word in str(p.get("rel", "")).lower() for word in AUTHOR_RELATIONS) and p.get("name")]
        if people:
            self.inferred.append(Inferred(self.line("people"), ", ".join(people), "byline (people with an author "
                                                                                  "relation)"))
            return tuple(dict.fromkeys(people))
        by = BY_PREFIX.sub("", _string(self.get("by")))
        names = tuple(name for name in NAME_SEPARATOR.split(by) if name) if by else ()
        if names:
            self.inferred.append(Inferred(self.line("by"), ", ".join(names), "byline (names split from by)"))
        return names

    def date(self, name: str) -> model.Date | None:
        value = self.get(name)
        if not isinstance(value, str) or not value:
            return None
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.dropped.append(Dropped(self.line(name), value, f"{name}: not an ISO 8601 date and time"))
            return None
        if moment.time() == dt.time() and moment.utcoffset() == dt.timedelta(0):
            return moment.date()  # midnight UTC: how ninjs, which has only date-times, carries a date alone
        return moment

    def embargo(self) -> dt.datetime | None:
        """`embargoed` (2.x) or `embargoedUntil` (3.x): a moment with its zone; one without a zone (RFC 3339 allows
        "-00:00", unknown offset) is read as UTC, with a warning, since no output may drop an embargo."""
        value = self.get("embargoed")
        if not isinstance(value, str) or not value:
            return None
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            log.warning("%s:%d: embargoed until %r, which is not a date and time: hold the outputs until then",
                        self.source, self.line("embargoed"), value)
            self.dropped.append(Dropped(self.line("embargoed"), value, "embargo: not an ISO 8601 date and time"))
            return None
        if moment.utcoffset() is None or value.endswith("-00:00"):
            log.warning("%s:%d: the embargo %s gives no time zone; read as UTC", self.source,
                        self.line("embargoed"), value)
            moment = moment.replace(tzinfo=dt.UTC)
        self.inferred.append(Inferred(self.line("embargoed"), value, "embargo"))
        return moment

    def provider(self) -> str:
        for source in self.get("infosources") or ():
            if _string(source.get("name")):
                return _string(source["name"])
        return _string(self.get("copyrightholder"))

    def alt_id(self, roles: tuple[str, ...]) -> str:
        """The value of the first alternative id with one of these roles, or ""."""
        for alt in self.get("altids") or ():
            if str(alt.get("role", "")).lower() in roles and _string(alt.get("value")):
                return _string(alt["value"])
        return ""

    def link(self) -> str:
        """The item's web address: its uri when that is one, else an alternative id with a URL role."""
        uri = _string(self.data.get("uri"))
        if uri.startswith(("http://", "https://")):
            return uri
        value = self.alt_id(("url", "canonical", "web"))
        return value if value.startswith(("http://", "https://")) else ""

    def keywords(self) -> tuple[str, ...]:
        words = [_string(s.get("name")) or _string(s.get("literal")) for s in self.get("subjects") or ()]
        words += [_string(k) for k in self.data.get("keywords") or ()]  # keywords: publish's own; 1.x had them
        words += [_string(g.get("name")) for g in self.get("genres") or ()]
        return tuple(dict.fromkeys(w for w in words if w))

    def description(self) -> str:
        descriptions = [d for d in self.get("descriptions") or () if _string(d.get("value"))]
        chosen = next((d for d in descriptions if str(d.get("role", "")).lower() in ("summary", "abstract")),
                      descriptions[0] if descriptions else None)
        return _plain(str(chosen["value"])) if chosen else _string(self.data.get("description_text"))

    def body(self) -> list[model.Block]:
        from publish.readers.htmlblocks import blocks_from_html

        html, text = self.body_sources()
        blocks: list[model.Block] = []
        if html:
            # relative image paths stay relative: they lie beside the item, as its renditions' do
            found, dropped = blocks_from_html(html, source=self.source)
            blocks.extend(found)
            line = self.line("bodies") if "bodies" in self.data else self.line("body_html")
            self.dropped.extend(Dropped(line, d.text, d.reason) for d in dropped)
        elif text:
            blocks.extend(model.Paragraph((model.Text(p.strip()),)) for p in re.split(r"\n\s*\n", text) if p.strip())
        shown = {b.src for b in model.iter_blocks(tuple(blocks)) if isinstance(b, model.Figure)}
        for figure in self.figures():
            if figure.src not in shown:  # a picture the body already shows is not added twice
                self.inferred.append(Inferred(self.line("associations"), figure.src, "figure (a picture association)"))
                blocks.append(figure)
        return blocks

    def body_sources(self) -> tuple[str, str]:
        """The HTML body and the plain-text body (either may be empty)."""
        html = _string(self.data.get("body_html"))
        text = _string(self.data.get("body_text"))
        for body in self.get("bodies") or ():
            kind = str(self.get("contenttype", body) or "").lower()
            value = str(body.get("value", ""))
            if not html and (kind.startswith(HTML_TYPES) or (not kind and "<" in value and ">" in value)):
                html = value
            elif not text and (kind.startswith("text/plain") or not kind):
                text = value
        return html, text

    def figures(self) -> Iterator[model.Figure]:
        """Picture associations with a rendition that has an address, as figures; others are reported."""
        associations = self.get("associations") or ()
        if isinstance(associations, dict):  # 1.x: an object keyed by name
            associations = [{"name": k, **v} for k, v in associations.items() if isinstance(v, dict)]
        for item in associations:
            kind = str(item.get("type", "")).lower()
            name = _string(item.get("name")) or _string(item.get("uri"))
            if kind not in ("picture", "graphic", "image"):
                self.dropped.append(Dropped(self.line("associations"), name,
                                            f"association of type {kind or 'unknown'}: only pictures become figures"))
                continue
            href = self.rendition(item)
            caption = self.sub_description(item)
            if not href:
                self.dropped.append(Dropped(self.line("associations"), name, "picture without a rendition href"))
                continue
            alt = _plain(self.headline_of(item)) or caption or name
            yield model.Figure(href, alt, (model.Text(caption),) if caption else (),
                               _string(self.get("by", item)) or _string(self.get("copyrightnotice", item)))

    def rendition(self, item: dict[str, Any]) -> str:
        renditions = self.get("renditions", item) or ()
        if isinstance(renditions, dict):  # 1.x: an object keyed by rendition name
            renditions = [{"name": k, **v} for k, v in renditions.items() if isinstance(v, dict)]
        ranked = sorted((r for r in renditions if _string(r.get("href"))),
                        key=lambda r: 0 if str(r.get("name", "")).lower() in ("original", "baseimage", "base") else 1)
        return _string(ranked[0]["href"]) if ranked else ""

    def sub_description(self, item: dict[str, Any]) -> str:
        for d in self.get("descriptions", item) or ():
            if _string(d.get("value")):
                return _plain(str(d["value"]))
        return _string(item.get("description_text"))

    def headline_of(self, item: dict[str, Any]) -> str:
        for h in self.get("headlines", item) or ():
            if _string(h.get("value")):
                return str(h["value"])
        return _string(item.get("headline"))


_CAMEL = {
    "firstcreated": "firstCreated", "versioncreated": "versionCreated", "contentcreated": "contentCreated",
    "embargoed": "embargoedUntil", "copyrightnotice": "copyrightNotice", "copyrightholder": "copyrightHolder",
    "contenttype": "contentType", "ednote": "edNote", "usageterms": "usageTerms", "infosources": "infoSources",
    "altids": "altIds", "pubstatus": "pubStatus", "trustindicators": "trustIndicators", "rightsinfo": "rightsInfo",
}
"""2.x property names and their 3.x spellings."""


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _plain(value: str) -> str:
    """Text of a value that may carry markup (a headline with a content type of text/html)."""
    if "<" not in value:
        return " ".join(value.split())
    from publish.readers.sanitise import html_to_text

    return " ".join(html_to_text(value).split())
