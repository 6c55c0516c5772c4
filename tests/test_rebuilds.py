"""Rebuilds from the cache: the same bytes as a build without it, a changed image or article always reaching the
output, and every warning a first build gives said again."""

from __future__ import annotations

import glob
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from publish.errors import ModelError, PublishError
from publish.model import jsonform
from publish.readers import read_file

import cached

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DUPLICATES = Path(__file__).parent / "fixtures" / "duplicates"


def _publish(*args: str, cache_dir: Path | str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PUBLISH_CACHE_DIR": str(cache_dir), "SOURCE_DATE_EPOCH": "1700000000"}
    return subprocess.run([sys.executable, "-m", "publish", *args], env=environment, capture_output=True, text=True,
                          timeout=600)


def _epub(manifest: Path, out: Path, cache_dir: Path | str, *extra: str) -> bytes:
    done = _publish("build", str(manifest), "--to", "epub", "--out", str(out), *extra, cache_dir=cache_dir)
    assert done.returncode == 0, done.stderr
    return (out / f"{manifest.stem}.epub").read_bytes()


def _images(book: bytes, tmp_path: Path) -> list[bytes]:
    (tmp_path / "book.epub").write_bytes(book)
    with zipfile.ZipFile(tmp_path / "book.epub") as package:
        return [package.read(name) for name in package.namelist() if "/images/" in f"/{name}"]


def test_a_rebuilt_digest_is_the_same_bytes_and_a_changed_figure_reaches_it(tmp_path: Path) -> None:
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    manifest, cache_dir = folder / "morning-brief.yaml", tmp_path / "cache"
    first = _epub(manifest, tmp_path / "a", cache_dir)
    assert _epub(manifest, tmp_path / "b", cache_dir) == first == _epub(manifest, tmp_path / "c", "off")
    # the same file name, another picture: the rebuilt digest carries the new one, as a build without cache does
    old = (folder / "harbour-at-dawn.png").read_bytes()
    assert old in _images(first, tmp_path)
    shutil.copyfile(folder / "ferry-icon.png", folder / "harbour-at-dawn.png")
    changed = _epub(manifest, tmp_path / "d", cache_dir)
    assert changed != first and changed == _epub(manifest, tmp_path / "e", "off")
    assert (folder / "ferry-icon.png").read_bytes() in _images(changed, tmp_path)
    assert old not in _images(changed, tmp_path)


def test_a_near_duplicate_is_reported_again_on_a_rebuild(tmp_path: Path) -> None:
    shutil.copytree(DUPLICATES, tmp_path / "wires")
    manifest = tmp_path / "wires.yaml"
    manifest.write_text("title: Wires\nsections:\n  - title: World\n    articles:\n      - wires/wire-a.md\n"
                        "      - wires/other.md\n      - wires/wire-b.md\n", encoding="utf-8")
    said = []
    for run in ("a", "b"):
        done = _publish("build", str(manifest), "--to", "epub", "--out", str(tmp_path / run),
                        cache_dir=tmp_path / "cache")
        assert done.returncode == 0, done.stderr
        said.append([line for line in done.stderr.splitlines() if "is the same story as" in line])
    assert said[0] and said[0] == said[1]
    assert (tmp_path / "a" / "wires.epub").read_bytes() == (tmp_path / "b" / "wires.epub").read_bytes()


def test_a_broken_link_is_warned_about_again_from_the_cache(tmp_path: Path) -> None:
    story = tmp_path / "story.md"
    story.write_text("---\ntitle: Harbour reopens\n---\n\n## Schedule\n\nSee [the timetable](#timetable).\n",
                     encoding="utf-8")
    said = [_publish("build", str(story), "--to", "html", "--out", str(tmp_path / run),
                     cache_dir=tmp_path / "cache").stderr.splitlines()[:-1] for run in ("a", "b")]
    assert any("goes to #timetable, which is no heading of this article" in line for line in said[0])
    assert said[0] == said[1]


def test_a_model_read_back_from_the_cache_is_the_model_read(caplog: pytest.LogCaptureFixture) -> None:
    """jsonform's reading of the cache's own entries (no checks) gives what the checking reader gives."""
    caplog.set_level(logging.CRITICAL)
    names = sorted(glob.glob(str(Path(__file__).parent / "fixtures" / "**" / "*.*"), recursive=True))
    articles = []
    for name in [*names, *map(str, SAMPLES.glob("*.*")), *map(str, SAMPLES.glob("brief/*"))]:
        try:
            articles.append(read_file(Path(name)).article)
        except PublishError:  # a bad input of the catalogues, or not an article at all
            continue
    assert len(articles) > 100
    for article in articles:
        data = jsonform.to_data(article)
        try:
            checked = jsonform.from_data(data)
        except ModelError:  # refused by the checks (a reader's odd language tag): never used from the cache either
            with pytest.raises(ValueError):
                jsonform.from_trusted_data(data)
            continue
        assert jsonform.from_trusted_data(data) == article == checked


def _pdf(manifest: Path, out: Path, cache_dir: Path | str) -> bytes:
    done = _publish("build", str(manifest), "--to", "pdf", "--pdf-parts", "on", "--article-break", "--out", str(out),
                    cache_dir=cache_dir)
    assert done.returncode == 0, done.stderr
    return (out / f"{manifest.stem}.pdf").read_bytes()


def _entries(cache_dir: Path) -> set[str]:
    return set(cached.entries(cache_dir, "pages"))


def test_an_unchanged_brief_pdf_is_written_from_the_cache_without_weasyprint(tmp_path: Path) -> None:
    """A collection's PDF whose inputs did not change is the last build's bytes, from the cache whole: WeasyPrint
    is not even imported. A changed logo, or a changed SOURCE_DATE_EPOCH (the fonts' and the document's date),
    lays it out again, the bytes of a build without the cache."""
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    manifest, cache_dir = folder / "morning-brief.yaml", tmp_path / "cache"
    probe = ("import sys; from publish.cli import main; code = main(sys.argv[1:]); "
             "print(code, 'weasyprint' in sys.modules)")

    def build(out: str, cache: Path | str, epoch: str = "1700000000") -> tuple[list[str], bytes]:
        environment = {**os.environ, "PUBLISH_CACHE_DIR": str(cache), "SOURCE_DATE_EPOCH": epoch}
        done = subprocess.run([sys.executable, "-c", probe, "build", str(manifest), "--to", "pdf", "--out",
                               str(tmp_path / out)], env=environment, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return done.stdout.split(), (tmp_path / out / "morning-brief.pdf").read_bytes()

    assert build("a", cache_dir)[0] == ["0", "True"]
    said, again = build("b", cache_dir)
    assert said == ["0", "False"] and again == build("c", "off")[1]
    assert build("d", cache_dir, epoch="1800000000") == (["0", "True"], build("e", "off", epoch="1800000000")[1])
    from PIL import Image

    with Image.open(folder / "logo.png") as image:
        image.transpose(Image.Transpose.FLIP_TOP_BOTTOM).save(folder / "logo.png")
    said, changed = build("f", cache_dir)
    assert said == ["0", "True"] and changed != again and changed == build("g", "off")[1]


def test_a_warning_from_a_pdf_part_is_said_by_every_build(tmp_path: Path) -> None:
    """A warning given while a part is laid out in a worker process (here a fetch refused for the cover's
    background) is said by the build, once; neither the part nor the whole PDF is kept in the cache, so a rebuild
    says it again, and writes the same bytes."""
    templates = tmp_path / "templates"
    templates.mkdir()
    css = (ROOT / "templates" / "collection-print.css.j2").read_text(encoding="utf-8")
    (templates / "collection-print.css.j2").write_text(
        css + '\n.cover { background-image: url("file:///etc/hostname"); }\n', encoding="utf-8")
    refused = "publish: warning: refused to fetch file:///etc/hostname: outside the article's folder and the theme"
    built = []
    for run in ("a", "b"):
        done = _publish("build", str(SAMPLES / "morning-brief.yaml"), "--to", "pdf", "--pdf-parts", "on", "--templates",
                        str(templates), "--out", str(tmp_path / run), cache_dir=tmp_path / "cache")
        assert done.returncode == 0, done.stderr
        assert done.stderr.splitlines().count(refused) == 1, done.stderr
        built.append((tmp_path / run / "morning-brief.pdf").read_bytes())
    assert built[0] == built[1]


def test_a_rebuilt_brief_pdf_lays_out_only_the_changed_part(tmp_path: Path) -> None:
    """Each part of a brief's PDF is kept in the cache (its layout's report and its written pages): a rebuild with
    nothing changed is the same bytes as a build without the cache, and after one article changes only its part is
    laid out again (one new report; new pages for it and for the parts it pushed on, if any), the result again
    the bytes of a build without the cache."""
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    manifest, cache_dir = folder / "morning-brief.yaml", tmp_path / "cache"
    first = _pdf(manifest, tmp_path / "a", cache_dir)
    kept = _entries(cache_dir)
    assert len(kept) >= 2 * 8  # the front matter, its draft and seven articles: a report and pages each
    assert _pdf(manifest, tmp_path / "b", cache_dir) == first == _pdf(manifest, tmp_path / "c", "off")
    assert _entries(cache_dir) == kept  # nothing laid out or written again
    story = folder / "brief" / "casa-1000-power-line.md"
    story.write_text(story.read_text(encoding="utf-8").rstrip() + "\n\nOne sentence added by the desk.\n",
                     encoding="utf-8")
    changed = _pdf(manifest, tmp_path / "d", cache_dir)
    assert changed != first and changed == _pdf(manifest, tmp_path / "e", "off")
    stored = cached.entries(cache_dir, "pages")
    reports = [key for key in stored.keys() - kept if b"%PDF-" not in stored[key][:128]]  # not pages
    assert 1 <= len(reports) <= 2, "the changed part (and the contents, if its numbers moved) laid out again"
    assert "One sentence added by the desk." in subprocess.run(
        ["pdftotext", str(tmp_path / "d" / "morning-brief.pdf"), "-"], capture_output=True, text=True,
        check=True).stdout


def test_a_rebuild_whose_parts_use_no_new_glyph_merges_no_font(tmp_path: Path) -> None:
    """The stitched brief's fonts (each part's subsets merged into one) are kept in the cache by the subsets'
    bytes: after an edit that uses no glyph the part did not use already, the rebuild does not load fontTools,
    and writes the bytes of a build without the cache."""
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    manifest, cache_dir = folder / "morning-brief.yaml", tmp_path / "cache"
    probe = ("import sys; from publish.cli import main; code = main(sys.argv[1:]); "
             "print(code, 'fontTools.ttLib' in sys.modules)")

    def build(out: str, cache: Path | str) -> tuple[list[str], bytes]:
        environment = {**os.environ, "PUBLISH_CACHE_DIR": str(cache), "SOURCE_DATE_EPOCH": "1700000000"}
        done = subprocess.run([sys.executable, "-c", probe, "build", str(manifest), "--to", "pdf", "--pdf-parts", "on",
                               "--out", str(tmp_path / out)], env=environment, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr
        return done.stdout.split(), (tmp_path / out / "morning-brief.pdf").read_bytes()

    said, first = build("a", cache_dir)
    assert said == ["0", "True"]  # a cold build merges the subsets
    story = folder / "brief" / "casa-1000-power-line.md"
    text = story.read_text(encoding="utf-8")
    sentence = "The project, planned for more than a decade, would let the two Central Asian"
    assert sentence in text
    story.write_text(text.rstrip() + f"\n\n{sentence} republics sell power.\n", encoding="utf-8")  # its own glyphs
    said, again = build("b", cache_dir)
    assert said == ["0", "False"] and again != first and again == build("c", "off")[1]


def test_a_renumbered_brief_part_is_not_laid_out_again(tmp_path: Path) -> None:
    """After an edit that changes its section's page count, the brief's other section is numbered anew (its pages
    shift, the total grows) without being laid out again: its body comes from the cache, and its margin boxes
    (folios, running heads) are made from its pages' record alone. The bytes are a build's without the cache."""
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    manifest, cache_dir, renumbered = folder / "morning-brief.yaml", tmp_path / "cache", tmp_path / "renumbered"
    probe = ("import sys\nfrom publish.backends import pdfparts\nmade = pdfparts._PartLayout._renumbered\n"
             "def recorded(self, *args):\n    written = made(self, *args)\n    if written is not None:\n"
             "        with open(sys.argv[1], 'a') as out:\n            out.write(f'{self.index}\\n')\n"
             "    return written\npdfparts._PartLayout._renumbered = recorded\nfrom publish.cli import main\n"
             "sys.exit(main(sys.argv[2:]))")

    def build(out: str, cache: Path | str) -> bytes:
        environment = {**os.environ, "PUBLISH_CACHE_DIR": str(cache), "SOURCE_DATE_EPOCH": "1700000000"}
        done = subprocess.run([sys.executable, "-c", probe, str(renumbered), "build", str(manifest), "--to", "pdf",
                               "--pdf-parts", "on", "--out", str(tmp_path / out)], env=environment,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return (tmp_path / out / "morning-brief.pdf").read_bytes()

    first = build("a", cache_dir)
    story = folder / "brief" / "kyrgyz-textile-workers.md"  # in the first section
    story.write_text(story.read_text(encoding="utf-8").rstrip() + "\n\n" + "\n\n".join(
        f"Paragraph {number} added by the desk: the union said that talks would resume after the holiday, and "
        "the ministry confirmed that its negotiators had been told to prepare a second offer." for number in range(24))
        + "\n", encoding="utf-8")
    assert not renumbered.exists()
    changed = build("b", cache_dir)
    assert renumbered.exists() and len(renumbered.read_text().split()) == 1, "the other section, numbered alone"
    assert changed == build("c", "off"), "the bytes of a build that lays every part out"
    pages = [int(subprocess.run(["pdfinfo", str(tmp_path / out / "morning-brief.pdf")], capture_output=True,
                                text=True, check=True).stdout.split("Pages:")[1].split()[0]) for out in ("a", "b")]
    assert pages[1] > pages[0], "the edit added pages: every page after it was numbered anew"
    folios = subprocess.run(["pdftotext", str(tmp_path / "b" / "morning-brief.pdf"), "-"], capture_output=True,
                            text=True, check=True).stdout
    assert f"of {pages[1]}" in folios and f"of {pages[0]}" not in folios
    assert first != changed


_LAID_PROBE = ("import sys\nfrom publish.backends import pdfparts\npdfparts.PARTS = 2\n"
               "settle = pdfparts._PartLayout.settle\n"
               "def recorded(self, context, pages):\n"
               "    ids = [n for names in pdfparts._anchors(context) for n in names if n.endswith('-headline')]\n"
               "    with open(sys.argv[1], 'a') as out:\n        out.write(' '.join(ids) + '\\n')\n"
               "    return settle(self, context, pages)\n"
               "pdfparts._PartLayout.settle = recorded\nfrom publish.cli import main\nsys.exit(main(sys.argv[2:]))")
"""`publish` with the brief cut into two runs (of four articles and three), writing the headlines of every layout
a worker makes, one line per layout, to the file named first."""


def _laid_build(tmp_path: Path, manifest: Path, out: str, cache: Path | str, *extra: str,
                ) -> tuple[bytes, list[list[str]]]:
    """The brief's PDF with --article-break, and the headlines each layout of the build held."""
    log = tmp_path / "laid"
    log.unlink(missing_ok=True)
    environment = {**os.environ, "PUBLISH_CACHE_DIR": str(cache), "SOURCE_DATE_EPOCH": "1700000000"}
    done = subprocess.run([sys.executable, "-c", _LAID_PROBE, str(log), "build", str(manifest), "--to", "pdf",
                           "--pdf-parts", "on", "--article-break", "--out", str(tmp_path / out), *extra],
                          env=environment, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    laid = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    return (tmp_path / out / "morning-brief.pdf").read_bytes(), laid


def _add_to(folder: Path, name: str, text: str) -> None:
    story = folder / "brief" / name
    story.write_text(story.read_text(encoding="utf-8").rstrip() + f"\n\n{text}\n", encoding="utf-8")


def test_a_changed_article_is_laid_out_alone_and_the_others_pages_borrowed(tmp_path: Path) -> None:
    """With --article-break a run of articles laid out before lends its pages: after one article of a run of four
    changes, that article alone is laid out, its neighbours' pages are taken from the run (only their margin boxes
    laid out anew), and the PDF is the bytes of a build that lays every run out. Again after a second edit of the
    same article, and after another article grows by pages (every later page numbered anew)."""
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    manifest, cache_dir = folder / "morning-brief.yaml", tmp_path / "cache"

    def build(out: str, cache: Path | str) -> tuple[bytes, list[list[str]]]:
        return _laid_build(tmp_path, manifest, out, cache)

    _, laid = build("a", cache_dir)
    runs = [ids for ids in laid if len(ids) < 7]  # the body runs (the front matter's layouts hold every headline)
    assert sorted(len(ids) for ids in runs) == [3, 4]
    _add_to(folder, "casa-1000-power-line.md", "One sentence added by the desk.")  # the third, in the run of four
    changed, laid = build("b", cache_dir)
    assert laid == [["a3-headline"]], "the changed article alone was laid out"
    assert changed == build("b-off", "off")[0]
    _add_to(folder, "casa-1000-power-line.md", "A second sentence from the desk.")
    changed, laid = build("c", cache_dir)
    assert laid == [["a3-headline"]] and changed == build("c-off", "off")[0]
    _add_to(folder, "kyrgyz-textile-workers.md", "\n\n".join(
        f"Paragraph {number} added by the desk: the union said that talks would resume after the holiday, and "
        "the ministry confirmed that its negotiators had been told to prepare a second offer." for number in range(24)))
    grown, laid = build("d", cache_dir)
    assert [ids for ids in laid if len(ids) < 7] == [["a2-headline"]], "the grown article alone (and the contents)"
    assert grown == build("d-off", "off")[0]
    pages = [int(subprocess.run(["pdfinfo", str(tmp_path / out / "morning-brief.pdf")], capture_output=True,
                                text=True, check=True).stdout.split("Pages:")[1].split()[0]) for out in ("c", "d")]
    assert pages[1] > pages[0]


def test_a_second_round_does_not_lay_out_what_the_cache_holds(tmp_path: Path) -> None:
    """The brief theme's last run finds a word to keep whole, so every build takes a second round. A part whose
    layout the cache holds knows the words its layout asked about, and none of them is that word: it keeps its
    pages (before, it was laid out again, so a rebuild laid out the whole brief). After an edit to the fourth
    article, the rebuild lays out that article and the last run, whose own layout the word changes, and writes
    the bytes of a build without the cache."""
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    manifest, cache_dir = folder / "morning-brief.yaml", tmp_path / "cache"
    _, laid = _laid_build(tmp_path, manifest, "a", cache_dir, "--theme", "brief")
    last = ["a5-headline", "a6-headline", "a7-headline"]
    assert laid.count(last) == 2, "the last run laid out again in a second round"
    _add_to(folder, "sco-ministers-astana.md", "One sentence added by the desk.")  # the fourth article
    changed, laid = _laid_build(tmp_path, manifest, "b", cache_dir, "--theme", "brief")
    assert sorted(laid) == sorted([["a4-headline"], last, last])
    assert changed == _laid_build(tmp_path, manifest, "b-off", "off", "--theme", "brief")[0]


_PRESTART_PROBE = ("import sys\nfrom publish.backends import pdfparts\n"
                   "def logged(name, function, said):\n"
                   "    def wrapper(*args):\n"
                   "        before = pdfparts._early is not None\n"
                   "        result = function(*args)\n"
                   "        with open(sys.argv[1], 'a') as out:\n"
                   "            out.write(name + ' ' + str(said(before, result)) + '\\n')\n"
                   "        return result\n"
                   "    return wrapper\n"
                   "running = lambda before, result: pdfparts._early is not None\n"
                   "pdfparts.prestart = logged('prestart', pdfparts.prestart, running)\n"
                   "pdfparts._take_prestarted = logged('take', pdfparts._take_prestarted, lambda b, r: r is not None)\n"
                   "pdfparts.stop_prestarted = logged('stop', pdfparts.stop_prestarted, lambda b, r: b)\n"
                   "from publish.cli import main\nsys.exit(main(sys.argv[2:]))")
"""`publish`, writing to the file named first a line for each start of the PDF's keeper before reading (and
whether one is running), for each pool that asks for it (and whether it got it), and for each stop (and whether
one was still running)."""


def _prestart_build(tmp_path: Path, manifest: Path, out: str, cache: Path | str) -> tuple[bytes, list[str]]:
    log = tmp_path / "prestarts"
    log.unlink(missing_ok=True)
    environment = {**os.environ, "PUBLISH_CACHE_DIR": str(cache), "SOURCE_DATE_EPOCH": "1700000000"}
    done = subprocess.run([sys.executable, "-c", _PRESTART_PROBE, str(log), "build", str(manifest), "--to", "pdf",
                           "--pdf-parts", "on", "--article-break", "--out", str(tmp_path / out)],
                          env=environment, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    said = log.read_text().splitlines() if log.exists() else []
    return (tmp_path / out / "morning-brief.pdf").read_bytes(), said


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="the keeper starts early only with a core to spare")
def test_a_rebuild_after_an_edit_starts_the_pdf_workers_before_reading(tmp_path: Path) -> None:
    """A build of the brief whose files changed since its last build, which was laid out in parts, starts the
    keeper of the PDF's workers before it reads the articles, and the pool takes it; so does its first build
    (nothing of it is cached); an unchanged brief's, whose PDF comes from the cache whole, does not; a file touched
    but not changed starts it, and it is stopped unused. The PDF is the bytes of a build without the cache each
    time."""
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    manifest, cache_dir = folder / "morning-brief.yaml", tmp_path / "cache"
    first, said = _prestart_build(tmp_path, manifest, "a", cache_dir)
    assert said == ["prestart True", "take True", "stop False"], "a first build lays its pages out: started early"
    assert first == _prestart_build(tmp_path, manifest, "a-off", "off")[0]
    again, said = _prestart_build(tmp_path, manifest, "b", cache_dir)
    assert again == first and said == []
    _add_to(folder, "casa-1000-power-line.md", "One sentence added by the desk.")
    changed, said = _prestart_build(tmp_path, manifest, "c", cache_dir)
    assert said == ["prestart True", "take True", "stop False"]
    assert changed != first and changed == _prestart_build(tmp_path, manifest, "c-off", "off")[0]
    story = folder / "brief" / "casa-1000-power-line.md"
    os.utime(story, ns=(story.stat().st_atime_ns, story.stat().st_mtime_ns + 10**9))
    touched, said = _prestart_build(tmp_path, manifest, "d", cache_dir)
    assert touched == changed and said == ["prestart True", "stop True"]
