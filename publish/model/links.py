"""Where an article's links and inline images point, decided once for every backend: fragments resolved to the
article's own headings, relative links in a package that cannot hold their targets, and URL characters a
fragment cannot hold."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit

from publish import model
from publish.model import text

SAFE_SCHEMES = {"", "http", "https", "mailto"}
"""Link schemes a reader may follow; javascript:, file:, data: and the rest keep their words but lose the link."""
REMOTE_SCHEMES = {"http", "https"}
FRAGMENT_SAFE = "!$&'()*+,;=:@/?-._~"
"""Characters a URL fragment holds as they are (RFC 3986 `pchar / "/" / "?"`); the rest are percent-encoded."""
HEADLINE = ""
"""The anchor value that stands for the headline (its id is the article's id followed by "-headline")."""


def is_address(value: str) -> bool:
    """Whether link text is itself a web or e-mail address (it then breaks anywhere and is never hyphenated; an
    e-mail link's "mailto:" is not printed)."""
    return bool(re.match(r"(?i)^(https?://|www\.|mailto:)\S+$|^[^\s@]+@[^\s@]+\.\w+$", value.strip()))


def heading_id(number: int) -> str:
    """The id of the `number`th heading (from 1) of an article, before any per-article prefix."""
    return f"s{number}"


def encode_fragment(url: str) -> str:
    """`url` with the characters its fragment cannot hold percent-encoded: a second "#" (as in a text fragment,
    `#b#:~:text=...`) becomes %23, a space %20; escapes already there are kept."""
    head, hash_sign, fragment = url.partition("#")
    if not hash_sign:
        return url
    return f"{head}#{re.sub(r'%(?![0-9A-Fa-f]{2})', '%25', quote(fragment, safe=FRAGMENT_SAFE + '%'))}"


def scheme(url: str) -> str | None:
    """The URL's scheme in lower case ("" for a relative reference); None for what is not a URL at all."""
    try:
        return urlsplit(url.strip()).scheme.lower()
    except ValueError:  # "http://[" and the like
        return None


def safe_href(url: str) -> str:
    """The URL if a reader may follow it (http, https, mailto, or relative), its fragment encoded; "" for
    javascript: and the like."""
    return encode_fragment(url.strip()) if scheme(url) in SAFE_SCHEMES else ""


is_remote = model.is_remote


def slugs(value: str) -> Iterator[str]:
    """The ids other tools give a heading with this text, which Markdown links are written against: GitHub's
    ("Release notes (2.0)" → "release-notes-20") and Pandoc's (also without leading digits and punctuation)."""
    lowered = unicodedata.normalize("NFC", value).strip().lower()
    github = re.sub(r"[^\w\- ]", "", lowered).replace(" ", "-")
    yield github
    pandoc = re.sub(r"^[\W\d_]+", "", re.sub(r"[^\w\-_. ]", "", lowered)).strip()  # from the first letter
    yield re.sub(r"\s+", "-", pandoc) or "section"


MAX_KNOWN = 2_000
"""The most articles whose targets are remembered: a long-running process reads many, and forgets them all at
this count."""
_KNOWN: dict[int, tuple[model.Article, Targets]] = {}
"""Each article's targets, by the article's identity (kept with them, so the identity stays its own)."""


@dataclass(frozen=True, slots=True)
class Targets:
    """What an article's links may point to inside the article itself."""

    anchors: dict[str, str]
    """A fragment as a link may give it (our "s3", GitHub's "release-notes") → our id for it ("s3"; HEADLINE for
    the headline)."""
    base: str = ""
    """The article's canonical URL: relative links resolve against it where the output cannot hold their target."""

    @classmethod
    def of(cls, article: model.Article) -> Targets:
        """The targets of one article: its headline and headings, under our ids and the usual slugs. Worked out
        once per article (the model is frozen): the limits check and each backend ask for them."""
        targets = cls.remembered(article)
        if targets is None:
            targets = cls._of(article)
            cls.remember(article, targets)
        return targets

    @staticmethod
    def remembered(article: model.Article) -> Targets | None:
        """The article's targets if they are worked out (or remembered) already, else None."""
        found = _KNOWN.get(id(article))
        return found[1] if found is not None and found[0] is article else None

    @staticmethod
    def remember(article: model.Article, targets: Targets) -> None:
        """Take `targets` as the article's (`of` gives them without working them out): those worked out when it was
        read, kept with its reading (publish.readers)."""
        if len(_KNOWN) >= MAX_KNOWN:
            _KNOWN.clear()
        _KNOWN[id(article)] = (article, targets)

    def text(self) -> str:
        """The targets as JSON text (`from_text` reads them back)."""
        return json.dumps([self.anchors, self.base], ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_text(cls, written: str) -> Targets | None:
        """Targets from `text`'s JSON, or None if it is not of that shape."""
        try:
            anchors, base = json.loads(written)
        except (ValueError, TypeError, RecursionError):
            return None
        if not isinstance(anchors, dict) or not isinstance(base, str) or not all(
                isinstance(key, str) and isinstance(value, str) for key, value in anchors.items()):
            return None
        return cls(anchors, base)

    @classmethod
    def _of(cls, article: model.Article) -> Targets:
        anchors: dict[str, str] = {}
        seen: dict[str, int] = {}

        def add(name: str, target: str) -> None:
            count = seen.get(name, 0)
            seen[name] = count + 1
            anchors.setdefault(name if count == 0 else f"{name}-{count}", target)

        anchors[""] = HEADLINE  # "#" and "#top" go to the top of the document in a browser: the headline
        for slug in dict.fromkeys(slugs(article.meta.headline)):
            add(slug, HEADLINE)
        for number, heading in enumerate(headings(article.blocks), 1):
            anchors[heading_id(number)] = heading_id(number)
            for slug in dict.fromkeys(slugs(text.plain(heading.content))):
                add(slug, heading_id(number))
        anchors.setdefault("top", HEADLINE)
        base = article.meta.url if scheme(article.meta.url) in REMOTE_SCHEMES else ""
        return cls(anchors, base)

    def fragment(self, url: str) -> str | None:
        """Our id for a "#fragment" link (HEADLINE for the headline); None when the article has no such place."""
        return self.anchors.get(unquote(url.strip()[1:]))

    def href(self, url: str, *, article_id: str = "article", packaged: bool = False) -> str:
        """What an output writes for a link: "" when the link is dropped (its words are kept).

        `article_id` prefixes heading ids in a collection; `packaged` is true for an EPUB or DOCX, which cannot
        hold a relative link to a file outside it (made absolute against the article's URL, else dropped).
        """
        written = url.strip()
        kind = scheme(written)
        if kind not in SAFE_SCHEMES:
            return ""
        if written.startswith("#"):
            target = self.fragment(written)
            if target is None:
                return ""
            return f"#{article_id}-headline" if target == HEADLINE else \
                f"#{'' if article_id == 'article' else f'{article_id}-'}{target}"
        if kind == "" and packaged and written:
            if written.startswith("//"):
                return encode_fragment(f"https:{written}")
            return encode_fragment(urljoin(self.base, written)) if self.base else ""
        return encode_fragment(written)

    def warnings(self, article: model.Article) -> list[str]:
        """One line per link that does not go where it says in every output, and per image not shown."""
        out = []
        remote: list[model.Image] = []
        relative: list[tuple[str, str]] = []  # (words, target) of links to files beside the article
        for node in model.iter_article_inlines(article.blocks):
            if isinstance(node, model.Link):
                words = " ".join(text.plain(node.content).split()) or node.url
                written = node.url.strip()
                if written.startswith("#") and self.fragment(written) is None:
                    out.append(f"the link “{words}” goes to {written}, which is no heading of this article; its "
                               "words are kept without the link")
                elif scheme(written) == "" and written and not written.startswith(("#", "//")):
                    relative.append((words, written))
            elif isinstance(node, model.Image) and is_remote(node.src):
                remote.append(node)
        if len(relative) == 1:
            (words, written), = relative
            where = f"it points to {urljoin(self.base, written)} in those" if self.base else \
                "its words are kept without the link in those"
            out.append(f"the link “{words}” goes to {written}, a file beside the article that EPUB and DOCX cannot "
                       f"hold; {where}")
        elif relative:
            where = f"they point to the same paths under {self.base} in those" if self.base else \
                "their words are kept without the links in those"
            out.append(f"{len(relative)} links go to files beside the article ({relative[0][1]}, …) that EPUB and "
                       f"DOCX cannot hold; {where}")
        if remote:
            one = len(remote) == 1
            what = f"the image {remote[0].src} is" if one else f"{len(remote)} images ({remote[0].src}, …) are"
            out.append(f"{what} on the web and not fetched; {'its' if one else 'their'} alt text is shown instead "
                       f"(--allow-remote shows {'it' if one else 'them'} in the PDF)")
        return out


def headings(blocks: Iterable[model.Block]) -> Iterator[model.Heading]:
    """Every heading in reading order, including those inside quotes and list items (the order ids are given in)."""
    for block in model.iter_blocks(tuple(blocks)):
        if isinstance(block, model.Heading):
            yield block
