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
import zipfile
from pathlib import Path

import docx
from lxml import etree
from pypdf import PdfReader

from publish.readers import read_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [ROOT / "samples" / "dar-bishkek.txt", ROOT / "samples" / "feature-tour.md"]
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
    hashes = []
    for folder, process in runs:
        _, err = process.communicate(timeout=300)
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
    names = {f"{stem}.{fmt}" for stem in ("dar-bishkek", "feature-tour", "dateless")
             for fmt in ("html", "pdf", "docx", "epub")}
    assert set(first) == names
    different = sorted(name for name in names if first[name] != second[name])
    assert different == [], f"differ between two builds: {different}"

    out = tmp_path / "run1"
    moment = dt.datetime.fromtimestamp(EPOCH, dt.UTC)
    pdf = PdfReader(out / "dateless.pdf")  # no date in the article: the epoch, never now
    assert pdf.metadata["/CreationDate"] == pdf.metadata["/ModDate"] == "D:20231114221320Z"
    properties = docx.Document(str(out / "dateless.docx")).core_properties
    assert properties.created == properties.modified == moment.replace(tzinfo=None)
    assert _epub_metadata(out / "dateless.epub")["modified"] == "2023-11-14T22:13:20Z"


def test_an_article_with_a_date_is_byte_identical_without_source_date_epoch(tmp_path: Path) -> None:
    first, second = _build_twice([SAMPLES[1]], tmp_path, _environment())
    assert len(first) == 4
    assert first == second

    out = tmp_path / "run1"
    uid = read_file(SAMPLES[1]).article.meta.uid
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
