"""yamlload: safe loading, refused constructs, locations; and no input makes gen crash."""

from __future__ import annotations

import datetime
import math
import os
import shutil
import string
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from conftest import MINIMAL, examples, run_gen, typed, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gen_cli.blockyaml import dump
from gen_cli.diagnostics import CODES, Problem
from gen_cli.models import field_names
from gen_cli.rules import Report, validate_call_folder
from gen_cli.scalars import NotABoolean, NotANumber, QuotedNumber
from gen_cli.yamlload import (
    MAX_BYTES,
    MAX_DEPTH,
    _first_too_deep,
    _node_beyond,
    _read_at_most,
    locate,
    location_table,
    locations,
    parse_yaml,
    place,
    read_text,
    read_yaml,
)

# --- parse_yaml: what is refused, with its code and position ------------------------------------

REFUSED = [
    # (text, code, (line, col) or None, message)
    (
        "a: b: c\n",
        "E001",
        (1, 5),
        "this is not valid YAML: a colon where a value was expected: put the value in quotes if it holds ': ', or indent the line like its neighbours",
    ),
    (
        "a:\n\tb: 1\n",
        "E001",
        (2, 1),
        "this is not valid YAML: a tab: indent with spaces, never tabs",
    ),
    (
        "title: 'pas fermé\nid: x\n",
        "E001",
        (3, 1),
        "this is not valid YAML: a quote is not closed: end the text with the same quote",
    ),
    (
        "a: !!bool peut-être\n",
        "E001",
        (1, 4),
        "this is not valid YAML: 'peut-être' is not a valid true or false: correct the value, or remove the type written before it",
    ),
    (
        "a: !!timestamp demain\n",
        "E001",
        (1, 4),
        "this is not valid YAML: 'demain' is not a valid date: correct the value, or remove the type written before it",
    ),
    (
        "a: !!map [1]\n",
        "E001",
        (1, 4),
        "this is not valid YAML: a list where a mapping (key: value) belongs",
    ),
    (
        "a: !!set [1]\n",
        "E001",
        (1, 4),
        "this is not valid YAML: a list where a mapping (key: value) belongs",
    ),
    (
        "? [a]\n: 1\n",
        "E001",
        (1, 3),
        "this is not valid YAML: a key that is a list or mapping: a key is a plain word",
    ),
    ("", "E003", None, "the file is empty"),
    ("# rien\n\n", "E003", None, "the file is empty"),
    ("---\n...\n", "E003", None, "the file is empty"),
    ("a: 1\n---\nb: 2\n", "E004", (2, 1), "the file holds several YAML documents; keep one"),
    (
        "id: x\nround: 2022Q1\nid: y\n",
        "E005",
        (3, 1),
        "key 'id' appears twice in this mapping, at lines 1 and 3; remove one of them",
    ),
    (
        "a:\n  b: 1\n  c: 2\n  'b': 3\n",
        "E005",
        (4, 3),
        "key 'b' appears twice in this mapping, at lines 2 and 4; remove one of them",
    ),
    (
        "a: !!python/object:os.system {}\n",
        "E006",
        (1, 4),
        "the type !!python/object:os.system is not allowed: remove it, gen files hold plain values",
    ),
    (
        "a: !!python/object/apply:os.system ['ls']\n",
        "E006",
        (1, 4),
        "the type !!python/object/apply:os.system is not allowed: remove it, gen files hold plain values",
    ),
    (
        "a: !!python/name:os.system ''\n",
        "E006",
        (1, 4),
        "the type !!python/name:os.system is not allowed: remove it, gen files hold plain values",
    ),
    (
        "a: !!python/tuple [1]\n",
        "E006",
        (1, 4),
        "the type !!python/tuple is not allowed: remove it, gen files hold plain values",
    ),
    (
        "a: !local x\n",
        "E006",
        (1, 4),
        "the type !local is not allowed: remove it, gen files hold plain values",
    ),
    (
        "a: !<tag:example.com,2000:app/x> y\n",
        "E006",
        (1, 4),
        "the type tag:example.com,2000:app/x is not allowed: remove it, gen files hold plain values",
    ),
    (
        "- a\n- b\n",
        "E007",
        None,
        "the file holds a list; it should hold fields, one key: value a line",
    ),
    (
        "bonjour\n",
        "E007",
        None,
        "the file holds a single value; it should hold fields, one key: value a line",
    ),
    (
        "12\n",
        "E007",
        None,
        "the file holds a single value; it should hold fields, one key: value a line",
    ),
    ("a: &x 1\nb: *x\n", "E008", (1, 4), "anchors and aliases are not allowed in gen files"),
    ("a: &x\n  k: 1\nb: *x\n", "E008", (1, 4), "anchors and aliases are not allowed in gen files"),
    (
        "base: &b\n  x: 1\nautre:\n  <<: *b\n  y: 2\n",
        "E008",
        (4, 3),
        "merge keys (<<) are not allowed in gen files",
    ),
    ("[" * 50_000, "E001", (1, 101), "nesting deeper than 100 levels"),
    ("{a: " * 50_000, "E001", (1, 401), "nesting deeper than 100 levels"),
    ("- " * 50_000 + "x\n", "E001", (1, 201), "nesting deeper than 100 levels"),
]


@pytest.mark.parametrize(("text", "code", "mark", "message"), REFUSED)
def test_parse_yaml_refuses(
    text: str, code: str, mark: tuple[int, int] | None, message: str
) -> None:
    assert parse_yaml(text, "f.yaml") == (None, [Problem("f.yaml", code, message, mark=mark)])


def test_nesting_at_the_limit_is_accepted() -> None:
    text = "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    # the top-level mapping is one level: MAX_DEPTH - 1 brackets fit, MAX_DEPTH do not
    assert parse_yaml(text, "f")[1][0].mark == (1, 3 + MAX_DEPTH)
    deepest = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    data, problems = parse_yaml(deepest, "f")
    assert problems == []
    depth, node = 0, data["a"]
    while isinstance(node, list):
        depth, node = depth + 1, (node[0] if node else None)
    assert depth == MAX_DEPTH - 1


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a: 1.10\n", Decimal("1.10")),
        ("a: 1_000.5\n", NotANumber("1_000.5")),  # only plain digits make a number
        ("a: -0.01\n", Decimal("-0.01")),
        ("a: 1e3\n", NotANumber("1e3")),  # text to YAML 1.1, a number to pydantic
        ("a: 1.5e3\n", NotANumber("1.5e3")),
        ("a: 1.5e+3\n", NotANumber("1.5e+3")),
        ("a: '3.8e4'\n", "3.8e4"),  # quoted: text, as it says
        ("a: 12\n", 12),
        ("a: '12'\n", QuotedNumber("12")),  # text: a number field refuses it, saying why
        ("a: 2022-01-03\n", datetime.date(2022, 1, 3)),
        ("a: 2022-02-30\n", "2022-02-30"),  # no such day: text, which a date field refuses
        ("a: oui\n", "oui"),
        ("a: yes\n", NotABoolean("yes")),  # YAML 1.2, as editors read it: a bool field refuses it
        ("a: true\n", True),
        ("a: ~\n", None),
        ("a: 1:30\n", NotANumber("1:30")),  # not YAML 1.1's base 60
        ("a: 030000\n", 30000),  # not octal: plain decimal digits
        ("a: 0x9470\n", NotANumber("0x9470")),  # not hexadecimal: the schema refuses it
        ("a: !!int douze\n", NotANumber("douze")),  # the schema refuses it
    ],
)
def test_scalars(text: str, value: object) -> None:
    data, problems = parse_yaml(text, "f")
    assert problems == []
    assert data == {"a": value}
    assert type(data["a"]) is type(value)


@pytest.mark.parametrize("text", ["a: .inf\n", "a: -.inf\n", "a: .nan\n"])
def test_infinite_floats_are_left_to_the_schema(text: str) -> None:
    value = parse_yaml(text, "f")[0]["a"]
    assert isinstance(value, float)
    assert not math.isfinite(value)


def test_an_anchor_without_alias_is_accepted() -> None:
    # Nothing is shared, so nothing can surprise: only reuse (an alias) is refused.
    assert parse_yaml("a: &x 1\nb: 2\n", "f") == ({"a": 1, "b": 2}, [])


def test_same_key_with_different_types_is_not_a_duplicate() -> None:
    assert parse_yaml("1: a\n'1': b\n", "f") == ({1: "a", "1": "b"}, [])


# --- read_text -------------------------------------------------------------------------------------


def test_read_text_strips_byte_order_mark(tmp_path: Path) -> None:
    path = write(tmp_path / "f.yaml", "\ufeffa: 1\n")
    assert read_text(path, "f") == ("a: 1\n", [])
    assert read_yaml(path, "f") == ({"a": 1}, [])


@pytest.mark.parametrize(
    ("raw", "mark", "byte"),
    [
        (b"\xff", (1, 1), "0xff"),
        (b"a: 1\nb: caf\xe9\n", (2, 7), "0xe9"),
        ("a: 1\ntitre: Éléphant ".encode() + b"\xc3\x28", (2, 17), "0xc3"),  # bad continuation
        ("a: 😀 ".encode() + b"\x80", (1, 6), "0x80"),  # 😀 is one character, four bytes
        (b"a: 1\r\nb: \xfe\r\n", (2, 4), "0xfe"),
    ],
)
def test_read_text_locates_the_first_bad_byte_in_characters(
    tmp_path: Path, raw: bytes, mark: tuple[int, int], byte: str
) -> None:
    path = write(tmp_path / "f.yaml", raw)
    assert read_text(path, "f") == (
        None,
        [
            Problem(
                "f", "E002", f"byte {byte} is not valid UTF-8; save the file as UTF-8", mark=mark
            )
        ],
    )


def test_read_text_size_limit(tmp_path: Path) -> None:
    at_limit = write(tmp_path / "ok.yaml", b"#" * MAX_BYTES)
    assert read_text(at_limit, "ok") == ("#" * MAX_BYTES, [])
    over = write(tmp_path / "big.yaml", b"#" * (MAX_BYTES + 1))
    assert read_text(over, "big") == (
        None,
        [Problem("big", "E009", "file is 1,000,001 bytes; gen accepts at most 1,000,000")],
    )


@pytest.mark.parametrize("size", [0, 1, 99, 100, 101, 5_000, (1 << 20) + 7])
@pytest.mark.parametrize("told", [0, 1, 100, 4_999])
def test_a_file_is_read_to_its_end_but_never_past_the_limit(
    tmp_path: Path, size: int, told: int
) -> None:
    """Whatever size fstat gave (the file may have grown since), the read is capped."""
    data = bytes(range(256)) * (size // 256 + 1)
    path = write(tmp_path / "f", data[:size])
    descriptor = os.open(path, os.O_RDONLY)
    try:
        assert _read_at_most(descriptor, told, 101) == data[: min(size, 101)]
        os.lseek(descriptor, 0, os.SEEK_SET)
        assert _read_at_most(descriptor, told, 1 << 30) == data[:size]
    finally:
        os.close(descriptor)


def test_a_file_that_grows_while_it_is_read_is_refused_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its size was 10 bytes when gen looked; 1,000 are there when it reads: 101 are read."""
    from gen_cli import yamlload

    path = write(tmp_path / "f.yaml", b"#" * 1_000)
    fstat = os.fstat
    reads: list[int] = []
    read = os.read

    def smaller(descriptor: int) -> os.stat_result:
        found = list(fstat(descriptor))
        found[6] = 10  # st_size
        return os.stat_result(found)

    def counted(descriptor: int, size: int) -> bytes:
        piece = read(descriptor, size)
        reads.append(len(piece))
        return piece

    monkeypatch.setattr(yamlload.os, "fstat", smaller)
    monkeypatch.setattr(yamlload.os, "read", counted)
    assert yamlload.read_bytes(path, "f", limit=100) == (
        None,
        [
            Problem(
                "f", "E009", "file grew past 100 bytes while gen read it; gen accepts at most 100"
            )
        ],
    )
    assert sum(reads) == 101


def test_read_text_refuses_links_and_folders(tmp_path: Path) -> None:
    target = write(tmp_path / "real.yaml", "a: 1\n")
    (tmp_path / "link.yaml").symlink_to(target)
    (tmp_path / "dir.yaml").mkdir()
    expected = [Problem("x", "E010", "not a regular file: gen does not follow links")]
    assert read_text(tmp_path / "link.yaml", "x") == (None, expected)
    assert read_text(tmp_path / "dir.yaml", "x") == (None, expected)
    assert read_text(tmp_path / "absent.yaml", "x") == (None, expected)


# --- Locations -------------------------------------------------------------------------------------

DOC = """\
id: x
budget:
  total_cost: 10
  requested: 5
partners:
  - name: A
    role: r
  -   name: B
"""


def test_locations_of_keys_and_values() -> None:
    table = locations(DOC)
    assert table.find(("budget",), at_key=True) == (2, 1)
    assert table.find(("budget",)) == (3, 3)
    assert table.find(("budget", "requested"), at_key=True) == (4, 3)
    assert table.find(("budget", "requested")) == (4, 14)
    assert table.find(("partners", 0)) == (6, 5)
    assert table.find(("partners", 1, "name")) == (8, 13)
    assert table.find(("partners", 2, "name")) == (6, 3)  # no third partner: the list


@pytest.mark.parametrize(
    ("loc", "at_key", "where"),
    [
        (("budget", "requested"), False, (4, 14)),
        (("budget", "requested"), True, (4, 3)),
        (("budget", "other_funding"), True, (2, 1)),  # missing: its parent's key
        (("budget", "other_funding"), False, (3, 3)),
        (("partners", 1, "role"), True, (8, 7)),  # the item's mapping starts at "name"
        (("partners", "1", "name"), False, (8, 13)),  # pydantic gives dict keys as text
        (("nothing", "here"), False, (1, 1)),
        ((), False, (1, 1)),
    ],
)
def test_locations_find(loc: tuple[str | int, ...], at_key: bool, where: tuple[int, int]) -> None:
    assert locations(DOC).find(loc, at_key=at_key) == where


def test_locations_of_unreadable_text_are_empty() -> None:
    assert locations("a: [").root is None
    assert locations("a: [").find(("a",)) == (1, 1)
    assert locations("").find(("a",)) == (1, 1)


def test_locate_composes_only_files_with_key_paths() -> None:
    problems = [
        Problem("a.yaml", "E103", "m", loc=("budget", "requested")),
        Problem("b.yaml", "E001", "m", mark=(7, 3)),
        Problem("c.yaml", "W002", "m"),
    ]
    located = locate(problems, {"a.yaml": DOC})
    assert [(d.path, d.line, d.col, d.code) for d in located] == [
        ("a.yaml", 4, 14, "E103"),
        ("b.yaml", 7, 3, "E001"),
        ("c.yaml", 1, 1, "W002"),
    ]


def test_dump_is_sorted_block_yaml_and_reads_back() -> None:
    data = {"b": [1, 2], "a": {"z": "été", "y": None}}
    text = dump(data)
    assert text == 'a:\n  "y": null\n  z: "été"\nb:\n  - 1\n  - 2\n'
    assert parse_yaml(text, "f") == (data, [])


# --- No input makes gen crash ------------------------------------------------------------------------

DOSSIER = "2022Q2/passerelle-bordeaux.yaml"  # no review names it: problems stay in this file


@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(shutil.copytree(MINIMAL, tmp_path_factory.mktemp("fuzz") / "call"))


def _line_count(text: str) -> int:
    # every character YAML (or Python) may count as a line break
    return len(text.splitlines()) + 1


def _check_report(root: Path, content: str | bytes) -> Report:
    write(root / DOSSIER, content)
    report = validate_call_folder(root)
    assert isinstance(report, Report)
    shown = str(root / DOSSIER)
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    for diagnostic in report.diagnostics:
        assert diagnostic.code in CODES
        assert diagnostic.path == shown, str(diagnostic)
        assert 1 <= diagnostic.line <= _line_count(text), str(diagnostic)
        assert diagnostic.col >= 1
        assert str(diagnostic).startswith(f"{shown}:{diagnostic.line}:{diagnostic.col}: ")
    return report


FUZZ = settings(
    examples(200),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FUZZ_SLOW = settings(
    FUZZ, max_examples=examples(100).max_examples
)  # each example builds and dumps a document


@FUZZ
@given(st.text())
def test_any_text_as_a_dossier_is_reported_not_raised(fuzz_folder: Path, text: str) -> None:
    report = _check_report(fuzz_folder, text)
    # no text of this kind is a valid dossier: an error, or ignored as not one (W002)
    assert not report.ok or [d.code for d in report.diagnostics] == ["W002"]


@FUZZ
@given(st.binary())
def test_any_bytes_as_a_dossier_are_reported_not_raised(fuzz_folder: Path, raw: bytes) -> None:
    report = _check_report(fuzz_folder, raw)
    # never silently taken: an error, or W002 when it has none of a dossier's fields ("(:")
    assert not report.ok or [d.code for d in report.diagnostics] == ["W002"]


YAMLISH = st.text(alphabet=string.printable + "éà€😀", max_size=30)
YAML_CHARS = st.sampled_from(
    [
        *":-[]{},#&*!|>'\"%@` \n\t?",
        *("- ", ": ", "\n  ", "---\n", "&a ", "*a", "<<: "),
        *("!!int ", "!!bool ", "!!float ", "!!timestamp ", "!!map ", "!!set ", "!!omap "),
        *("!!binary ", "2022-02-30", "2022-13-01", "0x", "0b2", "1:30", ".nan", "1_000.5", "~"),
    ]
)


@FUZZ
@given(st.lists(st.one_of(YAMLISH, YAML_CHARS), max_size=40).map("".join))
def test_yaml_punctuation_soup_is_reported_not_raised(fuzz_folder: Path, text: str) -> None:
    _check_report(fuzz_folder, text)


@FUZZ_SLOW
@given(st.from_regex(r"\A[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2})?\Z"))
def test_any_date_like_value_is_reported_not_raised(fuzz_folder: Path, value: str) -> None:
    content = (MINIMAL / DOSSIER).read_text(encoding="utf-8")
    report = _check_report(fuzz_folder, content.replace("2022-05-20", value))
    # a date that exists inside the round's window is fine; any other is an error on line 29,
    # and one years away from the project's dates also a warning on those (W013)
    assert {(d.line, d.col) for d in report.diagnostics if d.code != "W013"} <= {(29, 12)}
    assert {(d.line, d.col) for d in report.diagnostics if d.code == "W013"} <= {(27, 10), (28, 8)}


DOSSIER_FIELDS = sorted(field_names())
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(),
    st.sampled_from(["2022Q2", "inclusion", "39876543800013", "a@b.example", "2022-02-30"]),
)
KEYS = st.one_of(st.sampled_from(DOSSIER_FIELDS), st.text(max_size=10), st.integers(0, 3))
STRUCTURES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=25,
)


@FUZZ_SLOW
@given(st.dictionaries(KEYS, STRUCTURES, max_size=12))
def test_structured_garbage_as_a_dossier_is_reported_not_raised(
    fuzz_folder: Path, data: dict[object, object]
) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    report = _check_report(fuzz_folder, text)
    # an error; or, for a mapping with none of a dossier's fields, one warning (#11)
    assert not report.ok or [d.code for d in report.diagnostics] == ["W002"]


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(min_size=1),
        st.text(min_size=1).map(str.encode),
        st.dictionaries(KEYS, STRUCTURES, min_size=1, max_size=8).map(
            lambda d: yaml.safe_dump(d, allow_unicode=True).encode()
        ),
    )
)
def test_garbage_dossier_through_the_installed_gen(fuzz_folder: Path, raw: bytes) -> None:
    write(fuzz_folder / DOSSIER, raw)
    result = run_gen("validate", "--call", fuzz_folder)
    assert "Traceback" not in result.err
    assert result.err == ""
    assert result.code == 1 or (result.code == 0 and " warning W002 " in result.out)
    assert result.out.splitlines()[-1].startswith("checked 1 call file, 2 rounds, 4 dossiers")


@FUZZ_SLOW
@given(
    st.sampled_from(["call.yaml", "2022Q1/reviews/yannick-le-goff.yaml"]),
    st.dictionaries(KEYS, STRUCTURES, max_size=12),
)
def test_structured_garbage_as_call_or_review_is_reported_not_raised(
    fuzz_folder: Path, rel: str, data: dict[object, object]
) -> None:
    original = (MINIMAL / rel).read_text(encoding="utf-8")
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    write(fuzz_folder / rel, text)
    try:
        report = validate_call_folder(fuzz_folder)
    finally:
        write(fuzz_folder / rel, original)
    assert isinstance(report, Report)
    assert not report.ok
    for diagnostic in report.diagnostics:
        assert diagnostic.code in CODES
        if diagnostic.path == str(fuzz_folder / rel):
            assert 1 <= diagnostic.line <= _line_count(text), str(diagnostic)
            assert diagnostic.col >= 1


def test_a_file_of_many_flow_blocks_is_composed_once_and_its_depth_measured_on_the_nodes() -> None:
    blocks = "".join(f"d{i}: {{grades: {{a: [1, 2], b: 3}}}}\n" for i in range(200))
    assert parse_yaml(blocks, "f")[1] == []  # 600 brackets, 3 levels deep: accepted
    deep = blocks + "x: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    assert parse_yaml(deep, "f")[1] == [
        Problem("f", "E001", "nesting deeper than 100 levels", mark=(201, 3 + MAX_DEPTH))
    ]


_FLOW = st.recursive(
    st.just("1"),
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
        | st.lists(inner, max_size=3).map(
            lambda xs: "{" + ", ".join(f"k{i}: {x}" for i, x in enumerate(xs)) + "}"
        )
    ),
    max_leaves=30,
)


@given(st.lists(_FLOW, min_size=1, max_size=4), st.integers(1, 6))
@examples(200)
def test_depth_on_the_nodes_is_depth_on_the_events(values: list[str], limit: int) -> None:
    text = "".join(f"v{i}: {v}\n" for i, v in enumerate(values))
    root = yaml.compose(text, Loader=yaml.CSafeLoader)
    assert _node_beyond(root, limit) == _first_too_deep(text, limit, yaml.CSafeLoader)


# --- the fast walk gives PyYAML's data -----------------------------------------------------


def _both_ways(text: str) -> tuple[object, object]:
    """parse_document's data and problems by the fast walk, then by PyYAML's constructor."""
    from gen_cli import yamlload

    def parsed() -> object:
        data, _, problems = yamlload.parse_document(text, "f")
        return typed(data), problems

    fast = parsed()
    with pytest.MonkeyPatch.context() as patch:

        def unusual(*args: object) -> object:
            raise yamlload._Unusual

        patch.setattr(yamlload, "_walk", unusual)
        slow = parsed()
    return fast, slow


_PROJECT = Path(__file__).resolve().parent.parent
_ALL_YAML = sorted(
    p
    for folder in ("dossiers", "tests/fixtures", "gen_cli/data")
    for p in (_PROJECT / folder).rglob("*.y*ml")
)


def test_the_fast_walk_reads_every_yaml_file_of_the_project_as_pyyaml_does() -> None:
    assert len(_ALL_YAML) > 100
    for path in _ALL_YAML:
        text = path.read_text(encoding="utf-8", errors="replace")
        fast, slow = _both_ways(text)
        assert fast == slow, path


_SCALAR_TEXT = st.sampled_from(
    [
        "1", "030000", "0x1F", "1_000", "1.5", "1e3", "3.8e4", ".inf", "-.nan", "10:30:00",
        "true", "False", "yes", "off", "~", "null", "", "2022-02-30", "2022-03-31",
        "2022-03-31 10:00:00", "'12'", '"1.50"', "texte", "l'appel", "!!str 12", "!!int 12",
        "!!bool maybe", "!!float x", "!!set {a}", "!!binary aGk=", "&x 1", "*x", "[1, 2]",
        "{a: 1, a: 2}", "{yes: 1, true: 2}", "{<<: {a: 1}}", "{[1]: 2}", "!custom x",
    ]
)  # fmt: skip


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "1", "yes", "<<", "c"]), _SCALAR_TEXT)))
@examples(300)
def test_the_fast_walk_gives_pyyaml_data_and_problems(pairs: list[tuple[str, str]]) -> None:
    text = "".join(f"{key}: {value}\n" for key, value in pairs)
    fast, slow = _both_ways(text)
    assert fast == slow


def _asked(table: dict[tuple[str | int, ...], object]) -> list[tuple[str | int, ...]]:
    """Key paths a rule may ask for: each path, as text, with a part missing or added."""
    asked = []
    for path in table:
        asked += [path, tuple(str(p) for p in path), (*path, "absent"), ("absent", *path)]
        asked += [(*path, 0), (*path, "0"), (*path[:-1], "absent", *path[-1:])]
    return asked


def test_a_location_table_places_every_path_where_the_nodes_do() -> None:
    # the table kept in the cache must give the line and column Locations.find gives
    for path in _ALL_YAML:
        text = path.read_text(encoding="utf-8", errors="replace")
        table, nodes = location_table(text), locations(text)
        if table is None:
            assert nodes.root is None or "*" in text, path
            continue
        for loc in _asked(table):
            for at_key in (False, True):
                assert place(table, loc, at_key=at_key) == nodes.find(loc, at_key=at_key), (
                    path,
                    loc,
                )


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "1", "0", "c"]), _SCALAR_TEXT)))
@examples(300)
def test_a_location_table_of_any_document_agrees_with_the_nodes(
    pairs: list[tuple[str, str]],
) -> None:
    text = "".join(f"{key}: {value}\n" for key, value in pairs) + "l:\n  - [1, {a: 2}]\n  - x\n"
    table, nodes = location_table(text), locations(text)
    if table is None:
        assert nodes.root is None
        return
    for loc in _asked(table):
        assert place(table, loc) == nodes.find(loc)
        assert place(table, loc, at_key=True) == nodes.find(loc, at_key=True)


def test_a_document_whose_aliases_loop_or_multiply_has_no_table() -> None:
    assert location_table("a: &x [1, *x]\n") is None
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{b}: &{b} [*{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}]\n"
        for a, b in zip("abcdefg", "bcdefgh", strict=True)
    )
    assert location_table(laughs) is None
    assert location_table("a: [1, 2]\n") == {
        (): (1, 1, 1, 1),
        ("a",): (1, 1, 1, 4),
        ("a", 0): (1, 5, 1, 5),
        ("a", 1): (1, 8, 1, 8),
    }
