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
