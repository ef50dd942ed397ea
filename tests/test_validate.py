"""`gen validate`: every diagnostic code, located exactly, and the output formats.

Each case breaks a copy of tests/fixtures/minimal and checks the whole output: the
exact ``path:line:col: severity CODE message`` lines (nothing more), the summary
line and the exit status. Paths are printed as ``--call`` argument / relative path.
"""

from __future__ import annotations

import functools
import json
import os
import pty
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import MINIMAL, child_env, invoke, line_of, replace, run_gen, write
from hypothesis import given
from hypothesis import strategies as st

from gen_cli.diagnostics import CODES
from gen_cli.loading import Source, folder_above, load_call_folder
from gen_cli.models import Call, DossierFacts, DossierParts
from gen_cli.rules import _placement_problems, _well_placed

# The files of the minimal call folder that the cases break.
CALL = "call.yaml"
LILLE = "2022Q1/codeuses-lille.yaml"
MARSEILLE = "2022Q1/fabrique-marseille.yaml"
ASSIGNED = "2022Q1/assignments.yaml"
#: An assignment that matches the reviews of the minimal call.
ASSIGNMENT = (
    "round: 2022Q1\n"
    "reviews_per_dossier: 1\n"
    "reviewers:\n"
    "  camille-martin: [atelier-clermont, fabrique-marseille]\n"
    "  yannick-le-goff: [atelier-clermont, codeuses-lille, fabrique-marseille]\n"
)
BORDEAUX = "2022Q2/passerelle-bordeaux.yaml"  # no review names it: breaking it stays local
CAMILLE = "2022Q1/reviews/camille-martin.yaml"
YANNICK = "2022Q1/reviews/yannick-le-goff.yaml"

CHECKED = "checked 1 call file, 2 rounds, 4 dossiers, 2 reviews"
CONFLICT = "    conflict: \"Je siège au conseil d'administration de l'association porteuse.\""


# --- Edits applied to a copy of the minimal folder ----------------------------------------


@dataclass(frozen=True)
class Replace:
    """Replace the one occurrence of ``old`` in a file."""

    rel: str
    old: str
    new: str

    def apply(self, root: Path) -> None:
        replace(root / self.rel, self.old, self.new)


@dataclass(frozen=True)
class Write:
    """Overwrite (or create) a file with text or bytes."""

    rel: str
    content: str | bytes

    def apply(self, root: Path) -> None:
        write(root / self.rel, self.content)


@dataclass(frozen=True)
class Append:
    """Add text at the end of a file."""

    rel: str
    text: str

    def apply(self, root: Path) -> None:
        path = root / self.rel
        path.write_text(path.read_text(encoding="utf-8") + self.text, encoding="utf-8")


@dataclass(frozen=True)
class Move:
    """Move a file (making the target folder)."""

    rel: str
    to: str

    def apply(self, root: Path) -> None:
        (root / self.to).parent.mkdir(parents=True, exist_ok=True)
        (root / self.rel).rename(root / self.to)


@dataclass(frozen=True)
class Copy:
    """Copy a file."""

    rel: str
    to: str

    def apply(self, root: Path) -> None:
        shutil.copyfile(root / self.rel, root / self.to)


@dataclass(frozen=True)
class Symlink:
    """Replace ``rel`` (a file or folder) by a symbolic link to ``target``."""

    rel: str
    target: str

    def apply(self, root: Path) -> None:
        path = root / self.rel
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        path.symlink_to(self.target)


Edit = Replace | Write | Append | Move | Copy | Symlink


def line(call: Path | str, rel: str, ln: int, col: int, code: str, message: str) -> str:
    """A diagnostic line exactly as gen prints it."""
    return f"{Path(call) / rel}:{ln}:{col}: {CODES[code][0]} {code} {message}"


def summary(errors: int, warnings: int = 0, checked: str = CHECKED) -> str:
    e = f"{errors} error" + ("" if errors == 1 else "s")
    w = f"{warnings} warning" + ("" if warnings == 1 else "s")
    return f"{checked}: {e}, {w}"


# --- One case per code --------------------------------------------------------------------

# (edits, expected diagnostics as (file, line, col, code, message), exit status, summary)
Expected = tuple[str, int, int, str, str]


def case(
    id: str,
    edits: list[Edit],
    expected: list[Expected],
    status: int = 1,
    checked: str = CHECKED,
) -> object:
    return pytest.param(edits, expected, status, checked, id=id)


CALL_BROKEN = "checked 1 call file, 0 rounds, 4 dossiers, 2 reviews"

CASES = [
    # Reading a file.
    case(
        "E001-mapping-in-plain-scalar",
        [Replace(BORDEAUX, "title: Passerelle vers", "title: Passerelle: vers")],
        [
            (
                BORDEAUX,
                3,
                18,
                "E001",
                "this is not valid YAML: a colon where a value was expected: put the value in quotes if it holds ': ', or indent the line like its neighbours",
            )
        ],
    ),
    case(
        "E001-tab-indentation",
        [Replace(BORDEAUX, "  name: Jean Lafitte", "\tname: Jean Lafitte")],
        [
            (
                BORDEAUX,
                31,
                1,
                "E001",
                "this is not valid YAML: a tab: indent with spaces, never tabs",
            )
        ],
    ),
    case(
        "W014-hidden-file",
        [Write("2022Q2/.passerelle-bordeaux.yaml", "id: passerelle-bordeaux\n")],
        [
            (
                "2022Q2/.passerelle-bordeaux.yaml",
                1,
                1,
                "W014",
                "hidden file: gen ignores it, and a pull request should not add it; remove it "
                "(a .tmp file is left by an interrupted gen)",
            )
        ],
        status=0,
    ),
    case(
        "W013-mistyped-year",
        [Replace(BORDEAUX, "  end: 2023-07-07", "  end: 2033-07-07")],
        [
            (
                BORDEAUX,
                28,
                8,
                "W013",
                "timeline.end 2033-07-07 is 11 years after the dossier was submitted "
                "(2022-05-20): check the year",
            )
        ],
        status=0,
    ),
    case(
        "E104-impossible-date",
        [Replace(BORDEAUX, "submitted: 2022-05-20", "submitted: 2022-02-30")],
        [
            (
                BORDEAUX,
                29,
                12,
                "E104",
                "submitted: 2022-02-30 is not a date: February 2022 has 28 days; "
                "a date is written YYYY-MM-DD, for example 2021-09-30",
            )
        ],
    ),
    case(
        "E002-latin-1-file",
        [
            Write(
                BORDEAUX,
                (MINIMAL / BORDEAUX).read_text(encoding="utf-8").encode("latin-1"),
            )
        ],
        # line 3 is "title: Passerelle vers le développement logiciel": é is column 28
        [(BORDEAUX, 3, 28, "E002", "byte 0xe9 is not valid UTF-8; save the file as UTF-8")],
    ),
    case("E003-empty-file", [Write(BORDEAUX, "")], [(BORDEAUX, 1, 1, "E003", "the file is empty")]),
    case(
        "E003-only-comments",
        [Write(BORDEAUX, "# à remplir\n\n")],
        [(BORDEAUX, 1, 1, "E003", "the file is empty")],
    ),
    case(
        "E004-two-documents",
        [Append(BORDEAUX, "---\nid: passerelle-bordeaux-bis\n")],
        [(BORDEAUX, 33, 1, "E004", "the file holds several YAML documents; keep one")],
    ),
    case(
        "E005-duplicate-key",
        [
            Replace(
                BORDEAUX,
                "  region: nouvelle-aquitaine\n",
                "  region: nouvelle-aquitaine\n  region: occitanie\n",
            )
        ],
        [
            (
                BORDEAUX,
                12,
                3,
                "E005",
                "key 'region' appears twice in this mapping, at lines 11 and 12; remove one of them",
            )
        ],
    ),
    case(
        "E006-python-object-tag",
        [
            Replace(
                BORDEAUX,
                "title: Passerelle vers le développement logiciel",
                'title: !!python/object/apply:os.system ["echo pwned"]',
            )
        ],
        [
            (
                BORDEAUX,
                3,
                8,
                "E006",
                "the type !!python/object/apply:os.system is not allowed: remove it, gen files hold plain values",
            )
        ],
    ),
    case(
        "E006-local-tag",
        [Replace(BORDEAUX, "  people: 20", "  people: !nombre 20")],
        [
            (
                BORDEAUX,
                22,
                11,
                "E006",
                "the type !nombre is not allowed: remove it, gen files hold plain values",
            )
        ],
    ),
    case(
        "E007-list-at-top-level",
        [Write(BORDEAUX, "- id: passerelle-bordeaux\n- round: 2022Q2\n")],
        [
            (
                BORDEAUX,
                1,
                1,
                "E007",
                "the file holds a list; it should hold fields, one key: value a line",
            )
        ],
    ),
    case(
        "E007-scalar-at-top-level",
        [Write(BORDEAUX, "passerelle-bordeaux\n")],
        [
            (
                BORDEAUX,
                1,
                1,
                "E007",
                "the file holds a single value; it should hold fields, one key: value a line",
            )
        ],
    ),
    case(
        "E008-anchor-and-alias",
        [
            Replace(BORDEAUX, "title: Passerelle", "title: &titre Passerelle"),
            Replace(BORDEAUX, "summary: Accompagner", "summary: *titre\nresume: Accompagner"),
        ],
        # reported at the anchored node, where the shared value is defined
        [(BORDEAUX, 3, 8, "E008", "anchors and aliases are not allowed in gen files")],
    ),
    case(
        "E008-merge-key",
        [
            Replace(
                BORDEAUX,
                "contact:\n  name: Jean Lafitte\n",
                "modele: &contact\n  name: Jean Lafitte\ncontact:\n  <<: *contact\n",
            )
        ],
        [(BORDEAUX, 33, 3, "E008", "merge keys (<<) are not allowed in gen files")],
    ),
    case(
        # without an alias, "<<" would still hide a second value for a key
        "E008-inline-merge-key",
        [
            Replace(
                BORDEAUX,
                "contact:\n  name: Jean Lafitte\n",
                "contact:\n  <<: {name: X}\n  name: Jean Lafitte\n",
            )
        ],
        [(BORDEAUX, 31, 3, "E008", "merge keys (<<) are not allowed in gen files")],
    ),
    case(
        "E009-over-one-megabyte",
        [Write(BORDEAUX, b"#" * 1_000_001)],
        [(BORDEAUX, 1, 1, "E009", "file is 1,000,001 bytes; gen accepts at most 1,000,000")],
    ),
    case(
        "E010-symlinked-dossier",
        [Symlink(BORDEAUX, "../2022Q1/fabrique-marseille.yaml")],
        [(BORDEAUX, 1, 1, "E010", "not a regular file: gen does not follow links")],
    ),
    case(
        "E010-symlinked-round-folder",
        [Symlink("2022Q3", "2022Q2")],
        [("2022Q3", 1, 1, "E010", "gen does not follow links")],
    ),
    case(
        "E010-symlinked-reviews-folder",
        [
            Move("2022Q1/reviews", "../ailleurs/reviews"),
            Symlink("2022Q1/reviews", "../../ailleurs/reviews"),
        ],
        [("2022Q1/reviews", 1, 1, "E010", "gen does not follow links")],
        checked="checked 1 call file, 2 rounds, 4 dossiers, 0 reviews",
    ),
    case(
        "E010-folder-named-like-a-dossier",
        [Write("2022Q2/annexe.yaml/lisez-moi.txt", "pièces jointes\n")],
        [("2022Q2/annexe.yaml", 1, 1, "E010", "not a regular file: gen does not follow links")],
        checked="checked 1 call file, 2 rounds, 5 dossiers, 2 reviews",
    ),
    # One file against its schema.
    case(
        "E101-missing-nested-field-points-at-parent-key",
        [Replace(BORDEAUX, "  email: jean.lafitte@passerelle-aquitaine.example\n", "")],
        [(BORDEAUX, 30, 1, "E101", "contact.email: missing required field")],
    ),
    case(
        "E101-missing-top-level-field",
        [Replace(BORDEAUX, "title: Passerelle vers le développement logiciel\n", "")],
        [(BORDEAUX, 1, 1, "E101", "title: missing required field")],
    ),
    case(
        "E101-missing-union-tag",
        [Replace(CALL, "    rule: cost-share\n", "")],
        [(CALL, 55, 5, "E101", "eligibility.2: missing field 'rule'")],
        checked=CALL_BROKEN,
    ),
    case(
        "E102-unknown-field-with-hint",
        [Replace(BORDEAUX, "  email:", "  emial:")],
        [
            (BORDEAUX, 30, 1, "E101", "contact.email: missing required field"),
            (BORDEAUX, 32, 3, "E102", "contact.emial: unknown field; did you mean 'email'?"),
        ],
    ),
    case(
        "E102-unknown-field-without-hint",
        [Append(BORDEAUX, "zzzz: 1\n")],
        [(BORDEAUX, 33, 1, "E102", "zzzz: unknown field; remove it, or correct its name")],
    ),
    case(
        "E103-wrong-type",
        [Replace(BORDEAUX, "  people: 20", "  people: vingt")],
        [
            (
                BORDEAUX,
                22,
                11,
                "E103",
                "beneficiaries.people: write the number with plain digits, like 38000 or 38000.50 "
                "(no _, no exponent, no 0x), not vingt",
            )
        ],
    ),
    case(
        "E103-list-for-boolean",
        [Replace(BORDEAUX, "  gen_labelled: false", "  gen_labelled: [non]")],
        [(BORDEAUX, 12, 17, "E103", "porteur.gen_labelled: write true or false here")],
    ),
    case(
        "E104-out-of-range",
        [Replace(BORDEAUX, "  women_percent: 35", "  women_percent: 135")],
        [
            (
                BORDEAUX,
                23,
                18,
                "E104",
                "beneficiaries.women_percent: 135 is above the maximum 100",
            )
        ],
    ),
    case(
        "E104-not-an-allowed-value",
        [Replace(BORDEAUX, "  kind: partenaire-organisme-formation", "  kind: association")],
        [
            (
                BORDEAUX,
                10,
                9,
                "E104",
                "porteur.kind: 'association' is not allowed here: write 'organisme-formation' or 'partenaire-organisme-formation'",
            )
        ],
    ),
    case(
        "E105-bad-siret",
        [Replace(BORDEAUX, '"39876543800013"', '"39876543800014"')],
        [
            (
                BORDEAUX,
                9,
                10,
                "E105",
                "porteur.siret: SIRET 39876543800014 fails its check digit (Luhn)",
            )
        ],
    ),
    case(
        "E105-siret-too-short",
        [Replace(BORDEAUX, '    siret: "84012345900157"', '    siret: "840 123 459"')],
        [(BORDEAUX, 15, 12, "E105", "partners.0.siret: SIRET '840 123 459' must be 14 digits")],
    ),
    case(
        "E105-bad-siren-in-call",
        [Replace(CALL, '"432109874"', '"432109875"')],
        [
            (
                CALL,
                113,
                16,
                "E105",
                "reviewers.0.affiliations.0.siren: SIREN 432109875 fails its check digit (Luhn)",
            )
        ],
        checked=CALL_BROKEN,
    ),
    case(
        "E106-bad-email",
        [Replace(BORDEAUX, "jean.lafitte@passerelle", "jean.lafitte(at)passerelle")],
        [
            (
                BORDEAUX,
                32,
                10,
                "E106",
                "contact.email: 'jean.lafitte(at)passerelle-aquitaine.example' is not a valid email address",
            )
        ],
    ),
    case(
        "E107-end-before-start",
        [Replace(BORDEAUX, "  end: 2023-07-07", "  end: 2022-07-07")],
        [(BORDEAUX, 28, 8, "E107", "timeline.end 2022-07-07 is before timeline.start 2022-11-07")],
    ),
    case(
        "E107-round-closes-before-it-opens",
        [Replace(CALL, "    closes: 2022-06-30", "    closes: 2022-03-30")],
        [
            (CALL, 36, 13, "E107", "round 2022Q2: closes 2022-03-30 before it opens 2022-04-01"),
        ],
    ),
    case(
        "E108-requested-above-total-cost",
        [Replace(BORDEAUX, "  requested: 75000", "  requested: 175000")],
        [(BORDEAUX, 19, 14, "E108", "budget.requested 175000 is above budget.total_cost 100000")],
    ),
    # Rules that span files.
    case(
        "E201-same-id-twice",
        [Copy(BORDEAUX, "2022Q2/passerelle-copie.yaml")],
        [
            (
                BORDEAUX,
                1,
                5,
                "E201",
                "dossier id 'passerelle-bordeaux' is also used by {call}/2022Q2/passerelle-copie.yaml",
            ),
            (
                "2022Q2/passerelle-copie.yaml",
                1,
                5,
                "E201",
                "dossier id 'passerelle-bordeaux' is also used by {call}/2022Q2/passerelle-bordeaux.yaml",
            ),
            (
                "2022Q2/passerelle-copie.yaml",
                1,
                5,
                "E202",
                "id 'passerelle-bordeaux' does not match the file name 'passerelle-copie.yaml': write id: passerelle-copie, or rename the file passerelle-bordeaux.yaml",
            ),
        ],
        checked="checked 1 call file, 2 rounds, 5 dossiers, 2 reviews",
    ),
    case(
        "E202-id-not-file-name",
        [Replace(BORDEAUX, "id: passerelle-bordeaux", "id: passerelle-gironde")],
        [
            (
                BORDEAUX,
                1,
                5,
                "E202",
                "id 'passerelle-gironde' does not match the file name 'passerelle-bordeaux.yaml': write id: passerelle-bordeaux, or rename the file passerelle-gironde.yaml",
            )
        ],
    ),
    case(
        "E203-dossier-in-another-round-folder",
        [Move(BORDEAUX, "2022Q1/passerelle-bordeaux.yaml")],
        [
            (
                "2022Q1/passerelle-bordeaux.yaml",
                2,
                8,
                "E203",
                "dossier of round '2022Q2' is in folder '2022Q1': write round: 2022Q1 to leave it in this round, or move the file to 2022Q2/",
            )
        ],
    ),
    case(
        "E204-undeclared-round",
        [
            Replace(BORDEAUX, "round: 2022Q2", "round: 2022Q3"),
            Move(BORDEAUX, "2022Q3/passerelle-bordeaux.yaml"),
        ],
        [
            (
                "2022Q3/passerelle-bordeaux.yaml",
                2,
                8,
                "E204",
                "round '2022Q3' is not declared in call.yaml (write '2022Q1' or '2022Q2')",
            )
        ],
    ),
    case(
        "E205-undeclared-theme-in-dossier",
        [Replace(BORDEAUX, "  - inclusion\n", "  - inclusion\n  - robotique\n")],
        [
            (
                BORDEAUX,
                7,
                5,
                "E205",
                "theme 'robotique' is not declared in call.yaml (write 'inclusion' or 'reconversion')",
            )
        ],
    ),
    case(
        "E205-undeclared-theme-in-envelope",
        [Replace(CALL, "        reconversion:\n", "        robotique:\n")],
        [(CALL, 32, 9, "E205", "round 2022Q1: envelope for undeclared theme 'robotique'")],
    ),
    case(
        "E206-review-of-dossier-not-in-round",
        [Replace(YANNICK, "  atelier-clermont:", "  passerelle-bordeaux:")],
        [
            (
                YANNICK,
                11,
                3,
                "E206",
                "dossier 'passerelle-bordeaux' is not a dossier of round 2022Q1",
            )
        ],
    ),
    case(
        "E207-undeclared-reviewer",
        [
            Write(
                "2022Q1/reviews/paul-durand.yaml",
                "reviewer: paul-durand\nround: 2022Q1\nevaluations:\n"
                "  fabrique-marseille:\n    grades:\n      qualite: 4\n",
            )
        ],
        [
            (
                "2022Q1/reviews/paul-durand.yaml",
                1,
                11,
                "E207",
                "reviewer 'paul-durand' is not declared in call.yaml",
            )
        ],
        checked="checked 1 call file, 2 rounds, 4 dossiers, 3 reviews",
    ),
    case(
        "E208-criterion-not-in-grid",
        [Replace(YANNICK, "      qualite: 4\n", "      qualite: 4\n      originalite: 3\n")],
        [
            (
                YANNICK,
                14,
                7,
                "E208",
                "dossier 'atelier-clermont': criterion 'originalite' is not in the grid of theme 'inclusion' (write 'qualite')",
            )
        ],
    ),
    case(
        "E208-indicator-criterion-graded",
        [Replace(YANNICK, "      qualite: 4\n", "      qualite: 4\n      part-femmes: 3\n")],
        [
            (
                YANNICK,
                14,
                7,
                "E208",
                "dossier 'atelier-clermont': criterion 'part-femmes' is computed from the dossier, not graded; remove it",
            )
        ],
    ),
    case(
        "E209-grade-outside-scale",
        [Replace(YANNICK, "      qualite: 4", "      qualite: 7")],
        [
            (
                YANNICK,
                13,
                16,
                "E209",
                "dossier 'atelier-clermont': grade 7 for 'qualite' is outside its scale 0–5",
            )
        ],
    ),
    case(
        "E210-grading-own-organisation-by-siren",
        [Replace(CAMILLE, CONFLICT, "    grades:\n      qualite: 5")],
        [
            (
                CAMILLE,
                4,
                3,
                "E210",
                "reviewer camille-martin is affiliated with Association Les Codeuses du Nord "
                "(SIREN 432109874), which leads dossier codeuses-lille; declare the conflict "
                "(conflict: <why>) instead of grading",
            )
        ],
    ),
    case(
        "E210-grading-a-partner-by-name",
        [
            Replace(
                CALL,
                '      - name: Université de Bretagne-Armorique\n        siren: "193500014"\n',
                "      - name: MISSION LOCALE DE LILLE SUD\n",
            )
        ],
        [
            (
                YANNICK,
                4,
                3,
                "E210",
                "reviewer yannick-le-goff is affiliated with Mission locale de Lille-Sud, "
                "which is a partner of dossier codeuses-lille; declare the conflict "
                "(conflict: <why>) instead of grading",
            )
        ],
    ),
    case(
        "W010-submitted-after-round-closed",
        [
            Replace(CALL, "closes: 2022-06-30\n    submissions: closed", "closes: 2022-06-30"),
            Replace(BORDEAUX, "submitted: 2022-05-20", "submitted: 2022-07-01"),
        ],
        [
            (
                BORDEAUX,
                29,
                12,
                "W010",
                "submitted: Le dossier est déposé pendant la période du relevé "
                "(eligibility rule dans-les-temps: as it stands, the dossier is ineligible)",
            )
        ],
        status=0,
    ),
    case(
        "E212-review-file-name",
        [Move(YANNICK, "2022Q1/reviews/yannick.yaml")],
        [
            (
                "2022Q1/reviews/yannick.yaml",
                1,
                11,
                "E212",
                "reviewer 'yannick-le-goff' does not match the file name 'yannick.yaml'",
            )
        ],
    ),
    case(
        "E212-review-round-folder",
        [Replace(YANNICK, "round: 2022Q1", "round: 2022Q2")],
        [
            (YANNICK, 2, 8, "E212", "review of round '2022Q2' is in folder '2022Q1'"),
            (YANNICK, 4, 3, "E206", "dossier 'codeuses-lille' is not a dossier of round 2022Q2"),
            (
                YANNICK,
                8,
                3,
                "E206",
                "dossier 'fabrique-marseille' is not a dossier of round 2022Q2",
            ),
            (YANNICK, 11, 3, "E206", "dossier 'atelier-clermont' is not a dossier of round 2022Q2"),
        ],
    ),
    case(
        "E213-conflict-and-grades",
        [Replace(CAMILLE, CONFLICT, CONFLICT + "\n    grades:\n      qualite: 5")],
        [
            (
                CAMILLE,
                6,
                5,
                "E213",
                "dossier 'codeuses-lille': a declared conflict of interest excludes grades; remove them",
            )
        ],
    ),
    # The call file's rules.
    case(
        "E301-rule-id-twice",
        [Replace(CALL, "  - id: dans-les-temps", "  - id: part-du-cout")],
        [(CALL, 59, 9, "E301", "eligibility: id 'part-du-cout' is declared twice")],
    ),
    case(
        "E301-reviewer-id-twice",
        [Replace(CALL, "  - id: yannick-le-goff", "  - id: camille-martin")],
        [
            (YANNICK, 1, 11, "E207", "reviewer 'yannick-le-goff' is not declared in call.yaml"),
            (CALL, 114, 9, "E301", "reviewers: id 'camille-martin' is declared twice"),
        ],
    ),
    case(
        "E301-criterion-id-twice",
        [
            Replace(
                CALL,
                "          high: 60\n",
                "          high: 60\n      - id: part-femmes\n        label:\n"
                "          fr: Nombre de personnes\n          en: Number of people\n"
                "        weight: 1\n        source: indicator\n        indicator:\n"
                "          field: beneficiaries.people\n          low: 10\n          high: 30\n",
            )
        ],
        [(CALL, 85, 13, "E301", "criterion 'part-femmes' appears twice in grid 'inclusion'")],
    ),
    case(
        "E302-tie-break-on-unknown-criterion",
        [
            Replace(
                CALL,
                "reviewers:\n",
                "scoring:\n  tie_break:\n    - criterion:part-femmes\n    - id\nreviewers:\n",
            )
        ],
        [
            (
                CALL,
                110,
                7,
                "E302",
                "tie_break names criterion 'part-femmes', which is not in the grid of reconversion",
            )
        ],
    ),
    case(
        "E303-zero-weight",
        [
            Replace(
                CALL,
                "        weight: 1\n        source: indicator\n        indicator:\n          field: budget",
                "        weight: 0\n        source: indicator\n        indicator:\n          field: budget",
            )
        ],
        [
            (
                CALL,
                100,
                17,
                "E303",
                "grids.reconversion.criteria.1.weight: weight must be above zero, got 0",
            )
        ],
        checked=CALL_BROKEN,
    ),
    case(
        "E304-rule-min-above-max",
        [Replace(CALL, "    min: 10000", "    min: 200000")],
        [(CALL, 53, 10, "E304", "rule 'montant-demande': min 200000 is above max 150000")],
    ),
    case(
        "E304-indicator-low-above-high",
        [Replace(CALL, "          low: 2000", "          low: 9000")],
        [
            (
                CALL,
                105,
                16,
                "E304",
                "criterion 'cout-par-personne': indicator low 9000 is above high 8000 "
                "(use better: lower to reverse the direction)",
            )
        ],
    ),
    case(
        "E304-minimum-outside-scale",
        [Replace(CALL, "        minimum: 2", "        minimum: 6")],
        [(CALL, 74, 18, "E304", "criterion 'qualite': minimum 6 is outside the scale 0–5")],
    ),
    case(
        "E305-grid-without-theme",
        [
            Replace(
                CALL,
                "reviewers:\n",
                "  robotique:\n    criteria:\n      - id: qualite\n        label:\n"
                "          fr: Qualité\n          en: Quality\n        weight: 1\n"
                "        source: reviews\n        scale:\n          max: 5\nreviewers:\n",
            )
        ],
        [(CALL, 108, 3, "E305", "grid 'robotique' is for a theme not declared under 'themes'")],
    ),
    case(
        "E306-negative-budget",
        [Replace(CALL, "budget: 1000000", "budget: -1000000")],
        [(CALL, 8, 9, "E306", "budget: amount must not be negative, got -1000000")],
        checked=CALL_BROKEN,
    ),
    case(
        "E307-envelopes-above-budget",
        [Replace(CALL, "budget: 1000000", "budget: 700000")],
        [
            (
                CALL,
                8,
                9,
                "E307",
                "the rounds' envelopes add up to 800000, above the call's budget of 700000",
            )
        ],
    ),
    case(
        "E308-theme-max-above-round-envelope",
        [Replace(CALL, "          max: 200000", "          max: 500000")],
        [
            (
                CALL,
                30,
                16,
                "E308",
                "round 2022Q1: theme 'inclusion' max 500000 is above the round's envelope 400000",
            )
        ],
    ),
    case(
        "E308-theme-shares-above-100-percent",
        [Replace(CALL, "          min_share: 25", "          min_share: 75")],
        [
            (
                CALL,
                29,
                9,
                "E308",
                "round 2022Q1: theme shares reserve 105% of the envelope, above 100%",
            )
        ],
    ),
    case(
        "E309-criterion-id-with-another-scale",
        [
            Replace(
                CALL,
                "          max: 5\n      - id: cout-par-personne",
                "          max: 10\n      - id: cout-par-personne",
            )
        ],
        [
            (
                CALL,
                87,
                13,
                "E309",
                "criterion 'qualite' differs from the one in grid 'inclusion': "
                "a criterion id means one thing across the call; rename one",
            )
        ],
    ),
    # Warnings: exit status 0.
    case(
        "W001-budget-does-not-balance",
        [Replace(BORDEAUX, "  other_funding: 25000", "  other_funding: 20000")],
        [
            (
                BORDEAUX,
                17,
                1,
                "W001",
                "budget.requested 75000 + budget.other_funding 20000 = 95000, not budget.total_cost 100000",
            )
        ],
        status=0,
    ),
    case(
        "W002-yaml-at-top-level",
        [Write("notes.yaml", "a: 1\n")],
        [
            (
                "notes.yaml",
                1,
                1,
                "W002",
                "ignored: only call.yaml belongs at the top of the call folder",
            )
        ],
        status=0,
    ),
    case(
        "W002-yml-dossier",
        [Move(BORDEAUX, "2022Q2/passerelle-bordeaux.yml")],
        [("2022Q2/passerelle-bordeaux.yml", 1, 1, "W002", "ignored: name dossier files *.yaml")],
        status=0,
        checked="checked 1 call file, 2 rounds, 3 dossiers, 2 reviews",
    ),
    case(
        "W002-yml-review",
        [Move(YANNICK, "2022Q1/reviews/yannick-le-goff.yml")],
        [
            (
                "2022Q1/reviews/yannick-le-goff.yml",
                1,
                1,
                "W002",
                "ignored: name review files *.yaml",
            )
        ],
        status=0,
        checked="checked 1 call file, 2 rounds, 4 dossiers, 1 review",
    ),
    case(
        "W003-evaluation-without-grade",
        [Replace(YANNICK, "    grades:\n      qualite: 4\n", "    comment: Pas encore noté.\n")],
        [(YANNICK, 11, 3, "W003", "dossier 'atelier-clermont': no grade for qualite")],
        status=0,
    ),
    # Who reviews what: <round>/assignments.yaml and call.yaml's assignment settings.
    case(
        "E601-assigned-dossier-unknown",
        [Write(ASSIGNED, ASSIGNMENT.replace("fabrique-marseille]", "fabrique-marseille, x]", 1))],
        [(ASSIGNED, 4, 58, "E601", "dossier 'x' is not a dossier of round 2022Q1")],
    ),
    case(
        "E602-assigned-conflict",
        [
            Write(
                ASSIGNED,
                ASSIGNMENT.replace("[atelier-clermont,", "[codeuses-lille, atelier-clermont,", 1),
            )
        ],
        [
            (
                ASSIGNED,
                4,
                20,
                "E602",
                "camille-martin cannot review codeuses-lille: they are affiliated with "
                "Association Les Codeuses du Nord (SIREN 432109874), which leads dossier "
                "codeuses-lille; run gen assign 2022Q1 to give the dossier to another reviewer",
            )
        ],
    ),
    case(
        "W015-grades-unassigned",
        [Write(ASSIGNED, ASSIGNMENT.replace(", fabrique-marseille]", "]", 1))],
        [
            (
                "2022Q1/reviews/camille-martin.yaml",
                6,
                3,
                "W015",
                "fabrique-marseille is not assigned to camille-martin in "
                "2022Q1/assignments.yaml: grade only your assigned dossiers, or ask the "
                "secretariat to assign it to you",
            )
        ],
        status=0,
    ),
    case(
        "W016-too-few-assigned",
        [Write(ASSIGNED, ASSIGNMENT.replace("reviews_per_dossier: 1", "reviews_per_dossier: 2"))],
        [
            (
                ASSIGNED,
                3,
                1,
                "W016",
                "dossier codeuses-lille has 1 reviewer(s) assigned, 2 required: run gen "
                "assign 2022Q1",
            )
        ],
        status=0,
    ),
    case(
        "E603-reviewer-theme-unknown",
        [
            Replace(
                "call.yaml",
                "    name: Yannick Le Goff\n",
                "    name: Yannick Le Goff\n    themes: [inclusion, cuisine]\n",
            )
        ],
        [
            (
                "call.yaml",
                116,
                25,
                "E603",
                "reviewer 'yannick-le-goff': theme 'cuisine' is not declared under 'themes' "
                "(write 'inclusion' or 'reconversion')",
            )
        ],
    ),
]


@pytest.mark.parametrize(("edits", "expected", "status", "checked"), CASES)
def test_code(
    call_dir: Path, edits: list[Edit], expected: list[Expected], status: int, checked: str
) -> None:
    for edit in edits:
        edit.apply(call_dir)
    result = invoke("validate", "--call", call_dir)
    errors = sum(CODES[code][0] == "error" for _, _, _, code, _ in expected)
    assert result.out.splitlines() == [
        line(call_dir, rel, ln, col, code, message.format(call=call_dir))
        for rel, ln, col, code, message in expected
    ] + [summary(errors, len(expected) - errors, checked)]
    assert result.err == ""
    assert result.code == status


#: Codes that gen validate cannot raise; each has its own test elsewhere.
NOT_FROM_VALIDATE = {
    "E310",  # publishing a round with laureates: tests/test_publish.py
    "E311",  # a logo the call file names: tests/test_logo.py
    # a git history, decision records and closed rounds: tests/test_lifecycle.py
    "E214",
    "E215",
    "E401",
    "E402",
    "E403",
    "E404",
    "E406",  # a git history: tests/test_tamper.py
    # the jury's deliberation: tests/test_jury.py
    "E501",
    "E502",
    "E503",
    "E504",
    "E505",
    "E506",
    "E405",
    "W011",  # templates changed against the default branch: tests/test_templates_hostile.py
    "W012",  # an organisation name that mixes alphabets: tests/test_names.py
    # sealed reviews, opened with a key: tests/test_seal.py
    "E011",
    "E012",
    "E013",
    "N001",
    "N002",
    "W017",
}


def test_every_code_has_a_case() -> None:
    covered = {param.id.split("-", 1)[0] for param in CASES}  # type: ignore[attr-defined]
    assert covered == set(CODES) - NOT_FROM_VALIDATE


# --- The minimal folder itself -------------------------------------------------------------


def test_minimal_folder_is_clean() -> None:
    result = invoke("validate", "--call", MINIMAL)
    assert result == (0, summary(0) + "\n", "")


def test_minimal_folder_is_clean_through_both_entry_points() -> None:
    for script in (False, True):
        result = run_gen("validate", "--call", MINIMAL, script=script)
        assert result == (0, summary(0) + "\n", "")


def test_minimal_folder_has_the_documented_shape() -> None:
    assert sorted(p.relative_to(MINIMAL).as_posix() for p in MINIMAL.rglob("*.yaml")) == [
        "2022Q1/atelier-clermont.yaml",
        LILLE,
        MARSEILLE,
        CAMILLE,
        YANNICK,
        BORDEAUX,
        CALL,
    ]


# --- Reading problems through a real process -----------------------------------------------


def test_deep_nesting_does_not_crash_the_process(call_dir: Path) -> None:
    # libyaml's composer recurses in C: 50,000 brackets would overflow its stack.
    write(call_dir / BORDEAUX, "[" * 50_000)
    result = run_gen("validate", "--call", call_dir)
    assert result.out.splitlines() == [
        line(call_dir, BORDEAUX, 1, 101, "E001", "nesting deeper than 100 levels"),
        summary(1),
    ]
    assert result.err == ""
    assert result.code == 1


def test_deep_block_nesting_is_refused(call_dir: Path) -> None:
    nested = "".join(f"{' ' * depth}k{depth}:\n" for depth in range(150)) + " " * 150 + "x: 1\n"
    write(call_dir / BORDEAUX, nested)
    result = invoke("validate", "--call", call_dir)
    # the 101st mapping starts at key k100, on line 101, indented by 100
    assert result.out.splitlines()[0] == line(
        call_dir, BORDEAUX, 101, 101, "E001", "nesting deeper than 100 levels"
    )
    assert result.code == 1


def test_file_of_exactly_one_megabyte_is_read(call_dir: Path) -> None:
    write(call_dir / BORDEAUX, b"#" * 1_000_000)
    result = invoke("validate", "--call", call_dir)
    assert result.out.splitlines()[0] == line(call_dir, BORDEAUX, 1, 1, "E003", "the file is empty")


def test_bad_byte_after_accents_is_located_in_characters(call_dir: Path) -> None:
    # "title: Été à Pessac " is 20 characters (23 bytes): columns count characters, as in YAML marks
    write(call_dir / BORDEAUX, "id: passerelle-bordeaux\ntitle: Été à Pessac ".encode() + b"\xff\n")
    result = invoke("validate", "--call", call_dir)
    assert result.out.splitlines()[0] == line(
        call_dir, BORDEAUX, 2, 21, "E002", "byte 0xff is not valid UTF-8; save the file as UTF-8"
    )


def test_byte_order_mark_and_crlf_are_accepted_and_located(call_dir: Path) -> None:
    text = (
        (call_dir / BORDEAUX).read_text(encoding="utf-8").replace("  people: 20", "  people: vingt")
    )
    write(call_dir / BORDEAUX, "\ufeff" + text.replace("\n", "\r\n"))
    result = invoke("validate", "--call", call_dir)
    assert result.out.splitlines()[0] == line(
        call_dir,
        BORDEAUX,
        22,
        11,
        "E103",
        "beneficiaries.people: write the number with plain digits, like 38000 or 38000.50 "
        "(no _, no exponent, no 0x), not vingt",
    )


def test_unquoted_siret_is_read_as_its_digits(call_dir: Path) -> None:
    replace(call_dir / BORDEAUX, '  siret: "39876543800013"', "  siret: 39876543800013")
    assert invoke("validate", "--call", call_dir) == (0, summary(0) + "\n", "")


def test_broken_call_file_still_checks_every_dossier(call_dir: Path) -> None:
    write(call_dir / CALL, "[")
    replace(call_dir / BORDEAUX, "  people: 20", "  people: vingt")
    result = invoke("validate", "--call", call_dir)
    assert [out.split(" ", 2)[:2] for out in result.out.splitlines()[:-1]] == [
        [f"{call_dir / BORDEAUX}:22:11:", "error"],
        [f"{call_dir / CALL}:2:1:", "error"],
    ]
    assert "E001" in result.out.splitlines()[1]
    assert result.out.splitlines()[-1] == summary(2, checked=CALL_BROKEN)
    assert result.code == 1


def test_symlinked_call_file_is_refused(call_dir: Path) -> None:
    (call_dir / CALL).rename(call_dir.parent / "vrai-call.yaml")
    (call_dir / CALL).symlink_to(call_dir.parent / "vrai-call.yaml")
    result = invoke("validate", "--call", call_dir)
    assert result.out.splitlines() == [
        line(call_dir, CALL, 1, 1, "E010", "not a regular file: gen does not follow links"),
        summary(1, checked=CALL_BROKEN),
    ]
    assert result.code == 1


# --- Several problems at once ----------------------------------------------------------------


def test_every_problem_in_every_file_is_reported_in_one_run(call_dir: Path) -> None:
    replace(call_dir / CALL, "budget: 1000000", "budget: 700000")
    replace(call_dir / BORDEAUX, "  email:", "  emial:")
    replace(call_dir / BORDEAUX, "  requested: 75000", "  requested: 175000")
    write(call_dir / MARSEILLE, "id: fabrique-marseille\nid: encore\n")
    replace(call_dir / YANNICK, "      qualite: 4", "      qualite: 7")
    write(call_dir / "brouillon.yaml", "a: 1\n")
    result = run_gen("validate", "--call", call_dir)
    assert result.out.splitlines() == [
        line(
            call_dir,
            MARSEILLE,
            2,
            1,
            "E005",
            "key 'id' appears twice in this mapping, at lines 1 and 2; remove one of them",
        ),
        line(
            call_dir,
            YANNICK,
            13,
            16,
            "E209",
            "dossier 'atelier-clermont': grade 7 for 'qualite' is outside its scale 0–5",
        ),
        line(
            call_dir,
            BORDEAUX,
            19,
            14,
            "E108",
            "budget.requested 175000 is above budget.total_cost 100000",
        ),
        line(call_dir, BORDEAUX, 30, 1, "E101", "contact.email: missing required field"),
        line(
            call_dir, BORDEAUX, 32, 3, "E102", "contact.emial: unknown field; did you mean 'email'?"
        ),
        line(
            call_dir,
            "brouillon.yaml",
            1,
            1,
            "W002",
            "ignored: only call.yaml belongs at the top of the call folder",
        ),
        line(
            call_dir,
            CALL,
            8,
            9,
            "E307",
            "the rounds' envelopes add up to 800000, above the call's budget of 700000",
        ),
        summary(6, 1),
    ]
    assert result.code == 1


def test_requested_above_cost_is_reported_beside_the_schema_errors(call_dir: Path) -> None:
    # E108 reads the budget only: an error in the contact does not hide it (#11).
    replace(call_dir / BORDEAUX, "  requested: 75000", "  requested: 175000")
    replace(call_dir / BORDEAUX, "  email:", "  emial:")
    codes = [out.split()[2] for out in invoke("validate", "--call", call_dir).out.splitlines()[:-1]]
    assert codes == ["E108", "E101", "E102"]


# --- Paths as the user wrote them -------------------------------------------------------------


def test_paths_are_shown_relative_when_call_is_relative(call_dir: Path) -> None:
    replace(call_dir / BORDEAUX, '"39876543800013"', '"39876543800014"')
    result = run_gen("validate", "--call", "call", cwd=call_dir.parent)
    assert result.out.splitlines()[0] == (
        "call/2022Q2/passerelle-bordeaux.yaml:9:10: error E105 "
        "porteur.siret: SIRET 39876543800014 fails its check digit (Luhn)"
    )
    assert result.code == 1


def test_call_folder_from_gen_call_variable(call_dir: Path) -> None:
    replace(call_dir / BORDEAUX, '"39876543800013"', '"39876543800014"')
    result = run_gen("validate", script=True, GEN_CALL=str(call_dir))
    assert result.out.splitlines()[0].startswith(f"{call_dir / BORDEAUX}:9:10: error E105 ")
    assert result.code == 1


# --- Restricting the report to some files ------------------------------------------------------


@pytest.fixture
def two_broken_files(call_dir: Path) -> Path:
    replace(call_dir / BORDEAUX, '"39876543800013"', '"39876543800014"')
    replace(call_dir / YANNICK, "      qualite: 4", "      qualite: 7")
    return call_dir


def test_validate_path_reports_on_that_file_only(two_broken_files: Path) -> None:
    call_dir = two_broken_files
    result = invoke("validate", "--call", call_dir, call_dir / BORDEAUX)
    assert result.out.splitlines() == [
        line(
            call_dir,
            BORDEAUX,
            9,
            10,
            "E105",
            "porteur.siret: SIRET 39876543800014 fails its check digit (Luhn)",
        ),
        summary(1),
    ]
    assert result.code == 1


def test_validate_folder_reports_on_its_files_only(two_broken_files: Path) -> None:
    call_dir = two_broken_files
    result = invoke("validate", "--call", call_dir, call_dir / "2022Q1")
    assert [out.split(": ")[0] for out in result.out.splitlines()[:-1]] == [
        f"{call_dir / YANNICK}:13:16"
    ]
    assert result.code == 1


def test_validate_clean_file_exits_zero_even_if_others_are_broken(two_broken_files: Path) -> None:
    call_dir = two_broken_files
    result = invoke("validate", "--call", call_dir, call_dir / LILLE)
    assert result == (0, summary(0) + "\n", "")


def test_validate_relative_path_from_the_call_folder(two_broken_files: Path) -> None:
    result = run_gen("validate", "--call", ".", BORDEAUX, cwd=two_broken_files)
    assert result.out.splitlines()[0].startswith(f"{BORDEAUX}:9:10: error E105 ")
    assert len(result.out.splitlines()) == 2
    assert result.code == 1


# --- Output formats ---------------------------------------------------------------------------


def test_json_format(two_broken_files: Path) -> None:
    call_dir = two_broken_files
    write(call_dir / "notes.yaml", "a: 1\n")
    result = run_gen("validate", "--call", call_dir, "--format", "json")
    assert result.code == 1
    document = json.loads(result.out)
    assert document == {
        "diagnostics": [
            {
                "path": str(call_dir / YANNICK),
                "line": 13,
                "column": 16,
                "severity": "error",
                "code": "E209",
                "message": "dossier 'atelier-clermont': grade 7 for 'qualite' is outside its scale 0–5",
            },
            {
                "path": str(call_dir / BORDEAUX),
                "line": 9,
                "column": 10,
                "severity": "error",
                "code": "E105",
                "message": "porteur.siret: SIRET 39876543800014 fails its check digit (Luhn)",
            },
            {
                "path": str(call_dir / "notes.yaml"),
                "line": 1,
                "column": 1,
                "severity": "warning",
                "code": "W002",
                "message": "ignored: only call.yaml belongs at the top of the call folder",
            },
        ],
        "checked": {"call file": 1, "round": 2, "dossier": 4, "review": 2},
        "errors": 2,
        "warnings": 1,
        "notes": 0,
    }


def test_json_format_when_clean() -> None:
    result = invoke("validate", "--call", MINIMAL, "--format", "json")
    assert result.code == 0
    assert json.loads(result.out) == {
        "diagnostics": [],
        "checked": {"call file": 1, "round": 2, "dossier": 4, "review": 2},
        "errors": 0,
        "warnings": 0,
        "notes": 0,
    }


def test_github_format(two_broken_files: Path) -> None:
    call_dir = two_broken_files
    replace(call_dir / LILLE, "  other_funding: 30000", "  other_funding: 20000")
    result = run_gen("validate", "--call", call_dir, "--format", "github", script=True)
    assert result.out.splitlines() == [
        f"::warning file={call_dir / LILLE},line=19,col=1,title=W001::"
        "budget.requested 90000 + budget.other_funding 20000 = 110000, not budget.total_cost 120000",
        f"::error file={call_dir / YANNICK},line=13,col=16,title=E209::"
        "dossier 'atelier-clermont': grade 7 for 'qualite' is outside its scale 0–5",
        f"::error file={call_dir / BORDEAUX},line=9,col=10,title=E105::"
        "porteur.siret: SIRET 39876543800014 fails its check digit (Luhn)",
        summary(2, 1),
    ]
    assert result.code == 1


def test_gitlab_format_is_a_code_quality_report(two_broken_files: Path) -> None:
    call_dir = two_broken_files
    result = run_gen("validate", "--call", call_dir, "--format", "gitlab", script=True)
    assert result.code == 1
    report = json.loads(result.out)
    assert [(i["check_name"], i["severity"], i["location"]) for i in report] == [
        ("E209", "major", {"path": str(call_dir / YANNICK), "lines": {"begin": 13}}),
        ("E105", "major", {"path": str(call_dir / BORDEAUX), "lines": {"begin": 9}}),
    ]
    assert report[1]["description"] == (
        "E105 porteur.siret: SIRET 39876543800014 fails its check digit (Luhn)"
    )
    fingerprints = [i["fingerprint"] for i in report]
    assert len(set(fingerprints)) == 2 and all(len(f) == 64 for f in fingerprints)
    again = run_gen("validate", "--call", call_dir, "--format", "gitlab")
    assert [i["fingerprint"] for i in json.loads(again.out)] == fingerprints


def test_github_format_escapes_commas_and_colons_in_the_path(tmp_path: Path) -> None:
    call_dir = Path(shutil.copytree(MINIMAL, tmp_path / "appel,2022:v1"))
    replace(call_dir / BORDEAUX, '"39876543800013"', '"39876543800014"')
    result = invoke("validate", "--call", call_dir, "--format", "github")
    escaped = str(call_dir / BORDEAUX).replace(",", "%2C").replace(":", "%3A")
    assert result.out.splitlines()[0] == (
        f"::error file={escaped},line=9,col=10,title=E105::"
        "porteur.siret: SIRET 39876543800014 fails its check digit (Luhn)"
    )


def test_unknown_format_is_a_usage_error() -> None:
    result = run_gen("validate", "--call", MINIMAL, "--format", "xml")
    assert result.code == 2
    assert result.out == ""
    assert "'xml' is not one of 'text', 'json', 'github'" in result.err


# --- Colour -----------------------------------------------------------------------------------


def _run_on_a_terminal(call_dir: Path, **env: str) -> str:
    """Run gen with its standard output on a pseudo-terminal; return what it printed."""
    leader, follower = pty.openpty()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "gen_cli", "validate", "--call", str(call_dir)],
            stdout=follower,
            stderr=subprocess.PIPE,
            env=child_env(TERM="xterm-256color", COLUMNS="200", **env),
            timeout=60,
            check=False,
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert completed.returncode == 1
    assert completed.stderr == b""
    return b"".join(chunks).decode()


def test_no_escape_codes_when_output_is_not_a_terminal(two_broken_files: Path) -> None:
    result = run_gen("validate", "--call", two_broken_files)
    assert "\x1b" not in result.out
    assert result.out.splitlines()[-1] == summary(2)


def test_control_characters_in_keys_are_escaped(call_dir: Path) -> None:
    # a key may not drive the terminal: ESC [ 2 J would clear the screen
    (call_dir / BORDEAUX).write_text(
        (call_dir / BORDEAUX).read_text(encoding="utf-8") + '"\\e[2Jrouge": 1\n', encoding="utf-8"
    )
    result = run_gen("validate", "--call", call_dir)
    assert result.out.splitlines()[0] == line(
        call_dir,
        BORDEAUX,
        33,
        1,
        "E102",
        "\\x1b[2Jrouge: unknown field; remove it, or correct its name",
    )
    assert "\x1b" not in result.out


def test_colour_on_a_terminal(two_broken_files: Path) -> None:
    out = _run_on_a_terminal(two_broken_files)
    assert "\x1b[" in out
    assert "E105" in out


def test_no_colour_on_a_terminal_with_no_color(two_broken_files: Path) -> None:
    out = _run_on_a_terminal(two_broken_files, NO_COLOR="1")
    assert "\x1b" not in out
    assert out.replace("\r\n", "\n").splitlines() == [
        line(
            two_broken_files,
            YANNICK,
            13,
            16,
            "E209",
            "dossier 'atelier-clermont': grade 7 for 'qualite' is outside its scale 0–5",
        ),
        line(
            two_broken_files,
            BORDEAUX,
            9,
            10,
            "E105",
            "porteur.siret: SIRET 39876543800014 fails its check digit (Luhn)",
        ),
        summary(2),
    ]


# --- Exit status 2 and 3 ----------------------------------------------------------------------


def test_missing_call_folder_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_gen("validate", "--call", tmp_path / "absent")
    assert result == (
        2,
        "",
        f"gen: error: call folder {tmp_path / 'absent'} not found (give --call DIR or set GEN_CALL)\n",
    )


def test_folder_without_call_file_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_gen("validate", "--call", tmp_path, script=True)
    assert result == (2, "", f"gen: error: no call.yaml in {tmp_path}: is this a call folder?\n")


def test_call_argument_that_is_a_file_exits_2(tmp_path: Path) -> None:
    result = invoke("validate", "--call", MINIMAL / CALL)
    assert result == (
        2,
        "",
        f"gen: error: call folder {MINIMAL / CALL} not found (give --call DIR or set GEN_CALL)\n",
    )


def test_internal_error_exits_3_with_one_line_and_a_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The crash handler itself: any unexpected exception becomes one line and a log file.
    import tempfile

    from gen_cli import rounds

    def explode(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(rounds, "check_call", explode)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # --no-cache: a report kept from an earlier check of the same folder would be printed
    result = invoke("validate", "--call", MINIMAL, "--no-cache")
    (log,) = tmp_path.glob("gen-crash-*.log")
    assert result == (
        3,
        "",
        f"gen: internal error (ZeroDivisionError); this is a bug in gen. The traceback is in {log}\n",
    )
    assert "ZeroDivisionError: boom" in log.read_text(encoding="utf-8")


# --- gen schema ---------------------------------------------------------------------------------


def test_schema_prints_every_format() -> None:
    result = run_gen("schema")
    assert result.code == 0
    document = json.loads(result.out)
    assert sorted(document) == ["assignments", "call", "dossier", "jury", "review"]
    assert document["dossier"]["title"] == "Dossier"
    assert document["dossier"]["additionalProperties"] is False
    assert "contact" in document["dossier"]["required"]
    assert document["review"]["title"] == "Review"


def test_schema_of_one_kind() -> None:
    result = invoke("schema", "review")
    assert result.code == 0
    assert json.loads(result.out)["required"] == ["reviewer", "round", "evaluations"]


def test_schema_of_unknown_kind_exits_2() -> None:
    assert invoke("schema", "budget") == (
        2,
        "",
        "gen: error: unknown kind 'budget': choose call, dossier, review, jury or assignments\n",
    )


def test_force_color_and_the_color_option(two_broken_files: Path) -> None:
    forced = run_gen("validate", "--call", two_broken_files, FORCE_COLOR="1")
    assert "\x1b[" in forced.out and "E105" in forced.out
    assert (
        "\x1b["
        not in run_gen("validate", "--call", two_broken_files, FORCE_COLOR="1", NO_COLOR="1").out
    )
    always = run_gen("validate", "--call", two_broken_files, "--color", "always", NO_COLOR="1")
    assert "\x1b[" in always.out
    never = run_gen("validate", "--call", two_broken_files, "--color", "never", FORCE_COLOR="1")
    assert "\x1b" not in never.out
    assert never.out.splitlines()[-1] == summary(2)


_IDS = st.sampled_from(["a", "b", "2022Q1", "2022Q2", "2023Q9", "inclusion", "reconversion"])
_THEMES = st.sampled_from(["inclusion", "reconversion"])


@functools.cache
def _minimal_call() -> Call:
    call = load_call_folder(MINIMAL).call
    assert call is not None
    return call


@given(
    stem=_IDS,
    folder=st.sampled_from(["2022Q1", "2022Q2"]),
    themes=st.lists(_THEMES, max_size=3),
    changed=st.sampled_from(["nothing", "id", "round", "folder", "both", "themes"]),
    other=st.none() | _IDS,
)
def test_a_dossier_taken_as_well_placed_has_no_placement_problem(
    stem: str, folder: str, themes: list[str], changed: str, other: str | None
) -> None:
    """The quick test that spares most dossiers the full one never hides a problem."""
    # a dossier where it belongs, or with one thing changed
    ident = other if changed == "id" else stem
    round_ = other if changed in {"round", "both"} else folder
    folder = (other or "elsewhere") if changed in {"folder", "both"} else folder
    themes = [*themes, other] if changed == "themes" and other is not None else themes
    call = _minimal_call()
    dossier = DossierFacts.of(DossierParts(id=ident, round=round_, themes=themes or None), False)
    path = Path("/calls") / folder / f"{stem}.yaml"
    source = Source(path, str(path))
    rounds = frozenset(r.id for r in call.rounds)
    declared = frozenset(t.id for t in call.themes)
    well_placed = _well_placed(dossier, source, rounds, declared)
    assert well_placed is (
        (ident, round_, folder) == (stem, folder, round_)
        and round_ in {"2022Q1", "2022Q2"}
        and set(themes) <= {"inclusion", "reconversion"}
    )
    if well_placed:
        assert _placement_problems(call, dossier, source) == []


_SEGMENT = st.text(st.sampled_from("ab.-_é 2"), min_size=1, max_size=4).filter(
    lambda s: s not in {".", ".."}
)


@given(
    segments=st.lists(_SEGMENT, min_size=1, max_size=5),
    absolute=st.booleans(),
    levels=st.integers(1, 3),
)
def test_the_folder_above_a_path_is_pathlibs(
    segments: list[str], absolute: bool, levels: int
) -> None:
    """How a round's files are sorted out: the folder one or two levels above each."""
    path = Path("/" if absolute else ".", *segments)
    above = path
    for _ in range(levels):
        above = above.parent
    assert folder_above(path, levels) == above.name


@pytest.mark.parametrize("zone", ["Europe", "Mars/Olympus_Mons", "../Paris"])
def test_a_time_zone_that_is_none_is_located_not_a_crash(call_dir: Path, zone: str) -> None:
    """``Europe`` is a folder of zones: zoneinfo fails on it with an OSError, not its own."""
    text = (call_dir / CALL).read_text(encoding="utf-8")
    write(call_dir / CALL, text.replace("funder:", f"timezone: {zone}\nfunder:", 1))
    result = invoke("validate", "--call", call_dir)
    line = line_of(call_dir / CALL, "timezone:")
    assert result.out.splitlines()[0].startswith(f"{call_dir / CALL}:{line}:11: error E")
    assert f"'{zone}' is not a time zone name such as Europe/Paris" in result.out
    assert result.code == 1 and result.err == ""
