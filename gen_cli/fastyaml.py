"""A fast reading of ordinary YAML files, giving exactly the data gen's own reader gives.

yaml-rs (Rust) reads a dossier about ten times faster than libyaml and PyYAML's
constructor. But it reads YAML 1.2, where gen reads YAML 1.1 with rules of its own
(yamlload: only plain digits make a number, ``yes`` is not a boolean, a quoted number is
text, a float is an exact Decimal), and it says nothing of where a value stands. So its
data is taken only where the two readings cannot differ, and otherwise this module says
None and the file is read the exact way, which also words and locates every problem:

- before parsing, a file is left to the exact way if it does not end with a line break
  (the two end a block of text differently there), or holds what the two read
  differently or what gen refuses: anchors, aliases, tags, directives, merge keys,
  document markers, tabs, escapes, stripped block text, digits grouped with ``_``,
  ``0x``/``0o``/``0b`` numbers, numbers with leading zeros and an 8 or 9, a thousand
  digits in a row (more than Python may read as a number), characters
  YAML 1.1 reads as line breaks or refuses;
- after parsing, each value is checked: a float (gen makes Decimals from the text), a
  time, a key that is not text, or a text that gen would read otherwise when unquoted
  and that yaml-rs reads the same quoted or not (``yes``, ``10:30``), leaves the file to
  the exact way; a date stands only where every such date is written unquoted.

Every YAML file of the project and generated ones are read both ways by the tests.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

#: Never read the fast way: escapes, merge keys, document markers.
_NEVER_TEXT = ("\\", "<<", "\n---", "\n...")
#: Nor a ``?`` or ``:`` that starts a line (an explicit key, or a key on two lines), nor
#: a colon before a bracket or a comma.
_NEVER = (re.compile(r"\n[ ]*[?:]"), re.compile(r":[,?\[\]{}]"))
#: Digits grouped with ``_``: a number to yaml-rs, not to gen.
_GROUPED = re.compile(r"_(?:(?<=[0-9]_)|(?=[0-9]))")
_PREFIX = re.compile("0[xXoObB]")  # quick, before the exact one
#: ``0x1F``, ``0o17``, ``0b101``: numbers to yaml-rs, not to gen.
_PREFIXED = re.compile(
    r"0(?<![-+0-9A-Za-z_.]0)[xXoObB]|0(?<=[-+]0)(?<![-+0-9A-Za-z_.][-+]0)[xXoObB]"
)
#: Leading zeros before an 8 or a 9 where a value starts: a number to yaml-rs, text to
#: YAML 1.1 (which reads 010 as octal).
_LEADING_ZERO = re.compile(r"0(?<=[ \n\[{,:]0)[0-9]*[89]|0(?<=[ \n\[{,:][-+]0)[0-9]*[89]")
#: What may start a value only as something else than text: an anchor, an alias, a tag,
#: a directive, a reserved indicator.
_PROPERTY = re.compile(r"[&*!@`%]")
#: ``?`` or ``:`` before a character (``:x``): a value YAML 1.1 refuses where one starts.
_BEFORE_CHARACTER = re.compile(r"[?:](?=[^ \n])")
#: A block of text's header: ``|`` or ``>``, an indentation, keep (``+``), a comment.
_BLOCK_HEADER = re.compile(r"[|>][1-9+]{0,2}[ ]*(?:#[^\n]*)?\n")
#: Outside what both read as the same character: tabs, carriage returns, NEL and the
#: Unicode line separators (line breaks to YAML 1.1), the byte-order mark, controls.
_OTHER_CHARACTER = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def _unsure(text: str, max_depth: int) -> bool:
    """Whether yaml-rs may read ``text`` otherwise than gen, or it may nest too deep.

    ``text`` starts with a line break, so that the first line is a line like the others.
    """
    # isprintable is quick, and false for a line break, a tab, a control and a few more
    if not text.replace("\n", "").isprintable() and _OTHER_CHARACTER.search(text):
        return True
    if any(never in text for never in _NEVER_TEXT) or any(p.search(text) for p in _NEVER):
        return True
    if ("_" in text and _GROUPED.search(text)) or _LEADING_ZERO.search(text):
        return True
    if _digits_beyond(sys.get_int_max_str_digits()).search(text):
        return True  # Python refuses to make a number of so many digits; yaml-rs does not
    if _PREFIX.search(text) and _PREFIXED.search(text):
        return True
    found = list(_PROPERTY.finditer(text))
    if any(text.count(mark) > text.count(f"{mark} ") + text.count(f"{mark}\n") for mark in "?:"):
        found += _BEFORE_CHARACTER.finditer(text)
    if any(_before(text, one.start()) in _STARTS for one in found):
        return True
    for block in "|>":
        at = text.find(block)
        while at != -1:
            before = _before(text, at)
            if before in "[{," or (before in _STARTS and not _BLOCK_HEADER.match(text, at)):
                return True  # a block header not alone on its line, or one in brackets
            at = text.find(block, at + 1)
    deepest = 0
    # a list or mapping in brackets over lines starts with a line that opens more than
    # it closes; a line that only closes does not start one
    opening = sorted(at for opener in "[{" for at in _all(text, opener))
    done = -1
    for at in opening:
        if at < done:
            continue
        start = text.rfind("\n", 0, at) + 1
        done = text.index("\n", at)  # the text ends with a line break
        line = text[start:done]
        flow = _FLOW_LINE.fullmatch(line)
        opened = line.count("[") + line.count("{")
        if flow is None or opened != line.count("]") + line.count("}"):
            return True  # brackets in text, or a list or mapping in brackets over lines
        deepest = max(deepest, len(flow.group(1)) + opened)
    # a line nests one level a column of indentation or "- ", and one a bracket
    return deepest + 2 > max_depth or _indented_beyond(max_depth - 2).search(text) is not None


def _all(text: str, character: str) -> list[int]:
    """Where ``character`` is in ``text``."""
    found, at = [], text.find(character)
    while at != -1:
        found.append(at)
        at = text.find(character, at + 1)
    return found


def _before(text: str, at: int) -> str:
    """The last character before ``at`` that is not a space (a line break at the start)."""
    before = at - 1
    while before >= 0 and text[before] == " ":
        before -= 1
    return text[before] if before >= 0 else "\n"


#: What a value starts after: a line break, an indicator.
_STARTS = frozenset("\n:[{,-?")
#: A line whose brackets all belong to one list or mapping in brackets, its value: a key
#: without brackets or quotes before it, nothing after it, no quotes or comment in it.
_FLOW_LINE = re.compile(r"([ ]*(?:- )*)(?:[^\[\]{}:'\"#]+: )?[\[{][^'\"#]*[\]}][ ]*")


@functools.cache
def _digits_beyond(most: int) -> re.Pattern[str]:
    """A run of digits Python may refuse to read as a number (``most`` 0: no limit)."""
    return re.compile(f"[0-9]{{{min(most or 1000, 1000)}}}")


@functools.cache
def _indented_beyond(width: int) -> re.Pattern[str]:
    """A line indented more than ``width``, counting the indicators that nest without it."""
    return re.compile(rf"\n[ ?:-]{{{width + 1}}}")


#: What gen makes of a text as one value, written unquoted or in quotes.
ValueReading = Callable[[str], Any]
#: What stops gen itself, never taken for a file yaml-rs cannot read.
_STOPS = (KeyboardInterrupt, SystemExit, GeneratorExit)


class _Differs(Exception):
    """A value the two readings may disagree on: the file is read the exact way."""


def fast_load(
    text: str, plain: ValueReading, quoted: ValueReading, first: frozenset[str], max_depth: int
) -> Any:
    """The document in ``text`` as gen's reader gives it, or None to read it that way.

    Args:
        plain: what gen makes of a text written unquoted (raises ValueError if nothing).
        quoted: what gen makes of a text written in quotes.
        first: the first characters of the texts gen may read as other than text.
        max_depth: the deepest nesting read (deeper: read the exact way, which says so).
    """
    if not text.endswith("\n") or _unsure("\n" + text, max_depth):
        return None
    reader = _reader()
    if reader is None:
        return None
    try:
        data = reader(text)
    except _STOPS:
        raise
    except BaseException:  # what yaml-rs refuses, or a panic in it (PyO3 raises those as
        return None  # BaseException): libyaml reads the file and words what is wrong
    if type(data) is not dict:
        return None
    dates: set[date] = set()
    settle = _Settler(plain, quoted, first, dates)
    try:
        settled = settle.mapping(data)
    except _Differs:
        return None
    if dates and not _unquoted_everywhere(text, dates):
        return None
    return settled


@functools.cache
def _reader() -> Callable[[str], Any] | None:
    try:
        import yaml_rs  # 18 ms to import: only once a file is read
    except ImportError:  # pragma: no cover - a dependency; without it, the exact way
        return None
    return functools.partial(yaml_rs.loads, parse_datetime=True)


class _Settler:
    """Turns yaml-rs's values into gen's, or raises _Differs where they may differ."""

    def __init__(
        self, plain: ValueReading, quoted: ValueReading, first: frozenset[str], dates: set[date]
    ) -> None:
        self.plain, self.quoted, self.dates = plain, quoted, dates
        self.first = first | {"\n"}  # an empty block: yaml-rs says "\n", libyaml ""

    def mapping(self, data: dict[Any, Any]) -> dict[Any, Any]:
        changed = False
        items = []
        for key, value in data.items():
            if type(key) is not str:
                raise _Differs
            now = self.text(key)
            changed = changed or now is not key
            items.append((now, self.value(value)))
        if changed:
            return dict(items)
        for key, value in items:
            data[key] = value
        return data

    def value(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self.text(value)
        if kind is dict:
            return self.mapping(value)
        if kind is list:
            for index, item in enumerate(value):
                value[index] = self.value(item)
            return value
        if kind is int or kind is bool or value is None:
            return value  # decimal digits (the rest was refused before), true, null
        if kind is date:
            self.dates.add(value)
            return value
        raise _Differs  # a float, a time, a date and time

    def text(self, value: str) -> Any:
        if not value or value[0] in self.first:
            return _settled_text(value, self.plain, self.quoted)
        return value


@functools.lru_cache(maxsize=4096)
def _settled_text(value: str, plain: ValueReading, quoted: ValueReading) -> Any:
    """What gen makes of a text yaml-rs read, or _Differs if quoting would tell."""
    if value and not value.strip("\n"):
        raise _Differs  # a block of empty lines: yaml-rs keeps a line break, libyaml none
    as_quoted = quoted(value)
    try:
        as_plain = plain(value)
    except ValueError:
        as_plain = _NOTHING
    if type(as_plain) is type(as_quoted) and as_plain == as_quoted:
        return as_quoted
    # yaml-rs reads this text unquoted as a number, a boolean, a null: it was quoted
    if not _text_to_yaml_rs(value):
        return as_quoted
    raise _Differs


_NOTHING = object()


@functools.lru_cache(maxsize=4096)
def _text_to_yaml_rs(value: str) -> bool:
    """Whether yaml-rs reads ``value`` written unquoted as that same text."""
    if "\n" in value:
        return True  # a block's text: never a number
    reader = _reader()
    try:
        read = reader("- " + value) if reader is not None else None
    except _STOPS:
        raise
    except BaseException:  # not a plain value at all (or a panic in yaml-rs)
        return True
    return not (type(read) is list and len(read) == 1 and not isinstance(read[0], str | dict))


def _unquoted_everywhere(text: str, dates: set[date]) -> bool:
    """Whether every date read is written unquoted, as gen needs to read a date.

    yaml-rs reads '2022-03-31' in quotes as a date too, where gen keeps the text. A date
    read is written exactly so (escapes are not read the fast way), so a quoted one shows.
    """
    return not any(f"'{day}'" in text or f'"{day}"' in text for day in map(date.isoformat, dates))
