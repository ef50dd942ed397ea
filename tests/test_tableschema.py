"""gen_cli.tableschema.check_csv against the official SCDL « subventions » 2.1.1 schema.

The shipped examples (gen_cli/data/scdl-subventions/exemples, see SOURCE.md there) are the
oracle for whole files: the valid one passes, the two invalid ones fail. The invalid-cells
example, once its missing last column is added, is also checked cell by cell against
frictionless itself (for the Table Schema rules; frictionless ignores the SCDL
``custom_checks``, which only check_csv implements). Hand-written rows then hit each rule
with the exact message.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from frictionless import Resource, Schema

import gen_cli
from gen_cli.tableschema import check_csv, scdl_schema

EXAMPLES = Path(gen_cli.__file__).parent / "data" / "scdl-subventions" / "exemples"
SCHEMA = scdl_schema()
NAMES = [field["name"] for field in SCHEMA["fields"]]

#: One valid row: the funder and a laureate of the example call (both SIRETs pass Luhn).
VALID_ROW = {
    "nomAttribuant": "Grande école du numérique",
    "idAttribuant": "13002188400015",
    "dateConvention": "2021-11-18",
    "referenceDecision": "GEN-AAP-INNOV-2021-R1",
    "nomBeneficiaire": "Ada Tech School",
    "idBeneficiaire": "34652218809976",
    "rnaBeneficiaire": "",
    "objet": "Lovelace",
    "montant": "38000.00",
    "nature": "aide en numéraire",
    "conditionsVersement": "échelonné",
    "datesPeriodeVersement": "2021-11-14/2023-10-31",
    "idRAE": "",
    "notificationUE": "non",
    "pourcentageSubvention": "1.00",
    "dispositifAide": "",
}

#: (row, column) of every Table Schema error in the invalid-cells example, padded with the
#: missing dispositifAide column: what frictionless 5 reports (checked below as well).
CELL_ERRORS = {
    (2, "pourcentageSubvention"),  # 100: above the maximum 1
    (3, "pourcentageSubvention"),  # 80
    (4, "pourcentageSubvention"),  # 80
    (5, "dateConvention"),  # 05/12/2016
    (5, "rnaBeneficiaire"),  # W3222
    (6, "montant"),  # 100000,1
    (6, "notificationUE"),  # no
    (7, "idAttribuant"),  # 218601946: 9 digits
    (8, "datesPeriodeVersement"),  # 2017-06-27_2018-06-27
    (8, "notificationUE"),  # yes
    (9, "pourcentageSubvention"),  # 0,5
    (10, "montant"),  # empty
    (12, "rnaBeneficiaire"),  # W12455
    (16, "nature"),  # "aide en numéraire,aide en nature"
    (30, "rnaBeneficiaire"),  # W1234567
}


def csv_text(*rows: dict[str, str], header: list[str] = NAMES) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def row(**changes: str) -> dict[str, str]:
    return {**VALID_ROW, **changes}


def padded_cells_example() -> str:
    """The invalid-cells example with its missing 16th column (empty) added."""
    lines = (EXAMPLES / "exemple_invalide_erreurs_cellules.csv").read_text(encoding="utf-8")
    header, *rows = lines.splitlines()
    return "".join(line + "\n" for line in [header + ",dispositifAide", *(r + "," for r in rows)])


def located(problems: list[str]) -> set[tuple[int, str]]:
    """(row, column) of each problem of check_csv that names a column."""
    found = set()
    for problem in problems:
        match = re.fullmatch(r"row (\d+), (\w+): .*", problem, flags=re.DOTALL)
        assert match, problem
        found.add((int(match[1]), match[2]))
    return found


def is_custom(problem: str) -> bool:
    """A problem from the SCDL custom checks (SIRET Luhn, one-of-required)."""
    return ": SIRET " in problem or ": one of " in problem


# --- whole files --------------------------------------------------------------------------


def test_the_valid_example_has_no_problem() -> None:
    text = (EXAMPLES / "exemple_valide.csv").read_text(encoding="utf-8")
    assert check_csv(text, SCHEMA) == []


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("exemple_invalide_erreurs_cellules.csv", NAMES[:15]),
        (
            "exemple_invalide_erreurs_colonnes.csv",
            ["idAttribuant", "nomAttribuant", *NAMES[2:4], "NOM_Beneficiaire", *NAMES[5:15]],
        ),
    ],
)
def test_the_invalid_examples_fail_on_their_header(name: str, header: list[str]) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert check_csv(text, SCHEMA) == [f"header {header} is not the schema's {NAMES}"]


def test_the_invalid_cells_agree_with_frictionless(tmp_path: Path) -> None:
    text = padded_cells_example()
    problems = check_csv(text, SCHEMA)
    standard = [p for p in problems if not is_custom(p)]
    assert located(standard) == CELL_ERRORS

    (tmp_path / "cells.csv").write_text(text, encoding="utf-8")
    report = Resource(
        "cells.csv", basepath=str(tmp_path), schema=Schema.from_descriptor(SCHEMA)
    ).validate()
    assert not report.valid
    theirs = {(r, f) for r, f in report.flatten(["rowNumber", "fieldName"])}
    assert theirs == CELL_ERRORS


def test_the_invalid_cells_custom_checks() -> None:
    problems = check_csv(padded_cells_example(), SCHEMA)
    custom = [p for p in problems if is_custom(p)]
    # the funder's SIRET fails Luhn on all 29 rows but row 7, where it is 9 digits
    assert sum("idAttribuant: SIRET 21860194600000 fails" in p for p in custom) == 28
    assert "row 7, idAttribuant: SIRET '218601946' must be 14 digits" in custom
    assert "row 6, idBeneficiaire: SIRET '32402138500000.0' must be 14 digits" in custom
    assert (
        "row 8, idBeneficiaire: SIRET 67895644300011 has an invalid SIREN part 678956443 (Luhn)"
        in custom
    )
    assert "row 9: one of idBeneficiaire and rnaBeneficiaire is required" in custom


# --- one rule at a time --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        # required
        ({"nomAttribuant": ""}, "row 2, nomAttribuant: is required"),
        ({"montant": ""}, "row 2, montant: is required"),
        # pattern
        (
            {"rnaBeneficiaire": "W12345678"},
            r"row 2, rnaBeneficiaire: 'W12345678' does not match ^W\d{9}$",
        ),
        (
            {"datesPeriodeVersement": "2021-11-14_2023-10-31"},
            "row 2, datesPeriodeVersement: '2021-11-14_2023-10-31' does not match "
            r"^[0-9]{4}\-[0-9]{2}\-[0-9]{2}(\/[0-9]{4}\-[0-9]{2}\-[0-9]{2})?$",
        ),
        # enum
        (
            {"nature": "Aide en nature"},
            "row 2, nature: 'Aide en nature' is not one of ['aide en numéraire', 'aide en nature', "
            "'aide en numéraire;aide en nature', 'aide en nature;aide en numéraire']",
        ),
        # number
        ({"montant": "38000,00"}, "row 2, montant: '38000,00' is not a number"),
        ({"montant": "38 000"}, "row 2, montant: '38 000' is not a number"),
        ({"montant": "NaN"}, "row 2, montant: 'NaN' is not a finite number"),
        # date
        (
            {"dateConvention": "18/11/2021"},
            "row 2, dateConvention: '18/11/2021' is not a date YYYY-MM-DD",
        ),
        (
            {"dateConvention": "2021-02-30"},
            "row 2, dateConvention: '2021-02-30' is not a date YYYY-MM-DD",
        ),
        (
            {"dateConvention": "20211118"},
            "row 2, dateConvention: '20211118' is not a date YYYY-MM-DD",
        ),
        # boolean with trueValues ["oui"] and falseValues ["non"]
        (
            {"notificationUE": "false"},
            "row 2, notificationUE: 'false' is not one of ['oui', 'non']",
        ),
        ({"notificationUE": "Non"}, "row 2, notificationUE: 'Non' is not one of ['oui', 'non']"),
        # maxLength
        ({"idRAE": "123456"}, "row 2, idRAE: is longer than 5 characters"),
        ({"objet": "x" * 257}, "row 2, objet: is longer than 256 characters"),
        # minimum / maximum
        ({"pourcentageSubvention": "0.009"}, "row 2, pourcentageSubvention: 0.009 is below 0.01"),
        ({"pourcentageSubvention": "1.01"}, "row 2, pourcentageSubvention: 1.01 is above 1"),
        # french-siret-value (custom check)
        (
            {"idBeneficiaire": "34652218809977"},
            "row 2, idBeneficiaire: SIRET 34652218809977 fails its check digit (Luhn)",
        ),
        (
            {"idAttribuant": "13002188400016"},
            "row 2, idAttribuant: SIRET 13002188400016 fails its check digit (Luhn)",
        ),
        # one-of-required (custom check)
        (
            {"idBeneficiaire": "", "rnaBeneficiaire": ""},
            "row 2: one of idBeneficiaire and rnaBeneficiaire is required",
        ),
    ],
)
def test_each_rule_reports_its_problem(changes: dict[str, str], problem: str) -> None:
    text = csv_text(VALID_ROW, row(**changes))
    assert check_csv(text, SCHEMA) == [problem.replace("row 2", "row 3", 1)]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"notificationUE": "oui"},
        {"pourcentageSubvention": "0.01"},
        {"pourcentageSubvention": "1"},
        {"idRAE": "12345"},
        {"objet": "x" * 256},
        {"datesPeriodeVersement": "2021-11-14"},
        {"idBeneficiaire": "", "rnaBeneficiaire": "W123456789"},  # an association, by RNA
        {"referenceDecision": "", "dispositifAide": ""},  # optional
        {"nature": "aide en nature;aide en numéraire"},
    ],
)
def test_valid_variants_have_no_problem(changes: dict[str, str]) -> None:
    assert check_csv(csv_text(row(**changes)), SCHEMA) == []


def test_every_problem_of_a_row_is_reported() -> None:
    bad = row(montant="", notificationUE="yes", idBeneficiaire="", rnaBeneficiaire="")
    assert check_csv(csv_text(bad), SCHEMA) == [
        "row 2, montant: is required",
        "row 2, notificationUE: 'yes' is not one of ['oui', 'non']",
        "row 2: one of idBeneficiaire and rnaBeneficiaire is required",
    ]


def test_structure_problems() -> None:
    assert check_csv("", SCHEMA) == ["the file is empty"]
    swapped = [NAMES[1], NAMES[0], *NAMES[2:]]
    assert check_csv(csv_text(header=swapped), SCHEMA) == [
        f"header {swapped} is not the schema's {NAMES}"
    ]
    short = csv_text(VALID_ROW).rstrip("\n").rsplit(",", 1)[0] + "\n"  # 15 cells
    assert check_csv(short, SCHEMA) == ["row 2: 15 cells, expected 16"]


def test_custom_checks_come_from_the_schema() -> None:
    plain: dict[str, Any] = {k: v for k, v in SCHEMA.items() if k != "custom_checks"}
    bad = row(idBeneficiaire="34652218809977")
    assert check_csv(csv_text(bad), plain) == []
    assert check_csv(csv_text(row(idBeneficiaire="", rnaBeneficiaire="")), plain) == []
