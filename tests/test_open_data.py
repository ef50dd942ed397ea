"""Open data a re-user can trust (#12): cells that cannot run, a licence, a data package."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, replace

from gen_cli.publish import _csv

BORDEAUX = "2022Q2/passerelle-bordeaux.yaml"


@pytest.mark.parametrize("sign", ["=", "+", "-", "@"])
def test_a_title_that_would_run_as_a_formula_is_refused(call_dir: Path, sign: str) -> None:
    replace(
        call_dir / BORDEAUX,
        "title: Passerelle vers le développement logiciel",
        f"title: '{sign}HYPERLINK(\"http://example.com\")'",
    )
    result = invoke("validate", "--call", call_dir)
    assert result.out.splitlines()[0] == (
        f"{call_dir / BORDEAUX}:3:8: error E104 title: '{sign}HYPERLINK(\"http://example.com\")' "
        f"begins with {sign}, which makes a spreadsheet run the cell as a formula when the "
        "published data is opened: begin with a letter or a digit"
    )


def test_laureats_csv_defuses_a_cell_that_would_start_a_formula() -> None:
    text = _csv(["a", "b"], [{"a": "=1+1", "b": "@SUM(A1)"}, {"a": "ok", "b": "-2"}], defused=True)
    assert text == "a,b\n'=1+1,'@SUM(A1)\nok,'-2\n"
    # SCDL's file keeps its values as they are
    assert _csv(["a"], [{"a": "=1"}]) == "a\n=1\n"
