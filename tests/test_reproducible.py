"""Reproducible builds: two builds of the same input, in separate processes with different hash seeds and at
different moments, give byte-identical HTML, PDF, DOCX and EPUB, with SOURCE_DATE_EPOCH set or a date in the
article. (The one place raw bytes are compared: elsewhere outputs are compared part by part.)"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree
from pypdf import PdfReader

from publish.readers import read_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted([*ROOT.glob("samples/*.md"), *ROOT.glob("samples/*.txt")])
"""Every sample article."""
COLLECTIONS = sorted(ROOT.glob("samples/*.yaml"))
"""Every sample collection (its manifest)."""
TOUR = ROOT / "samples" / "feature-tour.md"
EPOCH = 1700000000
"""2023-11-14 22:13:20 UTC."""
DATELESS = "---\ntitle: A Story Without a Date\nauthor: Desk Editor\n---\n\nNo date in the front matter.\n"


def _build_twice(inputs: list[Path], out: Path, env: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Build the inputs in two processes at once (hash seeds 1 and 2); the hashes of each one's files."""
    runs = []
    for seed in ("1", "2"):
        folder = out / f"run{seed}"
        runs.append((folder, subprocess.Popen([sys.executable, "-m", "publish", "build", *map(str, inputs), "--out",
                                               str(folder)], env={**env, "PYTHONHASHSEED": seed}, cwd=ROOT,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    try:
        errors = [process.communicate(timeout=300)[1] for _, process in runs]
    finally:
        for _, process in runs:
            if process.poll() is None:
                process.kill()
                process.wait()
    hashes = []
    for (folder, process), err in zip(runs, errors, strict=True):
        assert process.returncode == 0, err
        hashes.append({p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())})
    return hashes[0], hashes[1]


def _environment(**changes: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    env.update(changes)
    return env


def test_every_sample_is_byte_identical_with_source_date_epoch(tmp_path: Path) -> None:
    (tmp_path / "dateless.md").write_text(DATELESS, encoding="utf-8")
    first, second = _build_twice([*SAMPLES, tmp_path / "dateless.md"], tmp_path, _environment(
        SOURCE_DATE_EPOCH=str(EPOCH)))
    names = {f"{path.stem}.{fmt}" for path in [*SAMPLES, tmp_path / "dateless.md"]
             for fmt in ("html", "pdf", "docx", "epub")}
    assert names <= set(first)
    different = sorted(name for name in first if first[name] != second.get(name))
    assert different == [], f"differ between two builds: {different}"

    out = tmp_path / "run1"
    moment = dt.datetime.fromtimestamp(EPOCH, dt.UTC)
    pdf = PdfReader(out / "dateless.pdf")  # no date in the article: the epoch, never now
    assert pdf.metadata["/CreationDate"] == pdf.metadata["/ModDate"] == "D:20231114221320Z"
    properties = docx.Document(str(out / "dateless.docx")).core_properties
    assert properties.created == properties.modified == moment
    assert _epub_metadata(out / "dateless.epub")["modified"] == "2023-11-14T22:13:20Z"


def test_every_sample_collection_is_byte_identical_with_source_date_epoch(tmp_path: Path) -> None:
    first, second = _build_twice(COLLECTIONS, tmp_path, _environment(SOURCE_DATE_EPOCH=str(EPOCH)))
    assert {f"{path.stem}.{fmt}" for path in COLLECTIONS for fmt in ("html", "pdf", "epub")} <= set(first)
    assert sorted(name for name in first if first[name] != second.get(name)) == []


def test_an_article_with_a_date_is_byte_identical_without_source_date_epoch(tmp_path: Path) -> None:
    first, second = _build_twice([TOUR], tmp_path, _environment())
    assert len(first) == 4
    assert first == second

    out = tmp_path / "run1"
    uid = read_file(TOUR).article.meta.uid
    epub = _epub_metadata(out / "feature-tour.epub")
    assert epub["identifier"] == uid  # derived from the article's URL, not random
    assert epub["modified"] == "2024-06-13T04:30:00Z"  # the article's update time, in UTC
    trailer_id = PdfReader(out / "feature-tour.pdf").trailer["/ID"]
    assert bytes(trailer_id[0].original_bytes) == uid.encode()


def _epub_metadata(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as package:
        opf_name = next(n for n in package.namelist() if n.endswith(".opf"))
        opf = etree.parse(io.BytesIO(package.read(opf_name)))
        dates = {info.date_time for info in package.infolist()}
    assert len(dates) == 1  # every entry stamped with one time
    ns = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
    return {"identifier": opf.findtext(".//dc:identifier", namespaces=ns),
            "modified": opf.findtext(".//opf:meta[@property='dcterms:modified']", namespaces=ns)}


def test_subset_fonts_carry_the_articles_date_not_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where WeasyPrint subsets fonts with fontTools (no libharfbuzz-subset), each subset font's header records
    when it was made: the article's date (or SOURCE_DATE_EPOCH), so the clock does not change the PDF."""
    import weasyprint.pdf.fonts

    from publish import model
    from publish.backends import RenderContext
    from publish.backends import pdf as pdf_backend
    from publish.build.resources import Resources
    from publish.present.theme import load_theme

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)  # the fontTools path
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    context = RenderContext(theme=load_theme("default"), resources=Resources(base_dir=ROOT / "samples"))

    def at(clock: float, article: model.Article) -> bytes:
        monkeypatch.setattr(time, "time", lambda: clock)
        return pdf_backend.render(article, context)

    body = (model.Paragraph((model.Text("Subset fonts record a time."),)),)
    dated = model.Article(model.Meta(headline="Fonts", published=dt.date(2024, 6, 12)), body)
    assert at(1.8e9, dated) == at(1.9e9, dated)
    undated = model.Article(model.Meta(headline="Fonts"), body)
    assert at(1.8e9, undated) != at(1.9e9, undated)  # the control: without a date, fontTools stamps the clock
