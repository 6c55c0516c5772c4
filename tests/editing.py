"""An edited Word document as an editor sends it back: tracked insertions, deletions, a move, a deleted paragraph
mark, a formatting change and comments with a reply, written with python-docx and lxml as Word writes them."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = f'xmlns:w="{W}"'
EDITOR, REPORTER = "Desk Editor", "Amina Qureshi"
DATE, LATER = "2024-06-12T10:05:00Z", "2024-06-12T11:30:00Z"


def _run(text: str, deleted: bool = False, bold_change: bool = False) -> str:
    tag = "w:delText" if deleted else "w:t"
    props = ""
    if bold_change:
        props = (f'<w:rPr><w:b/><w:rPrChange w:id="90" w:author="{EDITOR}" w:date="{DATE}"><w:rPr/></w:rPrChange>'
                 "</w:rPr>")
    return f'<w:r>{props}<{tag} xml:space="preserve">{text}</{tag}></w:r>'


def _change(tag: str, number: int, text: str, author: str = EDITOR, date: str = DATE) -> str:
    deleted = tag in ("del",)
    return f'<w:{tag} w:id="{number}" w:author="{author}" w:date="{date}">{_run(text, deleted)}</w:{tag}>'


def _mark(tag: str, number: int) -> str:
    """Paragraph properties whose paragraph mark was inserted, deleted or moved."""
    return f'<w:pPr><w:rPr><w:{tag} w:id="{number}" w:author="{EDITOR}" w:date="{DATE}"/></w:rPr></w:pPr>'


PARAGRAPHS = [
    # 1: the headline
    '<w:pPr><w:pStyle w:val="Title"/></w:pPr>' + _run("Ferry Trial Extended"),
    # 2: an insertion (commented: a comment on a tracked insertion), a deletion, and a commented range with a reply
    _run("The harbour authority ") + '<w:commentRangeStart w:id="2"/>' + _change("ins", 1, "on Tuesday ") +
    '<w:commentRangeEnd w:id="2"/><w:r><w:commentReference w:id="2"/></w:r>' +
    '<w:commentRangeStart w:id="0"/><w:commentRangeStart w:id="1"/>' + _run("extended") +
    '<w:commentRangeEnd w:id="0"/><w:commentRangeEnd w:id="1"/>' +
    '<w:r><w:commentReference w:id="0"/></w:r><w:r><w:commentReference w:id="1"/></w:r>' +
    _run(" the ") + _change("del", 3, "night ") + _run("ferry trial by a month."),
    # 3: a paragraph moved away from here (its text and its mark)
    '<w:pPr><w:rPr><w:moveFrom w:id="4" w:author="Desk Editor" w:date="2024-06-12T10:05:00Z"/></w:rPr></w:pPr>'
    '<w:moveFromRangeStart w:id="5" w:name="move1" w:author="Desk Editor" w:date="2024-06-12T10:05:00Z"/>'
    f'<w:moveFrom w:id="6" w:author="{EDITOR}" w:date="{DATE}">{_run("Boats leave every forty minutes.")}</w:moveFrom>'
    '<w:moveFromRangeEnd w:id="5"/>',
    # 4
    _run("Riders on the pier welcomed the news."),
    # 5: ... to here
    '<w:pPr><w:rPr><w:moveTo w:id="7" w:author="Desk Editor" w:date="2024-06-12T10:05:00Z"/></w:rPr></w:pPr>'
    '<w:moveToRangeStart w:id="8" w:name="move1" w:author="Desk Editor" w:date="2024-06-12T10:05:00Z"/>'
    f'<w:moveTo w:id="9" w:author="{EDITOR}" w:date="{DATE}">{_run("Boats leave every forty minutes.")}</w:moveTo>'
    '<w:moveToRangeEnd w:id="8"/>',
    # 6 and 7: the mark between them deleted: accepted, they are one paragraph
    _mark("del", 10) + _run("Fares stay"),
    _run(" at half the day rate."),
    # 8: a whole paragraph deleted, mark and all
    _mark("del", 11) + _change("del", 12, "Tickets are sold on board by card or cash."),
    # 9: an inserted paragraph, mark and all
    _mark("ins", 13) + _change("ins", 14, "The trial ends in September.", REPORTER, LATER),
    # 10: a formatting change (made bold)
    _run("Service starts at ten.", bold_change=True),
    # 11: a link inserted with Track Changes on (Pandoc broke such links: jgm/pandoc#4609)
    _run("Details: ") + '<w:hyperlink r:id="{link}"><w:ins w:id="15" w:author="Desk Editor" '
    'w:date="2024-06-12T10:05:00Z"><w:r><w:t>the port office site</w:t></w:r></w:ins></w:hyperlink>' + _run("."),
]
LINK = "https://port.example/night-ferry"
ACCEPTED = ("Ferry Trial Extended\nThe harbour authority on Tuesday extended the ferry trial by a month.\n"
            "Riders on the pier welcomed the news.\nBoats leave every forty minutes.\n"
            "Fares stay at half the day rate.\nThe trial ends in September.\nService starts at ten.\n"
            "Details: the port office site.")
REJECTED = ("Ferry Trial Extended\nThe harbour authority extended the night ferry trial by a month.\n"
            "Boats leave every forty minutes.\nRiders on the pier welcomed the news.\nFares stay\n"
            "at half the day rate.\nTickets are sold on board by card or cash.\nService starts at ten.\n"
            "Details: .")
COMMENTS = [("0", EDITOR, "DE", DATE, "source?"), ("1", REPORTER, "AQ", LATER, "Port office statement, 11 June."),
            ("2", EDITOR, "DE", LATER, "Which Tuesday?")]
THREADS = {"1": "0"}
"""Replies: comment 1 answers comment 0."""
RESOLVED = {"2"}


def edited_docx(path: Path) -> Path:
    """Write the edited document (comments part and commentsExtended.xml included) to `path`."""
    document = docx.Document()
    document.core_properties.author = REPORTER
    body = document.element.body
    link = document.part.relate_to(LINK, RT.HYPERLINK, is_external=True)
    for inner in PARAGRAPHS:
        body.sectPr.addprevious(etree.fromstring(f'<w:p {NS} xmlns:r="{R}">{inner.replace("{link}", link)}</w:p>'))
    for comment_id, author, initials, date, text in COMMENTS:
        comment = document.comments.add_comment(text=text, author=author, initials=initials)
        assert str(comment.comment_id) == comment_id
        comment._comment_elm.set(qn("w:date"), date)
        for p in comment._comment_elm.iter(qn("w:p")):
            p.set("{http://schemas.microsoft.com/office/word/2010/wordml}paraId", f"{0x100 + int(comment_id):08X}")
    document.save(str(path))
    _add_threads(path)
    return path


def _add_threads(path: Path) -> None:
    """commentsExtended.xml, as Word 2013 and later write it, for the replies and the resolved comment."""
    import zipfile

    w15 = "http://schemas.microsoft.com/office/word/2012/wordml"
    entries = "".join(f'<w15:commentEx w15:paraId="{0x100 + int(c[0]):08X}" w15:done="{int(c[0] in RESOLVED)}"'
                      + (f' w15:paraIdParent="{0x100 + int(THREADS[c[0]]):08X}"' if c[0] in THREADS else "") + "/>"
                      for c in COMMENTS)
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    parts["word/commentsExtended.xml"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                                          f'<w15:commentsEx xmlns:w15="{w15}">{entries}</w15:commentsEx>').encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/word/commentsExtended.xml" ContentType="application/vnd.openxmlformats-'
                     b'officedocument.wordprocessingml.commentsExtended+xml"/></Types>')
    parts["word/_rels/document.xml.rels"] = parts["word/_rels/document.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdThreads" Type="http://schemas.microsoft.com/office/2011/'
                             b'relationships/commentsExtended" Target="commentsExtended.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
