"""The fast reader of gen's own block YAML gives what the general reader gives, or declines (#13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gen_cli.blockyaml import dump, dump_to, load_block
from gen_cli.records import HEADER
from gen_cli.yamlload import parse_document

ROOT = Path(__file__).resolve().parent.parent


def typed(value: Any) -> Any:
    """The data with every value's exact type: QuotedNumber and str must not pass as equal."""
    if isinstance(value, dict):
        return {(type(k).__name__, k): typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return ["list", *(typed(v) for v in value)]
    return (type(value).__name__, value)


def general(text: str, max_values: int | None = None) -> Any:
    data, _, problems = parse_document(text, "record", max_values)
    return None if problems else typed(data)


def agrees(text: str, max_values: int | None = None) -> bool:
    """Whether the fast reader declined, or read what the general reader reads."""
    fast = load_block(text, max_values)
    return fast is None or typed(fast) == general(text, max_values)


PLAIN_KEYS = st.from_regex(r"[a-z_][a-z0-9_-]{0,12}", fullmatch=True)
ANY_KEYS = st.one_of(PLAIN_KEYS, st.text(max_size=12))
TEXTS = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,3})?", fullmatch=True),  # read as QuotedNumber
    st.sampled_from(["yes", "null", "~", "1_000", "3.8e4", "0x10", "a: b", "# c", "'", '"']),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), TEXTS, st.just({}), st.just([])
)


def data_of(keys: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    values = st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)
        ),
        max_leaves=25,
    )
    return st.dictionaries(keys, values, min_size=1, max_size=5)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data_of(ANY_KEYS))
def test_whatever_gen_writes_is_read_alike_or_left_to_the_general_reader(
    data: dict[str, Any],
) -> None:
    text = HEADER.format(round="2024Q1") + dump(data)
    assert agrees(text)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(data_of(PLAIN_KEYS))
def test_what_gen_writes_with_plain_keys_is_read_fast(data: dict[str, Any]) -> None:
    text = dump(data)
    if any(key in {"y", "n", "yes", "no", "on", "off", "true", "false", "null"} for key in data):
        return
    if any(_number_like(k) for k in _keys(data)) or _has_surrogate(data) or _nested_list(data):
        return  # declined: the general reader reads those
    fast = load_block(text)
    assert fast is not None
    assert typed(fast) == general(text)


def _keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [*value, *(k for v in value.values() for k in _keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


def _nested_list(value: Any) -> bool:
    """A non-empty list right in a list, which gen never writes."""
    if isinstance(value, dict):
        return any(_nested_list(v) for v in value.values())
    if isinstance(value, list):
        return any((isinstance(v, list) and v) or _nested_list(v) for v in value)
    return False


def _number_like(key: str) -> bool:
    from gen_cli.scalars import NUMBER_LIKE

    return (
        key in {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
        or NUMBER_LIKE.fullmatch(key) is not None
    )


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return isinstance(value, str) and any(
        "\ud800" <= c <= "\udfff"
        or c in "\x7f\x85\u2028\u2029\ufffe\uffff"
        or "\x80" <= c <= "\x9f"
        for c in value
    )


RECORD = dump(
    {
        "decisions": {
            "projet-a": {"grades": ["3", "4"], "mark": "15.50", "rank": 1, "reasons": ["ok"]},
            "Projet B": {"grades": [], "mark": "9", "rank": 2, "notes": {}, "late": None},
        },
        "envelope": {"granted": "10000.00", "sealed": True, "open": False},
        "list": [{"a": 1, "b": [1, 2]}, {"c": "d: e"}, "x"],
        "round": "2024Q1",
    }
)

EDITS = [" ", "  ", "-", "- ", ":", ": ", "#", " #", '"', "\\", "\\u", "\n", "\t", "{", "}", "[",
         "]", "a", "A", "1", "0", "_", "null", "yes", "~", "&a", "*a", "!!str ", "<<: ", "é",
         "\u2028", "\x85", "\ufeff", "\r"]  # fmt: skip


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(RECORD)), st.integers(0, 3), st.sampled_from(EDITS)),
                min_size=1, max_size=3))  # fmt: skip
@example([(RECORD.index("rank: 1"), 0, "#")])
@example([(0, 0, "  ")])
def test_a_record_edited_by_hand_is_read_alike_or_left_to_the_general_reader(
    edits: list[tuple[int, int, str]],
) -> None:
    text = RECORD
    for at, removed, inserted in edits:
        at = min(at, len(text))
        text = text[:at] + inserted + text[at + removed :]
    assert agrees(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # a key twice: the general reader says where
        'a: 1\n"a": 2\n',
        "yes: 1\n",  # YAML 1.1 reads the key as a boolean
        "_1: 1\n",  # gen reads it as a number written strangely
        "a: text\n",  # plain text
        "a: 1 # why\n",
        "a:\n  b: 1\n# a comment in the middle\n  c: 2\n",
        "a:\nb: 1\n",  # an empty value
        "a:\n- 1\n",  # a list at the key's indentation
        "a:\n  - - 1\n",  # a list in a list
        "a:\n   b: 1\n",  # three spaces
        "a: 1\n\nb: 2\n",  # a blank line
        "a: 1",  # no final line feed
        "a:\t1\n",
        "a: 1\r\n",
        "\ufeffa: 1\n",
        'a: "\\ud800"\n',  # a lone surrogate
        'a: "\\/"\n',
        "a: 0x10\n",
        "a: 010\n",
        "a: " + "9" * 101 + "\n",  # more digits than gen reads fast
        "a: [1]\n",
        "--- \na: 1\n",
        "",
        "# only a comment\n",
        '"' + "a" * 1023 + '": 1\n',  # YAML refuses a key of more than 1,024 characters
        "a" * 1025 + ": 1\n",
        'k:\n  - "' + "a" * 1030 + '": 1\n',
        "a: 1\n" + " " * 1_000_000 + "!\n",  # one line outside the form: no search past it
        "a: 1\n" + "b" * 1_000_000 + "\n",
        "a:\n" + "".join(f"{'  ' * n}b{n}:\n" for n in range(1, 60)) + "  " * 60 + "c: 1\n",
    ],
)
def test_outside_the_form_gen_writes_the_general_reader_reads(text: str) -> None:
    assert load_block(text) is None


@pytest.mark.parametrize("text", ['"' + "a" * 1022 + '": 1\n', "a" * 1024 + ": 1\n"])
def test_the_longest_key_yaml_reads_is_read_fast(text: str) -> None:
    fast = load_block(text)
    assert fast is not None and typed(fast) == general(text)


def test_the_count_of_values_is_the_general_readers() -> None:
    """A record of one value more than its round allows is refused alike (E009)."""
    events = sum(isinstance(e, yaml.NodeEvent) for e in yaml.parse(RECORD))
    assert load_block(RECORD, events) is not None
    assert load_block(RECORD, events - 1) is None
    _, _, problems = parse_document(RECORD, "record", events - 1)
    assert [p.code for p in problems] == ["E009"]
    assert parse_document(RECORD, "record", events)[2] == []


def test_every_record_in_the_project_is_read_fast_and_alike() -> None:
    records = sorted(
        [*ROOT.glob("dossiers/*/results.yaml"), *ROOT.glob("tests/fixtures/**/results.yaml")]
    )
    assert len(records) >= 3
    for path in records:
        text = path.read_text(encoding="utf-8")
        fast = load_block(text)
        assert fast is not None, path
        assert typed(fast) == general(text), path


@settings(max_examples=500)
@given(st.text() | st.sampled_from(['"', "\\", "\x7f", "\x85", "\u2028", "\ud800", "a\x1fb"]))
def test_a_text_written_as_it_is_is_written_as_json_would_escape_it(text: str) -> None:
    import json

    from gen_cli import blockyaml

    escaped = json.dumps(text, ensure_ascii=False)
    expected = blockyaml._NOT_YAML_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped)
    assert blockyaml._quoted(text) == expected


def test_the_characters_gens_reader_leaves_to_the_general_one_are_exactly_these() -> None:
    """Every character but a line feed and those YAML prints as themselves."""
    from gen_cli.blockyaml import _OUTSIDE

    printed_as_is = [
        (0x0A, 0x0A),
        (0x20, 0x7E),
        (0xA0, 0x2027),
        (0x202A, 0xD7FF),
        (0xE000, 0xFEFE),
        (0xFF00, 0xFFFD),
        (0x10000, 0x10FFFF),
    ]
    left = [c for c in range(0x110000) if not any(low <= c <= high for low, high in printed_as_is)]
    assert [c for c in range(0x110000) if _OUTSIDE.match(chr(c))] == left
    assert load_block('a: "\u2028"\n') is None and load_block('a: "\u00e9"\n') == {"a": "é"}


def test_repeated_values_are_made_once_and_empty_collections_each_time() -> None:
    """A record repeats its keys and values: each is shared, being immutable."""
    one = {"grade": "3.50", "status": "laureat", "y": [], "z": {}}
    data = load_block(dump({"a": one, "b": dict(one)}))
    assert data == {"a": one, "b": one}
    assert data["a"]["grade"] is data["b"]["grade"]
    assert data["a"]["status"] is data["b"]["status"]
    assert next(iter(data["a"])) is next(iter(data["b"]))
    assert data["a"]["y"] is not data["b"]["y"] and data["a"]["z"] is not data["b"]["z"]
    data["a"]["y"].append(1)
    assert data["b"]["y"] == []


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data_of(ANY_KEYS), st.integers(1, 5))
def test_a_record_written_in_pieces_is_the_text_written_whole(
    data: dict[str, Any], chunk: int
) -> None:
    pieces: list[str] = []
    dump_to(pieces.append, data, chunk=chunk)
    assert "".join(pieces) == dump(data)
    # in pieces of about `chunk` lines: a piece ends where a collection's lines end
    assert all(piece.endswith("\n") for piece in pieces)


def test_a_large_record_is_handed_over_in_pieces_of_about_the_lines_asked() -> None:
    data = {"decisions": {f"projet-{n:05d}": {"rank": n, "status": "laureat"} for n in range(1000)}}
    pieces: list[str] = []
    dump_to(pieces.append, data, chunk=100)
    assert "".join(pieces) == dump(data)
    assert len(pieces) == 30  # 3 lines a decision, handed over at the first 100 or more
    assert max(piece.count("\n") for piece in pieces) == 102
