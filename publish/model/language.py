"""Language tags: the one place every reader turns a `lang` value into a BCP 47 tag, or refuses it."""

from __future__ import annotations

import functools
import re

from publish.build import cache

EXAMPLE = "en, en-US, pt-BR or zh-Hant-TW"
"""Tags shown in the message that refuses a malformed one."""

_POSIX = re.compile(r"^(?P<tag>[A-Za-z]{2,8}(?:[_-][A-Za-z0-9]{1,8})*)(?:\.[A-Za-z0-9_-]+)?(?:@[A-Za-z0-9_-]+)?$")
"""A POSIX locale name: language_TERRITORY, then perhaps .CODESET and @modifier (en_US.UTF-8, de_DE@euro)."""


def bcp47(value: str) -> str:
    """`value` as a BCP 47 tag: POSIX locale forms become tags (en_US → en-US, zh_Hant_TW → zh-Hant-TW,
    en_US.UTF-8 → en-US); ValueError naming the value and examples when it is not a well-formed, known tag."""
    written = value.strip()
    match = _POSIX.match(written)
    tag = match.group("tag").replace("_", "-") if match else written
    if not tag or not _known(tag):
        raise ValueError(f"{value!r} is not a BCP 47 language tag; write one like {EXAMPLE}")
    return tag


@functools.lru_cache(maxsize=256)
def _known(tag: str) -> bool:
    """Whether langcodes knows the tag. A tag it knew is remembered in the cache (keyed by langcodes' version), so
    a build whose tags were all seen before does not load langcodes' tables (a few hundredths of a second)."""
    key = cache.fingerprint("language-tag", cache.code_version(), tag) if cache.root() is not None else ""
    if key and cache.get("languages", key) == b"known":
        return True
    import langcodes

    valid = bool(langcodes.tag_is_valid(tag))
    if valid and key:
        cache.put("languages", key, b"known")
    return valid
