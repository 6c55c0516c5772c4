"""Remote fetching against a real server on 127.0.0.1: http(s) only, with --allow-remote only, and within the
time, size and redirect limits, each refused with one clear line."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from webserver import Site, serve

from publish.errors import InputError, ResourceError
from publish.readers.fetch import FetchOptions, fetch, is_url, url_stem

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


# --- URL inputs and remote images through the command line ------------------------------------------------

FERRY_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Night ferry returns | Harbour Daily</title><meta property="og:site_name" content="Harbour Daily"></head>
<body><nav><a href="/">Home</a></nav><article><h1>Night ferry returns</h1>
<p>The harbour authority said on Wednesday that a night ferry will run from Pier 7 to the new district every forty
minutes until two in the morning, for a trial month that riders have wanted for a decade.</p>
<figure><img src="/img/ferry.png" alt="A ferry at dawn"><figcaption>The ferry at Pier 7 before its first
run.</figcaption></figure>
<p>Fares are half the day rate, and the full timetable will be posted at every pier by the weekend, the authority
said, along with maps of the new route and the stops it makes.</p></article></body></html>"""


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 60, 120)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def ferry_site() -> Iterator[Site]:
    with serve({"/news/night-ferry.html": (FERRY_PAGE.encode(), "text/html; charset=utf-8"),
                "/news/story": (FERRY_PAGE.encode(), "text/html"),
                "/img/ferry.png": (_png(), "image/png")}) as running:
        yield running


def _build(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    from publish.cli import main

    code = main(["build", *args, "--out", str(tmp_path / "out")])
    return code, [line for line in capsys.readouterr().err.splitlines() if not line.startswith("wrote ")]


def test_url_input_with_allow_remote_fetches_the_page_and_its_image(ferry_site: Site, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    url = ferry_site.url("/news/night-ferry.html")
    code, notices = _build([url, "--allow-remote", "--to", "html,epub"], tmp_path, capsys)
    assert (code, notices) == (0, [])
    html = (tmp_path / "out" / "night-ferry.html").read_text(encoding="utf-8")
    assert "<h1" in html and "Night ferry returns" in html and "Home" not in html
    assert 'alt="A ferry at dawn"' in html and "data:image/png;base64," in html
    assert "The ferry at Pier 7 before its first run." in html
    with zipfile.ZipFile(tmp_path / "out" / "night-ferry.epub") as epub:
        assert any(name.endswith(".png") for name in epub.namelist())
    assert ferry_site.requests == ["/news/night-ferry.html", "/img/ferry.png"]


def test_url_without_an_extension_is_read_by_its_media_type(ferry_site: Site, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, notices = _build([ferry_site.url("/news/story"), "--allow-remote", "--to", "html"], tmp_path, capsys)
    assert (code, notices) == (0, [])
    assert (tmp_path / "out" / "story.html").is_file()


def test_url_input_without_allow_remote_is_one_line_and_no_request(ferry_site: Site, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    url = ferry_site.url("/news/night-ferry.html")
    code, notices = _build([url, "--to", "html"], tmp_path, capsys)
    assert code == 1
    assert notices == [f"publish: error: {url}: is a remote URL; add --allow-remote to fetch it (nothing remote is "
                       "fetched without it)"]
    assert ferry_site.requests == []
    assert not (tmp_path / "out").exists()


def test_a_saved_page_without_allow_remote_keeps_the_figure_words_and_fetches_nothing(
        ferry_site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "ferry.html"
    page.write_text(FERRY_PAGE.replace('src="/img/ferry.png"', f'src="{ferry_site.url("/img/ferry.png")}"'),
                    encoding="utf-8")
    code, notices = _build([str(page), "--to", "html"], tmp_path, capsys)
    assert code == 0
    assert notices == [f"publish: warning: {page}: image {ferry_site.url('/img/ferry.png')} not fetched (add "
                       "--allow-remote to fetch images from the web); the alt text and caption are kept as text"]
    html = (tmp_path / "out" / "ferry.html").read_text(encoding="utf-8")
    assert "[A ferry at dawn]" in html and "The ferry at Pier 7 before its first run." in html
    assert "<img" not in html
    assert ferry_site.requests == []
    # with --allow-remote the same page's image is fetched and embedded
    code, notices = _build([str(page), "--to", "html", "--allow-remote"], tmp_path, capsys)
    assert (code, notices) == (0, [])
    assert "data:image/png;base64," in (tmp_path / "out" / "ferry.html").read_text(encoding="utf-8")
    assert ferry_site.requests == ["/img/ferry.png"]


@pytest.mark.parametrize(("path", "extra", "message"), [
    ("/slow", ["--fetch-timeout", "0.5"], "timed out after 0.5 s"),
    ("/huge-declared", [], "is 50 MiB; responses over 10 MiB are refused"),
    ("/loop", [], "redirected more than 5 times (last to {base}/loop)"),
    ("/missing", [], "the server answered HTTP 404 Not Found"),
])
def test_remote_input_limits_through_the_command_line(site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      path: str, extra: list[str], message: str) -> None:
    code, notices = _build([site.url(path), "--allow-remote", "--to", "html", *extra], tmp_path, capsys)
    assert code == 1
    assert notices == [f"publish: error: {site.url(path)}: {message.format(base=site.base)}"]
    assert not (tmp_path / "out").exists()


def test_a_remote_image_too_large_is_refused_naming_the_image(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    page = FERRY_PAGE.replace('src="/img/ferry.png"', 'src="/huge-declared"')
    with serve({"/news/night-ferry.html": (page.encode(), "text/html")}) as running:
        code, notices = _build([running.url("/news/night-ferry.html"), "--allow-remote", "--to", "html"], tmp_path,
                               capsys)
    assert code == 1
    assert notices == [f"publish: error: {running.url('/news/night-ferry.html')}: image "
                       f"'{running.url('/huge-declared')}': is 50 MiB; responses over 25 MiB are refused"]
