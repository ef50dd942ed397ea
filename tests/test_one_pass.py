"""One run of gen validate reports every problem that can be known, in the user's words (#11).

An applicant fixing a pull request from CI's annotations should need one round-trip:
type, range, cross-field and cross-file mistakes come together, each located, each with
its fix ("did you mean", the number written the way gen reads it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, line_of, replace, run_gen, write

from gen_cli import wording

BORDEAUX = "2022Q2/passerelle-bordeaux.yaml"
YANNICK = "2022Q1/reviews/yannick-le-goff.yaml"


def _lines(call_dir: Path, result_out: str) -> list[str]:
    """The diagnostics, with the call folder's path cut from the front."""
    return [line.removeprefix(f"{call_dir}/") for line in result_out.splitlines()]


def test_seven_mistakes_of_four_kinds_in_one_dossier_come_in_one_run(call_dir: Path) -> None:
    path = call_dir / BORDEAUX
    for old, new in [
        ("id: passerelle-bordeaux", "id: passerelle-gironde"),  # cross-file: its file name
        ("  - inclusion", "  - inclusionn"),  # cross-file: call.yaml's themes
        ("gen_labelled: false", "gen_labelled: yes"),  # type
        ("requested: 75000", "requested: 175000"),  # cross-field: above the total cost
        ("people: 20", "people: beaucoup"),  # type
        ("women_percent: 35", "women_percent: 135"),  # range
        ("end: 2023-07-07", "end: 2021-07-07"),  # cross-field: before the start
    ]:
        replace(path, old, new)
    result = run_gen("validate", "--call", call_dir)
    assert _lines(call_dir, result.out) == [
        f"{BORDEAUX}:1:5: error E202 id 'passerelle-gironde' does not match the file name "
        "'passerelle-bordeaux.yaml': write id: passerelle-bordeaux, or rename the file "
        "passerelle-gironde.yaml",
        f"{BORDEAUX}:6:5: error E205 theme 'inclusionn' is not declared in call.yaml; "
        "did you mean 'inclusion'?",
        f"{BORDEAUX}:12:17: error E103 porteur.gen_labelled: write true or false: yes means "
        "true to some programs and is text to others, so gen reads only true and false "
        "(write true)",
        f"{BORDEAUX}:19:14: error E108 budget.requested 175000 is above budget.total_cost 100000",
        f"{BORDEAUX}:22:11: error E103 beneficiaries.people: write the number with plain "
        "digits, like 38000 or 38000.50 (no _, no exponent, no 0x), not beaucoup",
        f"{BORDEAUX}:23:18: error E104 beneficiaries.women_percent: 135 is above the maximum 100",
        f"{BORDEAUX}:28:8: error E107 timeline.end 2021-07-07 is before timeline.start 2022-11-07",
        "checked 1 call file, 2 rounds, 4 dossiers, 2 reviews: 7 errors, 0 warnings",
    ]
    assert result.code == 1


def test_a_grade_that_is_no_number_does_not_hide_the_out_of_scale_ones(call_dir: Path) -> None:
    path = call_dir / YANNICK
    text = path.read_text(encoding="utf-8")
    # codeuses-lille 5 → "cinq"; atelier-clermont 4 → 9 (the scale is 0–5)
    text = text.replace("      qualite: 5\n", "      qualite: cinq\n", 1)
    write(path, text.replace("      qualite: 4\n", "      qualite: 9\n", 1))
    result = invoke("validate", "--call", call_dir)
    assert _lines(call_dir, result.out) == [
        f"{YANNICK}:6:16: error E103 evaluations.codeuses-lille.grades.qualite: write the "
        "number with plain digits, like 38000 or 38000.50 (no _, no exponent, no 0x), not cinq",
        f"{YANNICK}:13:16: error E209 dossier 'atelier-clermont': grade 9 for 'qualite' is "
        "outside its scale 0–5",
        "checked 1 call file, 2 rounds, 4 dossiers, 2 reviews: 2 errors, 0 warnings",
    ]


# --- "Did you mean" for values ----------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected"),
    [
        pytest.param(
            BORDEAUX,
            "region: nouvelle-aquitaine",
            "region: occitannie",
            "11:11: error E104 porteur.region: 'occitannie' is not allowed here; "
            "did you mean 'occitanie'?",
            id="region-misspelt",
        ),
        pytest.param(
            BORDEAUX,
            "region: nouvelle-aquitaine",
            "region: Bretagne",
            "11:11: error E104 porteur.region: 'Bretagne' is not allowed here; "
            "did you mean 'bretagne'?",
            id="region-capitalised",
        ),
        pytest.param(
            BORDEAUX,
            "    - refugies",
            "    - réfugiés",
            "25:7: error E104 beneficiaries.publics.0: 'réfugiés' is not allowed here; "
            "did you mean 'refugies'?",
            id="public-with-accents",
        ),
        pytest.param(
            BORDEAUX,
            "  - inclusion",
            "  - inclusio",
            "6:5: error E205 theme 'inclusio' is not declared in call.yaml; "
            "did you mean 'inclusion'?",
            id="theme",
        ),
        pytest.param(
            BORDEAUX,
            "  - inclusion",
            "  - Inclusion",
            "6:5: error E104 themes.0: 'Inclusion' is not valid: an id uses lower-case "
            "letters, digits and single hyphens, like tech-my-ge; did you mean 'inclusion'?",
            id="theme-capitalised",
        ),
        pytest.param(
            BORDEAUX,
            "  kind: partenaire-organisme-formation",
            "  kind: partenaire",
            "10:9: error E104 porteur.kind: 'partenaire' is not allowed here; "
            "did you mean 'partenaire-organisme-formation'?",
            id="lead-kind-cut-short",
        ),
        pytest.param(
            YANNICK,
            "  atelier-clermont:",
            "  atelier-clermon:",
            "11:3: error E206 dossier 'atelier-clermon' is not a dossier of round 2022Q1; "
            "did you mean 'atelier-clermont'?",
            id="dossier-id-in-a-review",
        ),
        pytest.param(
            YANNICK,
            "reviewer: yannick-le-goff",
            "reviewer: yanick-le-goff",
            "1:11: error E207 reviewer 'yanick-le-goff' is not declared in call.yaml; "
            "did you mean 'yannick-le-goff'?",
            id="reviewer-id",
        ),
        pytest.param(
            YANNICK,
            "      qualite: 4\n",
            "      qualit: 4\n",
            "13:7: error E208 dossier 'atelier-clermont': criterion 'qualit' is not in the "
            "grid of theme 'inclusion'; did you mean 'qualite'?",
            id="criterion-id",
        ),
        pytest.param(
            YANNICK,
            "      qualite: 4\n",
            "      qualité: 4\n",
            "13:7: error E104 evaluations.atelier-clermont.grades.qualité: 'qualité' is not "
            "valid: an id uses lower-case letters, digits and single hyphens, like tech-my-ge; "
            "did you mean 'qualite'?",
            id="criterion-id-with-accent",
        ),
        pytest.param(
            "call.yaml",
            "    rule: submission-window",
            "    rule: submission-windows",
            "{line}:11: error E104 eligibility.3.rule: 'submission-windows' is not a known "
            "kind; did you mean 'submission-window'?",
            id="rule-kind",
        ),
    ],
)
def test_did_you_mean_a_value(call_dir: Path, rel: str, old: str, new: str, expected: str) -> None:
    path = call_dir / rel
    text = path.read_text(encoding="utf-8")
    write(path, text.replace(old, new, 1))
    line = line_of(path, new.strip().splitlines()[0])
    result = invoke("validate", "--call", call_dir)
    assert f"{rel}:{expected.format(line=line)}" in _lines(call_dir, result.out)
    assert result.code == 1


def test_a_long_list_of_allowed_values_is_not_printed_whole(call_dir: Path) -> None:
    replace(call_dir / BORDEAUX, "region: nouvelle-aquitaine", "region: atlantide")
    result = invoke("validate", "--call", call_dir)
    assert _lines(call_dir, result.out)[0] == (
        f"{BORDEAUX}:11:11: error E104 porteur.region: 'atlantide' is not allowed here: "
        "write one of the 18 values listed in the format (gen schema)"
    )


# --- French-style input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "total_cost: 100000",
            "total_cost: 100 000",
            "18:15: error E103 budget.total_cost: '100 000' is not a number as gen reads it: "
            "write 100000: a number is written with digits and a decimal point, without "
            "spaces, € or %",
        ),
        (
            "requested: 75000",
            "requested: 75000,50",
            "19:14: error E103 budget.requested: '75000,50' is not a number as gen reads it: "
            "write 75000.50: a number is written with digits and a decimal point, without "
            "spaces, € or %",
        ),
        (
            "women_percent: 35",
            "women_percent: 35%",
            "23:18: error E103 beneficiaries.women_percent: '35%' is not a number as gen reads "
            "it: write 35: a number is written with digits and a decimal point, without "
            "spaces, € or %",
        ),
        (
            "other_funding: 25000",
            "other_funding: 25 000 €",
            "20:18: error E103 budget.other_funding: '25 000 €' is not a number as gen reads "
            "it: write 25000: a number is written with digits and a decimal point, without "
            "spaces, € or %",
        ),
        (
            'siret: "39876543800013"',
            "siret: 398 765 438 00013",
            "9:10: error E105 porteur.siret: SIRET '398 765 438 00013' must be 14 digits: "
            "remove the spaces, and write 39876543800013",
        ),
    ],
)
def test_french_style_numbers_get_the_fix(
    call_dir: Path, old: str, new: str, expected: str
) -> None:
    replace(call_dir / BORDEAUX, old, new)
    result = invoke("validate", "--call", call_dir)
    assert _lines(call_dir, result.out)[0] == f"{BORDEAUX}:{expected}"


# --- Nested keys of call.yaml -----------------------------------------------------------


def test_an_error_under_an_indicator_points_at_its_key(call_dir: Path) -> None:
    path = call_dir / "call.yaml"
    replace(path, "field: beneficiaries.women_percent", "field: beneficiaries.women")
    result = invoke("validate", "--call", call_dir)
    line = line_of(path, "field: beneficiaries.women")
    assert _lines(call_dir, result.out)[0] == (
        f"call.yaml:{line}:18: error E104 grids.inclusion.criteria.1.indicator.field: "
        "'beneficiaries.women' is not allowed here; did you mean 'beneficiaries.women_percent'?"
    )


# --- A flood of mistakes ----------------------------------------------------------------


def test_a_flood_of_unknown_keys_costs_twenty_suggestions(
    call_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 24,000 unknown keys: as many as gen reads in one file. "Did you mean" is searched
    # for the twenty shown, not for each key (it was 17 s of CPU for 100,000 keys); the
    # time itself is measured in benchmarks/bench_flood.py, not here.
    searched: list[str] = []
    real = wording.suggestion

    def counting(word: str, *args: object, **kwargs: object) -> str | None:
        searched.append(word)
        return real(word, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(wording, "suggestion", counting)
    path = call_dir / BORDEAUX
    text = path.read_text(encoding="utf-8")
    write(path, text + "".join(f"k{i}: {i}\n" for i in range(24_000)))
    result = invoke("validate", "--call", call_dir)
    lines = _lines(call_dir, result.out)
    assert len(lines) == 22
    assert lines[20] == (
        f"{BORDEAUX}:53:1: error E102 and 23,980 more E102 in this file, from here on; fix the "
        "ones above and run gen validate again to see them"
    )
    assert lines[21].endswith(": 24000 errors, 0 warnings")
    assert len(searched) == 21


def test_a_file_past_gen_s_limits_is_one_line(call_dir: Path) -> None:
    path = call_dir / BORDEAUX
    text = path.read_text(encoding="utf-8")
    write(path, text + "".join(f"k{i}: {i}\n" for i in range(100_000)))
    result = invoke("validate", "--call", call_dir)
    assert _lines(call_dir, result.out)[0] == (
        f"{BORDEAUX}:1:1: error E009 file is {path.stat().st_size:,} bytes; gen accepts at "
        "most 1,000,000"
    )


@pytest.mark.parametrize(
    ("written", "code", "column"),
    [("Passerelle\x00 vers", 0x00, 18), ("Passerelle éé\x1b", 0x1B, 21)],
)
def test_a_forbidden_character_is_located_where_it_is(
    call_dir: Path, written: str, code: int, column: int
) -> None:
    # libyaml counts bytes; the column is in characters, as an editor shows it
    replace(call_dir / BORDEAUX, "title: Passerelle vers", f"title: {written}")
    result = invoke("validate", "--call", call_dir)
    assert _lines(call_dir, result.out)[0] == (
        f"{BORDEAUX}:3:{column}: error E001 the character U+{code:04X} (a control character) "
        "cannot be in a YAML file: remove it (it is often pasted from another program)"
    )
