"""Reader for plain text scraped from a web page: drops the page debris and infers the story's structure."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import itertools
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from publish.errors import InputError
from publish.model import Article, Block, BulletList, Date, Heading, Meta, OrderedList, Paragraph, Rule, Text
from publish.readers import Dropped, Inferred, Reading, Source, sanitise

log = logging.getLogger(__name__)

# --- limits ------------------------------------------------------------------------------------------------

HEADLINE_MAX_WORDS = 22
HEADLINE_MAX_CHARS = 160
SUBHEAD_MAX_WORDS = 14
SUBHEAD_MAX_CHARS = 110
PROSE_MIN_WORDS = 26
"""A line this long is body text even without a full stop."""
PROSE_MIN_CHARS = 200
RELATED_END_MIN_WORDS = 8
"""In a related-articles block, a finished sentence this long is the story again, not a teaser title."""
DEBRIS_MAX_CHARS = 300
"""Longer lines are never debris: the debris patterns are for short page furniture, not paragraphs."""
METADATA_MAX_CHARS, METADATA_MAX_WORDS = 160, 20
"""Longer lines are never byline or date lines."""
DEK_MAX_WORDS = 40
DEK_HEADLINE_MIN_WORDS = 4
"""A headline followed by an unpunctuated dek has at least this many words; a shorter line is a section label."""
DEK_LENGTH_RATIO, DEK_MIN_EXTRA_WORDS = 1.5, 4
"""How much longer than the headline an unpunctuated dek is (a site's tagline is about as short as a headline)."""
LIST_MIN_ITEMS = 2
WRAP_MIN_WIDTH, WRAP_MAX_WIDTH = 40, 120
"""The line widths at which hard-wrapped text is recognised."""
WRAP_FILL = 0.6
"""A wrapped line is at least this fraction of the wrap width."""
WRAP_SAMPLE, WRAP_QUANTILE = 20, 0.9
"""With this many lines broken mid-sentence, the wrap width is taken at this quantile of their widths, not at
the longest (a page's few unwrapped long lines would spoil it)."""
STORY_LIKE_MIN_WORDS = 10
"""A finished sentence this long is story-like: above a headline it is kept, and dropping it counts for the
warning about lost text."""
TEXT_LINE_MIN_WORDS = 5
"""A line of this many words is text, not a menu item or a label: after a footer line, enough of it means the
story goes on."""
HEADLINE_USUAL_MIN_WORDS = 4
HEADLINE_FULL_WORDS = 8
TITLE_PART_MIN_CHARS = 20
"""A title this long (spaces aside) may hold a headline, or be held in one; a shorter one is too likely to
stand inside any line by chance."""
"""A title-like line of 4 words is as long as a headline may be; one of 8 or more is as long as most are."""
BYLINE_WINDOW = 2
"""A byline or date line at most this many lines under a title-like line makes it a candidate headline."""
BETWEEN_MAX_COUNTED = 6
"""Short lines between a headline and its body count against it up to this many (a page may put a whole
toolbar there)."""
HEADLINE_BODY_WINDOW = 25
"""Body text this many lines under a title-like line, past short lines that are not titles, still makes it a
candidate headline."""
SECTION_LABEL_MAX_WORDS = 3
HEADLINE_MIN_EVIDENCE = 0.0
HEADLINE_EVIDENCE: dict[str, float] = {
    "matches the page title": 6.0,
    "is part of the page title": 4.0,
    "byline or date under it": 3.0,
    "dek under it": 1.0,
    "each short line between it and the body": -0.5,
    "headline length": 2.0,
    "set out to the left of the body (lynx prints headings at the margin)": 2.0,
    "a short line in capitals (a section label)": -1.0,
    "share of the story under it": 4.0,
    "text above it": -6.0,
    "an author's name over a bio": -8.0,
}
"""What speaks for (and against) a title-like line being the headline, and how much; the line with the highest
sum is the headline. "share of the story under it" and "story above it" are scaled by the share of the page's
story-like words below and above the line."""

# --- characters --------------------------------------------------------------------------------------------

FULL_STOPS = ".!…。！．۔"
QUESTION_MARKS = "?？؟"
EXCLAMATIONS = "!！"
SENTENCE_BREAK = re.compile(r"[.!?。！？؟۔][\"'”’»)]*\s+\S")
"""A sentence ending inside a line: the line holds more than one sentence."""
WIDE_CHARACTER = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]")
"""Characters a text dump prints two columns wide (East Asian Wide and Fullwidth)."""
WIDE_PUNCTUATION = re.compile("[\uac00-\ud7a3\u1100-\u115f\u3000-\u303e\uff00-\uff0f\uff1a-\uff20]")
"""Wide characters not counted as words of two: Hangul (written with spaces between words), ideographic
spaces and punctuation, full-width marks."""
UNSPACED_CHARACTER = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
"""Thai, Lao, Myanmar and Khmer letters: scripts written without spaces between words."""
QUOTE_FORMS = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
TITLE_SEPARATOR = re.compile(r" (?:[|\-–—·•»:]|::) ")
"""Between a page title's headline and its site name: "Headline | Site", "Site - Headline"."""
CLOSERS = "\"'”’»›)]}」』）"
OPENING_QUOTES = "\"'“‘„«‹「『"
CLOSING_QUOTES = "\"'”’»›」』"
DANGLING_ENDS = ",;:、，；：-–—/&+("
"""A line ending in one of these is cut short: not a title."""
CONTINUATION_STARTS = ",.;:!?)]}"
"""A line starting with one of these continues the line above it."""
DECORATION = " \t\u00a0·•|›»«‹<>→←↑↓▲▼►▶◄◀▸▾-–—#:~=_+"
"""Trimmed from both ends of a line before it is matched against the debris patterns (and "*" from its start)."""

# --- page debris -------------------------------------------------------------------------------------------

Effect = Literal["line", "related", "end"]
Keeps = Literal["", "rights", "keywords"]


@dataclass(frozen=True, slots=True)
class Debris:
    """One kind of page debris: a whole line matching `pattern` is left out of the story and reported."""

    reason: str
    """The short reason given in the report."""
    pattern: re.Pattern[str]
    """Matched against the whole line, ignoring case, after trimming `DECORATION` and collapsing spaces."""
    effect: Effect = "line"
    """"line": drop the line; "related": also drop the story titles listed after it; "end": the story is over."""
    keeps: Keeps = ""
    """A metadata field the line fills instead of being dropped, the first time: "rights" or "keywords"."""
    languages: frozenset[str] = frozenset()
    """The languages (BCP 47 primary tags) whose pages the row is for; empty: pages in every language (English
    widget and navigation words stand on pages in every language)."""


def _for(*languages: str) -> frozenset[str]:
    return frozenset(languages)


def _any_of(*alternatives: str) -> re.Pattern[str]:
    """A case-insensitive pattern for `fullmatch`: any one of the alternatives."""
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


SOCIAL = (r"(?:facebook|twitter|x|whats ?app|linked ?in|e-?mail|print|reddit|pinterest|telegram|messenger"
          r"|threads|bluesky|tumblr|vk|viber|mastodon|flipboard|pocket|sms|google\+?|youtube|instagram|tiktok"
          r"|copy(?: the)? link|digg|stumble(?: ?upon)?|delicious|slashdot|newsvine|buzz)")
SHARE_TOKEN = (rf"(?:share(?: (?:on|via|to|with))? )?{SOCIAL}(?: \d+)?|share(?: (?:this|the)(?: article| story| post"
               r"| page)?)?(?: \d+)?|\d+ shares?|tweet(?: this)?|pin(?: it)?|submit (?:this )?(?:story|article|link)"
               r"(?: to)?|شیئر کریں|شئیر کریں")
FOOTER_TOKEN = (r"about(?: us)?|contact(?: us)?|advertise(?: with us)?|careers|jobs|privacy(?: policy| notice)?"
                r"|terms(?: of (?:use|service))?|terms (?:and|&) conditions|cookie policy|site ?map|rss(?: feeds?)?"
                r"|faqs?|help|accessibility|imprint|code of conduct|editorial (?:policy|standards)"
                r"|do not sell my (?:personal )?information|subscriptions?|archives?")
BREADCRUMB_SEGMENT = r"[^\s\d›»→>/|.!?]+(?: [^\s\d›»→>/|.!?]+){0,4}"
"""One step of a breadcrumb trail: up to five words, no digits (so "June 12, 2024 / 10:30 AM" is not one)."""
TIME_OF_DAY = r"\d{1,2}[:.]\d{2}(?: ?[ap]\.?m\.?)?"

DEBRIS: tuple[Debris, ...] = (  # in order: the first kind that matches a line names it
    Debris("page decoration", _any_of(r"[\W_]*")),
    Debris("copyright line", _any_of(
        r"(?=.{0,120}\d{4})©.{0,200}", r"\(c\) ?\d{4}.{0,200}", r"copyright ?(?:©|\(c\))? ?\d{4}.{0,200}",
        r"copyright ?©.{0,200}",
        r".{0,150}\ball rights reserved\b.{0,80}",
    ), effect="end", keeps="rights"),
    Debris("copyright line", _any_of(r"جملہ حقوق محفوظ ہیں.{0,100}"), effect="end", keeps="rights",
           languages=_for("ur")),
    Debris("comment form", _any_of(
        r"please enter your (?:comment|name|e-?mail(?: address)?)(?: here)?!?",
        r"you have entered an incorrect e-?mail address!?",
        r"leave a (?:reply|comment|response)(?: (?:to .{1,80}|cancel reply))?",
        r"(?:post|add|write|submit|leave) (?:a |your )?comment",
        r"your e-?mail address will not be published\.?(?: required fields are marked ?\*?\.?)?",
        r"required fields are marked ?\*?\.?",
        r"save my name,? e-?mail,? and website in this browser for the next time i comment\.?",
        r"notify me of (?:follow-up comments|new (?:posts|comments|replies)).{0,40}",
        r"\d+ (?:comments?|responses?|replies)", r"no comments(?: yet)?\.?", r"comments?(?: \(\d+\))?",
        r"(?:show|view|load|read) (?:all |more )?comments", r"join the (?:conversation|discussion)",
        r"be the first to comment\.?", r"comments are closed\.?", r"you must be logged in to post a comment\.?",
        r"log ?in to (?:comment|reply)", r"this site uses akismet to reduce spam\..{0,100}", r"cancel reply", "Δ",
    ), effect="end"),
    Debris("footer links", _any_of(
        rf"(?:{FOOTER_TOKEN})(?:(?: ?[|·•,/] ?| )(?:{FOOTER_TOKEN}))+",
        r"privacy policy|terms of (?:use|service)|terms (?:and|&) conditions|cookie policy|(?:contact|about) us"
        r"|advertise with us|do not sell my (?:personal )?information",
    ), effect="end"),
    Debris("tags", _any_of(
        r"(?:tags?|topics?|filed under|categories|category|keywords|related topics) ?: ?(?P<keywords>.{1,200})",
        r"tags?|topics", r"(?:explore )?more on (?:these|this) topics?",
    ), effect="end", keeps="keywords"),
    Debris("related-article link", _any_of(
        r"(?:read (?:more|also|next)|also (?:read|see|watch)|see also|related(?: (?:article|story|news))?|watch"
        r"|listen|recommended) ?(?:[:|»›]|\s[-–—]) ?\S.{1,200}",
    )),
    Debris("related-article link", _any_of(r"(?:یہ بھی پڑھیں|مزید پڑھیں) ?[:：] ?\S.{1,200}"), languages=_for("ur")),
    Debris("related-articles block", _any_of(
        r"related(?: (?:articles?|posts?|stories|news|content|coverage|reading|links|videos))?",
        r"you (?:may|might|could) (?:also )?(?:like|enjoy|be interested in)(?: reading)?",
        r"(?:read|see|watch) (?:more|also|next)", r"also (?:read|see|watch)", r"(?:more|further) reading",
        r"more (?:stories|news|articles|headlines|videos|on this (?:story|topic))",
        r"more (?:in|from) \S+(?: \S+){0,2}",
        r"recommended(?: for you| stories| articles| reading| videos)?",
        r"most (?:read|popular|viewed|shared|commented)(?: (?:stories|articles|news|now|today))?",
        r"trending(?: now| stories| news| topics)?", r"popular(?: posts| stories| now| today)?",
        r"editor['’]?s['’]? (?:picks?|choice)", r"don['’]?t miss(?: this)?", r"what to read next",
        r"top (?:stories|news|headlines)", r"latest(?: (?:news|stories|posts|articles|headlines|updates))?",
        r"in case you missed it",
    ), effect="related"),
    Debris("related-articles block", _any_of(r"مزید پڑھیں", r"یہ بھی پڑھیں", r"متعلقہ خبریں"), effect="related",
           languages=_for("ur")),
    Debris("cookie banner", _any_of(
        r"(?:this (?:web)?site|we(?: and our (?:partners|vendors))?|our (?:web)?site) uses? cookies\b.{0,280}",
        r"by (?:continuing|using|browsing)\b(?=.*\b(?:cookies?|site|privacy)\b).{0,250}",
        r"(?:accept|reject|allow|decline|refuse|deny)(?: all| selected| necessary| essential)?(?: cookies)?"
        r"(?: (?:and|&) (?:continue|close))?",
        r"(?:cookie|privacy) (?:settings|preferences|policy|notice|consent)", r"cookies?",
        r"manage (?:cookies|cookie settings|preferences|consent|settings|options)", r"customi[sz]e(?: settings)?",
        r"(?:i )?(?:accept|agree|understand)", r"got it!?", r"ok(?:ay)?!?", r"we value your privacy",
        r"(?:necessary|essential) cookies only",
    )),
    Debris("newsletter prompt", _any_of(
        r"(?:sign up|subscribe)(?: now| today| here| free| for free)?(?: (?:to|for) (?:our|the|this) .{0,50}"
        r"(?:newsletters?|updates|alerts|e-?mails?|briefings?|digest|bulletin|channel))?(?: here)?[.!]?",
        r"(?:(?:the|our) )?(?:[\w’'&-]+ ){0,4}newsletters?",
        r"get (?:the|our|all the|breaking|the latest|the best) .{0,80}(?:in|to|straight to) your inbox.{0,60}",
        r".{0,80}delivered (?:straight |directly )?to your inbox.{0,60}",
        r"(?:enter|type) your e-?mail(?: address)?(?: here| below)?\.?",
        r"subscribe to .{1,60} (?:via|by|on|with) (?:rss|e-?mail|feed|itunes|podcasts?|youtube)",
        r"thanks? (?:you )?for (?:signing up|subscribing|registering).{0,80}",
        r"by (?:signing up|subscribing|clicking).{0,60}you agree to.{0,160}",
        r"(?:invalid|please enter a valid) e-?mail(?: address)?[.!]?",
        r"you(?:'re|’re| are) (?:now )?subscribed.{0,60}",
        r"(?:no spam|unsubscribe at any time).{0,80}",
    )),
    Debris("paywall prompt", _any_of(
        r"subscribe to (?:continue|keep) reading.{0,60}", r"already (?:a subscriber|have an account)\??(?: .{0,30})?",
        r"create (?:a )?free account.{0,40}", r"this (?:article|content) is (?:for|available to) subscribers only\.?",
        r"(?:unlock|get) (?:full|unlimited) access.{0,60}", r"you have \d+ free articles? (?:left|remaining).{0,40}",
        r"(?:don['’]?t|do not) have an account\??(?: .{0,40})?",
        r"(?:create|register for) (?:an |a free )?account.{0,40}",
        r"forgot (?:your )?(?:password|username)\??", r"(?:sign|log) ?in (?:with|to|using) .{1,40}",
    )),
    Debris("comment form", _any_of(
        r"(?:your )?(?:name|e-?mail|website|comment|message)(?: address)? ?\*", r"(?:your )?(?:name|website|comment)",
        r"submit", r"reply", r"post",
    )),
    Debris("share buttons", _any_of(
        rf"(?:share(?: (?:this|the)(?: article| story| post| page)?)? ?:? )?(?:{SHARE_TOKEN})"
        rf"(?:(?: ?[|,·•/] ?| )(?:{SHARE_TOKEN}))*",
    )),
    Debris("social links", _any_of(
        r"follow us(?: on .{1,60})?", rf"(?:join|follow) (?:us|our .{{1,40}}) on {SOCIAL}(?: .{{0,30}})?",
        r"like us on facebook", r"connect with us",
        r"(?:don['’]?t|never) miss (?:a |any |our )?(?:story|stories|thing|out|an update)[.!]?(?: follow .{1,40})?",
        rf"follow (?:the )?\S+(?: \S+)? on {SOCIAL}",
    )),
    Debris("share buttons", _any_of(
        r"(?:この)?(?:ニュース|記事)を(?:シェア|保存|印刷)(?:する)?", r"記事保存", r"シェア(?:する)?", r"ツイート",
        r"印刷",
    ), languages=_for("ja")),
    Debris("page widget", _any_of(
        r"(?:image|photo|picture|slide|gallery|video|item)s? \d+ (?:of|/) \d+(?: .{0,60})?",
        r"\(button\)(?: .{0,80})?", r"(?:read|save(?: (?:it|this|story|article))?) (?:for )?later",
        r"share (?:this|the)?(?: article| story| post| page| video| photo)? ?(?:on|via|to|with) \S.{0,40}",
        r"(?:click|tap) (?:here )?to (?:share|enlarge|expand|play|copy|see|view|read).{0,60}",
        r"(?:enlarge|expand) (?:this )?(?:image|photo|picture|gallery)", r"(?:hide|show) caption",
        r"(?:open|close|toggle|show|hide) (?:the )?(?:search|alert|sidebar|gallery)",
        r"(?:i?frame|embed|object|video|audio): ?.{0,300}", r"play(?: video)?", r"(?:full ?screen|mute|unmute|pause)",
        r"(?:\[(?:img|image|inline|link|video|iframe|embed|button|\d+)\] ?)+",
    )),
    Debris("link list of a text dump", _any_of(
        r"references", r"(?:visible|hidden) links:?",
        r"(?:\d+\. )?(?:https?|file|ftp|mailto|javascript|about|data|tel):\S*",
    )),
    Debris("commerce or promotion", _any_of(
        r"add to (?:cart|bag|basket|wish ?list)\b.{0,160}", r"buy (?:now|it now|tickets|here)\b.{0,80}",
        r"shop (?:now|here|the (?:story|look|collection|sale))\b.{0,60}", r"(?:shop|buy) (?:it )?(?:on|at) \S.{0,40}",
        r"(?:sale |regular |our )?price ?:? ?(?:[a-z]{0,3}[$€£¥₹]|rs\.?) ?\d[\d.,]*.{0,40}",
        r"(?:[a-z]{0,3}[$€£¥₹]|rs\.?) ?\d[\d.,]*(?: (?:usd|eur|gbp|inr|pkr))?",
        r"sponsored(?: by| content from| content by)? .{1,60}", r"(?:presented|brought to you|paid for) by .{1,60}",
        r"free (?:shipping|delivery|returns)\b.{0,80}",
        r"(?:use|with) (?:the )?(?:promo |coupon |discount )?code \S.{0,60}",
        r"read more ?(?:…|\.{3})(?: ?\S.{0,200})?", r"continue reading ?(?:…|\.{3}|»|›)?",
        r"(?:partner|affiliate) (?:content|links?)(?: .{0,80})?",
        r"we (?:may )?earn (?:a )?(?:commission|money).{0,160}",
    )),
    Debris("image file name", _any_of(
        r"(?:\S+ ){0,4}\S+\.(?:jpe?g|png|gif|webp|tiff?|heic|heif|bmp|svg|avif)(?: \(\d.{0,30}\))?",
    )),
    Debris("navigation", _any_of(
        r"back to (?:top|home(?: ?page)?)", r"(?:go|scroll|return|jump) to (?:the )?top", r"to top", r"top",
        r"skip to (?:the )?(?:main )?(?:content|navigation|menu|search|footer)", r"jump to (?:main )?content",
        r"(?:main |open |close |toggle )?(?:menu|navigation)", r"home(?: ?page)?", r"search(?: for| this site)?",
        r"close", r"next", r"prev(?:ious)?", r"more", r"(?:next|previous|prev) (?:article|post|story|page)",
        r"(?:older|newer) (?:posts|articles|entries|stories)", r"(?:log|sign) ?(?:in|out)", r"register",
        r"my account", r"e-?paper", r"live tv", r"watch live", r"(?:all )?sections",
    )),
    Debris("breadcrumbs", _any_of(
        rf"(?:you are here ?:? )?{BREADCRUMB_SEGMENT}(?:(?: ?[›»→] ?| [>/] ){BREADCRUMB_SEGMENT}){{1,6}}",
    )),
    Debris("advertisement", _any_of(
        r"advert(?:isement)?s?(?: ?[-–—·|:] ?scroll (?:down )?to continue(?: reading| with content)?)?", r"ads?",
        r"sponsored(?: content| post| links?)?", r"promoted(?: content| stories)?",
        r"paid (?:content|post|partnership)",
        r"(?:story|article|content|text) continues (?:below|after)(?: (?:this |the )?(?:advertisement|ad))?",
        r"continue reading (?:below|after (?:the )?(?:ad|advertisement))",
        r"scroll (?:down )?to continue(?: with content| reading)?",
    )),
    Debris("advertisement", _any_of(r"اشتہار"), languages=_for("ur")),
    Debris("article toolbar", _any_of(
        r"\d+ ?(?:- ?)?min(?:ute)?s?\.? read", r"reading time:? ?\d+ ?min(?:ute)?s?",
        r"listen(?: to (?:this )?(?:article|story))?(?: \d+ min(?:ute)?s?)?", r"(?:font|text) size",
        r"a ?[-+] ?a ?[-+]?", r"print(?: this)?(?: article| page)?", r"save(?: article| story| for later)?",
        r"bookmark", r"gift(?: this)? article", r"follow", r"link copied!?", r"zoom", r"loading\.{0,3}",
        rf"{TIME_OF_DAY}(?: ?/ ?{TIME_OF_DAY})?",
    )),
    Debris("relative timestamp", _any_of(
        r"(?:updated |posted |published )?(?:\d+|an?|one) (?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?"
        r"|months?) ago",
        rf"(?:updated |posted )?(?:just now|today|yesterday)(?: at {TIME_OF_DAY})?",
    )),
    Debris("image credit", _any_of(
        r"(?:file )?(?:photo|image|picture|photograph|illustration|video|graphic)s?(?: credit| by| courtesy)?"
        r" ?[:|/©] ?.{1,100}",
        r"\((?:file )?(?:photo|image|picture)s?\b[^)]{0,100}\)", r"(?:photo|image) (?:credit|courtesy) .{1,100}",
        r"©.{1,80}",
    )),
    Debris("publisher boilerplate", _any_of(
        r"our standards: the thomson reuters trust principles\.?(?:,? opens new tab)?",
        r"(?:purchase|acquire) licensing rights(?:,? opens new tab)?", r"opens new tab", r"suggested topics",
        r"reuse this content",
    )),
)
RELATED_BLOCK = "related-articles block"
LINK_HEADER = Debris("link header of a text dump", re.compile(r"#.*"))
LINK_MARKER = re.compile(r"\[(?:\d+|img|image|inline|link|button)\]", re.IGNORECASE)
"""What lynx and w3m print for a link or an image: "[12]Home", "[IMG]"."""
LINK_HEADER_FILL = 60
"""A link header line this long (in columns) was wrapped: the next line carries it on."""

# --- metadata lines ----------------------------------------------------------------------------------------

MONTH_NAMES = (
    ("jan", "january", "جنوری"), ("feb", "february", "فروری"), ("mar", "march", "مارچ"), ("apr", "april", "اپریل"),
    ("may", "مئی"), ("jun", "june", "جون"), ("jul", "july", "جولائی"), ("aug", "august", "اگست"),
    ("sep", "sept", "september", "ستمبر"), ("oct", "october", "اکتوبر"), ("nov", "november", "نومبر"),
    ("dec", "december", "دسمبر"),
)
"""Month names in English and Urdu, January first."""
MONTH_NUMBERS = {name: number for number, names in enumerate(MONTH_NAMES, 1) for name in names}
MONTH = "(?:" + "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True)) + ")"
WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,? )"
DATE_FORMS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"\b{WEEKDAY}?(?P<month>{MONTH})\.? (?P<day>\d{{1,2}})(?:st|nd|rd|th)?,? (?P<year>\d{{4}})", re.I),
    re.compile(rf"\b{WEEKDAY}?(?P<day>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<month>{MONTH})\.?,? (?P<year>\d{{4}})",
               re.I),
    re.compile(r"\b(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})\b"),
)
"""Calendar dates: "June 12, 2024", "Wed 12 June 2024", "2024-06-12"."""
TIME_AROUND_DATE = re.compile(
    r"[\s,|]*(?:at |[-–—] ?)?(?:(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))? ?"
    r"(?P<ampm>(?i:[ap]\.? ?m\.?))?)? ?(?P<zone>Z|[A-Z]{2,5}(?: ?[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2})?[\s,.]*"
)
"""What may stand beside a date on a date line: a time of day and a time zone."""
UTC_OFFSET = re.compile(r"(?:GMT|UTC|Z)?(?: ?(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?)?")
"""A zone the reader can turn into an offset ("GMT+5", "UTC", "+05:00"); named zones ("PKT", "EST") are ignored."""
DATE_LABEL = re.compile(
    r"(?P<label>(?:first |originally )?published(?: on| at)?|posted(?: on| at)?|released|filed|(?:last )?updated"
    r"(?: on| at)?|(?:last )?modified(?: on| at)?|dated?|on)(?: ?[:\-–—] ?| )", re.I)
UPDATED_LABEL = re.compile(r"(?:last )?(?:updated|modified)", re.I)
GENERIC_LABEL = re.compile(r"dated?|on", re.I)
BYLINE = re.compile(r"(?:(?:written|story|words|reported|text|report|photos and text) )?by ?:? (?P<names>\S.*)", re.I)
PLACED_BYLINE = re.compile(r"(?P<names>.+?) in (?P<place>[A-Z][\w’'.-]*(?: [A-Z][\w’'.-]*){0,2})")
"""A byline without "By" but with the reporter's place: "Jane Doe in Kyiv"."""
PLACE_SUFFIX = re.compile(r" (?:in|from) [A-Z][\w’'.-]*(?: [A-Z][\w’'.-]*)*$")
NAME_SEPARATOR = re.compile(r" ?, ?| (?:and|&) ", re.I)
NAME_PARTICLES = frozenset((
    "de", "da", "del", "della", "der", "den", "di", "du", "dos", "das", "la", "le", "van", "von", "bin", "bint",
    "ibn", "abu", "al", "el", "ul", "ur", "y", "e", "ter", "ten", "zu",
))
"""Lower-case words a name may contain ("Ahmed bin Salem", "Ludwig van Beethoven")."""
ROLE_WORDS = re.compile(r"\b(?:staff|correspondent|reporter|editor|writer|desk|contributor|columnist|analyst"
                        r"|bureau|team|newsroom|report)\b", re.I)
DESK_BYLINES = frozenset(name.lower() for name in (
    "Web Desk", "News Desk", "Staff Reporter", "Staff Report", "Our Correspondent", "Our Staff Reporter",
    "ویب ڈیسک", "نیوز ڈیسک", "اسٹاف رپورٹر", "نمائندہ خصوصی",
))
"""Bylines that name a desk rather than a person, written without "By"."""
AGENCIES = frozenset(name.lower() for name in (
    "Reuters", "Associated Press", "The Associated Press", "AP", "AFP", "Agence France-Presse", "Bloomberg", "APP",
    "PTI", "IANS", "ANI", "Xinhua", "TASS", "Anadolu Agency", "Anadolu", "dpa", "EFE", "Kyodo", "Kyodo News",
    "Yonhap", "UPI", "UNI", "NNA", "WAM", "SPA", "Bernama", "Interfax", "RIA Novosti", "AKIpress", "Kabar",
))
METADATA_SEPARATOR = re.compile(
    r" ?[|·•] ?| [-–—/] | (?=(?:last )?(?:updated|modified)\b)"
    r"|(?<=\d) (?=by )|(?<=[ap]m) (?=by )|(?<=[ap]\.m\.) (?=by )", re.I)
"""Splits "By Jane Doe | June 12, 2024", "Posted on June 12, 2024 by Jane Doe" and "Published June 12, 2024 Updated
June 13, 2024" into their parts."""
IGNORABLE_PART = ("article toolbar", "relative timestamp")
"""Debris reasons a part of a byline or date line may have: "5 min read", "2 hours ago"."""

# --- story structure ---------------------------------------------------------------------------------------

RULE = re.compile(r"([*_\-—–•=~])(?: ?\1){2,}")
"""A line of only "***", "* * *", "---"...: a thematic break."""
BULLET_ITEM = re.compile(r"(?P<marker>[•●▪◦‣*-]) +(?P<content>\S.*)")
ORDERED_ITEM = re.compile(r"(?P<marker>\d{1,3})[.)] +(?P<content>\S.*)")
CREDIT_LINE = re.compile(r"\(?(?:additional |writing and )?(?:reporting|writing|editing|compiled|produced|graphics"
                         r"|research|photos?|translation|fact-checking|video) by\b", re.I)
"""A wire story's credit line ("Reporting by ...; Editing by ..."): story text, never a subhead."""
BY_START = re.compile(r"by\s", re.I)
DATELINE = re.compile(
    r"(?P<place>[^\W\d_][\w.'’-]*(?: [^\W\d_][\w.'’-]*){0,3})"
    rf"(?P<region>, (?!(?i:{MONTH})\b)[^\W\d_][\w.'’-]*(?: [^\W\d_][\w.'’-]*){{0,2}})?"
    rf"(?:,? (?i:{MONTH})\.? \d{{1,2}})?(?: ?\((?P<agency>[^()]{{1,40}})\))? ?[-–—:] "
)
"""The place a story was filed from, opening its first paragraph: "BISHKEK, June 12 (Reuters) - ", "ISLAMABAD: "."""
NOT_PLACES = frozenset((
    "breaking", "update", "updated", "exclusive", "analysis", "opinion", "editorial", "watch", "video", "photos",
    "live", "note", "factbox", "explainer", "warning", "alert", "flash", "urgent", "file", "correction", "timeline",
    "review", "interview", "comment",
))
"""Labels that open a paragraph like a dateline does ("BREAKING: ...") but are not places."""

# --- scripts and languages ---------------------------------------------------------------------------------

SCRIPTS: dict[str, tuple[tuple[int, int], ...]] = {
    "arabic": ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    "cjk": ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)),
    "hangul": ((0x1100, 0x11FF), (0xAC00, 0xD7AF)),
    "cyrillic": ((0x0400, 0x04FF),),
    "greek": ((0x0370, 0x03FF),),
    "hebrew": ((0x0590, 0x05FF),),
    "devanagari": ((0x0900, 0x097F),),
    "thai": ((0x0E00, 0x0E7F),),
}
SCRIPT_LANGUAGES = {"arabic": "ar", "cjk": "zh", "hangul": "ko", "cyrillic": "ru", "greek": "el", "hebrew": "he",
                    "devanagari": "hi", "thai": "th"}
URDU_LETTERS = frozenset("ٹڈڑںےۓ")
PERSIAN_LETTERS = frozenset("پچژگکی")
KANA = ((0x3040, 0x30FF), (0x31F0, 0x31FF))
LANGUAGE_SAMPLE_CHARS = 20_000
"""The script is judged on the headline and the story's first characters, up to this many."""
JAPANESE_MIN_KANA = 0.05
PAGE_SCRIPT_SHARE = 0.2
"""A page whose letters are this much of one non-Latin script gets that script's language's debris rows (its
menus, links and reference list may be in Latin letters)."""
"""The share of kana among CJK characters above which the text is Japanese rather than Chinese."""


# --- lines and units ---------------------------------------------------------------------------------------

LineKind = Literal["blank", "rule", "debris", "item", "meta", "text"]
FactRole = Literal["byline", "source", "published", "updated", "date", "ignore"]


@dataclass(frozen=True, slots=True)
class _Fact:
    """One thing a byline or date line says."""

    role: FactRole
    names: tuple[str, ...] = ()
    text: str = ""
    date: Date | None = None
    weak: bool = False
    """A byline only between headline and body ("Jane Doe in Kyiv"); elsewhere it may be a title."""


@dataclass(frozen=True, slots=True)
class _Line:
    """One source line and what it looks like on its own."""

    number: int
    raw: str
    """The line as it was."""
    text: str
    """The line without leading and trailing whitespace."""
    kind: LineKind
    debris: Debris | None = None
    keywords: str = ""
    """The keywords of a tags line."""
    facts: tuple[_Fact, ...] = ()
    """What a byline or date line says."""
    list_kind: str = ""
    """A list item's kind: "bullet" or "ordered"."""
    marker: str = ""
    """A list item's bullet character, or its number."""
    content: str = ""
    """The text after a list item's marker; the whole text for other lines."""


@dataclass(frozen=True, slots=True)
class _Unit:
    """A logical line: one source line, or a hard-wrapped run of them joined with single spaces."""

    kind: LineKind
    lines: tuple[_Line, ...]
    text: str
    content: str

    @property
    def first(self) -> _Line:
        return self.lines[0]

    @classmethod
    def of(cls, lines: list[_Line]) -> _Unit:
        """The unit of a line and the lines that continue it, joined with single spaces."""
        rest = [line.text for line in lines[1:]]
        first = lines[0]
        return cls(first.kind, tuple(lines), " ".join([first.text, *rest]), " ".join([first.content, *rest]))


@dataclass(slots=True)
class _Report:
    """What the reader dropped and inferred so far, and the metadata found on the way."""

    dropped: list[Dropped] = field(default_factory=list)
    inferred: list[Inferred] = field(default_factory=list)
    authors: tuple[str, ...] = ()
    source: str = ""
    published: Date | None = None
    updated: Date | None = None
    rights: str = ""
    keywords: tuple[str, ...] = ()
    dek: str = ""
    story_words_dropped: int = 0
    """The words of the long sentences dropped, whatever the reason (debris by rule included)."""

    def drop(self, unit: _Unit, reason: str) -> None:
        self.dropped.extend(Dropped(line.number, line.raw, reason) for line in unit.lines)
        if _reads_as_story(unit.text):
            self.story_words_dropped += _words(unit.text)

    def infer(self, unit: _Unit, role: str) -> None:
        self.inferred.append(Inferred(unit.first.number, unit.text, role))


# --- the reader --------------------------------------------------------------------------------------------


def read(source: Source) -> Reading:
    """Read the source as UTF-8 text (see `read_text`)."""
    return read_text(source.text(), source=source.name)


def read_text(text: str, *, source: str) -> Reading:
    """Turn scraped page text into an article, reporting every line left out and every role inferred."""
    text, markup = sanitise.strip_markup(text)  # raw HTML in the scrape: its text is kept, its tags are not
    page_language = _script_language(" ".join(text[:LANGUAGE_SAMPLE_CHARS * 4].split()), PAGE_SCRIPT_SHARE)
    lines = [_classify(number, raw, page_language) for number, raw in enumerate(text.split("\n"), 1)]
    units = _units(_link_header(lines))
    if not units:
        raise InputError("no story found: the text is empty", path=source)
    if not any(unit.kind in ("text", "item") for unit in units):
        raise InputError("no story found: every line looks like page debris (navigation, share buttons, "
                         "comment form, ...)", path=source)
    found = _find_headline(units)
    if found is None:
        first = next(i for i, unit in enumerate(units) if unit.kind in ("text", "item", "meta"))
        found = (first, None, first + 1)
        log.warning("%s:%d: no headline found (no short line is followed by body text); the first line is "
                    "taken as the headline: %s", source, units[first].first.number, _quoted(units[first].text))
    headline, dek, body = found
    report = _Report()
    title_line, title_forms = _page_titles(units)
    if title_line == headline or _title_key(units[headline].text) not in title_forms:
        title_line = None  # the first line is the page's title only when the headline repeats it
    above = _before_headline(units[:headline], title_line, report)
    report.infer(units[headline], "headline")
    _header(units[headline + 1:body], dek, report)
    kept = above + _story(units[body:], report)
    kept_words = sum(_words(unit.text) for unit in kept)
    if report.story_words_dropped > kept_words:
        log.warning("%s: more story-like text was dropped (%d words) than kept (%d words); the headline taken "
                    "is %s: see `publish inspect` for what was dropped", source, report.story_words_dropped,
                    kept_words, _quoted(units[headline].text))
    placed = _blocks(_trim_rules(kept, report), report)
    dateline = _dateline([unit for block, unit in placed if isinstance(block, Paragraph)][:1], report)
    language = _language(units[headline], kept, report)
    meta = Meta(headline=_unmarked(units[headline].text), dek=report.dek, authors=report.authors, dateline=dateline,
                published=report.published, updated=report.updated, source=report.source, language=language,
                keywords=report.keywords, rights=report.rights)
    report.dropped.extend(Dropped(m.line, m.before, "raw HTML with no text") for m in markup if not m.after)
    report.inferred.extend(Inferred(m.line, m.before, "raw HTML reduced to its text") for m in markup if m.after)
    return Reading(
        Article(meta, tuple(block for block, _ in placed)),
        tuple(sorted(report.dropped, key=lambda d: d.line)),
        tuple(sorted(report.inferred, key=lambda i: i.line)),
    )


def _quoted(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return f"“{flat if len(flat) <= limit else flat[:limit].rsplit(' ', 1)[0] + ' …'}”"


# --- classifying single lines ------------------------------------------------------------------------------


def _classify(number: int, raw: str, language: str = "") -> _Line:
    """What one line looks like on its own, on a page in `language` (which selects the debris rows that apply)."""
    text = raw.strip()
    if not text:
        return _Line(number, raw, text, "blank")
    if RULE.fullmatch(text):
        return _Line(number, raw, text, "rule")
    debris = _debris(text, language)
    if debris is not None:
        return _Line(number, raw, text, "debris", debris=debris[0], keywords=debris[1])
    for list_kind, pattern in (("bullet", BULLET_ITEM), ("ordered", ORDERED_ITEM)):
        item = pattern.fullmatch(text)
        if item:
            return _Line(number, raw, text, "item", list_kind=list_kind, marker=item["marker"],
                         content=item["content"])
    facts = _metadata(_unmarked(text))
    return _Line(number, raw, text, "meta" if facts else "text", facts=facts, content=text)


def _link_header(lines: list[_Line]) -> list[_Line]:
    """The lines with the link header a text browser's dump opens with ("#Start RSS Feed alternate ...", the page's
    <link> elements; lynx prints it first, marked with "#") made debris, with the lines it wraps onto."""
    opening = [i for i, line in enumerate(lines) if line.kind != "blank"][:2]  # a pasted title may stand above it
    first = next((i for i in opening if lines[i].text.startswith("#") and not lines[i].text.startswith("# ")), None)
    if first is None:
        return lines
    end = first + 1
    while end < len(lines) and lines[end].kind != "blank" and _columns(lines[end - 1].raw) >= LINK_HEADER_FILL:
        end += 1
    header = [dataclasses.replace(line, kind="debris", debris=LINK_HEADER) for line in lines[first:end]]
    return [*lines[:first], *header, *lines[end:]]


def _unmarked(text: str) -> str:
    """The text without a text dump's link markers ("[115]Federal Reserve's ..." is a linked headline)."""
    return " ".join(LINK_MARKER.sub("", text).split()) if "[" in text else text


def _normalised(text: str) -> str:
    """The line as the debris patterns see it: link markers of a text dump ("[12]", "[IMG]") removed, spaces
    collapsed, decoration trimmed."""
    return " ".join(LINK_MARKER.sub(" ", text).split()).lstrip(DECORATION + "*").rstrip(DECORATION)


def _debris(text: str, language: str = "") -> tuple[Debris, str] | None:
    """The first kind of debris the whole line is (among the rows for every language and for `language`), and
    the keywords it carries; None for story text."""
    if len(text) > DEBRIS_MAX_CHARS:
        return None
    line = _normalised(text)
    for debris in DEBRIS:
        if debris.languages and language not in debris.languages:
            continue
        match = debris.pattern.fullmatch(line)
        if match:
            return debris, (match.groupdict().get("keywords") or "")
    return None


# --- bylines and dates -------------------------------------------------------------------------------------


def _metadata(text: str) -> tuple[_Fact, ...]:
    """What a byline or date line says; empty if the line is anything else."""
    if len(text) > METADATA_MAX_CHARS or len(text.split()) > METADATA_MAX_WORDS:
        return ()
    whole = _date_fact(text)
    if whole:
        return whole
    parts = [part.strip() for part in METADATA_SEPARATOR.split(text) if part.strip()]
    facts: list[_Fact] = []
    plain: list[str] = []
    for part in parts:
        timed = _time_of(facts[-1], part) if facts else None
        if timed is not None:
            facts[-1] = timed
            continue
        said = (_date_fact(part) or _byline_facts(part) or _placed_byline(part) or _desk_fact(part)
                or _agency_fact(part) or _ignorable(part))
        if said:
            facts.extend(said)
        elif len(parts) > 1 and _is_name(part, min_words=2):
            plain.append(part)
        else:
            return ()
    return _with_plain_names(facts, plain)


def _time_of(fact: _Fact, part: str) -> _Fact | None:
    """A date fact with the time of day that follows it as a part of its own ("June 12, 2024 / 10:30 AM")."""
    time = TIME_AROUND_DATE.fullmatch(part)
    if time is None or time["hour"] is None or fact.date is None or isinstance(fact.date, dt.datetime):
        return None
    moment = _with_time(fact.date, time)
    return None if moment is None else dataclasses.replace(fact, date=moment)


def _with_plain_names(facts: list[_Fact], plain: list[str]) -> tuple[_Fact, ...]:
    """Capitalised parts without "By": the publisher beside a byline ("By Jane Doe | Harbour Daily"), the author
    beside a date or agency ("Jane Doe | Reuters"); alone they are not metadata."""
    roles = {fact.role for fact in facts}
    if plain and "byline" in roles:
        facts.append(_Fact("source", text=plain[0]))
    elif plain and roles & {"source", "published", "updated", "date"}:
        facts.append(_Fact("byline", names=tuple(plain)))
    elif plain or roles <= {"ignore"}:
        return ()
    return tuple(facts)


def _date_fact(text: str) -> tuple[_Fact, ...]:
    text = text.strip()
    label = DATE_LABEL.match(text)
    value = _parse_date(text[label.end():] if label else text)
    if value is None:
        return ()
    if label is None or GENERIC_LABEL.fullmatch(label["label"]):
        return (_Fact("date", date=value),)
    return (_Fact("updated" if UPDATED_LABEL.match(label["label"]) else "published", date=value),)


def _parse_date(text: str) -> Date | None:
    """A date, or a date and time, written alone (with at most a time of day and zone beside it)."""
    text = text.strip()
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    for form in DATE_FORMS:
        found = form.search(text)
        if found is None:
            continue
        day = _calendar_date(found)
        before, after = text[:found.start()], text[found.end():]
        if before.strip(" ,|"):
            time, rest = TIME_AROUND_DATE.fullmatch(before), after.strip(" ,.")
        else:
            time, rest = TIME_AROUND_DATE.fullmatch(after), ""
        if day is None or time is None or rest:
            return None
        return _with_time(day, time)
    return None


def _calendar_date(found: re.Match[str]) -> dt.date | None:
    month = found["month"]
    number = int(month) if month.isdigit() else MONTH_NUMBERS.get(month.lower().rstrip("."), 0)
    try:
        return dt.date(int(found["year"]), number, int(found["day"]))
    except ValueError:
        return None


def _with_time(day: dt.date, time: re.Match[str]) -> Date | None:
    if time["hour"] is None:
        return day
    hour, minute, second = int(time["hour"]), int(time["minute"]), int(time["second"] or 0)
    ampm = (time["ampm"] or "").lower()
    if ampm and not 1 <= hour <= 12:
        return None
    if ampm.startswith("p") and hour < 12:
        hour += 12
    elif ampm.startswith("a") and hour == 12:
        hour = 0
    try:
        return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=_zone(time["zone"]))
    except ValueError:
        return None


def _zone(zone: str | None) -> dt.tzinfo | None:
    offset = UTC_OFFSET.fullmatch(zone or "")
    if not zone or offset is None:
        return None
    if offset["sign"] is None:
        return dt.UTC
    minutes = int(offset["hours"]) * 60 + int(offset["minutes"] or 0)
    return dt.timezone(dt.timedelta(minutes=-minutes if offset["sign"] == "-" else minutes))


def _byline_facts(text: str) -> tuple[_Fact, ...]:
    """The authors (and agency) of a "By ..." line."""
    byline = BYLINE.fullmatch(text.strip())
    if byline is None:
        return ()
    names = PLACE_SUFFIX.sub("", byline["names"].strip())
    authors: list[str] = []
    roles: list[str] = []
    agency = ""
    for part in (p.strip() for p in NAME_SEPARATOR.split(names) if p.strip()):
        if part.lower() in AGENCIES:
            agency = agency or part
        elif not _is_name(part):
            return ()
        else:
            (roles if ROLE_WORDS.search(part) else authors).append(part)
    facts = [_Fact("byline", names=tuple(authors or roles))] if authors or roles else []
    return (*facts, _Fact("source", text=agency)) if agency else tuple(facts)


def _is_name(text: str, *, min_words: int = 1) -> bool:
    words = text.split()
    if not min_words <= len(words) <= 5 or len(text) > 60 or any(ch.isdigit() for ch in text):
        return False
    if not (words[0][0].isupper() and words[-1][0].isupper()):
        return False
    return all(w[0].isupper() or w.lower() in NAME_PARTICLES or w.lower().startswith(("al-", "el-", "d'", "d’"))
               for w in words)


def _placed_byline(text: str) -> tuple[_Fact, ...]:
    placed = PLACED_BYLINE.fullmatch(text.strip())
    if placed is None:
        return ()
    names = [p.strip() for p in NAME_SEPARATOR.split(placed["names"]) if p.strip()]
    if not names or not all(_is_name(name, min_words=2) and len(name.split()) <= 3 for name in names):
        return ()
    return (_Fact("byline", names=tuple(names), weak=True),)


def _desk_fact(text: str) -> tuple[_Fact, ...]:
    return (_Fact("byline", names=(text.strip(),)),) if text.strip().lower() in DESK_BYLINES else ()


def _agency_fact(text: str) -> tuple[_Fact, ...]:
    return (_Fact("source", text=text.strip()),) if text.strip().lower() in AGENCIES else ()


def _ignorable(text: str) -> tuple[_Fact, ...]:
    debris = _debris(text.strip())
    return (_Fact("ignore"),) if debris and debris[0].reason in IGNORABLE_PART else ()


# --- joining hard-wrapped lines ----------------------------------------------------------------------------


def _units(lines: list[_Line]) -> list[_Unit]:
    """The non-blank lines as logical lines: a wrapped paragraph or list item joined into one unit."""
    width = _wrap_width(lines)
    runs: list[list[_Line]] = []
    for before, line in zip([None, *lines], lines, strict=False):
        if line.kind == "blank":
            continue
        if line.kind == "text" and before is not None and before.kind in ("text", "item") and \
                _continues(before, line, width):
            runs[-1].append(line)
        else:
            runs.append([line])
    return [_Unit.of(run) for run in runs]


def _wrap_width(lines: list[_Line]) -> int | None:
    """The width (in columns) the text was wrapped at, judged from lines that break mid-sentence: before a
    lower-case letter, or before a letter of a script without case (Arabic, Chinese, Thai...) where the line
    above does not end a sentence; None if it is not wrapped."""
    widths = sorted(_columns(a.text) for a, b in itertools.pairwise(lines)
                    if a.kind in ("text", "item") and b.kind == "text" and _breaks_mid_sentence(a.text, b.text))
    if len(widths) >= WRAP_SAMPLE:  # a long text: a few lines that were never wrapped may be longer
        widths = widths[:int(len(widths) * WRAP_QUANTILE) + 1]
    width = max(widths, default=0)
    return width if WRAP_MIN_WIDTH <= width <= WRAP_MAX_WIDTH else None


def _breaks_mid_sentence(above: str, below: str) -> bool:
    first = below[0]
    caseless = first.isalpha() and not first.isupper() and not first.islower()
    return first.islower() or (caseless and _last_char(above) not in FULL_STOPS + QUESTION_MARKS)


def _columns(text: str) -> int:
    """The columns a text dump gives the text: wide (East Asian) characters take two."""
    return len(text) if text.isascii() else len(text) + len(WIDE_CHARACTER.findall(text))


def _words(text: str) -> int:
    """About how many words a text holds: spaced words, and the characters of scripts written without spaces
    counted as words of two (CJK) or four (Thai, Lao, Khmer, Myanmar) characters."""
    if text.isascii():
        return len(text.split())
    wide = len(WIDE_CHARACTER.findall(text)) - len(WIDE_PUNCTUATION.findall(text))
    return len(text.split()) + wide // 2 + len(UNSPACED_CHARACTER.findall(text)) // 4


def _continues(before: _Line, line: _Line, width: int | None) -> bool:
    """Whether `line` carries on the sentence of the line right above it."""
    if line.text[0].islower() or line.text[0] in CONTINUATION_STARTS:
        return True
    if before.kind == "item" and line.raw[:1].isspace():
        return True
    if width is None:
        return False
    next_word = line.text.split()[0]
    above = _columns(before.text)
    return above >= WRAP_FILL * width and above + 1 + _columns(next_word) > width


# --- telling titles from prose -----------------------------------------------------------------------------


def _last_char(text: str) -> str:
    return text.rstrip(CLOSERS + " ")[-1:]


def _is_prose(text: str) -> bool:
    """Body text: a finished sentence, or too long for a title."""
    words, last = _words(text), _last_char(text)
    return (last in FULL_STOPS or (last in QUESTION_MARKS and words > SUBHEAD_MAX_WORDS)
            or words >= PROSE_MIN_WORDS or len(text) >= PROSE_MIN_CHARS)


def _is_whole_quote(text: str) -> bool:
    return text[0] in OPENING_QUOTES and text.rstrip(".,;:!?… ")[-1:] in CLOSING_QUOTES


def _is_title(text: str, max_words: int, max_chars: int) -> bool:
    """Short, unfinished (or a question), not a quotation or a credit line: a headline or subhead."""
    if _is_prose(text) or _words(text) > max_words or len(text) > max_chars:
        return False
    if _last_char(text) in DANGLING_ENDS or text[0].islower() or text[0] in "([":
        return False
    if _is_whole_quote(text) or CREDIT_LINE.match(text):
        return False
    return any(ch.isalpha() for ch in text)


def _is_weak_metadata(unit: _Unit) -> bool:
    return unit.kind == "meta" and all(fact.weak for fact in unit.first.facts)


def _is_headline(unit: _Unit) -> bool:
    """Title-like: short, not a byline; a headline may end in "!" or "?" ("Ferries are back!")."""
    text = _unmarked(unit.text)
    if not text:
        return False
    enough = len(text.split()) >= 2 or (len(text) >= 4 and any(ord(ch) >= 0x2E80 for ch in text))
    if not ((unit.kind == "text" or _is_weak_metadata(unit)) and enough and not BY_START.match(text)):
        return False
    if _is_title(text, HEADLINE_MAX_WORDS, HEADLINE_MAX_CHARS):
        return True
    exclaimed = _last_char(text) in EXCLAMATIONS + QUESTION_MARKS and not SENTENCE_BREAK.search(text)
    return exclaimed and _is_title(text.rstrip(CLOSERS + " ")[:-1], HEADLINE_MAX_WORDS, HEADLINE_MAX_CHARS)


def _is_body(unit: _Unit) -> bool:
    return unit.kind == "text" and _is_prose(unit.text)


# --- finding the headline and the start of the story -------------------------------------------------------


def _next_content(units: list[_Unit], start: int) -> int | None:
    return next((i for i in range(start, len(units)) if units[i].kind in ("text", "item")), None)


def _candidates(units: list[_Unit]) -> list[tuple[int, int | None, int]]:
    """Every possible headline: a title-like line with body text after it (perhaps past a dek, byline or date
    lines, debris, and a few short lines such as captions and credits): its index, the dek's (or None) and the
    index of the first unit of the story."""
    found: list[tuple[int, int | None, int]] = []
    for index, unit in enumerate(units):
        if not _is_headline(unit):
            continue
        following = _next_content(units, index + 1)
        if following is None:
            break
        body = _body_after_dek(units, index, following)
        if body is not None:
            found.append((index, following, body))
        elif _first_body(units, following) is not None or _byline_near(units, index + 1):
            found.append((index, None, following))
    return found


def _byline_near(units: list[_Unit], start: int) -> bool:
    """A byline or date line within the next few lines: a headline's, even where a video carousel or a gallery
    stands between it and the story."""
    content = 0
    for unit in units[start:]:
        if unit.kind == "meta" and not _is_weak_metadata(unit):
            return True
        content += unit.kind in ("text", "item")
        if content > BYLINE_WINDOW:
            return False
    return False


def _first_body(units: list[_Unit], start: int) -> int | None:
    """The first body text from `start` on, within a few short lines (captions, credits, a date line the reader
    cannot parse); None if there is none that near."""
    seen = 0
    for i in range(start, len(units)):
        if units[i].kind not in ("text", "item"):
            continue
        if _is_body(units[i]):
            return i
        seen += 1
        if seen > HEADLINE_BODY_WINDOW:
            return None
    return None


def _is_story_like(unit: _Unit) -> bool:
    """A line of text that is a long finished sentence or more: text a reader would miss if it were dropped."""
    return unit.kind in ("text", "item") and _reads_as_story(unit.content)


def _reads_as_story(text: str) -> bool:
    return _is_prose(text) and _words(text) >= STORY_LIKE_MIN_WORDS


def _story_words(units: list[_Unit]) -> list[int]:
    """For each unit, the story-like words in the units before it (and, last, in all of them)."""
    totals = [0]
    for unit in units:
        totals.append(totals[-1] + (_words(unit.text) if _is_story_like(unit) else 0))
    return totals


def _text_words(units: list[_Unit]) -> list[int]:
    """For each unit, the words in the lines of text before it that are longer than a menu item or a label (and,
    last, in all of them): a story's verse and short lines count here, though they are not story-like."""
    totals = [0]
    for unit in units:
        words = _words(unit.text) if unit.kind in ("text", "item") else 0
        totals.append(totals[-1] + (words if words >= TEXT_LINE_MIN_WORDS else 0))
    return totals


def _title_key(text: str) -> str:
    """A title for comparison: compatibility forms, quotes, case and all spaces ignored (a dump breaks and
    spaces Chinese or Japanese text where the title does not)."""
    return "".join(unicodedata.normalize("NFKC", text).translate(QUOTE_FORMS).casefold().split())


def _indent(unit: _Unit) -> int:
    return len(unit.first.raw) - len(unit.first.raw.lstrip())


def _page_titles(units: list[_Unit]) -> tuple[int | None, frozenset[str]]:
    """The page's title line, as text dumps start with it ("Headline | Site", "Site - Headline"), and the forms a
    headline repeating it may take: the whole line, and its longest part between site separators (the others
    name the site or the section)."""
    first = next((i for i, unit in enumerate(units) if unit.kind in ("text", "meta", "item")), None)
    if first is None or len(units[first].text) > HEADLINE_MAX_CHARS * 2:
        return None, frozenset()
    text = units[first].text
    longest = max(TITLE_SEPARATOR.split(text), key=len)
    return first, frozenset(_title_key(form) for form in (text, longest) if _words(form) >= 2 or len(form) >= 4)


def _is_bio_name(units: list[_Unit], index: int, body: int) -> bool:
    """An author's name over the bio at the end of a page ("Jane Doe" / "Jane Doe covers the courts..."): the
    paragraph under it names the same person."""
    name = units[index].text
    if not _is_name(name, min_words=2) or len(name.split()) > 4:
        return False
    return any(word in units[body].text.split()[:6] for word in name.split() if len(word) > 2)


def _title_match(text: str, titles: tuple[int | None, frozenset[str]], index: int) -> str:
    """How the line matches the page's title line: "same" (the title, or its headline part), "part" (one holds
    the other, as "Headline" in "Section: Headline"), or ""."""
    title_line, forms = titles
    if index == title_line or not forms:
        return ""
    key = _title_key(text)
    if key in forms:
        return "same"
    if _words(text) >= HEADLINE_USUAL_MIN_WORDS and any(key in form or form in key for form in forms
                                                       if len(form) >= TITLE_PART_MIN_CHARS):
        return "part"
    return ""


def _evidence(units: list[_Unit], candidate: tuple[int, int | None, int], story: list[int], text_words: list[int],
              titles: tuple[int | None, frozenset[str]]) -> float:
    """How strongly the page says this line is its headline; the weights are in HEADLINE_EVIDENCE."""
    index, dek, start = candidate
    text = units[index].text
    words = _words(text)
    weights = HEADLINE_EVIDENCE
    score = 0.0
    match = _title_match(text, titles, index)
    if match:
        score += weights["matches the page title" if match == "same" else "is part of the page title"]
    found = _first_body(units, start) if dek is None else start
    body = start if found is None else found
    if any(unit.kind == "meta" for unit in units[index + 1:body]) or _byline_near(units, index + 1):
        score += weights["byline or date under it"]
    if dek is not None:
        score += weights["dek under it"]
    between = sum(1 for unit in units[index + 1:body] if unit.kind in ("text", "item")) - (dek is not None)
    between = BETWEEN_MAX_COUNTED if found is None else min(between, BETWEEN_MAX_COUNTED)
    score += weights["each short line between it and the body"] * between
    if HEADLINE_USUAL_MIN_WORDS <= words <= HEADLINE_MAX_WORDS:
        score += weights["headline length"] * min(1.0, words / HEADLINE_FULL_WORDS)
    if _indent(units[index]) < _indent(units[body]):
        score += weights["set out to the left of the body (lynx prints headings at the margin)"]
    if text.isupper() and words <= SECTION_LABEL_MAX_WORDS:
        score += weights["a short line in capitals (a section label)"]
    total = story[-1]
    if total:
        score += weights["share of the story under it"] * (total - story[index]) / total
    if text_words[-1]:
        score += weights["text above it"] * text_words[index] / text_words[-1]
    if _is_bio_name(units, index, body):
        score += weights["an author's name over a bio"]
    return score


def _find_headline(units: list[_Unit]) -> tuple[int, int | None, int] | None:
    """The headline's index, the dek's (or None) and the first body unit's: the candidate with the most
    evidence, the earliest of equals; None when no title-like line has body text after it, or the best has more
    evidence against it than for it (most of the page's text above it)."""
    candidates = _candidates(units)
    if not candidates:
        return None
    story, text_words, titles = _story_words(units), _text_words(units), _page_titles(units)
    scored = [(_evidence(units, c, story, text_words, titles), -c[0], c) for c in candidates]
    score, _, best = max(scored)
    return best if score >= HEADLINE_MIN_EVIDENCE else None


def _body_after_dek(units: list[_Unit], headline: int, dek: int) -> int | None:
    """The body after a dek: a standfirst between the headline and a byline or date line."""
    words = len(units[dek].text.split())
    if units[dek].kind != "text" or words > DEK_MAX_WORDS:
        return None
    if not _is_prose(units[dek].text) and not _is_unpunctuated_dek(units, headline, dek):
        return None
    if _is_headline(units[dek]) and not _is_unpunctuated_dek(units, headline, dek):
        return None  # a short line ending in "!" or "?" is a headline itself, under a site's name or a label
    start = _next_content(units, dek + 1)
    body = None if start is None else _first_body(units, start)
    if start is None or body is None:
        return None
    return start if any(u.kind == "meta" for u in units[dek + 1:body]) else None


def _is_unpunctuated_dek(units: list[_Unit], headline: int, dek: int) -> bool:
    """A dek without a full stop sits right under the headline and is clearly longer.

    Otherwise the first line is page furniture: a section label ("Asia Pacific") or a site's tagline.
    """
    title, words = len(units[headline].text.split()), len(units[dek].text.split())
    return (dek == headline + 1 and title >= DEK_HEADLINE_MIN_WORDS
            and words >= max(title * DEK_LENGTH_RATIO, title + DEK_MIN_EXTRA_WORDS))


# --- the zones of the page ---------------------------------------------------------------------------------


def _before_headline(units: list[_Unit], title_line: int | None, report: _Report) -> list[_Unit]:
    """Above the headline: debris, byline and date lines, the page's title line, and page furniture (short lines
    that are not sentences: menus, section labels, teaser titles) are left out; story-like text is kept, since
    a story above its headline means the page put it there, not that it is debris."""
    kept: list[_Unit] = []
    for index, unit in enumerate(units):
        if unit.kind == "debris":
            _drop_debris(unit, report)
        elif unit.kind == "meta" and not _is_weak_metadata(unit):
            _apply_metadata(unit, report)
        elif index == title_line:
            report.drop(unit, "page title")
        elif _is_story_like(unit):
            kept.append(unit)
        else:
            report.drop(unit, "before the headline")
    return kept


def _header(units: list[_Unit], dek: int | None, report: _Report) -> None:
    """Between the headline and the body: debris, byline and date lines, and perhaps a dek."""
    for unit in units:
        if unit.kind == "debris":
            _drop_debris(unit, report)
        elif unit.kind == "meta":
            _apply_metadata(unit, report)
        elif unit.kind == "text" and dek is not None:
            report.dek = unit.text
            report.infer(unit, "dek")
        else:  # only a rule can stand here: the body starts at the first other line
            report.drop(unit, "rule at the edge of the story")


def _story(units: list[_Unit], report: _Report) -> list[_Unit]:
    """The story's units from the first body paragraph on, debris dropped; it ends at a comment form, footer or
    copyright line, unless no story was kept yet or more text follows that line than the story kept above it
    (then the line is a widget in the page's header or inside the story: "Comments (12)", "Topics")."""
    kept: list[_Unit] = []
    in_related = False
    text = _text_words(units)
    above = 0  # the words kept so far
    for index, unit in enumerate(units):
        if unit.kind == "debris" and unit.first.debris is not None:
            below = text[-1] - text[index + 1]
            if unit.first.debris.effect == "end" and kept and below <= above:
                _after_story(units[index:], report)
                break
            in_related = in_related or unit.first.debris.effect == "related"
            _drop_debris(unit, report)
        elif in_related and not _ends_related_block(unit):
            report.drop(unit, RELATED_BLOCK)
        elif unit.kind == "meta" and _only_labelled_dates(unit):
            _apply_metadata(unit, report)
        else:
            in_related = False
            kept.append(dataclasses.replace(unit, kind="text") if unit.kind == "meta" else unit)
            above += _words(unit.text)
    return kept


def _ends_related_block(unit: _Unit) -> bool:
    """Related-story titles are short; a finished sentence of some length, or a wrapped paragraph, is story."""
    words = len(unit.text.split())
    finished = _last_char(unit.text) in FULL_STOPS and words >= RELATED_END_MIN_WORDS
    return unit.kind in ("text", "item") and (finished or words >= PROSE_MIN_WORDS or len(unit.lines) > 1)


def _after_story(units: list[_Unit], report: _Report) -> None:
    """From a comment form, footer or copyright line on, nothing is story."""
    for unit in units:
        if unit.kind == "debris":
            _drop_debris(unit, report)
        else:
            report.drop(unit, "after the story")


def _drop_debris(unit: _Unit, report: _Report) -> None:
    """Report a debris line, unless it is the first copyright line (meta.rights) or tags line (meta.keywords)."""
    debris = unit.first.debris
    assert debris is not None
    if debris.keeps == "rights" and not report.rights:
        report.rights = unit.text
        report.infer(unit, "rights")
    elif debris.keeps == "keywords" and unit.first.keywords and not report.keywords:
        report.keywords = tuple(k.strip() for k in re.split(r"[,;|•·]", unit.first.keywords) if k.strip())
        report.infer(unit, "keywords")
    else:
        report.drop(unit, debris.reason)


def _only_labelled_dates(unit: _Unit) -> bool:
    roles = {fact.role for fact in unit.first.facts} - {"ignore"}
    return bool(roles) and roles <= {"published", "updated"}


def _apply_metadata(unit: _Unit, report: _Report) -> None:
    """Fill the metadata from a byline or date line; a line that adds nothing new is dropped as a repeat."""
    roles: list[str] = []
    for fact in unit.first.facts:
        role = _apply_fact(fact, report)
        if role and role not in roles:
            roles.append(role)
    for role in roles:
        report.infer(unit, role)
    if not roles:
        report.drop(unit, "repeated byline or date")


def _apply_fact(fact: _Fact, report: _Report) -> str:
    if fact.role == "byline" and not report.authors:
        report.authors = fact.names
        return "byline"
    if fact.role == "source" and not report.source:
        report.source = fact.text
        return "source"
    if fact.role in ("published", "date") and report.published is None:
        report.published = fact.date
        return "published"
    if (fact.role == "updated" or (fact.role == "date" and fact.date != report.published)) and report.updated is None:
        report.updated = fact.date
        return "updated"
    return ""


# --- blocks ------------------------------------------------------------------------------------------------


def _trim_rules(kept: list[_Unit], report: _Report) -> list[_Unit]:
    while kept and kept[-1].kind == "rule":
        report.drop(kept.pop(), "rule at the edge of the story")
    return kept


def _blocks(kept: list[_Unit], report: _Report) -> list[tuple[Block, _Unit]]:
    """The story's blocks, each with the unit it starts at."""
    placed: list[tuple[Block, _Unit]] = []
    index = 0
    while index < len(kept):
        unit = kept[index]
        run = _item_run(kept, index) if unit.kind == "item" else []
        if len(run) >= LIST_MIN_ITEMS:
            placed.append((_list(run), unit))
            index += len(run)
            continue
        following = kept[index + 1] if index + 1 < len(kept) else None
        placed.append((_block(unit, following, report), unit))
        index += 1
    return placed


def _block(unit: _Unit, following: _Unit | None, report: _Report) -> Block:
    if unit.kind == "rule":
        return Rule()
    if unit.kind == "text" and _is_subhead(unit, following):
        report.infer(unit, "subhead")
        return Heading(1, (Text(unit.text),))
    return Paragraph((Text(unit.text),))


def _is_subhead(unit: _Unit, following: _Unit | None) -> bool:
    """A short title line with body text (or a list) right after it."""
    if following is None or not _is_title(unit.text, SUBHEAD_MAX_WORDS, SUBHEAD_MAX_CHARS):
        return False
    return following.kind == "item" or _is_body(following)


def _item_run(kept: list[_Unit], start: int) -> list[_Unit]:
    """The list items from `start` on that belong to one list: same kind, and the same bullet character."""
    first = kept[start].first
    run: list[_Unit] = []
    for unit in kept[start:]:
        line = unit.first
        same = line.list_kind == first.list_kind and (line.list_kind == "ordered" or line.marker == first.marker)
        if unit.kind != "item" or not same:
            break
        run.append(unit)
    return run


def _list(run: list[_Unit]) -> Block:
    items = tuple((Paragraph((Text(unit.content),)),) for unit in run)
    if run[0].first.list_kind == "ordered":
        return OrderedList(items, start=int(run[0].first.marker))
    return BulletList(items)


# --- dateline and language ---------------------------------------------------------------------------------


def _dateline(first_paragraph: list[_Unit], report: _Report) -> str:
    """The place at the start of the first paragraph ("BISHKEK, June 12 (Reuters) -"); the paragraph is unchanged."""
    if not first_paragraph:
        return ""
    unit = first_paragraph[0]
    found = DATELINE.match(unit.text)
    if found is None:
        return ""
    place, agency = found["place"], found["agency"] or ""
    letters = [ch for ch in place if ch.isalpha()]
    if len(letters) < 2 or place.lower() in NOT_PLACES or not (place.isupper() or agency):
        return ""
    report.infer(unit, "dateline")
    if agency and not report.source:
        report.source = agency
        report.infer(unit, "source")
    return place + (found["region"] or "")


@functools.cache
def _script(ch: str) -> str:
    code = ord(ch)
    if any(lo <= code <= hi for lo, hi in KANA):
        return "kana"
    return next((name for name, ranges in SCRIPTS.items() if any(lo <= code <= hi for lo, hi in ranges)), "latin")


def _language(headline: _Unit, kept: list[_Unit], report: _Report) -> str:
    """"en", unless most letters are of one non-Latin script: then a guess from the script, reported."""
    language = _script_language(" ".join([headline.text, *(unit.text for unit in kept)]))
    if language != "en":
        report.infer(headline, "language")
    return language


def _script_language(text: str, share: float = 0.5) -> str:
    """"en", unless more than `share` of the letters of the text's start are of one non-Latin script: then a
    guess from the script."""
    text = text[:LANGUAGE_SAMPLE_CHARS]
    counts = collections.Counter(_script(ch) for ch in text if ch.isalpha())
    kana = counts.pop("kana", 0)
    counts["cjk"] += kana
    script = max((s for s in counts if s != "latin"), key=counts.__getitem__, default="")
    if not script or counts[script] <= share * counts.total():
        return "en"
    language = SCRIPT_LANGUAGES[script]
    if script == "arabic":
        present = set(text)
        language = "ur" if URDU_LETTERS & present else "fa" if PERSIAN_LETTERS & present else "ar"
    elif script == "cjk":
        language = "ja" if kana >= JAPANESE_MIN_KANA * counts[script] else "zh"
    return language
