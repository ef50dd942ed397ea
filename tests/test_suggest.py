"""The small pure helpers behind messages: did-you-mean, French-style numbers, lists."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gen_cli.diagnostics import LISTED, listed
from gen_cli.suggest import french_number, suggestion

WORDS = st.text(alphabet="abcdefghij-", min_size=1, max_size=12)


@given(WORDS, st.lists(WORDS, max_size=30))
def test_a_suggestion_is_a_candidate_and_never_the_word_itself(
    word: str, candidates: list[str]
) -> None:
    found = suggestion(word, candidates)
    assert found is None or (found in candidates and found != word)


@given(st.lists(WORDS, min_size=1, max_size=30))
def test_a_word_written_right_gets_no_suggestion(candidates: list[str]) -> None:
    assert suggestion(candidates[0], candidates) is None


@given(st.integers(min_value=1_000, max_value=10**12), st.sampled_from([" ", "\u00a0", "\u202f"]))
def test_a_number_with_french_thousands_separators_is_given_back_plain(n: int, space: str) -> None:
    french = f"{n:,}".replace(",", space)
    assert french_number(french) == (
        f"write {n}: a number is written with digits and a decimal point, without spaces, € or %"
    )


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=99))
def test_a_decimal_comma_becomes_a_point(units: int, cents: int) -> None:
    assert french_number(f"{units},{cents:02d}") is not None
    assert french_number(f"{units},{cents:02d}").startswith(f"write {units}.{cents:02d}:")  # type: ignore[union-attr]


def test_plain_numbers_and_words_get_no_hint() -> None:
    assert [french_number(t) for t in ["38000", "38000.50", "beaucoup", "1 2 3 a"]] == [None] * 4


@given(st.lists(st.text(min_size=1, max_size=5), max_size=40))
def test_a_long_list_shows_its_first_items_and_counts_the_rest(items: list[str]) -> None:
    text = listed(items)
    if len(items) <= LISTED:
        assert text == ", ".join(items)
    else:
        assert text == f"{', '.join(items[:LISTED])} and {len(items) - LISTED:,} more"
