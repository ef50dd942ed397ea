"""A summary's Markdown is parsed and re-written, so nothing in it reaches a reader as markup.

The Markdown file gen publishes may be rendered by a tool that sanitises far less than gen's
own site (raw HTML on, any link followed); these tests render it with such a tool.
"""

from __future__ import annotations

import re
import shutil
from html import escape as html_escape
from pathlib import Path

import pytest
import yaml
from conftest import MINIMAL, examples, invoke, replace
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from gen_cli.markdown import (
    Rewritten,
    _plain,
    escape,
    parsed_html,
    parsed_markdown,
    safe_markdown,
    to_html,
)

#: Renderers that trust everything: raw HTML, images and any link; the second reads
#: tables, strikethrough and bare URLs as GitHub does.
PERMISSIVE = MarkdownIt("commonmark", {"html": True})
PERMISSIVE.validateLink = lambda url: True
GFM = MarkdownIt("gfm-like", {"html": True})
GFM.validateLink = lambda url: True


def hrefs(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', html)


def assert_harmless(html: str) -> None:
    assert "<img" not in html
    assert "<script" not in html
    assert all(h.startswith(("http://", "https://", "mailto:")) for h in hrefs(html)), html


HOSTILE = [
    # inline and reference-style images: only their description is kept
    ("![suivi](http://tracker.example/p.png)", "suivi"),
    ("![logo][l]\n\n[l]: http://tracker.example/p.png", "logo"),
    ("![logo][]\n\n[logo]: https://tracker.example/p.png", "logo"),
    ("[![x](http://t.example/a.png)](https://ok.example)", "[x](https://ok.example)"),
    # links that are not to the web or to a mailbox keep only their words
    ("[clic](javascript:alert(1))", "clic"),
    (
        "[clic][r]\n\n[r]: data:text/html,<script>",
        "clic",
    ),
    ("[fichier](file:///etc/passwd)", "fichier"),
    ("[relatif](../../secret.html)", "relatif"),
    ("<javascript:alert(1)>", "javascript:alert(1)"),
    # nested brackets and parentheses in a link: the parser's reading is kept exactly
    ("[a [b] c](https://ok.example/x(y))", "[a \\[b\\] c](https://ok.example/x%28y%29)"),
    ('[a](https://ok.example "titre")', "[a](https://ok.example)"),
    # a reference defined inside a list item is resolved (or not) before re-writing
    ("- [voir][r]\n\n  [r]: https://ok.example\n- b", "- [voir](https://ok.example)\n- b"),
    ("- un\n\n  [r]: http://t.example/p.png\n- ![x][r]", "- un\n- x"),
    # raw HTML, entities and headings
    ("<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)>"),
    ("&lt;img src=x&gt;", "&lt;img src=x>"),
    ("# Gros titre", "**Gros titre**"),
    ("Titre\n===", "**Titre**"),
    # what only looks like markup stays text
    ("1\\. pas une liste\n\n\\# pas un titre", "1\\. pas une liste\n\n\\# pas un titre"),
    ("a\n\\===", "a\n\\==="),
]


@pytest.mark.parametrize(("source", "expected"), HOSTILE)
def test_hostile_markdown_is_neutralised(source: str, expected: str) -> None:
    assert safe_markdown(source) == expected
    assert_harmless(PERMISSIVE.render(safe_markdown(source)))
    assert_harmless(GFM.render(safe_markdown(source)))
    assert_harmless(to_html(source))


#: Found by an independent review: each once put a live tag or a heading before a lax reader.
REVIEWED = [
    # a code block whose fence an empty heading and a list numbered 5 used to break
    (
        "- a\n  #\n  5. ```\n\n     <img src=x onerror=alert(1)>\n     ```\n",
        "- a\n\n  5. &lt;img src=x onerror=alert(1)>",
    ),
    # a list numbered past nine digits is no list for the next reader
    (
        "999999999. a\n1. ```\n\n   <img src=x onerror=alert(1)>\n   ```\n",
        "1. a\n2. &lt;img src=x onerror=alert(1)>",
    ),
    # a | inside a code span that a GitHub table would split
    (
        "| a |\n:--\n`<img src=x onerror=alert(1)>|`",
        "\\| a \\|\n:--\n&lt;img src=x onerror=alert(1)>\\|",
    ),
    # a bare URL that swallows a code span's backtick
    (
        "See http://a.com/`<x]![y](<http://evil/t.png>)`",
        "See http://a.com/&lt;x\\]!\\[y\\](&lt;http://evil/t.png>)",
    ),
    # line breaks written as entities
    ("Intro&#13;# Forged heading&#13;text", "Intro # Forged heading text"),
    ("Intro&#13;===", "Intro ==="),
    ("a&#10;&#10;    x", "a      x"),
    ("&#9;&#9;x", "x"),
    # two lists in a row stay two
    ("- a\n* b", "- a\n\n* b"),
    ("1. a\n2) b", "1. a\n\n2) b"),
]


@pytest.mark.parametrize(("source", "expected"), REVIEWED)
def test_what_a_review_found_is_neutralised(source: str, expected: str) -> None:
    out = safe_markdown(source)
    assert out == expected
    for html in (PERMISSIVE.render(out), GFM.render(out), to_html(source)):
        assert_harmless(html)
        assert "<h1" not in html and "<pre" not in html


def test_emphasis_nested_hundreds_deep_keeps_its_words() -> None:
    source = "*" * 600 + "a" + "*" * 600
    assert safe_markdown(source) == "\\*" * 600 + "a" + "\\*" * 600
    assert to_html(source) == "<p>" + "*" * 600 + "a" + "*" * 600 + "</p>\n"


def test_what_a_summary_needs_is_kept() -> None:
    source = (
        "Un projet **solide** et *utile*.\n\n"
        "1. former\n2. accompagner\n   - en `ligne`\n\n"
        "> cité\n\n[site](https://projet.example) ou <contact@projet.example>"
    )
    assert to_html(source) == (
        "<p>Un projet <strong>solide</strong> et <em>utile</em>.</p>\n"
        "<ol>\n<li>former</li>\n<li>accompagner\n<ul>\n<li>en ligne</li>\n"
        "</ul>\n</li>\n</ol>\n<blockquote>\n<p>cité</p>\n</blockquote>\n"
        '<p><a href="https://projet.example">site</a> ou '
        '<a href="mailto:contact@projet.example">contact@projet.example</a></p>\n'
    )


def test_a_title_is_text_in_any_place() -> None:
    title = "1. [Projet](javascript:x) <b>#1</b> *a*"
    assert escape(title) == "1\\. \\[Projet\\](javascript:x) &lt;b>#1&lt;/b> \\*a\\*"
    assert PERMISSIVE.renderInline(escape(title)) == (
        "1. [Projet](javascript:x) &lt;b&gt;#1&lt;/b&gt; *a*"
    )


PIECES = st.sampled_from(
    [
        *"[]()!<>*_`\\&;:#=-+|~'\". \t\n",
        "\n\n",
        "- ",
        "1. ",
        "1) ",
        "> ",
        "    ",
        "```",
        "[r]: ",
        "]: ",
        "a",
        "é",
        "javascript:alert(1)",
        "http://a.example",
        "mailto:x@y.example",
        "data:",
        "x.png",
        "<img src=x>",
        "<script>",
        "&#106;",
        "&#x3C;",
        "\u00a0",
        "<http://a.example>",
    ]
)


@examples(300)
@given(st.lists(PIECES, max_size=40).map("".join))
def test_no_input_yields_markup_a_lax_reader_would_follow(text: str) -> None:
    out = safe_markdown(text)
    assert_harmless(PERMISSIVE.render(out))
    assert_harmless(GFM.render(out))
    assert_harmless(to_html(text))
    # Re-publishing published Markdown settles: gen's output is stable under gen.
    twice = safe_markdown(out)
    assert safe_markdown(twice) == twice


def test_published_markdown_and_site_hold_no_image_or_unsafe_link(tmp_path: Path) -> None:
    call = tmp_path / "call"
    shutil.copytree(MINIMAL, call)
    hostile = "\n\n".join(source for source, _ in HOSTILE)
    for path in (call / "2022Q1").glob("*.yaml"):
        dossier = yaml.safe_load(path.read_text(encoding="utf-8"))
        dossier["summary"] = hostile
        path.write_text(yaml.safe_dump(dossier, allow_unicode=True), encoding="utf-8")
    replace(
        call / "call.yaml",
        "    closes: 2022-03-31\n",
        "    closes: 2022-03-31\n    decision_date: 2022-05-15\n",
    )
    assert invoke("validate", "--call", call).code == 0, invoke("validate", "--call", call)
    assert invoke("score", "--round", "2022Q1", "--call", call).code == 0
    out = tmp_path / "public"
    result = invoke("publish", "--call", call, "--out", out, "--draft")
    assert result.code == 0, result
    markdown = (out / "laureats.md").read_text(encoding="utf-8")
    assert "[a \\[b\\] c](https://ok.example/x%28y%29)" in markdown
    assert "tracker.example" not in markdown
    assert_harmless(PERMISSIVE.render(markdown))
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<img" not in html and "<script" not in html
        for href in hrefs(html):
            # The site's own links lead to its own files; any other is to the web or a mailbox.
            target = href.split("#")[0]
            assert href.startswith(("https://", "http://", "mailto:", "#")) or (
                (page.parent / target).resolve().is_relative_to(out.resolve())
                and (page.parent / target).is_file()
            ), (page, href)
        assert "tracker.example" not in html and "passwd" not in html


@pytest.mark.parametrize(
    ("title", "written"),
    [
        ("Projet ###", "Projet \\#\\#\\#"),  # would close the heading, and vanish from it
        ("Projet C#", "Projet C\\#"),  # Python-Markdown closes a heading even without a space
        ("C# pour tous #2", "C# pour tous #2"),
        ("Avant -> après", "Avant -> après"),  # no entity where nothing needs one
        ("> cité", "\\> cité"),
    ],
)
def test_a_title_keeps_every_character_in_a_heading_and_reads_cleanly_raw(
    title: str, written: str
) -> None:
    assert escape(title) == written
    rendered = MarkdownIt("commonmark").render(f"#### {escape(title)}\n")
    assert rendered == f"<h4>{html_escape(title, quote=False)}</h4>\n"


@given(
    st.lists(
        st.sampled_from(["*a*", "# t", "[x](javascript:y)", "<b>", "a\n\n- b", ""]), max_size=8
    )
)
def test_markdown_made_once_is_the_markdown_made_each_time(texts: list[str]) -> None:
    rewritten = Rewritten()
    for text in texts:
        assert rewritten.safe(text) == safe_markdown(text)
        assert rewritten.html(text) == to_html(text)
    last = texts[-1] if texts else "*a*"
    rewritten.safe(last)
    assert rewritten.take(last) == safe_markdown(last)
    assert rewritten.take(last) is None  # taking forgets everything made


def test_markdown_given_by_another_process_is_used_as_given() -> None:
    rewritten = Rewritten()
    rewritten.give("*a*", "made elsewhere")
    assert rewritten.safe("*a*") == "made elsewhere"
    assert rewritten.html("*a*") == "<p>made elsewhere</p>\n"


#: Pieces of lines a plain summary holds, and what is one character away from markup.
PLAIN_PIECES = st.sampled_from(
    [
        *"aÉßz19²٣.),;:?!'’\"(%/€°«»–—…+=-@_*#&<>\\[]`|~\t\r\x00\u00a0\u202f\u2028",
        *["2021", " ", "  ", "    ", "\n", "\n\n", "\n \n", "==", "--", "&amp;"],
        *["1.", "1)", "- ", "+ ", "==\n", "a  \n"],
    ]
)


#: Mostly prose, so that half the texts drawn take the way around the parser.
PROSE_PIECES = st.sampled_from(
    ["a", "É", "2021", "1", " ", "\n", "\n\n", ".", ")", "'", '"', "-", "=", "\u00a0", "«"]
)


@examples(1000)
@given(
    st.one_of(st.lists(PLAIN_PIECES, max_size=30), st.lists(PROSE_PIECES, max_size=30)).map("".join)
)
def test_a_plain_summary_reads_as_the_parser_reads_it(text: str) -> None:
    # Prose skips the parser: its Markdown and its HTML are the parser's, to the byte.
    safe = safe_markdown(text)
    assert safe == parsed_markdown(text)
    assert to_html(text) == parsed_html(safe)


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Former 120 personnes.\n2021 : lancement, puis « suivi » à 6 mois. \n", True),
        ("Un\n\n\nDeux ", True),
        ("Deux  ", False),
        ("Un\n1. deux", False),
        ("Un\n2021) deux", False),
        ("Un  \ndeux", False),
        ("- un", False),
        ("Un *deux*", False),
        ("Un\u00a0\ndeux", False),
        ("Un\n===", False),
    ],
)
def test_only_prose_skips_the_parser(text: str, plain: bool) -> None:
    assert (_plain(text) is not None) is plain
    assert safe_markdown(text) == parsed_markdown(text)
    assert to_html(text) == parsed_html(safe_markdown(text))
