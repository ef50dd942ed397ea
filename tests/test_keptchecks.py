"""A review file's checks kept between runs, by everything they read (#13).

The checks of a review against call.yaml and the dossiers it names are made again when
any of those changes, and only then: the kept problems are those the same bytes give.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import MINIMAL, replace, run_gen

from gen_cli import rules
from gen_cli.batch import Batch
from gen_cli.loading import load_call_folder
from gen_cli.resultcache import ResultCache

CLERMONT = "2022Q1/atelier-clermont.yaml"
CAMILLE = "2022Q1/reviews/camille-martin.yaml"
YANNICK = "2022Q1/reviews/yannick-le-goff.yaml"


@pytest.fixture
def call(tmp_path: Path) -> Path:
    return Path(shutil.copytree(MINIMAL, tmp_path / "call"))


def checked(
    call: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], list[str]]:
    """The rules' diagnostics through a cache, and the review files checked afresh."""
    made: list[str] = []
    check = rules.review_problems

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(Path(args[2].display).name)
        return check(*args, **kwargs)

    monkeypatch.setattr(rules, "review_problems", counted)
    batch = Batch(cache=ResultCache(cache))
    report = rules.validate_folder(load_call_folder(call, batch=batch))
    assert batch.cache is not None
    batch.cache.close()
    return [str(d) for d in report.diagnostics], sorted(made)


def test_unchanged_reviews_are_not_checked_again(
    call: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    both = ["camille-martin.yaml", "yannick-le-goff.yaml"]
    first, made = checked(call, tmp_path / "cache", monkeypatch)
    assert made == both
    assert checked(call, tmp_path / "cache", monkeypatch) == (first, [])
    # a dossier no review names changes: no review is checked again
    replace(call / "2022Q2/passerelle-bordeaux.yaml", "title: ", "title: Nouveau ")
    assert checked(call, tmp_path / "cache", monkeypatch)[1] == []
    # a dossier both name changes where no check looks: both are checked again, to be sure
    replace(call / CLERMONT, "summary: Des", "summary: Trois")
    assert checked(call, tmp_path / "cache", monkeypatch) == (first, both)
    # one review changes: only it is checked again
    replace(call / YANNICK, "qualite: 3\n", "qualite: 2\n")
    assert checked(call, tmp_path / "cache", monkeypatch) == (first, ["yannick-le-goff.yaml"])


RECONVERSION = "  reconversion:\n    criteria:\n"
IMPACT = """\
      - id: impact
        label:
          fr: Impact
          en: Impact
        weight: 1
        source: reviews
        scale:
          min: 0
          max: 5
"""

#: Edits that change what a kept check would say, and the diagnostic each must bring.
EDITS: dict[str, tuple[Callable[[Path], object], str]] = {
    "the dossier's lead joins the reviewer's organisation": (
        lambda call: replace(
            call / CLERMONT,
            '  name: Atelier numérique des Volcans\n  siret: "80012345700015"',
            '  name: Association Les Codeuses du Nord\n  siret: "80012345700015"',
        ),
        "E210 reviewer camille-martin is affiliated with Association Les Codeuses du Nord",
    ),
    "call.yaml gives the reviewer the dossier's organisation": (
        lambda call: replace(
            call / "call.yaml",
            "      - name: Association Les Codeuses du Nord",
            "      - name: Atelier numérique des Volcans",
        ),
        "E210 reviewer camille-martin is affiliated with Atelier numérique des Volcans",
    ),
    "the dossier's principal theme becomes one whose grid has another criterion": (
        lambda call: replace(
            call / CLERMONT, "  - inclusion\n  - reconversion", "  - reconversion\n  - inclusion"
        ),
        "W003 dossier 'atelier-clermont': no grade for impact",
    ),
    "the dossier's file is removed": (
        lambda call: (call / CLERMONT).unlink(),
        "E206 dossier 'atelier-clermont' is not a dossier of round 2022Q1",
    ),
    "the dossier's file cannot be read": (
        lambda call: (call / CLERMONT).write_bytes(b"id: [atelier\n"),
        "error E001",
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_change_a_kept_check_read_is_seen_as_without_a_cache(
    call: Path, tmp_path: Path, edit: str
) -> None:
    cache = tmp_path / "cache"
    # reconversion's grid has a criterion no review grades yet: fabrique-marseille lacks it
    replace(call / "call.yaml", "  reconversion:\n    criteria:\n", RECONVERSION + IMPACT)
    assert run_gen("validate", "--call", call, GEN_CACHE_DIR=str(cache)).code == 0
    change, expected = EDITS[edit]
    change(call)
    kept = run_gen("validate", "--call", call, GEN_CACHE_DIR=str(cache))
    fresh = run_gen("validate", "--call", call, "--no-cache")
    assert kept.code == fresh.code
    assert kept.out == fresh.out
    assert expected in kept.out


EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"


@pytest.mark.parametrize("cached", [False, True])
def test_reviews_checked_on_several_processes_give_what_one_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cached: bool
) -> None:
    from gen_cli import keptchecks

    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    review = call / "2022Q1/reviews/bruno-keller.yaml"
    text = review.read_text(encoding="utf-8")
    assert text.count("grades:") > 3
    # problems in several review files, in several places of each
    review.write_text(text.replace("grades:", "grades:\n      nouveau: 2", 3), encoding="utf-8")
    replace(call / "2021Q4/reviews/amelie-roux.yaml", "round: 2021Q4", "round: 2021Q3")

    def diagnostics(jobs: int) -> list[str]:
        cache = ResultCache(tmp_path / f"cache-{jobs}") if cached else None
        batch = Batch(jobs=jobs, cache=cache)
        report = rules.validate_folder(load_call_folder(call, batch=batch))
        if cache is not None:
            cache.close()
        return [str(d) for d in report.diagnostics]

    one = diagnostics(1)
    monkeypatch.setattr(keptchecks, "PARALLEL_FROM", 0)
    pids = tmp_path / "pids"
    check = rules.review_problems

    def noted(*args, **kwargs):  # type: ignore[no-untyped-def]
        with pids.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return check(*args, **kwargs)

    monkeypatch.setattr(rules, "review_problems", noted)
    assert diagnostics(3) == one
    ran = pids.read_text().split()
    # three processes take the work; a quick one may take two of its three parts
    assert len(ran) == 18 and len(set(ran)) > 1 and str(os.getpid()) not in ran
    assert sum(" E208 " in d for d in one) == 3
    assert sum("reviews/amelie-roux.yaml" in d for d in one) > 1


def test_a_folder_is_checked_by_its_own_bytes_when_it_was_read_again_since(
    call: Path, tmp_path: Path
) -> None:
    """A folder read, changed and read again through one batch: each reading keeps its keys."""
    batch = Batch(cache=ResultCache(tmp_path / "cache"))
    before = load_call_folder(call, batch=batch)
    EDITS["the dossier's lead joins the reviewer's organisation"][0](call)
    after = load_call_folder(call, batch=batch)
    found = [[str(d) for d in rules.validate_folder(f).diagnostics] for f in (before, after)]
    assert batch.cache is not None
    batch.cache.close()
    assert found[0] == []
    assert [d.split(" error ")[1][:4] for d in found[1]] == ["E210"]
