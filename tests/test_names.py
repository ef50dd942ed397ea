"""Conflicts of interest cannot be dodged by spelling (part of #8)."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest
from conftest import MINIMAL, invoke, line_of, replace
from hypothesis import given
from hypothesis import strategies as st

from gen_cli.names import name_key, scripts

LILLE = "2022Q1/codeuses-lille.yaml"


@pytest.mark.parametrize(
    "spelling",
    [
        "Mission locale de Lille-Sud",
        "MISSION LOCALE DE LILLE SUD",
        "Mission Locale de Lille Sud SAS",
        "Association Mission locale de Lille-Sud",
        "Mission locale de Lillé-Sud",
        "Mission.Locale.de.Lille-Sud",
        "Мission locale de Lille-Sud",  # a Cyrillic М
        "Mission lосale de Lille-Sud",  # Cyrillic о and с
        "Mission locale de Lille–Sud",  # an en dash
        "Ｍｉｓｓｉｏｎ locale de Lille-Sud",  # full-width letters
    ],
)
def test_spellings_of_one_organisation_share_a_key(spelling: str) -> None:
    assert (
        name_key(spelling) == name_key("Mission locale de Lille-Sud") == "missionlocaledelillesud"
    )


def test_other_organisations_keep_other_keys() -> None:
    assert name_key("Mission locale de Lille-Nord") != name_key("Mission locale de Lille-Sud")
    assert name_key("SA") == "sa"  # a name that is only a legal form stays what it is


@given(st.text(max_size=40))
def test_the_key_is_stable(name: str) -> None:
    key = name_key(name)
    assert key == name_key(key)
    assert key == "" or key.isascii()


def test_mixed_alphabets_are_seen() -> None:
    assert scripts("Мission locale") == {"CYRILLIC", "LATIN"}
    assert scripts("Épitech 42") == {"LATIN"}


@pytest.mark.parametrize(
    "spelling", ["MISSION LOCALE DE LILLE SUD", "Мission locale de Lille-Sud SAS"]
)
def test_a_partner_spelled_otherwise_still_triggers_the_conflict(
    tmp_path: Path, spelling: str
) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    # yannick-le-goff is affiliated with the Mission locale (by name, no SIREN), which
    # codeuses-lille names as a partner, spelled otherwise
    replace(
        call / "call.yaml",
        '      - name: Université de Bretagne-Armorique\n        siren: "193500014"\n',
        "      - name: Mission locale de Lille-Sud\n",
    )
    replace(call / LILLE, "  - name: Mission locale de Lille-Sud", f"  - name: {spelling}")
    # the reviewer grades it instead of declaring the conflict
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert "error E210 reviewer yannick-le-goff is affiliated with " in result.out
    if scripts(spelling) != {"LATIN"}:
        line = line_of(call / LILLE, spelling)
        assert (
            f"{call / LILLE}:{line}:" in result.out
            and "warning W012 partners.0.name: " in result.out
            and "mixes alphabets (cyrillic, latin)" in result.out
        )


def test_a_french_partner_without_a_siret_is_an_error(tmp_path: Path) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    path = call / LILLE
    replace(path, '    siret: "59123456200153"\n', "")
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{path}:{line_of(path, '  - name: Mission locale')}:5: error E101 partners.0: "
        "'Mission locale de Lille-Sud' has no siret: a partner registered in France (overseas "
        "included) gives its "
        "SIRET (14 digits, see annuaire-entreprises.data.gouv.fr); for one registered abroad, "
        "write its country instead, such as country: BE"
    )


def test_a_partner_registered_abroad_needs_no_siret(tmp_path: Path) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    replace(call / LILLE, '    siret: "59123456200153"\n', "    country: BE\n")
    result = invoke("validate", "--call", call)
    assert result.code == 0, result.out


@pytest.mark.parametrize("country", ["be", "Belgique", "BEL", "fr", "ZZ", "EU"])
def test_a_country_is_its_two_letter_code(tmp_path: Path, country: str) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    path = call / LILLE
    replace(path, '    siret: "59123456200153"\n', f"    country: {country}\n")
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert result.out.splitlines()[0].startswith(
        f"{path}:{line_of(path, '    country: ')}:14: error E104 partners.0.country: "
    )


@pytest.mark.parametrize("country", ["RE", "GP", "YT"])
def test_an_overseas_partner_gives_its_siret(tmp_path: Path, country: str) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    path = call / LILLE
    replace(path, '    siret: "59123456200153"\n', f"    country: {country}\n")
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert "error E101 partners.0: 'Mission locale de Lille-Sud' has no siret" in result.out


def _scripts_of_every_letter(name: str) -> frozenset[str]:
    """The definition: each letter's alphabet, after NFKC (no fast path for ASCII)."""
    return frozenset(
        unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
        for char in unicodedata.normalize("NFKC", name)
        if char.isalpha()
    )


@given(st.text(max_size=40) | st.text(st.characters(max_codepoint=127), max_size=40))
def test_scripts_is_the_alphabets_of_every_letter(name: str) -> None:
    assert scripts(name) == _scripts_of_every_letter(name)
