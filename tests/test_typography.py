"""French typography of every word gen itself writes for the public and for applicants.

Narrow no-break spaces before ; ! ?, a no-break space before : and inside « », and
typographic apostrophes: the word tables of the site, of gen show and of the letters.
"""

from __future__ import annotations

import re

import pytest

from gen_cli.letters import WORDS as LETTER_WORDS
from gen_cli.messages import MESSAGES
from gen_cli.showing import WORDS as SHOW_WORDS

TABLES = {"site": MESSAGES["fr"], "show": SHOW_WORDS["fr"], "letters": LETTER_WORDS["fr"]}


def typography_faults(text: str) -> list[str]:
    """What in ``text`` breaks French typography."""
    faults = []
    if "'" in text:
        faults.append("a straight apostrophe")
    for mark in ";!?:":
        if re.search(rf"(^|[^\u00a0\u202f]){re.escape(mark)}(\s|$)", text):
            faults.append(f"no no-break space before {mark}")
    if re.search(r"«[^\u00a0]|[^\u00a0]»", text):
        faults.append("no no-break space inside « »")
    return faults


@pytest.mark.parametrize("table", sorted(TABLES))
def test_french_words_follow_french_typography(table: str) -> None:
    faults = {
        key: typography_faults(text)
        for key, text in TABLES[table].items()
        if typography_faults(text)
    }
    assert faults == {}


def test_the_check_finds_each_fault() -> None:
    assert typography_faults("l'enveloppe") == ["a straight apostrophe"]
    assert typography_faults("Résultats provisoires : ce relevé") == ["no no-break space before :"]
    assert typography_faults("vraiment ?") == ["no no-break space before ?"]
    assert typography_faults("le dossier « X »") == ["no no-break space inside « »"]
    assert typography_faults("l’enveloppe\u00a0: le dossier «\u00a0X\u00a0»\u202f!") == []
