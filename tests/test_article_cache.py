"""The per-article cache: the same bytes with and without it, only what changed rebuilt, never a foreign entry used,
bounded in size, and `publish cache info|clear` and `--no-cache`."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from publish.build import cache
from publish.cli import main
from publish.model import iter_blocks, limits
from publish.readers import read_file

import cached

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
ALL_SAMPLES = ["dar-bishkek.txt", "feature-tour.md", "japanese-ferry.md", "urdu-library.md", "morning-brief.yaml"]


def _publish(*args: str, cache_dir: Path | str, cwd: Path | None = None,
             **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PUBLISH_CACHE_DIR": str(cache_dir), "SOURCE_DATE_EPOCH": "1700000000", **env}
    return subprocess.run([sys.executable, "-m", "publish", *args], env=environment, capture_output=True, text=True,
                          timeout=600, cwd=cwd)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _entries(cache_dir: Path, kind: str) -> set[str]:
    return set(cached.entries(cache_dir, kind))


def test_outputs_are_the_same_bytes_cold_warm_and_without_the_cache(tmp_path: Path) -> None:
    """Every sample and the morning brief, all four formats: a first build filling the cache, a second reading
    from it, and a build with --no-cache write identical files."""
    inputs = [str(SAMPLES / name) for name in ALL_SAMPLES]
    cache_dir = tmp_path / "cache"
    for run in ("cold", "warm"):
        done = _publish("build", *inputs, "--out", str(tmp_path / run), cache_dir=cache_dir)
        assert done.returncode == 0, done.stderr
    assert _entries(cache_dir, "models") and _entries(cache_dir, "pieces")
    done = _publish("build", *inputs, "--out", str(tmp_path / "none"), "--no-cache", cache_dir=tmp_path / "unused")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "unused").exists()  # --no-cache: not even the folder is made
    cold = _files(tmp_path / "cold")
    assert len(cold) == 4 * len(ALL_SAMPLES)
    assert cold == _files(tmp_path / "warm") == _files(tmp_path / "none")


def _brief_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    return folder / "morning-brief.yaml"


@pytest.mark.parametrize("fmt", ["epub", "html"])
def test_one_changed_article_is_the_only_one_read_and_rendered_again(tmp_path: Path, fmt: str) -> None:
    """An EPUB's chapters and a collection HTML's articles are pieces: an edit renders the edited story's alone."""
    manifest = _brief_copy(tmp_path)
    cache_dir = tmp_path / "cache"
    assert _publish("build", str(manifest), "--to", fmt, "--out", str(tmp_path / "a"),
                    cache_dir=cache_dir).returncode == 0
    models, pieces = _entries(cache_dir, "models"), _entries(cache_dir, "pieces")
    assert len(pieces) >= 7  # one per article (and the EPUB's cover)
    story = manifest.parent / "brief" / "casa-1000-power-line.md"
    story.write_text(story.read_text().replace("power", "electric power", 1))
    assert _publish("build", str(manifest), "--to", fmt, "--out", str(tmp_path / "b"),
                    cache_dir=cache_dir).returncode == 0
    assert len(_entries(cache_dir, "models") - models) == 1  # the edited article only
    assert len(_entries(cache_dir, "pieces") - pieces) == 1  # its chapter, or its part of the HTML, only
    assert _publish("build", str(manifest), "--to", fmt, "--out", str(tmp_path / "c"), "--no-cache",
                    cache_dir=cache_dir).returncode == 0
    output = f"morning-brief.{fmt}"
    assert (tmp_path / "b" / output).read_bytes() == (tmp_path / "c" / output).read_bytes()
    assert (tmp_path / "a" / output).read_bytes() != (tmp_path / "b" / output).read_bytes()


def test_a_changed_inline_image_file_is_shown_from_the_cache(tmp_path: Path) -> None:
    """An image inside a paragraph is part of a piece's key as a figure is: the file replaced under the same name,
    the EPUB chapter points at the new image the package holds, and the HTML embeds the new bytes."""
    import base64
    import zipfile

    story = tmp_path / "story.md"
    story.write_text("---\ntitle: Ferry schedule\n---\n\nThe ferry ![ferry](pic.png) sails at dawn every day.\n")
    manifest = tmp_path / "brief.yaml"
    manifest.write_text("title: Brief\nsections:\n  - title: Sea\n    articles:\n      - story.md\n")
    for run, picture in (("a", "ferry-icon.png"), ("b", "logo.png")):
        shutil.copyfile(SAMPLES / picture, tmp_path / "pic.png")
        done = _publish("build", str(manifest), "--to", "epub,html", "--out", str(tmp_path / run),
                        cache_dir=tmp_path / "cache")
        assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "b" / "brief.epub") as book:
        held = {name.removeprefix("EPUB/") for name in book.namelist() if name.startswith("EPUB/images/pic-")}
        chapter = book.read("EPUB/article-001.xhtml").decode()
    assert len(held) == 1 and f'src="{held.pop()}"' in chapter
    embedded = base64.b64encode((SAMPLES / "logo.png").read_bytes()).decode()
    assert embedded in (tmp_path / "b" / "brief.html").read_text()


def test_a_changed_template_renders_every_chapter_again(tmp_path: Path) -> None:
    manifest = _brief_copy(tmp_path)
    cache_dir = tmp_path / "cache"
    assert _publish("build", str(manifest), "--to", "epub", "--out", str(tmp_path / "a"),
                    cache_dir=cache_dir).returncode == 0
    pieces = _entries(cache_dir, "pieces")
    templates = tmp_path / "templates" / "epub"
    templates.mkdir(parents=True)
    original = (ROOT / "templates" / "epub" / "chapter.xhtml.j2").read_text()
    (templates / "chapter.xhtml.j2").write_text(original.replace("</body>", "<p>Corrections: none.</p></body>"))
    done = _publish("build", str(manifest), "--to", "epub", "--out", str(tmp_path / "b"), "--templates",
                    str(tmp_path / "templates"), cache_dir=cache_dir)
    assert done.returncode == 0, done.stderr
    assert len(_entries(cache_dir, "pieces") - pieces) == 8  # every article of the brief, and the cover
    import zipfile

    with zipfile.ZipFile(tmp_path / "b" / "morning-brief.epub") as book:
        chapters = [name for name in book.namelist() if name.endswith(".xhtml") and "article-" in name]
        assert chapters and all(b"Corrections: none." in book.read(name) for name in chapters)


def test_a_tampered_entry_is_never_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry changed behind the cache's back (its signature no longer matches) is read again from the input."""
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    story = tmp_path / "story.md"
    story.write_text("---\ntitle: Harbour reopens\n---\n\nThe harbour reopened on Monday.\n")
    first = read_file(story).article
    ((key, stored),) = cached.entries(tmp_path / "cache", "models").items()
    cached.change(tmp_path / "cache", "models", key, data=stored.replace(b"Monday", b"Friday"))
    again = read_file(story).article
    assert again == first and "Monday" in str(again.blocks)
    assert b"Monday" in cached.entries(tmp_path / "cache", "models")[key]  # stored again, signed


@pytest.mark.parametrize("damage", ["not a database", "pages overwritten"])
def test_a_damaged_database_costs_only_time(tmp_path: Path, damage: str) -> None:
    """An entries database damaged behind the cache's back (a disk fault, another file copied over it) is removed
    and made anew: the build writes the same bytes, says nothing about it, and keeps its entries again."""
    cache_dir, story = tmp_path / "cache", str(SAMPLES / "feature-tour.md")
    done = _publish("build", story, "--to", "html,epub", "--out", str(tmp_path / "a"), cache_dir=cache_dir)
    assert done.returncode == 0, done.stderr
    database = cache_dir / cache.DATABASE
    data = database.read_bytes()
    assert len(data) > 8192 and cached.entries(cache_dir, "models")
    kept = 0 if damage == "not a database" else 100  # the header says SQLite; the pages after it are noise
    database.write_bytes(data[:kept] + bytes(range(256)) * ((len(data) - kept) // 256))
    done = _publish("build", story, "--to", "html,epub", "--out", str(tmp_path / "b"), cache_dir=cache_dir)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 2  # the two "wrote" lines
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert cached.entries(cache_dir, "models") and cached.entries(cache_dir, "pieces")


@pytest.mark.parametrize("table", ["entries (name TEXT, value BLOB)",  # a table of other columns, and one of
                                   "entries (kind TEXT, key TEXT, data BLOB, size INTEGER, used REAL)"])  # these
def test_a_database_of_another_layout_is_left_alone(tmp_path: Path, table: str) -> None:
    """A later publish's entries database (another layout, its `user_version`) is neither used, changed nor
    removed: the build works without it, and writes what it would have."""
    cache_dir, story = tmp_path / "cache", str(SAMPLES / "dar-bishkek.txt")
    cache_dir.mkdir(mode=0o700)
    with contextlib.closing(sqlite3.connect(cache_dir / cache.DATABASE)) as database:
        database.execute(f"CREATE TABLE {table}")
        database.execute("PRAGMA user_version = 99")
        database.commit()
    before = (cache_dir / cache.DATABASE).read_bytes()
    done = _publish("build", story, "--to", "epub", "--out", str(tmp_path / "a"), cache_dir=cache_dir)
    assert done.returncode == 0 and len(done.stderr.splitlines()) == 1, done.stderr  # "wrote ..."
    assert (cache_dir / cache.DATABASE).read_bytes() == before
    done = _publish("build", story, "--to", "epub", "--out", str(tmp_path / "b"), "--no-cache", cache_dir="off")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_a_reader_warning_is_given_again_from_the_cache(tmp_path: Path) -> None:
    story = tmp_path / "story.md"
    story.write_text("---\ntitle: T\n---\n\nBody\x07 text.\n")
    said = [_publish("build", str(story), "--to", "html", "--out", str(tmp_path / run),
                     cache_dir=tmp_path / "cache").stderr.splitlines()[:-1] for run in ("a", "b")]
    assert said[0] and said[0] == said[1]


def test_the_cache_stays_under_its_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    for number in range(40):
        cache.put("pieces", cache.fingerprint(str(number)), b"x" * 10_000)
    entries = cached.entries(tmp_path / "cache", "pieces")
    assert len(entries) == 40
    oldest = sorted(entries)[7]
    cached.change(tmp_path / "cache", "pieces", oldest, used=1.0)
    size = (tmp_path / "cache" / cache.DATABASE).stat().st_size
    assert cache.prune(cap=200_000) > 0
    left = cached.entries(tmp_path / "cache", "pieces")
    assert sum(map(len, left.values())) <= 200_000 and oldest not in left
    assert (tmp_path / "cache" / cache.DATABASE).stat().st_size < size / 2  # the space given back


def test_entries_stored_while_deferring_are_written_together_at_the_end(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A build (and a forked share of its cold work) writes the entries it stores in one transaction at its end,
    with the use times of those it read: meanwhile it finds them itself, a process it forks neither finds nor
    writes them, and past DEFER_BYTES they are written at once."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(folder))
    with cache.deferred():
        cache.put("pieces", "a", b"first")
        with cache.deferred():  # nested: the outer block writes
            cache.put("pieces", "b", b"second")
        assert cache.get("pieces", "a") == b"first" and cache.get("pieces", "b") == b"second"
        assert not cached.entries(folder, "pieces")
        child = os.fork()
        if child == 0:  # pragma: no cover (the forked process)
            os._exit(0 if cache.get("pieces", "a") is None else 1)
        assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0
    assert set(cached.entries(folder, "pieces")) == {"a", "b"}
    cached.change(folder, "pieces", "a", used=1.0)  # read long ago: its use time is refreshed at the end too
    with cache.deferred():
        assert cache.get("pieces", "a") == b"first"
        assert cached.used(folder, "pieces", "a") == 1.0
    assert cached.used(folder, "pieces", "a") > 1.0
    monkeypatch.setattr(cache, "DEFER_BYTES", 1000)
    with cache.deferred():
        cache.put("pieces", "c", b"x" * 400)
        assert "c" not in cached.entries(folder, "pieces")
        cache.put("pieces", "d", b"x" * 700)
        assert {"c", "d"} <= set(cached.entries(folder, "pieces"))


def test_entry_files_of_a_cache_made_before_the_database_are_removed(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache folder from a publish that kept each entry in a file (`models-0.1.0/a/<key>.entry`...) loses those
    files when the cache is next pruned: nothing reads them any more. Compiled templates and hyphenation patterns,
    still files, stay."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(folder))
    for kind in ("models", "pieces", "plugins"):
        (folder / f"{kind}-0.1.0" / "a").mkdir(parents=True)
        (folder / f"{kind}-0.1.0" / "a" / "0123.entry").write_bytes(b"x" * 100)
    (folder / "templates-0.1.0").mkdir()
    (folder / "templates-0.1.0" / "kept.code").write_bytes(b"code")
    folder.chmod(0o700)
    assert cache.prune() == 0
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["templates-0.1.0"]
    assert (folder / "templates-0.1.0" / "kept.code").is_file()


def test_cache_info_and_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    story = tmp_path / "story.md"
    story.write_text("---\ntitle: T\n---\n\nBody.\n")
    assert main(["build", str(story), "--to", "epub", "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    assert main(["cache", "info"]) == 0
    shown = capsys.readouterr().out
    assert f"folder: {tmp_path / 'cache'}" in shown and "models: 1 entries" in shown and "pieces: 1 entries" in shown
    assert main(["cache", "clear"]) == 0
    assert not _entries(tmp_path / "cache", "models") and not _entries(tmp_path / "cache", "pieces")


def test_concurrent_builds_share_the_cache(tmp_path: Path) -> None:
    """Two builds of the brief at once, one cache folder: both succeed with the same bytes."""
    manifest = str(SAMPLES / "morning-brief.yaml")
    environment = {**os.environ, "PUBLISH_CACHE_DIR": str(tmp_path / "cache"), "SOURCE_DATE_EPOCH": "1700000000"}
    runs = [subprocess.Popen([sys.executable, "-m", "publish", "build", manifest, "--to", "html,docx,epub", "--out",
                              str(tmp_path / name)], env=environment, stderr=subprocess.PIPE, text=True)
            for name in ("a", "b")]
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_no_cache_is_for_that_build_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--no-cache` in one call of the command line (or the API's caller) leaves the cache on for the next."""
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    story = tmp_path / "story.md"
    story.write_text("---\ntitle: T\n---\n\nBody.\n")
    assert main(["build", str(story), "--to", "epub", "--out", str(tmp_path / "a"), "--no-cache"]) == 0
    assert not _entries(tmp_path / "cache", "models")
    assert main(["build", str(story), "--to", "epub", "--out", str(tmp_path / "b")]) == 0
    assert len(_entries(tmp_path / "cache", "models")) == 1


def test_an_unchanged_collection_is_written_from_the_cache_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 ) -> None:
    """HTML, DOCX and EPUB of a collection none of whose inputs changed are the last build's bytes, taken whole
    from the cache; a changed image (the logo) makes each again, the bytes of a build without the cache."""
    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    manifest = _brief_copy(tmp_path)
    formats = ["--to", "html,docx,epub"]

    def build(run: str, *extra: str) -> dict[str, bytes]:
        assert main(["build", str(manifest), *formats, "--out", str(tmp_path / run), *extra]) == 0
        return _files(tmp_path / run)

    first = build("a")
    documents = _entries(tmp_path / "cache", "documents")
    made: list[str] = []
    for backend, where, name in (("html", "html", "render_collection"), ("docx", "docx.document", "packet"),
                                 ("epub", "epubpackage", "digest")):
        module = __import__(f"publish.backends.{where}", fromlist=["render"])
        original = getattr(module, name)

        def counted(*args: object, _original: object = original, _backend: str = backend, **kwargs: object) -> object:
            made.append(_backend)
            return _original(*args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(module, name, counted)
    assert build("b") == first and made == []  # nothing made again
    assert _entries(tmp_path / "cache", "documents") == documents
    logo = manifest.parent / "logo.png"
    from PIL import Image

    with Image.open(logo) as image:
        image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(logo)
    changed = build("c")
    assert sorted(made) == ["docx", "epub", "html"]
    assert changed != first and changed == build("d", "--no-cache")


def test_an_article_read_from_the_cache_keeps_its_own_json_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                ) -> None:
    """The form a piece's key hashes, taken from the stored entry as it is, is the article's own compact JSON form,
    for a story with quotes, backslashes and the entry's own key words in its text."""
    import json

    from publish.model import jsonform

    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    story = tmp_path / "story.md"
    story.write_text('---\ntitle: "The \\"dropped\\": [case]"\n---\n\nHe said ,"dropped":[ and \\\\ and “curly”.\n',
                     encoding="utf-8")
    first = read_file(story).article
    again = read_file(story).article  # from the cache
    expected = json.dumps(jsonform.to_data(again), ensure_ascii=False, separators=(",", ":"))
    assert again == first and cache.article_form(again) == expected


def test_an_image_copied_beside_a_saved_page_shows_in_the_next_build(tmp_path: Path) -> None:
    """A saved web page's figure whose file is missing keeps only its words; the reading that found it missing
    is cached, and used again only while the file is still missing: copied beside the page, the image shows in
    the next build (as without the cache), and removed again, it is gone again."""
    page = tmp_path / "page.html"
    paragraph = "<p>The harbour authority opened the new ferry pier on Monday, two years after work began there.</p>"
    page.write_text("<!DOCTYPE html><html lang=\"en\"><head><title>Harbour opens new pier</title></head><body>"
                    f"<article><h1>Harbour opens new pier</h1>{paragraph}<figure><img src=\"photo.png\" "
                    f"alt=\"The pier at dawn\"><figcaption>The pier at dawn.</figcaption></figure>{paragraph * 2}"
                    "</article></body></html>", encoding="utf-8")

    def shown(run: str, *extra: str) -> bool:
        done = _publish("build", str(page), "--to", "html", "--out", str(tmp_path / run), *extra,
                        cache_dir=tmp_path / "cache")
        assert done.returncode == 0, done.stderr
        return "<img" in (tmp_path / run / "page.html").read_text(encoding="utf-8")

    assert not shown("a")
    shutil.copyfile(SAMPLES / "harbour-at-dawn.png", tmp_path / "photo.png")
    assert shown("b") and shown("c") and shown("d", "--no-cache")
    (tmp_path / "photo.png").unlink()
    assert not shown("e")


def test_an_articles_layout_shape_is_kept_with_its_reading(tmp_path: Path) -> None:
    """What the layout limits count in each article (publish.model.limits.Shape) is kept with its reading: a build
    reading a collection from the cache caps the same marks and says the same warnings, and writes the same bytes,
    as the first build and one without the cache."""
    runs = "*a*b" * 150
    folder = tmp_path / "desk"
    folder.mkdir()
    (folder / "plain.md").write_text("---\ntitle: Harbour reopens\n---\n\nThe harbour reopened on Monday.\n")
    (folder / "marked.md").write_text(f"---\ntitle: Places\n---\n\n- A list\n\n  > {runs}\n\n## {'*c*d' * 120}\n")
    (folder / "brief.yaml").write_text("title: Brief\nsections:\n  - title: News\n"
                                       "    articles: [plain.md, marked.md]\n")
    said = []
    for run, cache_dir in (("cold", tmp_path / "cache"), ("warm", tmp_path / "cache"), ("none", "off")):
        done = _publish("build", "brief.yaml", "--to", "html,docx", "--out", str(tmp_path / run), cache_dir=cache_dir,
                        cwd=folder)
        assert done.returncode == 0, done.stderr
        said.append([line for line in done.stderr.splitlines() if not line.startswith("wrote ")])
    assert said[0] == said[1] == said[2] == [
        f"publish: warning: {folder / 'marked.md'}: {count} emphasis, strong, code and link marks; past the first "
        "100 they are set as plain text (every word kept), as laying out so many takes minutes"
        for count in ("a paragraph holds 150", "a subhead holds 120")]
    assert _files(tmp_path / "cold") == _files(tmp_path / "warm") == _files(tmp_path / "none")
    html = (tmp_path / "warm" / "brief.html").read_text(encoding="utf-8")
    assert html.count("<em>a</em>") == 100 and html.count("<em>c</em>") == 100  # 100 marks kept in each


def test_a_shape_counts_what_capping_and_the_layout_warnings_look_at() -> None:
    """`limits.shape` walks every block (in quotes and lists too) and counts the marks of the containers `capped`
    caps: given the shape, `capped` decides as it does without it."""
    for sample in ("feature-tour.md", "japanese-ferry.md", "urdu-library.md", "dar-bishkek.txt"):
        article = read_file(SAMPLES / sample).article
        found = limits.shape(article)
        assert found == limits.Shape.from_text(found.text())
        assert found.blocks == sum(1 for _ in iter_blocks(article.blocks)) and found.longest > 0
        assert limits.capped(article, found) == limits.capped(article)
    assert limits.Shape.from_text("12 40") is None and limits.Shape.from_text("a b c") is None


def test_an_articles_link_targets_are_kept_with_its_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The link targets every backend asks for (publish.model.links.Targets) are worked out when an article is read
    and kept with the reading: an article read from the cache has the same targets, in the same order, without its
    headings walked again."""
    from publish.model import links

    monkeypatch.setenv("PUBLISH_CACHE_DIR", str(tmp_path / "cache"))
    worked_out = []
    original = links.Targets._of
    monkeypatch.setattr(links.Targets, "_of", classmethod(lambda cls, article: worked_out.append(article)
                                                          or original.__func__(cls, article)))
    for sample in ("feature-tour.md", "japanese-ferry.md", "urdu-library.md", "dar-bishkek.txt"):
        first = read_file(SAMPLES / sample).article
        assert worked_out[-1] is first
        targets = links.Targets.of(first)
        assert len(targets.anchors) > 2
        again = read_file(SAMPLES / sample).article  # from the cache: another object, the same targets
        kept = links.Targets.of(again)
        assert again is not first and again == first and worked_out[-1] is first
        assert list(kept.anchors.items()) == list(targets.anchors.items()) and kept.base == targets.base
        assert links.Targets.from_text(targets.text()) == targets
    for damaged in ("", "[1, 2]", '[{"a": 1}, ""]', '[{"a": "s1"}]', "{}"):
        assert links.Targets.from_text(damaged) is None
