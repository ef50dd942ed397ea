"""Applicants' Markdown made safe to publish, by parsing it, not by pattern matching.

A summary is parsed with a CommonMark parser (markdown-it, raw HTML off) and written back
as Markdown from the parsed tree, keeping only what a summary needs: paragraphs, emphasis,
lists, quotes and links to `http`, `https` or `mailto` addresses. Everything else becomes
its visible text: images (which would load from the network) become their description,
other links their words, headings bold text (a summary cannot break the outline of the page
that holds it), code plain text (nothing inside a code span or block is left raw for a lax
reader to meet), and raw HTML stays visible as text. Line breaks and control characters
written as entities become spaces. Reference-style links and
images, nested brackets and references defined inside list items are all resolved by the
parser first, so nothing is left for a later Markdown tool to interpret differently.

The site's HTML is the rendering of that same safe Markdown.
"""

from __future__ import annotations

import itertools
import re

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.tree import SyntaxTreeNode

SAFE_SCHEMES = ("http://", "https://", "mailto:")

# The parser sees every link a lax reader would follow; unsafe ones are then dropped.
_PARSER = MarkdownIt("commonmark", {"html": False})
_PARSER.validateLink = lambda url: True  # type: ignore[method-assign]
_RENDERER = MarkdownIt("commonmark", {"html": False}).disable("image")
_RENDERER.validateLink = lambda url: is_safe_link(url)  # type: ignore[method-assign]

#: An ampersand is literal in Markdown unless it starts a character reference (&amp; &#38;).
_REFERENCE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
#: Markdown ends a line at any of these, not only at \n.
_LINE_ENDS = re.compile(r"\r\n|\r|\n")
#: What GitHub would turn into a live link in plain text: « https:// », « www. ».
_NO_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|www)(:(?=//)|\.)")
# Inside a summary's text, only what could start markup where it stands is escaped, so the
# Markdown file stays readable; what matters only at the start of a line is handled there.
# "<" as an entity: a lax reader (Python-Markdown) does not honour a backslash before it, and
# would pass an HTML tag through. ">" is harmless but at a line's start (a quote).
_INLINE_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|~"} | {"<": "&lt;"})
_LINE_START = re.compile(r"^(\d{1,9}(?=[.)])|(?=[#+=>-]))")
#: A run of # at the end of a line would close a heading, and vanish from it (in
#: Python-Markdown even without a space before it): each is escaped.
_CLOSING_HASHES = re.compile(r"(?<!\\)#(?=#* *$)")
_URL_ESCAPES = str.maketrans(
    {"(": "%28", ")": "%29", "\\": "%5C", " ": "%20", "<": "%3C", ">": "%3E"}
)


def is_safe_link(url: str) -> bool:
    """Whether a link may be published: only web and mail addresses."""
    return url.strip().lower().startswith(SAFE_SCHEMES)


def escape(text: object) -> str:
    """Text written into a Markdown document so that it shows as itself: no markup, no HTML.

    Only what could start markup where it stands is escaped (``Île-de-France`` stays as it
    is), so that the file reads as well raw as rendered.
    """
    lines = _LINE_ENDS.split(_as_text(str(text)))
    return "\n".join(
        _CLOSING_HASHES.sub(r"\\#", _line(_NO_AUTOLINK.sub(r"\1\\\2", line))) for line in lines
    )


def _as_text(text: str) -> str:
    """Text with what would be markup or HTML where it stands escaped."""
    return _REFERENCE.sub("&amp;", text).translate(_INLINE_SPECIAL)


#: A character that may be markup somewhere, or that a reader may read as a space.
_NOT_PLAIN = re.compile(r"[^\w\n .,;:?!'’\"()%/€°«»–—…+=@\u00a0\u202f-]|_")
#: Digits that start a line: a list item's number when a "." or ")" follows them.
_LEADING_DIGITS = re.compile(r"\d+")


def _plain(text: str) -> list[str] | None:
    """The paragraphs of a text that holds no Markdown at all, each its lines joined.

    None when a line may be read as anything but words: most summaries are prose, which
    every Markdown reader shows as it is, and need no parser (a page renders in half the
    time). Proven the parser's reading by tests, on texts drawn to break it.
    """
    if _NOT_PLAIN.search(text):
        return None
    paragraphs: list[str] = []
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.removesuffix(" ")
        if not line.strip(" "):
            if lines:
                paragraphs.append("\n".join(lines))
                lines = []
            continue
        first, last = line[0], line[-1]
        if last.isspace():
            return None  # a line break (two spaces), or a space a reader may keep
        if not first.isalpha():
            digits = _LEADING_DIGITS.match(line)
            if digits is None or line[digits.end() : digits.end() + 1] in (".", ")"):
                return None
        lines.append(line)
    if lines:
        paragraphs.append("\n".join(lines))
    return paragraphs


def safe_markdown(text: str) -> str:
    """The summary re-written as Markdown that holds nothing but safe constructs."""
    plain = _plain(text)
    return "\n\n".join(plain) if plain is not None else parsed_markdown(text)


def parsed_markdown(text: str) -> str:
    """``safe_markdown`` by the parser alone, whatever the text holds."""
    try:
        tree = SyntaxTreeNode(_PARSER.parse(text))
        return "\n".join(_blocks(tree.children, tight=False)).strip()
    except RecursionError:
        # Emphasis nested hundreds deep: keep the words, as plain text.
        return "\n".join(_line(escape(_flat(line))) for line in text.splitlines()).strip()


def is_prose(text: str) -> bool:
    """Whether a text holds no Markdown at all: re-written without the parser."""
    return _plain(text) is not None


def to_html(text: str) -> str:
    """The summary as HTML: the rendering of its safe Markdown."""
    return _html(safe_markdown(text))


def _html(safe: str) -> str:
    plain = _plain(safe)
    if plain is not None:
        return "".join(f"<p>{escapeHtml(paragraph)}</p>\n" for paragraph in plain)
    return parsed_html(safe)


def parsed_html(safe: str) -> str:
    """Safe Markdown as HTML by the parser alone, whatever the text holds."""
    return str(_RENDERER.render(safe))


class Rewritten:
    """Texts' safe Markdown, each made once and kept until taken.

    A summary is shown on its project's page and in the list of laureates: processes that
    render pages hand what they made to the one that writes the list (`take`, `give`).
    """

    def __init__(self) -> None:
        self._made: dict[str, str] = {}

    def safe(self, text: str) -> str:
        """``safe_markdown(text)``, made at most once."""
        made = self._made.get(text)
        if made is None:
            made = self._made[text] = safe_markdown(text)
        return made

    def html(self, text: str) -> str:
        """``to_html(text)``, from the safe Markdown made at most once."""
        return _html(self.safe(text))

    def take(self, text: str) -> str | None:
        """The safe Markdown made of ``text`` if it was, forgetting everything made."""
        made = self._made.get(text)
        self._made.clear()
        return made

    def give(self, text: str, made: str) -> None:
        """Keep ``made`` as the safe Markdown of ``text`` (made by ``safe`` elsewhere)."""
        self._made[text] = made


def _block(node: SyntaxTreeNode, after_list: bool = False) -> list[str]:
    kind = node.type
    if kind in ("paragraph", "heading"):
        text = _inline(node.children[0]) if node.children else ""
        if not text.strip():
            return []
        if kind == "heading":
            text = f"**{text}**"
        return [_line(line) for line in text.split("\n")]
    if kind in ("code_block", "fence"):
        # Code is shown as text: a lax reader must not meet raw markup inside a code block
        # whose fence another construct could break.
        lines = [escape(_flat(line)) for line in node.content.rstrip("\n").split("\n")]
        kept = [_line(line) for line in lines if line.strip()]
        return [line + "\\" for line in kept[:-1]] + kept[-1:]
    if kind == "hr":
        return ["***"]
    if kind == "blockquote":
        return ["> " + line if line else ">" for line in _blocks(node.children, tight=False)]
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, alternate=after_list)
    # Raw HTML is off, so no other block can occur; anything unforeseen shows as text.
    return [_line(escape(_flat(node.content)))] if node.content.strip() else []


def _rendered(nodes: list[SyntaxTreeNode]) -> list[tuple[SyntaxTreeNode, list[str]]]:
    """Each block with its lines, empty blocks left out.

    A list right after a list of the same kind takes the other marker: the two stay two.
    """
    done: list[tuple[SyntaxTreeNode, list[str]]] = []
    for child in nodes:
        after_list = bool(done) and done[-1][0].type == child.type
        lines = _block(child, after_list=after_list)
        if lines:
            done.append((child, lines))
    return done


def _blocks(nodes: list[SyntaxTreeNode], tight: bool) -> list[str]:
    lines: list[str] = []
    for _, block in _rendered(nodes):
        if lines and not tight:
            lines.append("")
        lines.extend(block)
    return lines


#: The largest number CommonMark reads as a list item's number.
_MAX_ITEM = 999_999_999


def _interrupts(block: SyntaxTreeNode) -> bool:
    """Whether a list may follow a paragraph line without a blank line between them."""
    if block.type not in ("bullet_list", "ordered_list") or not block.children:
        return False
    first_item_has_content = bool(block.children[0].children)
    starts_at_one = block.type == "bullet_list" or int(str(block.attrs.get("start", 1))) == 1
    return first_item_has_content and starts_at_one


def _list(node: SyntaxTreeNode, alternate: bool = False) -> list[str]:
    items = [_rendered(item.children) for item in node.children]
    # Tight only when no block of an item could be read as the continuation of the one
    # before: a paragraph followed by a list that may interrupt it. Otherwise every block
    # is kept apart by a blank line.
    tight = all(
        first.type == "paragraph" and _interrupts(second)
        for blocks in items
        for (first, _), (second, _) in itertools.pairwise(blocks)
    )
    start = int(str(node.attrs.get("start", 1)))
    if start + len(node.children) > _MAX_ITEM:
        start = 1
    lines: list[str] = []
    for n, blocks in enumerate(items):
        if n and not tight:
            lines.append("")
        if node.type == "ordered_list":
            marker = f"{start + n}{')' if alternate else '.'}"
        else:
            marker = "*" if alternate else "-"
        pad = " " * (len(marker) + 1)
        body: list[str] = []
        for _, block in blocks:
            if body and not tight:
                body.append("")
            body.extend(block)
        body = body or [""]
        lines.append(f"{marker} {body[0]}".rstrip())
        lines.extend(pad + line if line else "" for line in body[1:])
    return lines


def _line(line: str) -> str:
    """A line of text with nothing at its start that would make it a block of its own."""
    return _LINE_START.sub(_escape_line_start, line.lstrip(), count=1)


#: Characters a reader may take for a line break or an indent, written through entities.
_BREAKS = str.maketrans(
    dict.fromkeys([*map(chr, range(0x20)), "\x7f", "\x85", "\u2028", "\u2029"], " ")
)


def _flat(text: str) -> str:
    """Text on one line: line breaks, tabs and control characters become spaces."""
    return text.translate(_BREAKS)


def _inline(node: SyntaxTreeNode) -> str:
    return _spans(node.children)


def _spans(nodes: list[SyntaxTreeNode]) -> str:
    text = ""
    for node in nodes:
        span = _span(node)
        if span.startswith("[") and text.endswith("!"):
            text = text[:-1] + "\\!"  # "!" before a link would make it an image
        text += span
    return text


def _span(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "softbreak":
        return "\n"
    if kind == "hardbreak":
        return "\\\n"
    if kind == "em":
        return "*" + _spans(node.children) + "*"
    if kind == "strong":
        return "**" + _spans(node.children) + "**"
    if kind == "code_inline":
        return _as_text(_flat(node.content))  # shown as text, like code blocks
    if kind == "link":
        words = _spans(node.children)
        href = str(node.attrs.get("href", ""))
        if is_safe_link(href) and words:
            return f"[{words}]({href.strip().translate(_URL_ESCAPES)})"
        return words
    if kind == "image":
        return _spans(node.children)
    return _as_text(_flat(node.content))


def _escape_line_start(match: re.Match[str]) -> str:
    # "1. x" would start a list, "# x" a heading, "=" or "-" under a line a heading.
    return match.group(1) + "\\" if match.group(1) else "\\"
