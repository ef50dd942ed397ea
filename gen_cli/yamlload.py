"""Reading YAML safely, and locating key paths in it (the only module that imports yaml).

An ordinary file is read by yaml-rs where its data is certainly what this module's own
reading gives (fastyaml), and is composed into nodes only when a place in it is asked
for. Any other is read with libyaml, refusing duplicate keys, aliases and custom tags,
and reading floats as exact Decimals.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from gen_cli.blockyaml import load_block
from gen_cli.diagnostics import Diagnostic, Loc, Problem
from gen_cli.fastyaml import fast_load
from gen_cli.layout import READ_IN_PLACE
from gen_cli.scalars import NUMBER_LIKE, PLAIN_DECIMAL, NotABoolean, NotANumber, QuotedNumber

#: A dossier is a few kilobytes; anything this large is a mistake or an attack.
MAX_BYTES = 1_000_000
#: libyaml's composer recurses in C and crashes the process on very deep nesting.
MAX_DEPTH = 100
#: Values (scalars, lists and mappings) in one input file: a dossier holds about a hundred,
#: a reviewer's file of 2,000 evaluations about 30,000. Bounds the time a file can cost.
MAX_VALUES = 50_000

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Refused(yaml.MarkedYAMLError):
    """A construct gen refuses, with the code to report and where."""

    def __init__(self, code: str, message: str, mark: yaml.Mark) -> None:
        super().__init__(problem=message, problem_mark=mark)
        self.code = code
        self.message = message


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(loader.construct_scalar(node))
    if text.lower().lstrip("+-") in {".inf", ".nan"}:
        return float(text.lower().replace(".", ""))  # refused later by the schema
    if not PLAIN_DECIMAL.fullmatch(text):  # 1_000.5, 1.5e+3, 1:30.5
        return NotANumber(text)
    return Decimal(text)


def _construct_str(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    if (
        not node.style  # unquoted (libyaml says "", PyYAML None): "3.8e4" in quotes is text
        and NUMBER_LIKE.fullmatch(text)
        and any(c.isdigit() for c in text)
        and not PLAIN_DECIMAL.fullmatch(text)
    ):
        return NotANumber(text)
    if node.style in {"'", '"'} and PLAIN_DECIMAL.fullmatch(text):
        return QuotedNumber(text)  # text, which a number field refuses saying so
    return text


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that refuses duplicate keys and aliases, and reads floats as Decimal."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            raise _Refused(
                "E008", "anchors and aliases are not allowed in gen files", node.start_mark
            )
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError):
            # PyYAML's scalar constructors raise these for values that match a type's
            # pattern but are not valid (2022-02-30, !!int abc, !!bool maybe, !!int '').
            value = str(node.value) if isinstance(node, yaml.ScalarNode) else "this"
            shown = value if len(value) <= 40 else value[:37] + "..."
            kind = _KINDS.get(node.tag, "value of its type")
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{shown!r} is not a valid {kind}: correct the value, or remove the type "
                "written before it",
                node.start_mark,
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: dict[tuple[str, str], yaml.Node] = {}
        # a tag such as !!map on a sequence: let the base class report the wrong node kind
        for key_node, _ in node.value if isinstance(node, yaml.MappingNode) else ():
            if key_node.tag == "tag:yaml.org,2002:merge":
                # "<<" merges another mapping in: a second value for a key, out of sight.
                raise _Refused(
                    "E008", "merge keys (<<) are not allowed in gen files", key_node.start_mark
                )
            if isinstance(key_node, yaml.ScalarNode):
                ident = (key_node.tag, key_node.value)
                first = seen.get(ident)
                if first is not None:
                    raise _Refused(
                        "E005",
                        f"key {key_node.value!r} appears twice in this mapping, "
                        f"at lines {first.start_mark.line + 1} and {key_node.start_mark.line + 1}; "
                        "remove one of them",
                        key_node.start_mark,
                    )
                seen[ident] = key_node
        mapping = super().construct_mapping(node, deep=deep)
        if isinstance(node, yaml.MappingNode) and len(mapping) < len(node.value):
            raise _Refused(
                "E005",
                "two keys of this mapping mean the same (such as yes and true); remove one",
                node.start_mark,
            )
        return mapping


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    # YAML 1.1 also reads 030000 as octal, 0x9470 as hexadecimal and 10:30:00 in base 60:
    # an amount must mean what it says, so only plain decimal digits make an integer.
    text = str(loader.construct_scalar(node))
    if _DECIMAL_INT.fullmatch(text):
        return int(text)
    return NotANumber(text)  # 0x9470, 0b101, 1_000, 10:30:00: the schema refuses it


_DECIMAL_INT = re.compile(r"[-+]?[0-9]+")  # leading zeros allowed: 030000 is 30000


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    # YAML reads 2022-02-30 as a date and fails in its own words: keep the text, which a
    # date field refuses saying why (models.why_not_a_date) and a text field keeps.
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return str(loader.construct_scalar(node))


def _construct_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    # YAML 1.2, which editors and JSON Schema tools use, reads only true and false as
    # booleans; yes, no, on and off are text there, and must not mean two things.
    text = str(loader.construct_scalar(node))
    if text.lower() in {"true", "false"}:
        return text.lower() == "true"
    if text.lower() in {"yes", "no", "on", "off"}:
        return NotABoolean(text)
    raise ValueError("write true or false")  # an explicit !!bool on another word


_Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _plain_text(text: str) -> Any:
    """What gen makes of ``text`` written unquoted; ValueError if it refuses it."""
    node = yaml.ScalarNode(_SCALAR_LOADER.resolve(yaml.ScalarNode, text, (True, False)), text)
    node.style = ""  # unquoted, as libyaml says
    try:
        return _walk(_SCALAR_LOADER, node, set())
    except _Unusual:
        raise ValueError(text) from None


def _quoted_text(text: str) -> Any:
    """What gen makes of ``text`` written in quotes."""
    node = yaml.ScalarNode("tag:yaml.org,2002:str", text, style="'")
    return _construct_str(_SCALAR_LOADER, node)


#: The first characters of the texts that gen may read unquoted as other than text: those
#: of YAML 1.1's implicit types, and those NUMBER_LIKE may start with (_1, e5).
_SPECIAL_FIRST = frozenset(k for k in _Loader.yaml_implicit_resolvers if k) | frozenset(
    "+-._eE0123456789"
)


class _Unusual(Exception):
    """A document the fast walk leaves to PyYAML's constructor: a rare tag, a bad value."""


def _construct(loader: _Loader, root: yaml.Node) -> Any:
    """The document's data: by one walk of its nodes, else by PyYAML's constructor.

    The walk gives the same data as ``loader.construct_document`` (a test compares them on
    every file of the project and on generated ones) in a fraction of its time; whatever it
    does not handle (explicit tags such as !!set, a value its type refuses) goes to
    PyYAML, which also words the error.
    """
    try:
        return _walk(loader, root, set())
    except _Unusual:
        return loader.construct_document(root)


#: Reads single values for the fast path; it holds no document.
_SCALAR_LOADER = _Loader("")

_SCALARS: dict[str, Any] = {
    "tag:yaml.org,2002:str": _construct_str,
    "tag:yaml.org,2002:int": _construct_int,
    "tag:yaml.org,2002:float": _construct_decimal,
    "tag:yaml.org,2002:timestamp": _construct_timestamp,
    "tag:yaml.org,2002:null": lambda loader, node: None,
}
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


def _walk(loader: _Loader, node: yaml.Node, seen: set[int]) -> Any:
    # Depth is bounded (MAX_DEPTH) before any walk, so recursing here is safe.
    if id(node) in seen:
        raise _Unusual  # an alias: PyYAML reports it, or what comes before it, the same way
    seen.add(id(node))
    tag = node.tag
    if isinstance(node, yaml.ScalarNode):
        make = _SCALARS.get(tag)
        if make is None:
            if tag == "tag:yaml.org,2002:bool" and node.value.lower() in {"true", "false"}:
                return node.value.lower() == "true"
            raise _Unusual
        try:
            return make(loader, node)
        except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError):
            raise _Unusual from None
    if isinstance(node, yaml.SequenceNode) and tag == _SEQ:
        return [_walk(loader, child, seen) for child in node.value]
    if not isinstance(node, yaml.MappingNode) or tag != _MAP:
        raise _Unusual
    mapping: dict[Any, Any] = {}
    keys: dict[tuple[str, str], yaml.Node] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALARS:
            raise _Unusual  # a merge key (<<), a list as a key: PyYAML says why not
        ident = (key_node.tag, key_node.value)
        if ident in keys:
            raise _Unusual  # PyYAML's constructor words the duplicate
        keys[ident] = key_node
        mapping[_walk(loader, key_node, seen)] = _walk(loader, value_node, seen)
    if len(mapping) < len(node.value):
        raise _Unusual
    return mapping


#: What each type YAML can be told a value has is called in plain words.
_KINDS = {
    "tag:yaml.org,2002:int": "whole number",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:timestamp": "date",
    "tag:yaml.org,2002:str": "text",
    "tag:yaml.org,2002:null": "empty value",
    "tag:yaml.org,2002:map": "mapping",
    "tag:yaml.org,2002:seq": "list",
}


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!", 1)


def _mark(mark: Any) -> tuple[int, int]:
    if mark is None:
        return (1, 1)
    return (mark.line + 1, mark.column + 1)


def _position(raw: bytes, offset: int) -> tuple[int, int]:
    """Line and column of the byte at ``offset``, the column in characters like YAML marks."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    # the bytes before offset decode: offset is the first invalid one
    column = len(raw[line_start:offset].decode("utf-8"))
    return (raw.count(b"\n", 0, offset) + 1, column + 1)


def read_text(path: Path, display: str, limit: int = MAX_BYTES) -> tuple[str | None, list[Problem]]:
    """Read a file as UTF-8 text, refusing links, files above ``limit`` bytes and other encodings."""
    raw, problems = read_bytes(path, display, limit)
    return (None, problems) if raw is None else decode(raw, display)


#: What a missing file or a broken path gives (as pathlib's is_file reads them).
_NOT_THERE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.EBADF})


def read_bytes(
    path: Path, display: str, limit: int = MAX_BYTES
) -> tuple[bytes | None, list[Problem]]:
    """Read a file's bytes, refusing links and files above ``limit`` bytes.

    Never more than ``limit`` bytes and one are read, even of a file that grows meanwhile.
    """
    try:
        # a link, a pipe or a device is never opened: it could wait for ever, or act
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None, _not_regular(display)
        descriptor = os.open(path, READ_IN_PLACE)
    except OSError as error:
        if error.errno in _NOT_THERE:  # gone, or made a link since
            return None, _not_regular(display)
        return None, [Problem(display, "E010", f"cannot read the file: {error.strerror}")]
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            return None, _not_regular(display)  # replaced since
        if status.st_size > limit:
            size = status.st_size
            return None, [
                Problem(display, "E009", f"file is {size:,} bytes; gen accepts at most {limit:,}")
            ]
        raw = _read_at_most(descriptor, status.st_size, limit + 1)
        if len(raw) > limit:
            return None, [
                Problem(
                    display,
                    "E009",
                    f"file grew past {limit:,} bytes while gen read it; gen accepts at most "
                    f"{limit:,}",
                )
            ]
        return raw, []
    except OSError as error:
        return None, [Problem(display, "E010", f"cannot read the file: {error.strerror}")]
    finally:
        os.close(descriptor)


def _not_regular(display: str) -> list[Problem]:
    return [Problem(display, "E010", "not a regular file: gen does not follow links")]


def _read_at_most(descriptor: int, expected: int, most: int) -> bytes:
    """The bytes of ``descriptor`` to its end, but no more than ``most``.

    The first read asks for the ``expected`` size and one byte more, so that a file of that
    size takes one read, and the one that finds its end.
    """
    pieces = []
    left = most
    ask = expected + 1
    while left > 0:
        piece = os.read(descriptor, min(ask, left))
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
        ask = 1 << 20
    return b"".join(pieces)


def decode(raw: bytes, display: str) -> tuple[str | None, list[Problem]]:
    """Bytes as UTF-8 text (a leading byte-order mark dropped), or where they are not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [
            Problem(
                display,
                "E002",
                f"byte 0x{raw[error.start]:02x} is not valid UTF-8; save the file as UTF-8",
                mark=_position(raw, error.start),
            )
        ]
    return text.removeprefix("\ufeff"), []


def parse_yaml(text: str, display: str) -> tuple[Any, list[Problem]]:
    """Load one YAML document whose top level is a mapping; report why not otherwise."""
    data, _, problems = parse_document(text, display)
    return data, problems


def parse_written(text: str, display: str, max_values: int | None = None) -> dict[Any, Any] | None:
    """The mapping in a text gen wrote itself (a decision record); None if it holds none.

    Read by gen's reader of the one form it writes (``blockyaml.load_block``), the same
    data several times faster; a text edited into another form, the general way.
    """
    fast = load_block(text, max_values)
    if fast is not None:
        return fast
    data, _, _ = parse_document(text, display, max_values)
    return data if isinstance(data, dict) else None


def parse_document(
    text: str, display: str, max_values: int | None = None
) -> tuple[Any, Locations | None, list[Problem]]:
    """Like `parse_yaml`, also giving where each value stands, read from the same parse.

    Locating from the nodes already composed spares a second parse of a file with problems.
    With ``max_values``, a file holding more values is refused before it is composed.
    """
    # Values first: counting them is fast (libyaml), the depth check may not be.
    if max_values is not None and _more_values_than(text, max_values):
        message = (
            f"the file holds more than {max_values:,} values; gen reads at most that many "
            "in one file (a dossier holds about a hundred)"
        )
        return None, None, [Problem(display, "E009", message)]
    fast = fast_load(text, _plain_text, _quoted_text, _SPECIAL_FIRST, MAX_DEPTH)
    if fast is not None:
        return fast, Locations(None, text), []
    shallow = _clearly_shallow(text, MAX_DEPTH)
    too_deep = None if shallow or _libyaml_limits_depth() else _nesting_beyond(text, MAX_DEPTH)
    loader = _Loader(text)
    root = None
    try:
        if too_deep is None:
            root = loader.get_single_node()
            if root is not None:  # measured on the nodes always: linear, and exact
                too_deep = _node_beyond(root, MAX_DEPTH)
        if too_deep is not None:
            message = f"nesting deeper than {MAX_DEPTH} levels"
            return None, None, [Problem(display, "E001", message, mark=too_deep)]
        data = None if root is None else _construct(loader, root)
    except _Refused as error:
        problem = Problem(display, error.code, error.message, mark=_mark(error.problem_mark))
        return None, None, [problem]
    except yaml.MarkedYAMLError as error:
        if "nesting depth" in str(error):  # libyaml's own limit: say where gen's is crossed
            too_deep = _nesting_beyond(text, MAX_DEPTH)
            if too_deep is not None:
                message = f"nesting deeper than {MAX_DEPTH} levels"
                return None, None, [Problem(display, "E001", message, mark=too_deep)]
        return None, None, [_marked_problem(error, display, text)]
    except yaml.reader.ReaderError as error:
        return None, None, [_forbidden_character(error, display, text)]
    except yaml.YAMLError as error:
        return None, None, [Problem(display, "E001", syntax_words(str(error), None))]
    except RecursionError:
        return None, None, [Problem(display, "E001", "invalid YAML: nesting is too deep")]
    finally:
        loader.dispose()
    if data is None:
        return None, None, [Problem(display, "E003", "the file is empty")]
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        message = f"the file holds {kind}; it should hold fields, one key: value a line"
        return None, None, [Problem(display, "E007", message)]
    return data, Locations(root), []


def _more_values_than(text: str, limit: int) -> bool:
    """Whether ``text`` holds more than ``limit`` values (scalars, lists, mappings).

    Every value but the top one is a key, a key's value or a list item, each announced by
    a ":", "-", "?", ",", "[" or "{", and is a list or mapping at most once more; so
    ordinary files are cleared by counting those characters. The others are counted event
    by event, and the count stops at the limit.
    """
    announced = sum(text.count(c) for c in ":-?,[{")
    if 2 * announced + 1 <= limit:
        return False
    values = 0
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if isinstance(event, yaml.NodeEvent):
                values += 1
                if values > limit:
                    return True
    except yaml.YAMLError:
        return False  # the loader reports the syntax error itself
    return False


def _clearly_shallow(text: str, limit: int) -> bool:
    """Whether ``text`` cannot nest deeper than ``limit``, seen without parsing it.

    Block nesting needs one column of indentation (or a "- " or "? " indicator) a level,
    and flow nesting one bracket, so ordinary files are cleared by counting.
    """
    widest = max((len(line) - len(line.lstrip(" -?:")) for line in text.splitlines()), default=0)
    return text.count("[") + text.count("{") + widest + 2 <= limit


@functools.cache
def _libyaml_limits_depth() -> bool:
    """Whether libyaml stops at a nesting depth of its own, so composing cannot overflow.

    Then a file that counting does not clear (a review file of many grade blocks written
    {a: 4, b: 3}) is composed once and its depth measured on the nodes, not parsed twice.
    """
    if _BaseLoader is yaml.SafeLoader:
        return False  # no libyaml: PyYAML's own parser recurses
    try:
        yaml.compose("[" * 1_100, Loader=_BaseLoader)  # deep enough, and safe if unlimited
    except yaml.YAMLError as error:
        return "nesting depth" in str(error)
    except RecursionError:
        return False
    return False


def _node_beyond(root: yaml.Node, limit: int) -> tuple[int, int] | None:
    """Where the composed document first nests deeper than ``limit`` (document order)."""
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            continue
        if depth > limit:
            return _mark(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = list(node.value)
        stack.extend((child, depth + 1) for child in reversed(children))
    return None


def _nesting_beyond(text: str, limit: int) -> tuple[int, int] | None:
    """Where nesting first goes deeper than ``limit``, or None.

    Parsed event by event: libyaml's event parser keeps a stack rather than recursing.
    """
    if _clearly_shallow(text, limit):
        return None
    try:
        return _first_too_deep(text, limit, _BaseLoader)
    except yaml.YAMLError as error:
        if "nesting depth" not in str(error):
            return None  # the loader reports the syntax error itself
    # Recent libyaml builds stop at a nesting limit of their own (1000), reading ahead of
    # the events: the pure-Python parser, slower but limitless, finds where gen's is crossed.
    try:
        return _first_too_deep(text, limit, yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def _first_too_deep(text: str, limit: int, loader: type[yaml.SafeLoader]) -> tuple[int, int] | None:
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > limit:
                return _mark(event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _marked_problem(error: yaml.MarkedYAMLError, display: str, text: str = "") -> Problem:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or "syntax error"
    if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
        problem = "found character '\\t' that cannot start any token"
    if isinstance(error, yaml.composer.ComposerError) and "single document" in (
        error.context or ""
    ):
        return Problem(
            display, "E004", "the file holds several YAML documents; keep one", mark=_mark(mark)
        )
    unknown_tag = "could not determine a constructor for the tag "
    if isinstance(error, yaml.constructor.ConstructorError) and problem.startswith(unknown_tag):
        # the tag itself may contain "tag" (tag:yaml.org,2002:...): take the quoted part
        tag = _short_tag(problem.removeprefix(unknown_tag).strip("'"))
        return Problem(
            display,
            "E006",
            f"the type {tag} is not allowed: remove it, gen files hold plain values",
            mark=_mark(mark),
        )
    return Problem(display, "E001", syntax_words(problem, error.context), mark=_mark(mark))


def _forbidden_character(error: yaml.reader.ReaderError, display: str, text: str) -> Problem:
    """A character YAML does not allow (NUL, other controls), at its line and column."""
    before = text[: error.position]
    if _BaseLoader is not yaml.SafeLoader:
        # libyaml counts the position in bytes of UTF-8; the column is in characters
        raw = text.encode("utf-8", "surrogatepass")
        before = raw[: error.position].decode("utf-8", "ignore")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    code = error.character if isinstance(error.character, int) else ord(str(error.character))
    message = (
        f"the character U+{code:04X} (a control character) cannot be in a YAML file: "
        "remove it (it is often pasted from another program)"
    )
    return Problem(display, "E001", message, mark=(line, column))


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    if line < len(lines) and column < len(lines[line]):
        return lines[line][column]
    return ""


#: PyYAML's words for a broken file, and what they mean to the person who wrote it.
_SYNTAX = (
    ("found character '\\t'", "a tab: indent with spaces, never tabs"),
    ("cannot start any token", "this character cannot start a value: put the value in quotes"),
    ("expected a mapping node", "a list where a mapping (key: value) belongs"),
    ("unhashable key", "a key that is a list or mapping: a key is a plain word"),
    (
        "mapping values are not allowed",
        "a colon where a value was expected: put the value in quotes if it holds ': ', "
        "or indent the line like its neighbours",
    ),
    ("could not find expected ':'", "a key without its colon: write key: value"),
    ("unknown escape character", "a backslash in double quotes: use single quotes instead"),
    ("expected ',' or ']'", "a list written [a, b] is not closed: end it with ]"),
    ("expected ',' or '}'", "a mapping written {a: 1} is not closed: end it with }"),
    ("quoted scalar", "a quote is not closed: end the text with the same quote"),
    ("unexpected end of stream", "the file ends too early: close the quotes or brackets"),
    ("<block end>", "the indentation is not consistent: align this line with the keys above"),
    ("block collection", "the indentation is not consistent: align this line with the keys above"),
    ("block mapping", "the indentation is not consistent: align this line with the keys above"),
    ("is not a valid", ""),  # gen's own words for a value of an explicit type
)


def syntax_words(problem: str, context: str | None) -> str:
    """A YAML syntax error in plain words, with the fix."""
    said = f"{context or ''} {problem}"
    for fragment, words in _SYNTAX:
        if fragment in said:
            return f"this is not valid YAML: {words or problem}"
    return (
        "this is not valid YAML: check the indentation, the colons after keys and the "
        "quotes around this point"
    )


def read_yaml(path: Path, display: str) -> tuple[Any, list[Problem]]:
    """Read and load a YAML file: data on success, else the problems found."""
    text, problems = read_text(path, display)
    if text is None:
        return None, problems
    return parse_yaml(text, display)


class Locations:
    """Line and column (1-based) of the key and the value at each key path of a document.

    Read from the composed nodes, along the paths asked for only: a file of 100,000 keys
    with twenty problems costs twenty walks, not a table of 100,000 entries. A document
    read the fast way (fastyaml) is composed only when a place is asked for.
    """

    def __init__(self, root: yaml.Node | None, text: str | None = None) -> None:
        self._root, self._text = root, text

    @property
    def root(self) -> yaml.Node | None:
        """The document's composed nodes (None if it does not compose)."""
        if self._text is not None:
            self._root, self._text = locations(self._text).root, None
        return self._root

    def find(self, loc: Loc, *, at_key: bool = False) -> tuple[int, int]:
        """Position of the deepest node present along ``loc``.

        Components that are not in the document (a missing field, a union tag that
        pydantic adds) are skipped, so a missing field points at its parent.
        """
        node, key = self.root, None
        if node is None:
            return (1, 1)
        found = False
        for part in loc:
            step = _child(node, part)
            if step is None and isinstance(part, str):
                step = _child(node, _as_int(part))
            if step is not None:
                key, node = step
                found = True
        if not found:
            return (1, 1)
        return _mark((key if at_key and key is not None else node).start_mark)


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """The key node and value node under ``part`` (a key or an index), if present."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                return key_node, value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


def _as_int(part: str) -> int | str:
    return int(part) if part.isdigit() else part


def locations(text: str) -> Locations:
    """Compose ``text`` into nodes, to find where each key path stands."""
    loader = _Loader(text)
    try:
        return Locations(loader.get_single_node())
    except (yaml.YAMLError, RecursionError):
        return Locations(None)
    finally:
        loader.dispose()


#: Where the key and the value of one key path start: key line, key column, value line,
#: value column (1-based; an item of a list is its own key).
Place = tuple[int, int, int, int]
#: Every key path of a document, with where it stands.
Table = dict[tuple[str | int, ...], Place]


def location_table(text: str, limit: int = 4 * MAX_VALUES) -> Table | None:
    """Where every key path of ``text`` stands, or None when it cannot be said in a table.

    None for a document that does not compose, and for one whose aliases repeat nodes
    beyond ``limit`` paths or make a loop: such a document is located the slow way.
    """
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except (yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()
    if root is None:
        return None
    table: Table = {(): (*_mark(root.start_mark), *_mark(root.start_mark))}
    stack: list[tuple[tuple[str | int, ...], yaml.Node, frozenset[int]]] = [((), root, frozenset())]
    while stack:
        path, node, above = stack.pop()
        if id(node) in above:
            return None  # an alias to a node that holds it
        within = above | {id(node)}
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and (*path, key_node.value) not in table:
                    step = (*path, key_node.value)  # of two equal keys, the first, as find does
                    table[step] = (*_mark(key_node.start_mark), *_mark(value_node.start_mark))
                    stack.append((step, value_node, within))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                table[(*path, index)] = (*_mark(item.start_mark), *_mark(item.start_mark))
                stack.append(((*path, index), item, within))
        if len(table) > limit:
            return None
    return table


def table_of_bytes(raw: bytes, display: str) -> Table | None:
    """:func:`location_table` of a file's bytes (run on any core, kept in the cache)."""
    return location_table(raw.decode("utf-8"))


def place(table: Table, loc: Loc, *, at_key: bool = False) -> tuple[int, int]:
    """Line and column of ``loc`` in a table, as :meth:`Locations.find` gives them."""
    path: tuple[str | int, ...] = ()
    found = False
    for part in loc:
        step = (*path, part)
        if step not in table and isinstance(part, str):
            step = (*path, _as_int(part))
        if step in table:
            path, found = step, True
    if not found:
        return (1, 1)
    key_line, key_col, line, col = table[path]
    return (key_line, key_col) if at_key else (line, col)


def locate(
    problems: list[Problem],
    text_of: dict[str, str],
    tables: Mapping[str, Table | None] | None = None,
) -> list[Diagnostic]:
    """Turn problems into located diagnostics, composing each file with a problem once.

    Args:
        problems: problems from any number of files.
        text_of: the text of each file (by display path) whose problems have key paths.
        tables: location tables already made, by display path (the others are composed).
    """
    known = tables or {}
    composed: dict[str, Locations] = {}
    diagnostics = []
    for problem in problems:
        if problem.mark is not None:
            line, col = problem.mark
        elif problem.loc and (table := known.get(problem.path)) is not None:
            line, col = place(table, problem.loc, at_key=problem.at_key)
        elif problem.loc and problem.path in text_of:
            if problem.path not in composed:
                composed[problem.path] = locations(text_of[problem.path])
            line, col = composed[problem.path].find(problem.loc, at_key=problem.at_key)
        else:
            line, col = 1, 1
        diagnostics.append(
            Diagnostic(
                problem.path, line, col, problem.code, problem.message, problem.round, problem.more
            )
        )
    return diagnostics
