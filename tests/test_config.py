"""publish.toml: a project's defaults (theme, formats, output folder, templates, page size, publisher, logo), read from
the working folder or --config; command-line flags win over it; a mistake in it is one clear error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import html as lxml_html

from publish.build.config import load_config
from publish.cli import main

from conftest import SAMPLES

SOURCE = SAMPLES / "feature-tour.md"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A newsroom folder: a logo, a theme of its own beside the project file, and the article's image."""
    shutil.copy(SAMPLES / "logo.png", tmp_path / "logo.png")
    (tmp_path / "themes" / "house").mkdir(parents=True)
    (tmp_path / "themes" / "house" / "theme.toml").write_text(
        '[theme]\nextends = "brief"\ndescription = "Our house style"\n[colors]\naccent = "#005f73"\n',
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(project: Path, text: str, name: str = "publish.toml") -> Path:
    (project / name).write_text(text, encoding="utf-8")
    return project / name


def test_the_project_file_sets_the_build_defaults(project: Path) -> None:
    write(project, 'theme = "themes/house"\nformats = ["html", "docx"]\nout = "press"\npage_size = "letter"\n'
                   'publisher = "Harbour Daily"\nlogo = "logo.png"\n')
    assert main(["build", str(SOURCE)]) == 0
    assert sorted(p.name for p in (project / "press").iterdir()) == ["feature-tour.docx", "feature-tour.html"]
    page = lxml_html.parse(str(project / "press" / "feature-tour.html")).getroot()
    css = page.findtext(".//style")
    assert "size: Letter;" in css and "#005f73" in css
    letterhead = page.find(".//header[@class='letterhead']")
    assert letterhead.find("img").get("alt") == "Harbour Daily"
    assert letterhead.find("img").get("src").startswith("data:image/png;base64,")


def test_flags_win_over_the_project_file(project: Path) -> None:
    write(project, 'theme = "digest"\nformats = ["docx"]\nout = "press"\npage_size = "Letter"\n')
    assert main(["build", str(SOURCE), "--to", "html", "--out", "web", "--theme", "brief", "--page-size", "A5"]) == 0
    assert not (project / "press").exists()
    css = lxml_html.parse(str(project / "web" / "feature-tour.html")).getroot().findtext(".//style")
    assert "size: A5;" in css and '"Noto Sans"' in css and '"Charis SIL"' not in css


def test_config_flag_reads_another_file_with_paths_relative_to_it(project: Path, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    config = write(project, 'theme = "themes/house"\nout = "from-config"\n', name="press.toml")
    assert main(["build", str(SOURCE), "--to", "html", "--config", str(config)]) == 0
    assert (project / "from-config" / "feature-tour.html").is_file()
    loaded = load_config(config, cwd=elsewhere)
    assert loaded.theme == str(project / "themes" / "house") and loaded.out == project / "from-config"
    assert load_config(cwd=elsewhere).path is None  # no publish.toml there: no defaults


def test_themes_lists_the_project_theme(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, 'theme = "themes/house"\n')
    assert main(["themes"]) == 0
    assert "Our house style" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "message"), [
    ('them = "brief"\n', "publish.toml:1: unknown key(s) them; a project file may set theme"),
    ("formats = 3\n", "publish.toml:1: formats = 3 must be a list of output formats"),
    ('page_size = "B5"\n', "publish.toml:1: page_size: unknown page size 'B5'; known sizes: A4, A5, Letter, Legal"),
    ('logo = "missing.png"\n', "publish.toml:1: logo: file 'missing.png' not found"),
    ('templates = ["nowhere"]\n', "publish.toml:1: templates: folder 'nowhere' not found"),
    ("theme = [\n", "publish.toml: not a valid project file"),
    ('theme = "no-such-theme"\n', "unknown theme 'no-such-theme'"),
    ('formats = ["odt"]\n', "unknown output format 'odt'; known: html, pdf, docx, epub, md"),
    ('logo = "publish.toml"\n', "publish.toml: logo: image 'publish.toml' is not a readable image file"),
])
def test_a_mistake_in_the_project_file_is_one_line(project: Path, capsys: pytest.CaptureFixture[str], text: str,
                                                    message: str) -> None:
    write(project, text)
    assert main(["build", str(SOURCE)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("publish: error: ") and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
