"""The block YAML gen writes itself (decision records, sealed reviews): written, and read fast.

gen writes its own files in a narrow form of YAML: block mappings and lists indented by
two spaces, keys sorted and plain when they can be, every text double-quoted, whole
numbers, true, false and null. :func:`dump` writes that form; :func:`load_block` reads it
back several times faster than libyaml composing nodes for gen's checks to walk (a round
of 50,000 dossiers has a record of 60 MB).

:func:`load_block` gives exactly the data ``yamlload.parse_document`` gives, the same
types included (a test compares them on generated, hand-edited and damaged documents).
On anything outside that form (a comment in the middle, a flow list, a plain text, a
duplicate key, a character YAML refuses) it returns None, and the caller reads the text
the general way, which also reports what is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from gen_cli.scalars import NUMBER_LIKE, PLAIN_DECIMAL, QuotedNumber

_PLAIN_KEY = re.compile(r"^[a-z_][a-z0-9_-]*$")
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
# Characters YAML does not allow raw, or reads as line breaks (json.dumps leaves them).
_NOT_YAML_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


# What json.dumps escapes, and what _NOT_YAML_PRINTABLE does: a text with neither is
# written as it is, between quotes (most of a record's half a million texts).
_AS_IS = re.compile('[^"\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]*')


def _quoted(text: str) -> str:
    if _AS_IS.fullmatch(text):
        return f'"{text}"'
    quoted = json.dumps(text, ensure_ascii=False)
    return _NOT_YAML_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _quoted(str(value))


def _key(value: Any) -> str:
    text = str(value)
    if _PLAIN_KEY.fullmatch(text) and text not in _RESERVED:
        return text
    return _quoted(text)


class _Writer:
    """Block YAML lines for plain data; each key and text quoted once (a record repeats them).

    With a ``sink``, the lines are handed to it a few thousand at a time, so that a large
    record is never held whole as text.
    """

    def __init__(self, sink: Callable[[str], object] | None = None, chunk: int = 8192) -> None:
        self.lines: list[str] = []
        self._keys: dict[str, str] = {}
        self._texts: dict[str, str] = {}
        self._sink = sink
        self._chunk = chunk

    def emit(self, value: Any, indent: int, lead: str | None = None) -> None:
        """Append the lines of ``value``; the first starts with ``lead`` (``- `` of an item)."""
        lines = self.lines
        pad = " " * indent
        first = pad if lead is None else lead
        if isinstance(value, dict):
            for key in sorted(value, key=str):
                item = value[key]
                if isinstance(item, dict | list) and item:
                    lines.append(f"{first}{self._key(key)}:")
                    self.emit(item, indent + 2)
                else:
                    lines.append(f"{first}{self._key(key)}: {self._inline(item)}")
                first = pad
        else:
            for item in value:
                if isinstance(item, dict | list) and item:
                    self.emit(item, indent + 2, f"{first}- ")
                else:
                    lines.append(f"{first}- {self._inline(item)}")
                first = pad
        if self._sink is not None and len(lines) >= self._chunk:
            self.flush()

    def flush(self) -> None:
        """Hand the lines made so far to the sink."""
        if self._sink is not None and self.lines:
            self._sink("\n".join(self.lines) + "\n")
            self.lines.clear()

    def _key(self, key: Any) -> str:
        if type(key) is not str:  # True and 1 are one key of a dict: not remembered
            return _key(key)
        found = self._keys.get(key)
        if found is None:
            found = self._keys[key] = _key(key)
        return found

    def _inline(self, value: Any) -> str:
        if type(value) is not str:
            return _inline(value)
        found = self._texts.get(value)
        if found is None:
            found = self._texts[value] = _quoted(value)
        return found


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def dump(data: dict[str, Any]) -> str:
    """Serialise plain data (mappings, lists, strings, integers) to block YAML.

    Keys are sorted and every string is double-quoted, so the text is the same for the
    same data, whatever the PyYAML version; much faster than yaml.dump on large records.
    """
    writer = _Writer()
    writer.emit(data, 0)
    return "\n".join(writer.lines) + "\n"


def dump_to(sink: Callable[[str], object], data: dict[str, Any], chunk: int = 8192) -> None:
    """Hand ``dump(data)`` to ``sink`` in pieces of about ``chunk`` lines, never whole."""
    writer = _Writer(sink, chunk)
    writer.emit(data, 0)
    if not data:
        sink("\n")
    writer.flush()


#: Anything but a line feed and what YAML prints as itself: tabs, carriage returns, other
#: controls, NEL and the Unicode line breaks, a byte order mark, surrogates, non-characters.
#: (Written as the characters it holds, not as those it does not: the class that names
#: the planes above compiles in 12 ms, at every start of gen.)
_OUTSIDE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
# A double-quoted text with the escapes JSON and YAML read alike (no surrogate: below).
_STRING = r'"[^"\\\n]*(?:\\(?:["\\bfnrt]|u[0-9a-fA-F]{4})[^"\\\n]*)*"'
_VALUE = rf"{_STRING}|-?(?:0|[1-9][0-9]{{0,99}})|null|true|false|\{{\}}|\[\]"
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
#: A key written on its line (an implicit key) is at most 1,024 characters, quotes included.
_LONGEST_KEY = 1_024
#: Far below the nesting gen refuses (yamlload.MAX_DEPTH): a deeper text is read the
#: general way, which says so.
_DEEPEST = 50


class _Outside(Exception):
    """The text leaves the form gen writes: it is read the general way."""


#: One line: its indentation, ``- `` if it is a list item, then ``key: value``, ``key:``
#: (its value on the lines below) or, after ``- ``, a value.
_LINE = re.compile(rf"( *)(- )?(?:([a-z_][a-z0-9_-]*|{_STRING}):(?: ({_VALUE}))?|({_VALUE}))\n")


def load_block(text: str, max_values: int | None = None) -> dict[Any, Any] | None:
    """The mapping a text in gen's own block form holds; None if it is not in that form.

    Args:
        max_values: as for ``yamlload.parse_document``: a text holding more values
            (scalars, lists and mappings) is left to the general reader, which refuses it.
    """
    if not text.endswith("\n") or _OUTSIDE.search(text):
        return None
    start = 0
    while text.startswith("#", start):  # the header comment gen writes
        start = text.index("\n", start) + 1
    try:
        data, values = _read(text, start)
    except _Outside:
        return None
    if max_values is not None and values > max_values:
        return None
    return data


def _read(text: str, start: int) -> tuple[dict[Any, Any], int]:
    """The mapping from ``start`` to the end, and how many values YAML's events count."""
    root: dict[Any, Any] = {}
    stack: list[tuple[int, Any]] = [(0, root)]  # (indentation of its lines, the collection)
    awaited: tuple[dict[Any, Any], Any, int] | None = None  # a "key:" and its lines' indent
    values = 1
    end, size = start, len(text)
    # a record repeats its keys and most of its values (grades, statuses, themes): each is
    # made once and shared, being immutable; an empty {} or [] is made each time
    keys: dict[str, Any] = {}
    scalars: dict[str, Any] = {}
    while end < size:
        # one line at a time from where the last ended: a search past a line outside
        # the form would try every later position
        line = _LINE.match(text, end)
        if line is None:
            raise _Outside
        end = line.end()
        indent, dash, key, value, item = line.groups()
        at = len(indent)
        if awaited is not None:
            owner, owner_key, expected = awaited
            if at != expected or len(stack) > _DEEPEST:
                raise _Outside  # an empty value, an indentation gen does not write
            nested: Any = [] if dash else {}
            owner[owner_key] = nested
            stack.append((at, nested))
            values += 1
            awaited = None
        else:
            while stack[-1][0] > at:
                stack.pop()
                if not stack:
                    raise _Outside
            if stack[-1][0] != at:
                raise _Outside
        container = stack[-1][1]
        if dash:
            if container.__class__ is not list:
                raise _Outside
            if item is not None:
                container.append(_shared(scalars, item))
                values += 1
                continue
            if len(stack) > _DEEPEST:
                raise _Outside
            mapping: dict[Any, Any] = {}
            container.append(mapping)
            stack.append((at + 2, mapping))
            values += 1
            container, at = mapping, at + 2
        elif item is not None or container.__class__ is not dict:
            raise _Outside  # a plain value, or a key among list items
        name = keys.get(key, _MISSING)
        if name is _MISSING:
            name = keys[key] = _key_of(key)
        if name in container:
            raise _Outside  # the general reader says which key appears twice
        values += 1
        if value is None:
            awaited = (container, name, at + 2)
        else:
            container[name] = _shared(scalars, value)
            values += 1
    if awaited is not None or not root:
        raise _Outside
    return root, values


_MISSING = object()


def _shared(made: dict[str, Any], token: str) -> Any:
    """The value of ``token``, the one already made for the same token if it is immutable."""
    found = made.get(token, _MISSING)
    if found is _MISSING:
        found = _scalar_of(token)
        if token[0] not in "{[":
            made[token] = found
    return found


def _scalar_of(token: str) -> Any:
    """One value written on its line."""
    first = token[0]
    if first == '"':
        return _quoted_text(token)
    if first == "n":
        return None
    if first == "t":
        return True
    if first == "f":
        return False
    if first == "{":
        return {}
    if first == "[":
        return []
    return int(token)


def _quoted_text(token: str) -> str:
    """A double-quoted text as the reader gives it: digits in quotes stay marked."""
    if "\\" in token:
        if _SURROGATE.search(token):
            raise _Outside
        text: str = json.loads(token)
    else:
        text = token[1:-1]
    return QuotedNumber(text) if PLAIN_DECIMAL.fullmatch(text) else text


def _key_of(token: str) -> Any:
    if len(token) > _LONGEST_KEY:
        raise _Outside  # YAML refuses a key longer than that on its line
    if token[0] == '"':
        return _quoted_text(token)
    if token in _RESERVED or NUMBER_LIKE.fullmatch(token):
        raise _Outside  # yes, null, _1: YAML reads it as something else than this text
    return token
