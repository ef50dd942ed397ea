"""The fast reading (yaml-rs) gives exactly what gen's own reader gives, or steps aside."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml
from conftest import examples, typed
from hypothesis import given
from hypothesis import strategies as st

from gen_cli import yamlload
from gen_cli.fastyaml import fast_load
from gen_cli.loading import dossier_from_bytes, review_from_bytes
from gen_cli.scalars import QuotedNumber

PROJECT = Path(__file__).resolve().parent.parent
ALL_YAML = sorted(
    p
    for folder in ("dossiers", "tests/fixtures", "gen_cli/data")
    for p in (PROJECT / folder).rglob("*.y*ml")
)


def fast(text: str) -> object:
    """What the fast reading gives (None: it leaves the text to the exact one)."""
    return fast_load(
        text,
        yamlload._plain_text,
        yamlload._quoted_text,
        yamlload._SPECIAL_FIRST,
        yamlload.MAX_DEPTH,
    )


def exact(text: str) -> tuple[object, list[object]]:
    """parse_document's data and problems, read the exact way (libyaml) only."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yamlload, "fast_load", lambda *args: None)
        data, _, problems = yamlload.parse_document(text, "f", yamlload.MAX_VALUES)
    return typed(data), problems


def same_or_aside(text: str) -> bool:
    """The fast reading gives the exact data, with no problem, or steps aside; whether it read."""
    read = fast(text)
    if read is not None:
        assert (typed(read), []) == exact(text), text
    return read is not None


def test_every_yaml_file_of_the_project_reads_the_same_both_ways() -> None:
    read = [path for path in ALL_YAML if same_or_aside(path.read_text(encoding="utf-8"))]
    assert len(ALL_YAML) > 100
    # every dossier and review of the example call goes the fast way
    example = [
        p
        for p in (PROJECT / "dossiers").glob("20*/**/*.yaml")
        if p.name not in {"results.yaml", "jury.yaml", "assignments.yaml"}
    ]
    assert len(example) > 80
    assert not set(example) - set(read)


def test_a_dossier_read_the_fast_way_is_the_dossier_read_the_exact_way(tmp_path: Path) -> None:
    path = next((PROJECT / "dossiers" / "2022Q1").glob("*.yaml"))
    raw = path.read_bytes()
    # a wrong value, so that its problem is located: the places come from the exact parse
    broken = raw.replace(b"\nround: 2022Q1\n", b"\nround: [2022Q1]\n")
    assert broken != raw
    for text in (raw, broken):
        assert fast(text.decode()) is not None
        quick = dossier_from_bytes(text, "2022Q1/x.yaml")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(yamlload, "fast_load", lambda *args: None)
            slow = dossier_from_bytes(text, "2022Q1/x.yaml")
        assert quick == slow
    assert any(p.mark is not None and p.mark[0] > 1 for p in quick[2])


def test_a_review_file_reads_the_fast_way() -> None:
    path = next((PROJECT / "dossiers" / "2022Q1" / "reviews").glob("*.yaml"))
    raw = path.read_bytes()
    assert fast(raw.decode()) is not None
    quick = review_from_bytes(raw, "2022Q1/reviews/x.yaml")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yamlload, "fast_load", lambda *args: None)
        assert review_from_bytes(raw, "2022Q1/reviews/x.yaml") == quick


def test_gens_own_readings_hold_on_the_fast_way() -> None:
    read = fast("siret: '80000000200017'\nwhen: 2022-03-31\nnone: ''\nn: 030000\nok: true\n")
    assert read == {
        "siret": "80000000200017",
        "when": datetime.date(2022, 3, 31),
        "none": "",
        "n": 30000,
        "ok": True,
    }
    assert isinstance(read, dict)
    assert type(read["siret"]) is QuotedNumber


@pytest.mark.parametrize(
    "text",
    [
        "a: 1",  # no line break at the end: a block of text ends otherwise there
        "a: 09\n",  # text to YAML 1.1, 9 to yaml-rs
        "a: -09\n",
        "a: 0o17\n",
        "a: 0x1F\n",
        "a: 1_000\n",
        "a: 1.5\n",  # gen reads an exact Decimal from the text
        "a: 1e3\n",
        "a: 10:30:00\n",
        "a: 12:30\n",
        "a: yes\n",
        "a: =\n",
        "a: '2022-03-31'\n",  # a date to yaml-rs, text to gen
        'a: 2022-03-31\nb: "2022-03-31"\n',
        "a: 2022-03-31 10:00:00\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "<<: {a: 1}\n",
        "a: |-\n  12\n",
        "a: |\n",  # an empty block: "" to libyaml, a line break to yaml-rs
        "a: [1,\n  2]\n",
        "a: {b: 1,\n  c: 2}\n",
        "a: [|]\n",
        "a:\t1\n",
        "a: 1\r\n",
        'a: "\\u0031"\n',
        "a: 1\n---\nb: 2\n",
        "? a\n: 1\n",
        "a: {:x}\n",
        "a: {b:}\n",
        "1: a\n",  # a key that is not text
        "a: " + "1" * 5000 + "\n",  # more digits than Python reads as a number
        "a: " + "0" * 5000 + "1\n",
        "a: " + "[" * 120 + "]" * 120 + "\n",  # nesting beyond MAX_DEPTH
        "a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 120)),
    ],
)
def test_the_fast_way_steps_aside_where_the_readings_may_differ(text: str) -> None:
    assert fast(text) is None
    yamlload.parse_document(text, "f", yamlload.MAX_VALUES)  # the exact way answers


_SCALARS = [
    "1", "-0", "+5", "007", "030000", "09", "0x1F", "0o17", "0b101", "1_000", "1.5", "1.50",
    "1e3", "3.8e4", ".inf", "-.nan", "10:30:00", "12:30", "true", "True", "TRUE", "tRuE",
    "False", "yes", "No", "off", "ON", "y", "~", "null", "Null", "NULL", "", "=", "2022-02-30",
    "2022-03-31", "2022-3-31", "2022-03-31 10:00:00", "2022-03-31T10:00:00Z", "'12'",
    "'1.50'", '"1_000"', "'yes'", "'true'", "''", "'~'", "'2022-03-31'", '"2022-03-31"',
    "texte", "l'appel", "e5", "_1", ".5", "5.", "-", "a b", "a # c", "'a # c'", "[1, 2]",
    "[yes, '12', 2022-03-31]", "{b: 1, c: '2'}", "{}", "[]", "|\n  12\n", ">\n  a\n  b\n",
    "|+\n  x\n\n", "|2\n   a\n", "http://a.b/c", "a:b", "Projet [beta]", "R&D", "50 %",
    "**gras**", "Bravo !", "x > y", "a | b",
]  # fmt: skip


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "1", "yes", "'12'", "2022-03-31", "c d", "e"]),
            st.sampled_from(_SCALARS),
        ),
        min_size=1,
    ),
    st.booleans(),
)
@examples(400)
def test_documents_of_tricky_values_read_the_same_or_step_aside(
    pairs: list[tuple[str, str]], in_flow: bool
) -> None:
    if in_flow:
        text = "m: {" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}\nl: ["
        text += ", ".join(v for _, v in pairs) + "]\n"
    else:
        text = "".join(f"{key}: {value}\n" for key, value in pairs)
        text += "list:\n" + "".join(f"  - {value}\n" for _, value in pairs)
    same_or_aside(text)


_PIECES = [
    "{", "}", "[", "]", ", ", ",", ": ", ":", "\n", "\n  ", "\n    ", "- ", "? ", "a", "b",
    "1", "09", "'x'", '"y"', "'", '"', "#c", " #", " ", "2022-03-31", "12", "yes", "~",
    "k: ", "-", "?", "x y", "http://a", ":x", "|", ">", "|\n  ", ">-\n  ", "&a ", "*a", "!t ",
    "%", "@", "`", "\t", "_1", "0x", "1.5", "é", "\u00a0", "\u2028", "\x85",
]  # fmt: skip


@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=30), st.booleans())
@examples(600)
def test_any_text_reads_the_same_or_steps_aside(pieces: list[str], keyed: bool) -> None:
    # yaml-rs accepts some texts libyaml refuses (a key over two lines in brackets): those
    # must step aside, so that gen refuses them with libyaml's located error
    text = ("k: " if keyed else "") + "".join(pieces) + "\n"
    same_or_aside(text)


@given(st.text(min_size=1))
@examples(500)
def test_a_text_that_starts_otherwise_is_text_both_ways(value: str) -> None:
    # the fast way takes such a text as it is: gen must read it as that text too
    if value[0] in yamlload._SPECIAL_FIRST or value[0] == "\n":
        return
    plain = yamlload._plain_text(value)
    quoted = yamlload._quoted_text(value)
    assert type(plain) is str and plain == value
    assert type(quoted) is str and quoted == value


_WORDS = st.sampled_from(
    ["a", "Projet", "l'appel", "yes", "12", "0.5", "2022-03-31", "x: y", "- z", "#", "é", "a b",
     "ça va ?", "50 %", "R&D", "[lien]", "{x}", "", " ", "~", "null", "true", "10:30", "e5", "_1",
     "\u00a0", "é" * 30]
)  # fmt: skip
_TEXTS = st.lists(_WORDS, max_size=8).map(" ".join)
_KEYS = st.lists(_WORDS, min_size=1, max_size=3).map(" ".join).filter(str.strip)
_VALUES = st.recursive(
    _TEXTS
    | st.integers(-(10**20), 10**20)
    | st.booleans()
    | st.none()
    | st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 1, 1)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)


@given(
    st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=6),
    st.sampled_from([None, True, False]),
    st.sampled_from([8, 30, 80, 1000]),
    st.booleans(),
    st.sampled_from([None, "'", '"', "|", ">"]),
)
@examples(400)
def test_what_an_editor_or_a_program_writes_reads_the_same_or_steps_aside(
    data: dict[str, object], flow: bool | None, width: int, unicode: bool, style: str | None
) -> None:
    # PyYAML writes folded lines, quotes, escapes and flow or block forms: what tools
    # that make dossiers write
    text = yaml.safe_dump(
        data, default_flow_style=flow, width=width, allow_unicode=unicode, default_style=style
    )
    same_or_aside(text)


def test_a_plain_dossier_as_a_program_writes_it_reads_the_fast_way() -> None:
    data = {"id": "projet-1", "title": "Projet d'été", "themes": ["insertion"], "n": 12}
    assert same_or_aside(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


class _Panic(BaseException):
    """What PyO3 raises when Rust code panics: not an Exception."""


def test_a_panic_in_yaml_rs_leaves_the_file_to_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    from gen_cli import fastyaml

    def panics(text: str) -> object:
        raise _Panic("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(fastyaml, "_reader", lambda: panics)
    assert fast("a: 1\n") is None
    data, _, problems = yamlload.parse_document("a: 1\n", "f", yamlload.MAX_VALUES)
    assert (data, problems) == ({"a": 1}, [])

    def interrupted(text: str) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(fastyaml, "_reader", lambda: interrupted)
    with pytest.raises(KeyboardInterrupt):
        fast("a: 1\n")
