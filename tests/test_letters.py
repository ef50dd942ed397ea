"""Decision letters: gen letters ROUND (part of #9)."""

from __future__ import annotations

import csv
import email
import io
import shutil
from email import policy
from pathlib import Path

import pypdf
import pytest
import yaml
from conftest import invoke, run_gen

EXAMPLE = Path(__file__).parent.parent / "dossiers"
ROUND = "2021Q3"  # closed in the example
LETTERS = """\
letters:
  signatory: Camille Durand
  role: Directrice générale
  court: tribunal administratif de Paris
"""
APPEAL = (
    "Voies et délais de recours : cette décision peut faire l’objet d’un recours gracieux "
    "auprès de Grande école du numérique dans un délai de deux mois"
)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("letters")
    call = Path(shutil.copytree(EXAMPLE, root / "call"))
    with (call / "call.yaml").open("a", encoding="utf-8") as handle:
        handle.write(LETTERS)
    out = root / "letters"
    result = run_gen("letters", ROUND, "--call", call, "--out", out)
    assert result.code == 0, result.err
    return call, out


def dossiers(call: Path) -> dict[str, dict]:
    return {
        p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((call / ROUND).glob("*.yaml"))
        if p.name not in {"results.yaml", "jury.yaml"}
    }


def pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_one_letter_a_dossier_with_the_decision_and_the_appeal(written: tuple[Path, Path]) -> None:
    call, out = written
    everyone = dossiers(call)
    record = yaml.safe_load((call / ROUND / "results.yaml").read_text(encoding="utf-8"))
    assert sorted(p.stem for p in out.glob("*.pdf")) == sorted(everyone)
    for ident, dossier in everyone.items():
        markdown = (out / f"{ident}.md").read_text(encoding="utf-8")
        text = " ".join(pdf_text(out / f"{ident}.pdf").split())
        assert dossier["title"] in text
        assert APPEAL in text
        assert "Camille Durand" in text and "Le 18 novembre 2021" in text
        status = record["decisions"][ident]["status"]
        words = {
            "laureat": "lauréat",
            "liste-complementaire": "liste complémentaire",
            "non-retenu": "non retenu",
            "ineligible": "inéligible",
            "incomplet": "incomplet",
            "desiste": "désisté",
        }
        assert f"Décision : {words[status]}" in text
        assert dossier["contact"]["email"] in markdown
        # No other applicant's data: neither their contact nor their project.
        for other, theirs in everyone.items():
            # (one person may lead several projects: their own address is theirs to read)
            if other != ident and theirs["contact"]["email"] != dossier["contact"]["email"]:
                assert theirs["contact"]["email"] not in text
                assert theirs["title"] not in text
                assert theirs["contact"]["email"] not in markdown
    assert "amelie-roux" not in " ".join(p.read_text("utf-8") for p in out.glob("*.md"))


def test_the_mailing_list_and_the_emails(written: tuple[Path, Path]) -> None:
    call, out = written
    rows = list(csv.DictReader(io.StringIO((out / "mailing.csv").read_text(encoding="utf-8"))))
    everyone = dossiers(call)
    assert [r["pdf"] for r in rows] == [f"{i}.pdf" for i in sorted(everyone)]
    lovelace = next(r for r in rows if r["pdf"] == "lovelace.pdf")
    assert lovelace["email"] == everyone["lovelace"]["contact"]["email"]
    message = email.message_from_bytes((out / "lovelace.eml").read_bytes(), policy=policy.default)
    assert message["To"] == f"{everyone['lovelace']['contact']['name']} <{lovelace['email']}>"
    assert message["Subject"] == lovelace["subject"]
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "lovelace.pdf"
    assert attachment.get_content() == (out / "lovelace.pdf").read_bytes()


def test_the_same_record_gives_the_same_letters(written: tuple[Path, Path], tmp_path: Path) -> None:
    call, out = written
    again = tmp_path / "again"
    assert run_gen("letters", ROUND, "--call", call, "--out", again).code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {
        p.name: p.read_bytes() for p in again.iterdir()
    }


def test_letters_wait_for_a_closed_round_and_stay_private(
    written: tuple[Path, Path], tmp_path: Path
) -> None:
    call, out = written
    refused = invoke("letters", "2022Q1", "--call", call, "--out", tmp_path / "q1")
    assert refused.code == 2
    assert refused.err == (
        "gen: error: round 2022Q1 is not closed: letters are written once its decisions are "
        "final (gen close 2022Q1)\n"
    )
    published = invoke("publish", "--call", call, "--out", out)
    assert published.code == 2
    assert published.err == (
        f"gen: error: refusing to replace {out}: it holds decision letters, which are "
        "private; choose another --out\n"
    )
    assert (out / "lovelace.pdf").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}\n",
            "it calls itself without end; a macro must stop calling itself",
        ),
        ("{{ 1 // 0 }}\n", "ZeroDivisionError: integer division or modulo by zero"),
    ],
)
def test_a_letter_template_that_fails_is_refused_in_plain_words(
    tmp_path: Path, body: str, message: str
) -> None:
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    with (call / "call.yaml").open("a", encoding="utf-8") as handle:
        handle.write(LETTERS)
    (call / "templates").mkdir()
    (call / "templates" / "letter.md").write_text(body, encoding="utf-8")
    out = tmp_path / "letters"
    result = invoke("letters", ROUND, "--call", call, "--out", out)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"gen: error: template letter.md: {message}\n"
    assert not out.exists()
