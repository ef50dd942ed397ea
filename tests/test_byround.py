"""gen score reads a large call one round at a time (#13): the same records, less held.

The check of the whole folder is the one gen validate keeps; each round's files are then
read when the round is computed, and must be the bytes that were checked.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke, run_gen
from hypothesis import given
from hypothesis import strategies as st

from gen_cli import batch as batch_module
from gen_cli import loading, resultcache, rounds
from gen_cli.batch import Batch
from gen_cli.errors import GenError
from gen_cli.loading import load_call_folder
from gen_cli.records import granted_in
from gen_cli.resultcache import CACHE_FILE, ResultCache
from gen_cli.rounds import (
    each_scored,
    each_scored_as,
    laureates_of,
    load_checked,
    load_outline,
    records_for_publication,
    score_rounds,
    with_round,
)
from gen_cli.rules import validate_folder
from gen_cli.scoring import _graded, aggregate, pstdev, q2

EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"
ROUNDS = ["2021Q3", "2021Q4", "2022Q1"]  # 2022Q2 holds sealed reviews


@pytest.fixture
def call(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "call"))


def batch(tmp_path: Path) -> Batch:
    return Batch(cache=ResultCache(tmp_path / "cache"))


def test_the_outline_holds_no_round_and_each_round_holds_its_own(
    call: Path, tmp_path: Path
) -> None:
    outline = load_outline(call, str(call), None, batch(tmp_path))
    assert outline is not None
    assert outline.folder.dossiers == [] and outline.folder.reviews == []
    assert outline.folder.only == frozenset()
    # every file is listed all the same: what a record's size limit is measured on
    assert len(outline.folder.round_files("2022Q1")) == len(
        load_call_folder(call).round_files("2022Q1")
    )
    one = with_round(outline, "2022Q1")
    rounds = {d.round for _, d in one.folder.dossiers} | {r.round for _, r in one.folder.reviews}
    assert rounds == {"2022Q1"}
    assert len(one.folder.dossiers) == 30
    assert outline.folder.dossiers == []  # the outline itself is left as it was


def test_rounds_read_one_at_a_time_give_the_records_of_the_whole_folder(
    call: Path, tmp_path: Path
) -> None:
    whole = load_checked(call, str(call))
    expected = [(s.path, s.text) for s in score_rounds(whole, ROUNDS)]
    outline = load_outline(call, str(call), None, batch(tmp_path))
    assert outline is not None
    assert outline.report == whole.report
    assert [(s.path, s.text) for s in each_scored(outline, ROUNDS)] == expected


def test_each_round_tells_its_grants_before_its_record_is_built_as_the_record_says_them(
    call: Path,
) -> None:
    """What a round tells the next one early is what its record will say it granted."""
    whole = load_checked(call, str(call))
    granted: dict[str, Decimal] = {}
    for round_id in ROUNDS:
        told: list[Decimal] = []
        one = rounds.score_round(whole, round_id, granted_before=granted, granted_known=told.append)
        assert told == [granted_in(one.record)]
        granted[round_id] = told[0]
    assert granted == {
        "2021Q3": Decimal("723500.00"),
        "2021Q4": Decimal("856500.00"),
        "2022Q1": Decimal("574500.00"),  # as the committed records say
    }


def test_the_cli_writes_the_same_records_with_the_cache_and_without(tmp_path: Path) -> None:
    records = {}
    for cache in ("1", "0"):
        call = Path(shutil.copytree(EXAMPLE, tmp_path / f"call{cache}"))
        result = run_gen("score", "--all", "--call", call, "--no-git", GEN_NO_CACHE=cache)
        assert result.code == 0, result.err
        assert "wrote " in result.out
        records[cache] = {p.parent.name: p.read_bytes() for p in call.glob("*/results.yaml")}
    assert records["1"] == records["0"]


def test_rounds_computed_on_two_cores_give_the_records_of_one_after_another(
    call: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each round in a process of its own, the next one started before the one before ends.

    2021Q4 and 2022Q1 see what the rounds before them granted: the call's budget left is
    in their records (none is committed: it comes from this run).
    """
    for round_id in ROUNDS:
        (call / round_id / "results.yaml").unlink()
    whole = load_checked(call, str(call))
    expected = [(s.path, s.proof, s.text) for s in score_rounds(whole, ROUNDS)]
    left = [re.findall(r'^  available: "(.*)"$', text, re.M) for _, _, text in expected]
    assert sorted(left) == [["600000.00"], ["730000.00"], ["870000.00"]]
    monkeypatch.setattr(rounds, "CHAINED_FROM", 0)
    outline = load_outline(call, str(call), None, Batch(jobs=2, cache=ResultCache(tmp_path / "c")))
    assert outline is not None
    made = list(each_scored_as(outline, ROUNDS, lambda one: (one.text, os.getpid())))
    assert [(path, proof, text) for (text, _), path, proof in made] == [
        (path, proof, text) for path, proof, text in expected
    ]
    where = {pid for (_, pid), _, _ in made}
    assert os.getpid() not in where and len(where) <= 2
    # one core: the same, computed here
    outline.folder.batch.jobs = 1
    here = list(each_scored_as(outline, ROUNDS, lambda one: (one.text, os.getpid())))
    assert [(text, path, proof) for (text, _), path, proof in here] == [
        (text, path, proof) for (text, _), path, proof in made
    ]
    assert {pid for (_, pid), _, _ in here} == {os.getpid()}


def test_a_small_call_is_computed_in_this_process(call: Path, tmp_path: Path) -> None:
    outline = load_outline(call, str(call), None, Batch(jobs=2, cache=ResultCache(tmp_path / "c")))
    assert outline is not None
    made = list(each_scored_as(outline, ROUNDS, lambda one: os.getpid()))
    assert [pid for pid, _, _ in made] == [os.getpid()] * 3


def test_the_cli_gives_the_same_with_rounds_on_two_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record written, and three rounds shown as JSON and as text, byte for byte."""
    monkeypatch.setattr(batch_module, "available_cores", lambda: 2)
    three = [part for r in ROUNDS for part in ("--round", r)]
    given = {}
    jobs: list[int] = []

    def chain(task: Any, count: int, processes: int) -> Any:
        jobs.append(processes)
        return batch_module.forked_chain(task, count, processes)

    monkeypatch.setattr(rounds, "forked_chain", chain)
    for chained in (False, True):
        monkeypatch.setattr(rounds, "CHAINED_FROM", 0 if chained else 10**9)
        call = Path(shutil.copytree(EXAMPLE, tmp_path / f"call{chained}"))
        for round_id in ROUNDS[:2]:  # scored again: what they grant comes from this run
            (call / round_id / "results.yaml").unlink()
        result = invoke("score", "--all", "--call", call, "--no-git")
        assert result.code == 0, result.err
        assert result.out.endswith(f"wrote {call}/2022Q1/results.yaml\n")
        shown = [(call / "2022Q1" / "results.yaml").read_text()]
        # what the committed record says: 2021Q3 and 2021Q4 granted what theirs say
        assert shown[0] == (EXAMPLE / "2022Q1" / "results.yaml").read_text()
        for fmt in ("json", "text"):
            dry = invoke("score", *three, "--call", call, "--no-git", "--dry-run", "--format", fmt)
            assert dry.code == 0, dry.err
            shown.append(dry.out)
        given[chained] = shown
    assert given[True] == given[False]
    assert given[True][2].count("\nRound ") == 2  # three tables
    assert jobs == [1, 1, 1, 2, 2, 2]  # with the cache: rounds on two cores


def test_a_file_changed_after_the_check_is_not_scored(call: Path, tmp_path: Path) -> None:
    outline = load_outline(call, str(call), None, batch(tmp_path))
    assert outline is not None
    changed = call / "2022Q1" / "atelier-de-la-donnee-lille.yaml"
    changed.write_bytes(changed.read_bytes() + b"# one more line\n")
    with pytest.raises(GenError) as raised:
        list(each_scored(outline, ["2022Q1"]))
    assert raised.value.message == (
        f"{call}/2022Q1/atelier-de-la-donnee-lille.yaml changed while gen read the call folder: run the command "
        "again"
    )
    assert [s.path.parent.name for s in each_scored(outline, ["2021Q4"])] == ["2021Q4"]


def test_a_file_removed_after_the_check_is_not_scored(call: Path, tmp_path: Path) -> None:
    outline = load_outline(call, str(call), None, batch(tmp_path))
    assert outline is not None
    (call / "2022Q1" / "atelier-de-la-donnee-lille.yaml").unlink()
    with pytest.raises(GenError) as raised:
        list(each_scored(outline, ["2022Q1"]))
    assert raised.value.message == (
        f"{call}/2022Q1/atelier-de-la-donnee-lille.yaml changed while gen read the call folder: "
        "run the command again"
    )


def test_without_a_cache_there_is_no_outline(call: Path) -> None:
    assert load_outline(call, str(call), None, Batch()) is None


def test_a_folder_holding_some_rounds_is_never_validated_as_the_whole(call: Path) -> None:
    with pytest.raises(ValueError):
        validate_folder(load_call_folder(call, only=frozenset({"2022Q1"})))


grades = st.lists(
    st.decimals(min_value=0, max_value=5, places=1, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=6,
)


@given(grades, st.sampled_from(["mean", "median", "trimmed-mean"]))
def test_the_kept_grading_is_the_one_computed(values: list[Decimal], method: str) -> None:
    """Equal grades written differently (2 and 2.0) share an entry, and give the same text."""
    raw = tuple(sorted(values))
    value, normalised, spread = _graded(raw, raw, method, Decimal(20), Decimal(0), Decimal(5))
    exact = aggregate(raw, method, Decimal(20))
    assert (str(value), normalised, str(spread)) == (
        str(q2(exact)),
        exact / 5,
        str(q2(pstdev(raw))),
    )
    widened = tuple(v.quantize(Decimal("0.001")) for v in raw)
    again = _graded(widened, widened, method, Decimal(20), Decimal(0), Decimal(5))
    assert (str(again[0]), again[1], str(again[2])) == (str(value), normalised, str(spread))


def test_scoring_one_round_keeps_what_the_next_check_recalls(
    call: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that recalls the kept check reads some files only: it drops none of the others."""
    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(resultcache, "SPARE", 0)  # drop all a run did not use
    first = invoke("validate", "--call", call, "--no-git")
    assert invoke("score", "--round", "2022Q1", "--dry-run", "--call", call, "--no-git").code == 0
    with sqlite3.connect(tmp_path / "cache" / CACHE_FILE) as db:
        (kept,) = db.execute("SELECT count(*) FROM results").fetchone()
    assert kept > len(load_call_folder(call).dossiers)  # those of the other rounds too

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the call folder was read again")

    monkeypatch.setattr(loading, "load_call_folder", refuse)
    assert invoke("validate", "--call", call, "--no-git") == first


def test_a_site_published_round_by_round_is_the_one_published_at_once(tmp_path: Path) -> None:
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    sites = {}
    for cache in ("1", "0"):
        out = tmp_path / f"public{cache}"
        args = ("publish", "--draft", "--no-date", "--call", call, "--out", out, "--no-git")
        result = run_gen(*args, GEN_NO_CACHE=cache)
        assert result.code == 0, result.err
        sites[cache] = {
            p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
        }
    assert len(sites["1"]) == 83  # 64 laureates of three rounds, one a draft
    assert sites["1"] == sites["0"]


def test_the_laureates_are_those_of_the_whole_folder(call: Path, tmp_path: Path) -> None:
    whole = load_checked(call, str(call))
    records = {r: whole.records[r] or {} for r in ROUNDS}
    outline = load_outline(call, str(call), None, batch(tmp_path))
    assert outline is not None
    laureates = laureates_of(outline, records)
    assert laureates == laureates_of(whole, records)
    assert len(laureates) == 64


@pytest.mark.parametrize(
    "command",
    [
        ("score", "--round", "2022Q1"),
        ("publish", "--draft", "--no-date", "--out", "public"),
    ],
)
def test_a_command_that_writes_recalls_the_check_made_before(
    call: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """Its own lock, in the call folder while it writes, is no file of the call."""
    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "cache"))
    first = invoke("validate", "--call", call, "--no-git")
    whole = loading.load_call_folder

    def some_rounds(*args: object, only: frozenset[str] | None = None, **kwargs: Any) -> Any:
        assert only is not None, "the whole call folder was read again"
        return whole(*args, only=only, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loading, "load_call_folder", some_rounds)
    monkeypatch.chdir(call)
    result = invoke(*command, "--call", call, "--no-git")
    assert result.code == 0, result.err
    assert not (call / ".gen.lock").exists() and not (call / ".public.lock").exists()
    assert invoke("validate", "--call", call, "--no-git") == first


def test_pages_written_by_other_processes_make_the_same_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Project pages are rendered and written by processes of their own (#13)."""
    from gen_cli import publish

    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    sites = {}
    for name, parallel_from in (("whole", 10_000), ("batched", 1)):
        monkeypatch.setattr(publish, "PARALLEL_PAGES", parallel_from)
        out = tmp_path / name
        args = ("publish", "--no-date", "--lang", "fr", "--lang", "en", "--out", out)
        result = invoke(*args, "--call", call, "--no-git")
        assert result.code == 0, result.err
        assert result.out.startswith("published 47 laureate(s) of 2 round(s), 130 files")
        sites[name] = {
            p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
        }
    assert len(sites["batched"]) == 130
    assert sites["batched"] == sites["whole"]


def test_an_outline_holds_records_without_their_decisions_and_reads_them_when_asked(
    call: Path, tmp_path: Path
) -> None:
    whole = load_checked(call, str(call))
    outline = load_outline(call, str(call), None, batch(tmp_path))
    assert outline is not None
    light = outline.records["2022Q1"]
    assert light is not None and "decisions" not in light and "inputs" not in light
    assert light == {
        k: v for k, v in (whole.records["2022Q1"] or {}).items() if k not in {"decisions", "inputs"}
    }
    assert outline.record("2022Q1") == whole.records["2022Q1"]
    assert outline.record("2022Q2") is None
    record = call / "2022Q1" / "results.yaml"
    record.write_text(record.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    with pytest.raises(GenError) as raised:
        outline.record("2022Q1")
    assert raised.value.message == (
        "2022Q1/results.yaml changed while gen read the call folder: run the command again"
    )


def test_drafts_published_on_two_cores_give_the_same_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three scored rounds, no proof kept: each draft is computed; then one gone stale."""
    monkeypatch.setattr(batch_module, "available_cores", lambda: 2)
    jobs: list[tuple[int, int]] = []

    def chain(task: Any, count: int, processes: int) -> Any:
        jobs.append((count, processes))
        return batch_module.forked_chain(task, count, processes)

    monkeypatch.setattr(rounds, "forked_chain", chain)
    given = {}
    for chained in (False, True):
        monkeypatch.setattr(rounds, "CHAINED_FROM", 0 if chained else 10**9)
        call = Path(shutil.copytree(EXAMPLE, tmp_path / f"call{chained}"))
        for closed in ("2021Q3", "2021Q4"):
            (call / closed / "results.yaml").unlink()
        monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / f"score{chained}"))
        scored = invoke("score", "--all", "--call", call, "--no-git")
        assert scored.code == 0, scored.err
        assert scored.out.count("wrote ") == 3
        monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / f"publish{chained}"))
        out = tmp_path / f"out{chained}"
        published = invoke(
            "publish", "--call", call, "--out", out, "--draft", "--no-date", "--no-git"
        )
        assert published.code == 0, published.err
        site = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        # a grade changed in 2021Q4, the second round: its record is stale
        review = call / "2021Q4" / "reviews" / "amelie-roux.yaml"
        text = review.read_text()
        review.write_text(text.replace("      pertinence: 1\n", "      pertinence: 5\n", 1))
        # with the proofs the publication kept: 2021Q3 and 2022Q1 proven by the records
        stale = invoke(
            "publish", "--call", call, "--out", tmp_path / f"o{chained}", "--draft", "--no-date"
        )
        given[chained] = (site, stale.code, stale.err)
    assert given[True] == given[False]
    site, code, err = given[True]
    assert len([p for p in site if p.suffix == ".html"]) > 40
    assert code == 1
    assert err.startswith("gen: error: decision records are stale for round(s) 2021Q4 (")
    # gen score's three rounds; the publication's, no proof kept; then from 2021Q4 on
    assert jobs == [(3, 1), (3, 1), (2, 1), (3, 2), (3, 2), (2, 2)]


def test_the_proofs_kept_by_rounds_computed_apart_are_spared_when_the_cache_is_pruned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A draft found fresh keeps its proof in its own process: the keys come back here."""
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    for closed in ROUNDS[:2]:
        (call / closed / "results.yaml").unlink()
    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "scoring"))
    assert invoke("score", "--all", "--call", call, "--no-git").code == 0
    proofs = [s.proof for s in score_rounds(load_checked(call, str(call)), ROUNDS)]
    assert all(proofs)
    monkeypatch.setattr(rounds, "CHAINED_FROM", 0)
    outline = load_outline(call, str(call), None, Batch(jobs=2, cache=ResultCache(tmp_path / "c")))
    assert outline is not None
    cache = outline.folder.batch.cache
    assert cache is not None and not set(proofs) & cache.used
    chosen = records_for_publication(outline, [], draft=True)
    assert sorted(chosen.drafts) == ROUNDS
    assert set(proofs) <= cache.used
    assert outline.folder.batch.jobs == 2  # set to one core in the rounds' processes only
