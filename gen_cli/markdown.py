"""Applicants' Markdown made safe to publish, by parsing it, not by pattern matching.

A summary is parsed with a CommonMark parser (markdown-it, raw HTML off) and written back
as Markdown from the parsed tree, keeping only what a summary needs: paragraphs, emphasis,
lists, quotes, code and links to `http`, `https` or `mailto` addresses. Everything else
becomes its visible text: images (which would load from the network) become their
description, other links their words, headings bold text (a summary cannot break the outline
of the page that holds it), and raw HTML stays visible as text. Reference-style links and
images, nested brackets and references defined inside list items are all resolved by the
parser first, so nothing is left for a later Markdown tool to interpret differently.

The site's HTML is the rendering of that same safe Markdown.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

SAFE_SCHEMES = ("http://", "https://", "mailto:")

# The parser sees every link a lax reader would follow; unsafe ones are then dropped.
_PARSER = MarkdownIt("commonmark", {"html": False})
_PARSER.validateLink = lambda url: True  # type: ignore[method-assign]
_RENDERER = MarkdownIt("commonmark", {"html": False}).disable("image")
_RENDERER.validateLink = lambda url: is_safe_link(url)  # type: ignore[method-assign]

_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|~"} | _HTML)
# Inside a summary's text, only what could start markup where it stands is escaped, so the
# Markdown file stays readable; what matters only at the start of a line is handled there.
_INLINE_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|~"} | _HTML)
_LINE_START = re.compile(r"^(\d{1,9}(?=[.)])|(?=[#+=-]))")
_URL_ESCAPES = str.maketrans(
    {"(": "%28", ")": "%29", "\\": "%5C", " ": "%20", "<": "%3C", ">": "%3E"}
)


def is_safe_link(url: str) -> bool:
    """Whether a link may be published: only web and mail addresses."""
    return url.strip().lower().startswith(SAFE_SCHEMES)


def escape(text: object) -> str:
    """Text written into a Markdown document so that it shows as itself: no markup, no HTML."""
    return str(text).translate(_SPECIAL)


def safe_markdown(text: str) -> str:
    """The summary re-written as Markdown that holds nothing but safe constructs."""
    tree = SyntaxTreeNode(_PARSER.parse(text))
    return "\n".join(_blocks(tree.children, tight=False)).strip()


def to_html(text: str) -> str:
    """The summary as HTML: the rendering of its safe Markdown."""
    return str(_RENDERER.render(safe_markdown(text)))


def _block(node: SyntaxTreeNode) -> list[str]:
    kind = node.type
    if kind in ("paragraph", "heading"):
        text = _inline(node.children[0]) if node.children else ""
        if not text.strip():
            return []
        if kind == "heading":
            text = f"**{text}**"
        return [_LINE_START.sub(_escape_line_start, line, count=1) for line in text.split("\n")]
    if kind in ("code_block", "fence"):
        body = node.content.rstrip("\n")
        fence = "`" * max(3, _longest_run(body, "`") + 1)
        return [fence, *body.split("\n"), fence] if body else [fence, fence]
    if kind == "hr":
        return ["***"]
    if kind == "blockquote":
        return ["> " + line if line else ">" for line in _blocks(node.children, tight=False)]
    if kind in ("bullet_list", "ordered_list"):
        return _list(node)
    # Raw HTML is off, so no other block can occur; anything unforeseen shows as text.
    return [escape(node.content)] if node.content else []


def _blocks(nodes: list[SyntaxTreeNode], tight: bool) -> list[str]:
    lines: list[str] = []
    for child in nodes:
        block = _block(child)
        if block and lines and not tight:
            lines.append("")
        lines.extend(block)
    return lines


def _list(node: SyntaxTreeNode) -> list[str]:
    tight = all(p.hidden for item in node.children for p in item.children if p.type == "paragraph")
    start = int(str(node.attrs.get("start", 1)))
    lines: list[str] = []
    for n, item in enumerate(node.children):
        if n and not tight:
            lines.append("")
        marker = f"{start + n}." if node.type == "ordered_list" else "-"
        pad = " " * (len(marker) + 1)
        body = _blocks(item.children, tight) or [""]
        lines.append(f"{marker} {body[0]}".rstrip())
        lines.extend(pad + line if line else "" for line in body[1:])
    return lines


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
        code = node.content
        ticks = "`" * (_longest_run(code, "`") + 1)
        # A reader strips one space each side when both are there, so pad only when needed.
        spaced = code[:1] == code[-1:] == " " and code.strip(" ")
        pad = " " if code.startswith("`") or code.endswith("`") or spaced else ""
        return f"{ticks}{pad}{code}{pad}{ticks}"
    if kind == "link":
        words = _spans(node.children)
        href = str(node.attrs.get("href", ""))
        if is_safe_link(href) and words:
            return f"[{words}]({href.strip().translate(_URL_ESCAPES)})"
        return words
    if kind == "image":
        return _spans(node.children)
    return node.content.translate(_INLINE_SPECIAL)


def _escape_line_start(match: re.Match[str]) -> str:
    # "1. x" would start a list, "# x" a heading, "=" or "-" under a line a heading.
    return match.group(1) + "\\" if match.group(1) else "\\"


def _longest_run(text: str, char: str) -> int:
    longest = run = 0
    for c in text:
        run = run + 1 if c == char else 0
        longest = max(longest, run)
    return longest
