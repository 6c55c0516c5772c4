"""Remote fetching against a real server on 127.0.0.1: http(s) only, with --allow-remote only, and within the
time, size and redirect limits, each refused with one clear line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webserver import Site, serve

from publish.errors import InputError, ResourceError
from publish.fetch import FetchOptions, fetch, is_url, url_stem

ALLOWED = FetchOptions(allow_remote=True, timeout=1.0)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy in the environment would see the loopback requests instead of the test's server."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def site() -> Iterator[Site]:
    page = "<html><head><meta charset=utf-8><title>Ferry</title></head><body><p>Night ferry.</p></body></html>"
    with serve({"/story.html": (page.encode(), "text/html; charset=ISO-8859-1")}) as running:
        yield running


def test_fetches_a_page_with_its_media_type_and_charset(site: Site) -> None:
    got = fetch(site.url("/story.html"), ALLOWED)
    assert got.data.startswith(b"<html>") and b"Night ferry." in got.data
    assert (got.media_type, got.charset, got.final_url) == ("text/html", "iso-8859-1", site.url("/story.html"))
    assert site.requests == ["/story.html"]


def test_nothing_is_fetched_without_allow_remote(site: Site) -> None:
    with pytest.raises(InputError) as caught:
        fetch(site.url("/story.html"), FetchOptions())
    assert str(caught.value) == f"{site.url('/story.html')}: is a remote URL; add --allow-remote to fetch it " \
                                "(nothing remote is fetched without it)"
    assert site.requests == []


def test_only_http_and_https() -> None:
    with pytest.raises(InputError, match=r"^file:///etc/passwd: only http and https URLs are fetched, not file:$"):
        fetch("file:///etc/passwd", ALLOWED)
    with pytest.raises(InputError, match="only http and https URLs are fetched, not ftp:"):
        fetch("ftp://127.0.0.1/x", ALLOWED)


def test_a_slow_server_hits_the_timeout(site: Site) -> None:
    with pytest.raises(InputError) as caught:
        fetch(site.url("/slow"), FetchOptions(allow_remote=True, timeout=0.3))
    assert str(caught.value) == f"{site.url('/slow')}: timed out after 0.3 s"


def test_a_huge_response_hits_the_size_limit_declared_or_streamed(site: Site) -> None:
    with pytest.raises(InputError) as declared:
        fetch(site.url("/huge-declared"), ALLOWED)
    assert str(declared.value) == f"{site.url('/huge-declared')}: is 50 MiB; responses over 10 MiB are refused"
    with pytest.raises(InputError) as streamed:
        fetch(site.url("/huge-stream"), FetchOptions(allow_remote=True, timeout=30))
    assert str(streamed.value) == f"{site.url('/huge-stream')}: is over 10 MiB; responses over 10 MiB are refused"


def test_a_redirect_loop_hits_the_redirect_limit(site: Site) -> None:
    with pytest.raises(InputError) as caught:
        fetch(site.url("/loop"), ALLOWED)
    assert str(caught.value) == f"{site.url('/loop')}: redirected more than 5 times (last to {site.url('/loop')})"
    assert site.requests == ["/loop"] * 6


def test_a_redirect_out_of_http_is_refused(site: Site) -> None:
    with pytest.raises(InputError) as caught:
        fetch(site.url("/to-file"), ALLOWED)
    assert str(caught.value) == f"{site.url('/to-file')}: redirected to file:///etc/passwd; only http and https " \
                                "URLs are fetched"


def test_http_errors_and_unreachable_servers(site: Site) -> None:
    with pytest.raises(InputError, match=r": the server answered HTTP 404 Not Found$"):
        fetch(site.url("/missing"), ALLOWED)
    with pytest.raises(ResourceError, match=r"^image http://127.0.0.1:9/x.png: cannot connect: Connection refused$"):
        fetch("http://127.0.0.1:9/x.png", ALLOWED, error=ResourceError, what="image http://127.0.0.1:9/x.png")


def test_url_names() -> None:
    assert is_url("https://news.example/a") and is_url("file:///etc/passwd") and not is_url("story.html")
    assert not is_url("C:\\story.html") and not is_url("notes: story.txt")
    assert url_stem("https://news.example/2024/night-ferry.html?x=1") == "night-ferry"
    assert url_stem("https://news.example/") == ""
