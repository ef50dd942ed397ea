"""A draft record proven fresh from a kept proof is never one its inputs no longer give (#13).

gen score keeps, in the result cache, that the inputs of a round give the record it wrote;
gen publish --draft then finds the record fresh without computing the round. These tests
change each kind of input after scoring and check that the record is computed again (and
found stale when it is), and that a publication from a proof is byte for byte the one made
by computing every round.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import invoke, replace, run_gen

from gen_cli import rounds
from gen_cli.proofs import keep_proof, may_be_proven, proven
from gen_cli.resultcache import ResultCache

HANDCALL = Path(__file__).parent / "fixtures" / "handcall"


@pytest.fixture
def hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The hand call (2023Q1 and 2023Q2 in review), scored, with a cache of its own."""
    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "cache"))
    call = Path(shutil.copytree(HANDCALL, tmp_path / "call"))
    for closes, decided in (("2023-03-31", "2023-05-15"), ("2023-06-30", "2023-08-15")):
        replace(
            call / "call.yaml",
            f"    closes: {closes}\n",
            f"    closes: {closes}\n    decision_date: {decided}\n",
        )
    scored = invoke("score", "--all", "--call", call)
    assert scored.code == 0, scored
    return call


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The rounds ``rounds.score_round`` computes while the test runs, in order."""
    seen: list[str] = []
    real = rounds.score_round

    def counted(checked: rounds.Checked, round_id: str, **options: object) -> rounds.ScoredRound:
        seen.append(round_id)
        return real(checked, round_id, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(rounds, "score_round", counted)
    yield seen


def publish(call: Path, out: Path) -> tuple[int, str]:
    """What gen publish --draft says (its output folder written OUT)."""
    result = invoke("publish", "--call", call, "--out", out, "--draft", "--no-date")
    return result.code, (result.out + result.err).replace(str(out), "OUT")


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_draft_scored_by_gen_is_published_without_computing_it_and_alike(
    hand: Path, tmp_path: Path, computed: list[str]
) -> None:
    code, said = publish(hand, tmp_path / "proven")
    assert code == 0, said
    assert said.startswith("published ")
    assert computed == []
    # computing every round, with no cache at all, publishes the same bytes
    assert uncached(hand, tmp_path / "computed") == (code, said)
    assert files_of(tmp_path / "proven") == files_of(tmp_path / "computed")


def test_a_record_edited_by_hand_is_computed_and_found_stale(
    hand: Path, tmp_path: Path, computed: list[str]
) -> None:
    record = hand / "2023Q2" / "results.yaml"
    text = record.read_text(encoding="utf-8")
    assert text.count('status: "laureat"') > 1
    record.write_text(text.replace('status: "laureat"', 'status: "refuse"', 1), encoding="utf-8")
    code, said = publish(hand, tmp_path / "out")
    assert code == 1
    assert said.startswith("gen: error: decision records are stale for round(s) 2023Q2 (")
    assert computed == ["2023Q2"]  # 2023Q1 is proven: only the edited record is computed
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("change", "stale"),
    [
        # a grade: the marks change, and the record lists the review's digest
        (
            (
                "2023Q1/reviews/anne-martin.yaml",
                "brest:\n    grades:\n      qualite: 5",
                "brest:\n    grades:\n      qualite: 1",
            ),
            True,
        ),
        # a word of a summary: no mark changes, but the record lists the dossier's digest
        (("2023Q1/atelier-brest.yaml", "projet fictif", "projet imaginaire"), True),
        # a comment in call.yaml: the record does not change, the proof's key does
        (("call.yaml", "\nrounds:\n", "\nrounds:\n# a comment\n"), False),
    ],
)
def test_a_changed_input_has_the_round_computed_again(
    hand: Path,
    tmp_path: Path,
    computed: list[str],
    change: tuple[str, str, str],
    stale: bool,
) -> None:
    path, old, new = change
    replace(hand / path, old, new)
    code, said = publish(hand, tmp_path / "out")
    assert computed[0] == "2023Q1"
    assert (code, said) == uncached(hand, tmp_path / "uncached")
    if stale:
        assert code == 1
        assert said.startswith("gen: error: decision records are stale for round(s) 2023Q1 (")
        return
    assert code == 0, said
    assert files_of(tmp_path / "out") == files_of(tmp_path / "uncached")
    # the records were found fresh, computed: their proofs are kept for the next run
    computed.clear()
    code, said = publish(hand, tmp_path / "again")
    assert code == 0, said
    assert computed == []


def uncached(call: Path, out: Path) -> tuple[int, str]:
    """What gen publish --draft says with no cache at all: every round computed."""
    every = run_gen(
        "publish", "--call", call, "--out", out, "--draft", "--no-date", GEN_NO_CACHE="1"
    )
    return every.code, (every.out + every.err).replace(str(out), "OUT")


def test_the_budget_left_by_an_earlier_round_is_part_of_the_proof(
    hand: Path, tmp_path: Path, computed: list[str]
) -> None:
    # closing 2023Q1 is no change of 2023Q2's inputs: its proof still holds
    closed = invoke("close", "2023Q1", "--by", "Claire Secrétaire", "--call", hand)
    assert closed.code == 0, closed
    assert invoke("validate", "--call", hand).code == 0  # the check of a closed round
    computed.clear()
    code, said = publish(hand, tmp_path / "out")
    assert code == 0, said
    assert computed == []
    # 2023Q1 amended grants another sum: 2023Q2 may spend another sum, its files unchanged
    before = (hand / "2023Q1" / "results.yaml").read_text(encoding="utf-8")
    replace(
        hand / "2023Q1" / "atelier-brest.yaml",
        "  requested: 10000\n  other_funding: 2500\n",
        "  requested: 9000\n  other_funding: 3500\n",
    )
    amended = invoke(
        "amend", "2023Q1", "--reason", "the amount was misread", "--by", "Claire", "--call", hand
    )
    assert amended.code == 0, amended
    after = (hand / "2023Q1" / "results.yaml").read_text(encoding="utf-8")
    assert granted(after) != granted(before)
    assert invoke("validate", "--call", hand).code == 0
    computed.clear()
    code, said = publish(hand, tmp_path / "again")
    assert computed == ["2023Q2"]
    assert code == 1
    assert said.startswith("gen: error: decision records are stale for round(s) 2023Q2 (")
    # as computing every round without a cache finds
    assert (code, said) == uncached(hand, tmp_path / "uncached")


def granted(record: str) -> str:
    """The line of a record that says what its round granted in all."""
    envelope = record[record.index("\nenvelope:\n") :]
    return next(line for line in envelope.splitlines() if line.startswith("  granted: "))


def check(call: Path) -> tuple[int, str, str]:
    """What gen score --check says."""
    result = invoke("score", "--check", "--call", call)
    return result.code, result.out, result.err


def check_uncached(call: Path) -> tuple[int, str, str]:
    """What gen score --check says with no cache at all: every round computed."""
    result = run_gen("score", "--check", "--call", call, GEN_NO_CACHE="1")
    return result.code, result.out.replace(str(call), "CALL"), result.err


def test_check_finds_proven_records_fresh_without_computing_them(
    hand: Path, computed: list[str]
) -> None:
    assert check(hand) == (0, "every decision record matches its inputs\n", "")
    assert computed == []
    assert check_uncached(hand) == (0, "every decision record matches its inputs\n", "")


@pytest.mark.parametrize("edited", ["2023Q1", "2023Q2"])
def test_check_computes_a_round_whose_record_or_inputs_changed(
    hand: Path, computed: list[str], edited: str
) -> None:
    record = hand / edited / "results.yaml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace('status: "laureat"', 'status: "refuse"', 1), encoding="utf-8")
    code, out, err = check(hand)
    assert computed == [edited]  # the other round is proven
    assert code == 1
    assert f"stale record for round {edited}: decisions differ for " in out
    assert out.endswith(
        f"1 stale record(s); run gen score --round {edited} and commit the result\n"
    )
    assert (code, out.replace(str(hand), "CALL"), err) == check_uncached(hand)
    # a grade of 2023Q1 changed: its record is stale; 2023Q2 is proven all the same, as
    # what 2023Q1 grants, and so the budget left to 2023Q2, did not change
    record.write_text(text, encoding="utf-8")
    replace(
        hand / "2023Q1/reviews/anne-martin.yaml",
        "brest:\n    grades:\n      qualite: 5",
        "brest:\n    grades:\n      qualite: 1",
    )
    computed.clear()
    code, out, err = check(hand)
    assert computed == ["2023Q1"]
    assert code == 1
    assert "stale record for round 2023Q1: decisions differ for " in out
    assert (code, out.replace(str(hand), "CALL"), err) == check_uncached(hand)


def test_a_closed_round_found_alike_once_is_not_computed_at_each_check(
    hand: Path, computed: list[str]
) -> None:
    """gen validate recomputes a closed round to find an edited decision: once per inputs."""
    closed = invoke("close", "2023Q1", "--by", "Claire Secrétaire", "--call", hand)
    assert closed.code == 0, closed
    computed.clear()
    first = invoke("validate", "--call", hand)
    assert first.code == 0 and computed.count("2023Q1") == 1
    computed.clear()
    (hand / "NOTES.md").write_text("a file gen ignores: the folder is checked again\n")
    assert invoke("validate", "--call", hand) == first
    assert "2023Q1" not in computed
    # what computing the round reads changed (call.yaml's bytes): computed again
    (hand / "call.yaml").write_text(
        (hand / "call.yaml").read_text(encoding="utf-8") + "# a note\n", encoding="utf-8"
    )
    assert invoke("validate", "--call", hand) == first
    assert computed.count("2023Q1") == 1
    # an edited decision is still found, whatever was kept
    record = hand / "2023Q1/results.yaml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace('status: "laureat"', 'status: "refuse"', 1), encoding="utf-8")
    edited = invoke("validate", "--call", hand)
    assert edited.code == 1 and "E403" in edited.out


def test_with_no_proof_kept_no_round_is_read_to_look_for_one(
    hand: Path, tmp_path: Path, computed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a cache that never saw this call (CI on a fresh machine): no proof can end at its
    # records, so no round is read for a proof's key before the rounds are computed
    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "fresh cache"))
    log = tmp_path / "rounds read"  # a file: rounds are read in processes forked too
    real = rounds.with_round

    def counted(outline: rounds.Checked, round_id: str, lazy: bool = False) -> rounds.Checked:
        with log.open("a", encoding="utf-8") as written:
            written.write(f"{round_id} {'lazily' if lazy else 'whole'}\n")
        return real(outline, round_id, lazy)

    monkeypatch.setattr(rounds, "with_round", counted)
    code, said = publish(hand, tmp_path / "out")
    assert code == 0, said
    assert computed == ["2023Q1", "2023Q2"]
    assert log.read_text(encoding="utf-8") == "2023Q1 whole\n2023Q2 whole\n"
    assert uncached(hand, tmp_path / "every") == (code, said)
    assert files_of(tmp_path / "out") == files_of(tmp_path / "every")
    # the records it found fresh are proven now: each round is read for its proof
    computed.clear()
    log.unlink()
    assert publish(hand, tmp_path / "again") == (code, said)
    assert computed == []
    assert sorted(log.read_text(encoding="utf-8").splitlines()) == [
        "2023Q1 lazily",
        "2023Q2 lazily",
    ]


def test_a_proof_is_known_to_end_at_its_record_only(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache")
    keep_proof(cache, b"k" * 20, b"r" * 32)
    assert may_be_proven(cache, b"r" * 32)
    assert not may_be_proven(cache, b"s" * 32)
    assert not may_be_proven(None, b"r" * 32)
    assert proven(cache, b"k" * 20, b"r" * 32)
    assert not proven(cache, b"k" * 20, b"s" * 32)
