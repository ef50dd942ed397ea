"""Numbers and dates read exactly as README promises (part of #8).

Only plain decimal digits make a number; a date that does not exist gets a plain message,
not YAML's; and a mistyped year is caught by a plausibility warning.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import MINIMAL, invoke, line_of, replace

BORDEAUX = "2022Q2/passerelle-bordeaux.yaml"


@pytest.fixture
def call(tmp_path: Path) -> Path:
    return Path(shutil.copytree(MINIMAL, tmp_path / "call"))


@pytest.mark.parametrize(
    "written", ["1_000", "3.8e4", "3.8e+4", "1_000.50", "0x10", "0o17", "0b101", "1:30", "+.5e1"]
)
def test_only_plain_digits_make_an_amount(call: Path, written: str) -> None:
    path = call / BORDEAUX
    line = line_of(path, "  requested: ")
    replace(path, "  requested: ", f"  requested: {written} #")
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{path}:{line}:14: error E103 budget.requested: write the number with plain digits, "
        f"like 38000 or 38000.50 (no _, no exponent, no 0x), not {written}"
    )


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("2022-02-30", "February 2022 has 28 days"),
        ("2023-02-29", "February 2023 has 28 days"),
        ("2022-04-31", "April 2022 has 30 days"),
        ("2022-13-01", "there is no month 13"),
        ("2022-00-10", "there is no month 0"),
        ("2022-2-30", "February 2022 has 28 days"),
        ("2022-02-28 25:00:00", "a date has no time"),
        ("2022-2-3", "write it 2022-02-03"),
        ("0000-01-01", "there is no year 0"),
    ],
)
def test_a_date_that_does_not_exist_is_said_so_plainly(call: Path, written: str, why: str) -> None:
    path = call / BORDEAUX
    line = line_of(path, "  start: ")
    replace(path, "  start: 2022-11-07", f"  start: {written}")
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{path}:{line}:10: error E104 timeline.start: {written} is not a date: {why}; "
        "a date is written YYYY-MM-DD, for example 2021-09-30",
        "checked 1 call file, 2 rounds, 4 dossiers, 2 reviews: 1 error, 0 warnings",
    ]
    assert "timestamp" not in result.out and "Traceback" not in result.err


def test_a_date_that_does_not_exist_stays_text_where_text_is_expected(call: Path) -> None:
    path = call / BORDEAUX
    replace(path, "title: ", "title: 2022-02-30 #")
    result = invoke("validate", "--call", call)
    assert result.code == 0, result.out


def test_a_call_with_a_date_that_does_not_exist_is_located(call: Path) -> None:
    path = call / "call.yaml"
    line = line_of(path, "    closes: 2022-03-31")
    replace(path, "    closes: 2022-03-31", "    closes: 2022-03-32")
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{path}:{line}:13: error E104 rounds.0.closes: 2022-03-32 is not a date: March 2022 "
        "has 31 days; a date is written YYYY-MM-DD, for example 2021-09-30"
    )


@pytest.mark.parametrize(
    ("start", "end", "warnings"),
    [
        (
            "0001-01-01",
            "9999-12-31",
            [
                ("start", "0001-01-01", "2021 years before"),
                ("end", "9999-12-31", "7977 years after"),
            ],
        ),
        (
            "2202-11-07",
            "2203-07-07",
            [("start", "2202-11-07", "180 years after"), ("end", "2203-07-07", "181 years after")],
        ),
        ("2019-11-07", "2023-07-07", [("start", "2019-11-07", "3 years before")]),
        ("2020-06-01", "2032-05-01", []),  # two years before, ten after: plausible
    ],
)
def test_a_timeline_far_from_its_submission_is_a_warning(
    call: Path, start: str, end: str, warnings: list[tuple[str, str, str]]
) -> None:
    path = call / BORDEAUX
    replace(path, "  start: 2022-11-07", f"  start: {start}")
    replace(path, "  end: 2023-07-07", f"  end: {end}")
    result = invoke("validate", "--call", call)
    assert result.code == 0
    columns = {"start": 10, "end": 8}
    assert result.out.splitlines()[:-1] == [
        f"{path}:{line_of(path, f'  {field}: ')}:{columns[field]}: warning W013 "
        f"timeline.{field} {day} is {distance} the dossier was submitted (2022-05-20): "
        "check the year"
        for field, day, distance in warnings
    ]


@pytest.mark.parametrize(("field", "written"), [("people", "yes"), ("women_percent", "on")])
def test_a_yes_or_on_is_not_a_number(call: Path, field: str, written: str) -> None:
    path = call / BORDEAUX
    line = line_of(path, f"  {field}: ")
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    replace(path, text + "\n", f"  {field}: {written}\n")
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{path}:{line}:{len(field) + 5}: error E103 beneficiaries.{field}: write a number with "
        "plain digits, like 38000; yes, no, on, off, true and false are not numbers"
    )
