"""SIREN and SIRET numbers: Luhn, La Poste's exception, messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gen_cli.identifiers import (
    LA_POSTE_SIREN,
    complete_siren,
    complete_siret,
    luhn_ok,
    siren_of,
    siren_problem,
    siret_problem,
)

DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=20)


@pytest.mark.parametrize(
    ("digits", "ok"),
    [
        ("0", True),
        ("18", True),  # 1*2=2, +8 = 10
        ("59", True),  # 5*2=10 -> 1, +9 = 10
        ("79927398713", True),  # the textbook example
        ("79927398710", False),
        ("79927398714", False),
        ("732829320", True),  # a SIREN: 7+6+2+16-9+2+9+6+2+0 ...
        ("732829321", False),
        ("1", False),
    ],
)
def test_luhn(digits: str, ok: bool) -> None:
    assert luhn_ok(digits) is ok


@pytest.mark.parametrize(
    "siret",
    [
        "21060004500392",
        "52499120500013",
        "35600000000048",  # La Poste's head office
        "35600000012346",  # a La Poste establishment: fails Luhn, digits add up to 30
    ],
)
def test_valid_sirets(siret: str) -> None:
    assert siret_problem(siret) is None


def test_la_poste_rules() -> None:
    # Establishments follow the digit-sum rule instead of Luhn; the head office, whose
    # digits add up to 26, is the one named exception to that rule.
    assert not luhn_ok("35600000012346")
    assert sum(map(int, "35600000012346")) % 5 == 0
    assert sum(map(int, "35600000000048")) == 26
    assert siret_problem("35600000000048") is None
    assert siret_problem("35600000012346") is None


@pytest.mark.parametrize(
    ("siret", "problem"),
    [
        ("52499120500014", "SIRET 52499120500014 fails its check digit (Luhn)"),
        ("21060004500393", "SIRET 21060004500393 fails its check digit (Luhn)"),
        ("12345678900017", "SIRET 12345678900017 has an invalid SIREN part 123456789 (Luhn)"),
        (
            "35600000012345",
            "SIRET 35600000012345 fails La Poste's check (digits must add up to a multiple of 5)",
        ),
        ("5249912050001", "SIRET '5249912050001' must be 14 digits"),
        ("524991205000130", "SIRET '524991205000130' must be 14 digits"),
        (
            "524 991 205 00013",
            "SIRET '524 991 205 00013' must be 14 digits: remove the spaces, and write 52499120500013",
        ),
        ("5249912050001A", "SIRET '5249912050001A' must be 14 digits"),
        ("5249912050001٣", "SIRET '5249912050001٣' must be 14 digits"),  # an Arabic-Indic digit
        ("", "SIRET '' must be 14 digits"),
    ],
)
def test_invalid_sirets(siret: str, problem: str) -> None:
    assert siret_problem(siret) == problem


@pytest.mark.parametrize(
    ("siren", "problem"),
    [
        ("524991205", None),
        ("210600045", None),
        (LA_POSTE_SIREN, None),
        ("524991206", "SIREN 524991206 fails its check digit (Luhn)"),
        ("52499120", "SIREN '52499120' must be 9 digits"),
        ("52499120500013", "SIREN '52499120500013' must be 9 digits"),
        ("５２４９９１２０５", "SIREN '５２４９９１２０５' must be 9 digits"),  # full-width digits
    ],
)
def test_sirens(siren: str, problem: str | None) -> None:
    assert siren_problem(siren) == problem


def test_siren_of() -> None:
    assert siren_of("52499120500013") == "524991205"
    assert siren_of("524991205") == "524991205"


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_complete_siret_appends_the_one_check_digit(prefix: str) -> None:
    siret = complete_siret(prefix)
    assert siret[:13] == prefix
    assert luhn_ok(siret)
    assert [d for d in "0123456789" if luhn_ok(prefix + d)] == [siret[-1]]


@given(
    st.text(alphabet="0123456789", min_size=8, max_size=8),
    st.text("0123456789", min_size=4, max_size=4),
)
def test_siret_built_on_a_completed_siren_is_valid(prefix: str, nic: str) -> None:
    siren = complete_siren(prefix)
    assert siren_problem(siren) is None
    siret = complete_siret(siren + nic)
    if not siret.startswith(LA_POSTE_SIREN):
        assert siret_problem(siret) is None


@given(DIGITS, st.data())
def test_luhn_catches_every_single_digit_error(digits: str, data: st.DataObject) -> None:
    number = complete_siret(digits.rjust(13, "0")[-13:])
    position = data.draw(st.integers(0, len(number) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    assert not luhn_ok(number[:position] + wrong + number[position + 1 :])


@given(DIGITS, st.data())
def test_luhn_catches_swapped_neighbours_except_09(digits: str, data: st.DataObject) -> None:
    number = complete_siret(digits.rjust(13, "0")[-13:])
    position = data.draw(st.integers(0, len(number) - 2))
    a, b = number[position], number[position + 1]
    swapped = number[:position] + b + a + number[position + 2 :]
    if a == b or {a, b} == {"0", "9"}:
        assert luhn_ok(swapped)
    else:
        assert not luhn_ok(swapped)


@given(st.text(max_size=20))
def test_siret_problem_never_raises(value: str) -> None:
    problem = siret_problem(value)
    assert problem is None or problem.startswith("SIRET ")
    if problem is None:
        assert len(value) == 14
        assert value.isascii()
        assert value.isdigit()
