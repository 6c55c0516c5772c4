"""Template overrides: a user's folder comes before the theme's and the built-in templates, an override extends the
template it replaces through the builtin/ prefix, and a missing or broken template is one clear error."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import html as lxml_html

from publish.backends import RenderContext
from publish.backends import epub as epub_backend
from publish.backends import html as html_backend
from publish.build.resources import Resources
from publish.checks import gate as checks
from publish.cli import main
from publish.errors import RenderError
from publish.present.theme import load_theme

from conftest import SAMPLES, every_type_article
from validators import assert_same_words

EMBARGO_OVERRIDE = """{% extends "builtin/article.html.j2" %}
{% block styles %}.embargo { color: #c0ffee; }{% endblock %}
{% block article %}
<p class="embargo">EMBARGOED UNTIL 06:00 GMT</p>
{{ super() }}
{% endblock %}
"""


def context_with(templates: tuple[Path, ...], theme: str = "default") -> RenderContext:
    return RenderContext(theme=load_theme(theme, templates=templates), resources=Resources(base_dir=SAMPLES))


def test_an_override_extending_the_built_in_article_template_changes_the_html_and_the_pdf(tmp_path: Path) -> None:
    (tmp_path / "article.html.j2").write_text(EMBARGO_OVERRIDE, encoding="utf-8")
    article = every_type_article()
    plain, overridden = context_with(()), context_with((tmp_path,))

    page = lxml_html.document_fromstring(html_backend.render(article, overridden))
    body = page.find(".//body")
    assert body[0].get("class") == "embargo" and body[0].text == "EMBARGOED UNTIL 06:00 GMT"
    assert body[1].tag == "article" and body[1].findtext(".//h1") == article.meta.headline  # super() kept it
    assert ".embargo { color: #c0ffee; }" in page.findtext(".//style")
    assert "EMBARGOED" not in html_backend.render(article, plain)

    from publish.backends import pdf as pdf_backend

    pages = checks.pdf_text(pdf_backend.render(article, overridden))
    assert pages[0].startswith("EMBARGOED UNTIL 06:00 GMT\n")
    (tmp_path / "embargo.pdf").write_bytes(pdf_backend.render(article, overridden))
    assert_same_words(article, tmp_path / "embargo.pdf")


def test_the_user_folder_comes_before_the_theme_folder(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "theme.toml").write_text('[theme]\nextends = "brief"\n', encoding="utf-8")
    (theme / "article.html.j2").write_text('{% extends "builtin/article.html.j2" %}'
                                           '{% block letterhead %}<p id="from">theme</p>{% endblock %}')
    user = tmp_path / "user"
    user.mkdir()
    (user / "article.html.j2").write_text('{% extends "builtin/article.html.j2" %}'
                                          '{% block letterhead %}<p id="from">user</p>{% endblock %}')
    article = every_type_article()
    themed = RenderContext(theme=load_theme(str(theme)), resources=Resources(base_dir=SAMPLES))
    both = RenderContext(theme=load_theme(str(theme), templates=(user,)), resources=Resources(base_dir=SAMPLES))
    assert lxml_html.document_fromstring(html_backend.render(article, themed)).get_element_by_id("from").text == \
        "theme"
    assert lxml_html.document_fromstring(html_backend.render(article, both)).get_element_by_id("from").text == "user"


def test_a_partial_override_reaches_the_epub_too(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "article.html.j2").write_text(
        '{% extends "builtin/partials/article.html.j2" %}'
        '{% block byline %}<p class="credit-line">Reporting: {{ meta.authors|join(" & ") }}</p>{% endblock %}',
        encoding="utf-8")
    blocks = (tmp_path / "partials" / "blocks.html.j2")
    builtin = (Path(__file__).resolve().parent.parent / "templates" / "partials" / "blocks.html.j2").read_text()
    blocks.write_text(builtin.replace('<hr/>', '<hr class="dinkus"/>'), encoding="utf-8")
    data = epub_backend.render(every_type_article(), context_with((tmp_path,)))
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        chapter = package.read(next(n for n in package.namelist() if n.endswith("chapter.xhtml"))).decode()
    assert '<hr class="dinkus"/>' in chapter
    assert '<p class="credit-line">Reporting: Amina Qureshi &amp; Tomás Ríos</p>' in chapter
    assert 'class="byline"' not in chapter and 'class="dateline"' in chapter  # only that block was replaced


def test_a_missing_template_lists_what_exists(tmp_path: Path) -> None:
    (tmp_path / "article.html.j2").write_text('{% include "partials/byline.html.j2" %}', encoding="utf-8")
    with pytest.raises(RenderError) as caught:
        html_backend.render(every_type_article(), context_with((tmp_path,)))
    message = str(caught.value)
    assert "template 'partials/byline.html.j2' not found" in message
    assert str(tmp_path) in message and "partials/article.html.j2" in message and "builtin/NAME" in message


def test_a_broken_override_names_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "article.html.j2").write_text('{% extends "builtin/article.html.j2" %}\n{% block article %}\n'
                                              '{% if %}\n{% endblock %}\n', encoding="utf-8")
    with pytest.raises(RenderError) as caught:
        html_backend.render(every_type_article(), context_with((tmp_path,)))
    assert caught.value.path == str(tmp_path / "article.html.j2") and caught.value.line == 3


def test_an_override_using_an_unknown_value_names_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "article.html.j2").write_text('{% extends "builtin/article.html.j2" %}\n{% block article %}\n'
                                              "<p>{{ meta.deadline }}</p>\n{% endblock %}\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"template error: .*has no attribute 'deadline'") as caught:
        html_backend.render(every_type_article(), context_with((tmp_path,)))
    assert caught.value.path == str(tmp_path / "article.html.j2") and caught.value.line == 3


def test_templates_flag_and_project_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    overrides = tmp_path / "house-templates"
    overrides.mkdir()
    (overrides / "article.html.j2").write_text(EMBARGO_OVERRIDE, encoding="utf-8")
    source = str(SAMPLES / "feature-tour.md")
    assert main(["build", source, "--to", "html", "--out", str(tmp_path / "a"), "--templates", str(overrides)]) == 0
    assert "EMBARGOED" in (tmp_path / "a" / "feature-tour.html").read_text(encoding="utf-8")
    (tmp_path / "publish.toml").write_text('templates = "house-templates"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["build", source, "--to", "html", "--out", "b"]) == 0
    assert "EMBARGOED" in (tmp_path / "b" / "feature-tour.html").read_text(encoding="utf-8")
    assert main(["build", source, "--to", "html", "--out", "c", "--templates", str(tmp_path / "gone")]) == 1
