"""The decision record's YAML writer: deterministic, and read back as the same data."""

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gen_cli.blockyaml import dump
from gen_cli.yamlload import parse_yaml

scalars = st.none() | st.booleans() | st.integers() | st.text()
documents = st.dictionaries(
    st.text(min_size=1),
    st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(min_size=1), children, max_size=4)
        ),
        max_leaves=20,
    ),
    max_size=6,
)


@settings(max_examples=200)
@given(documents)
@example({"_\n": None})  # a trailing newline once passed for a plain key
@example({"\x85": None, "\u2028": "\x7f"})  # YAML line breaks and non-printables
def test_dump_reads_back_as_the_same_data(document: dict) -> None:
    text = dump(document)
    assert yaml.safe_load(text) == (document or None)


@settings(max_examples=100)
@given(documents)
def test_dump_sorts_keys_so_order_does_not_matter(document: dict) -> None:
    reordered = dict(reversed(list(document.items())))
    assert dump(reordered) == dump(document)


def test_record_shape() -> None:
    text = dump({"round": "2022Q1", "decisions": [{"dossier": "lovelace", "rank": 1}], "empty": []})
    assert text == 'decisions:\n  - dossier: "lovelace"\n    rank: 1\nempty: []\nround: "2022Q1"\n'
    data, problems = parse_yaml(text, "results.yaml")
    assert problems == []
    assert data == {
        "round": "2022Q1",
        "decisions": [{"dossier": "lovelace", "rank": 1}],
        "empty": [],
    }


def test_a_publication_made_from_the_published_part_of_records_is_the_same() -> None:
    """``published_of`` keeps all a publication reads: laureates, jury departures, totals."""
    from pathlib import Path

    from gen_cli.loading import load_call_folder
    from gen_cli.publication import build_publication
    from gen_cli.records import published_of, read_record

    example = Path(__file__).parent.parent / "dossiers"
    folder = load_call_folder(example)
    assert folder.call is not None
    records = {r.id: read_record(example / r.id / "results.yaml") for r in folder.call.rounds}
    whole = {r: record for r, record in records.items() if record is not None}
    assert sorted(whole) == ["2021Q3", "2021Q4", "2022Q1"]
    cut = {r: published_of(record) for r, record in whole.items()}
    dossiers = {d.id: d for _, d in folder.dossiers}
    assert build_publication(folder.call, cut, dossiers) == build_publication(
        folder.call, whole, dossiers
    )
    decisions = cut["2021Q4"]["decisions"]  # type: ignore[index]
    refused = [d for d in decisions.values() if d["status"] != "laureat" and "jury" not in d]
    assert refused and all(d == {"status": d["status"]} for d in refused)
    # the jury set one dossier aside: a publication counts it, so it is kept whole
    departed = [d for d in decisions.values() if d["status"] != "laureat" and "jury" in d]
    assert len(departed) == 1
    assert sorted(departed[0]) == ["computed", "granted", "jury", "rank", "status"]
    assert (
        sorted(sorted(d) for d in decisions.values() if d["status"] == "laureat")
        == [["computed", "granted", "jury", "rank", "status"]]
        + [["granted", "rank", "status"]] * 25
    )
    assert "inputs" not in cut["2021Q4"]  # type: ignore[operator]


def test_a_records_bytes_are_its_text_in_utf8() -> None:
    """What gen score writes, made a few thousand lines at a time, is render_record's text."""
    from gen_cli.records import record_bytes, render_record

    record = {
        "round": "2022Q1",
        "decisions": {f"projet-{n:05d}": {"rank": n, "status": "laureat"} for n in range(5000)},
        "note": "Éligible « oui »",
    }
    assert record_bytes(record) == render_record(record).encode("utf-8")
