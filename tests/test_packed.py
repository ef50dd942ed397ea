"""Models kept packed until a rule reads them: the same report, and few models rebuilt."""

from __future__ import annotations

import hashlib
import pickle
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL, replace
from hypothesis import given
from hypothesis import strategies as st

import gen_cli.batch
import gen_cli.loading
import gen_cli.rules
from gen_cli.batch import Batch
from gen_cli.errors import GenError
from gen_cli.loading import CallFolder, load_call_folder
from gen_cli.memo import folder_key
from gen_cli.packed import Packed
from gen_cli.resultcache import ResultCache, loads
from gen_cli.rounds import check_call

BORDEAUX = "2022Q2/passerelle-bordeaux.yaml"
#: The dossiers camille-martin's review of 2022Q1 evaluates.

_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)


@given(_VALUES)
def test_a_packed_value_comes_back_equal_and_is_built_only_when_read(value: Any) -> None:
    packed = loads(pickle.dumps(Packed.holding(value), protocol=pickle.HIGHEST_PROTOCOL))
    assert isinstance(packed, Packed)
    assert not packed.unpacked
    assert packed.get() == value
    assert packed.unpacked
    assert packed == Packed.holding(value)


def test_a_damaged_packed_value_is_caught_when_its_result_is_rebuilt() -> None:
    value = {"requested": Decimal("75000.00"), "themes": ["inclusion"]}
    blob = pickle.dumps(Packed.holding(value), protocol=pickle.HIGHEST_PROTOCOL)
    inner = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    at = blob.index(inner) + inner.index(b"75000")
    damaged = blob[:at] + b"9" + blob[at + 1 :]  # still a pickle, of another amount
    with pytest.raises(pickle.UnpicklingError, match="checksum"):
        loads(damaged)


def _copies(tmp_path: Path, count: int) -> Path:
    """The minimal call with ``count`` more dossiers in 2022Q2, a round still open."""
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    replace(
        call / "call.yaml", "closes: 2022-06-30\n    submissions: closed\n", "closes: 2022-06-30\n"
    )
    model = (call / BORDEAUX).read_text(encoding="utf-8")
    for n in range(count):
        text = model.replace("passerelle-bordeaux", f"copie-{n:02d}")
        (call / "2022Q2" / f"copie-{n:02d}.yaml").write_text(text, encoding="utf-8")
    return call


def _checked(call: Path, cache: Path | None) -> tuple[list[str], CallFolder]:
    """The diagnostics of a check as gen validate makes it, and the folder it read."""
    batch = Batch(jobs=1, cache=ResultCache(cache) if cache is not None else None)
    folder = load_call_folder(call, batch=batch, lazy=True)
    report = check_call(folder, None, light=True).report
    if batch.cache is not None:
        batch.cache.close()
    return [str(d) for d in report.diagnostics], folder


def _unpacked(folder: CallFolder) -> tuple[set[str], set[str]]:
    """The dossier and review files whose models were rebuilt, by file name."""
    dossiers = {s.path.stem for s, _, packed in folder.dossier_entries if packed.unpacked}
    reviews = {s.path.stem for s, _, packed in folder.review_entries if packed.unpacked}
    return dossiers, reviews


def _reviews_checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The review files checked against the dossiers they name, by file name, as checked."""
    checked: list[str] = []
    real = gen_cli.rules.review_problems

    def checking(call: Any, review: Any, source: Any, *args: Any) -> Any:
        checked.append(source.path.stem)
        return real(call, review, source, *args)

    monkeypatch.setattr(gen_cli.rules, "review_problems", checking)
    return checked


def test_a_check_on_a_warm_cache_rebuilds_only_the_models_a_rule_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = _copies(tmp_path, 12)
    cache = tmp_path / "cache"
    _checked(call, cache)
    # one dossier of the open round changed: no rule reads a model, eligibility its facts
    replace(call / "2022Q2/copie-03.yaml", "requested: 75000", "requested: 5000")
    found, folder = _checked(call, cache)
    assert found == _checked(call, None)[0]
    assert any("copie-03.yaml" in d and "W010" in d for d in found)  # eligibility, from facts
    assert len(folder.dossier_entries) == 16
    assert _unpacked(folder) == (set(), set())
    # a dossier the reviews name changed: they are checked again, against its facts
    checked = _reviews_checked(monkeypatch)
    replace(call / "2022Q1/fabrique-marseille.yaml", "requested: 60000", "requested: 60500")
    found, folder = _checked(call, cache)
    assert checked == ["camille-martin", "yannick-le-goff"]
    assert _unpacked(folder) == (set(), set())  # each review built for its check, not held
    assert found == _checked(call, None)[0]
    # a reviewer's organisation leads a dossier she grades: that dossier is read, to name it
    checked.clear()
    replace(
        call / "2022Q1/atelier-clermont.yaml",
        "  name: Atelier numérique des Volcans",
        "  name: Association Les Codeuses du Nord",
    )
    found, folder = _checked(call, cache)
    assert checked == ["camille-martin", "yannick-le-goff"]
    assert _unpacked(folder) == ({"atelier-clermont"}, set())
    assert found == _checked(call, None)[0]
    assert [d.split(": ", 1)[1] for d in found if "E210" in d] == [
        "error E210 reviewer camille-martin is affiliated with Association Les Codeuses du "
        "Nord, which leads dossier atelier-clermont; declare the conflict (conflict: <why>) "
        "instead of grading"
    ]
    # what a command reads whole is rebuilt when it reads it, equal to a fresh reading
    assert [d.id for _, d in folder.dossiers] == [d.id for _, d in _checked(call, None)[1].dossiers]
    assert all(packed.unpacked for _, _, packed in folder.dossier_entries)


def _hashed_check(call: Path, cache: Path) -> tuple[list[str], CallFolder]:
    """A check as gen validate makes it on a cache: the folder hashed first."""
    keyed = folder_key(call, str(call), False, None, each_file=True)
    assert keyed is not None
    batch = Batch(jobs=1, cache=ResultCache(cache))
    folder = load_call_folder(call, batch=batch, hashed=keyed[1], lazy=True)
    report = check_call(folder, None, light=True).report
    assert batch.cache is not None
    batch.cache.close()
    return [str(d) for d in report.diagnostics], folder


def _read_dossiers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The dossier files whose bytes the check will read, by file name, as it reads them."""
    read: list[str] = []
    real = gen_cli.loading.read_bytes

    def reading(path: Path, *args: Any) -> Any:
        if path.parent.name.startswith("2022") and path.name.endswith(".yaml"):
            read.append(path.stem)
        return real(path, *args)

    monkeypatch.setattr(gen_cli.loading, "read_bytes", reading)
    return read


def _texts(folder: CallFolder) -> set[str]:
    """The dossier files whose text the check holds, by file name."""
    return {s.path.stem for s in folder.dossier_sources if s.display in folder.texts}


def _warned(tmp_path: Path, count: int, which: str) -> tuple[Path, Path]:
    """``_copies`` with one copy asking too little (W010), and where to keep the cache."""
    call = _copies(tmp_path, count)
    replace(call / f"2022Q2/{which}.yaml", "requested: 75000", "requested: 5000")
    return call, tmp_path / "cache"


def test_a_check_of_a_hashed_folder_reads_only_the_files_whose_results_are_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    call, cache = _warned(tmp_path, 4, "copie-02")
    read = _read_dossiers(monkeypatch)
    first, folder = _hashed_check(call, cache)
    # an empty cache: every file read once, and read again only to locate a warning (W010);
    # no other text is held
    assert len(read) == 9 and read.count("copie-02") == 2 and len(set(read)) == 8
    assert _texts(folder) == {"copie-02"}
    read.clear()
    assert first == _checked(call, None)[0]
    read.clear()
    replace(call / "2022Q2/copie-01.yaml", "title: Passerelle", "title: La passerelle")
    found, folder = _hashed_check(call, cache)
    # the file that changed, and the one whose warning is located in its text
    assert sorted(read) == ["copie-01", "copie-02"]
    assert _texts(folder) == {"copie-02"}
    assert found == first == _checked(call, None)[0]
    assert [d for d in found if "copie-02" in d and "W010" in d] == [
        f"{call}/2022Q2/copie-02.yaml:19:14: warning W010 budget.requested: La subvention "
        "demandée est comprise entre 10 000 et 150 000 euros (eligibility rule "
        "montant-demande: as it stands, the dossier is ineligible)"
    ]


def test_a_file_changed_after_it_was_hashed_is_never_located_in_its_new_text(
    tmp_path: Path,
) -> None:
    call, cache = _warned(tmp_path, 2, "copie-01")
    _hashed_check(call, cache)  # its warning kept with the result of those bytes
    keyed = folder_key(call, str(call), False, None, each_file=True)
    assert keyed is not None
    # its lines move after the hashing: the warning's line would be another one's
    text = (call / "2022Q2/copie-01.yaml").read_text(encoding="utf-8")
    (call / "2022Q2/copie-01.yaml").write_text("# moved\n" + text, encoding="utf-8")
    folder = load_call_folder(call, batch=Batch(cache=ResultCache(cache)), hashed=keyed[1])
    with pytest.raises(GenError, match=r"copie-01\.yaml changed while gen read the call folder"):
        check_call(folder, None, light=True)


def test_a_command_that_reads_every_model_builds_each_as_it_is_read(tmp_path: Path) -> None:
    call = _copies(tmp_path, 3)
    cache = tmp_path / "cache"
    _checked(call, cache)
    folder = load_call_folder(call, batch=Batch(jobs=1, cache=ResultCache(cache)))
    assert len(folder.dossier_entries) == 7 and len(folder.review_entries) == 2
    assert all(packed.unpacked for _, _, packed in folder.dossier_entries)
    assert all(packed.unpacked for _, _, packed in folder.review_entries)


def test_a_review_naming_no_dossier_rebuilds_no_other_round_to_say_did_you_mean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E206 is checked at every run (its hint lists the round's ids): from the facts."""
    call = _copies(tmp_path, 3)
    review = call / "2022Q1/reviews/camille-martin.yaml"
    text = review.read_text(encoding="utf-8")
    review.write_text(text + "  fabrique-marseile:\n    grades:\n      qualite: 3\n", "utf-8")
    cache = tmp_path / "cache"
    _checked(call, cache)
    replace(call / "2022Q2/copie-01.yaml", "title: Passerelle", "title: La passerelle")
    checked = _reviews_checked(monkeypatch)
    found, folder = _checked(call, cache)
    assert checked == ["camille-martin"]  # an E206 is not kept: checked again
    assert _unpacked(folder) == (set(), set())  # from the facts of every round
    assert found == _checked(call, None)[0]
    assert any("E206" in d and "did you mean 'fabrique-marseille'" in d for d in found)


@pytest.mark.parametrize("jobs", [1, 2])
def test_files_that_changed_or_went_after_hashing_are_read_alike_on_every_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    # the processes that parse the files read them themselves: what they read is noted
    # here as if read here, whether the bytes changed since they were hashed or can no
    # longer be read
    monkeypatch.setattr(gen_cli.batch, "PARALLEL_FROM", 0)
    call, cache = _copies(tmp_path, 4), tmp_path / "cache"
    changed, grown = call / "2022Q2/copie-01.yaml", call / "2022Q2/copie-03.yaml"
    moved = "# moved\n" + changed.read_text(encoding="utf-8")
    keyed = folder_key(call, str(call), False, None, each_file=True)
    assert keyed is not None
    changed.write_text(moved, encoding="utf-8")
    grown.write_text("#" * 1_000_001, encoding="utf-8")
    folder = load_call_folder(
        call, batch=Batch(jobs=jobs, cache=ResultCache(cache)), hashed=keyed[1], lazy=True
    )
    display = f"{call}/2022Q2/copie-01.yaml"
    assert folder.texts[display] == moved
    digest = hashlib.sha256(moved.encode("utf-8")).digest()
    assert folder.digests[display] == "sha256:" + digest.hex()
    assert folder.parsed["2022Q2/copie-01.yaml"] == digest
    assert "2022Q2/copie-03.yaml" not in folder.parsed
    assert f"{call}/2022Q2/copie-03.yaml" not in folder.digests
    assert [(p.path, p.code, p.message) for p in folder.problems if "copie-03" in p.path] == [
        (
            f"{call}/2022Q2/copie-03.yaml",
            "E009",
            "file is 1,000,001 bytes; gen accepts at most 1,000,000",
        )
    ]
    ids = [d.id for _, d in folder.dossiers]
    assert "copie-01" in ids and "copie-03" not in ids
    # what the processes made is kept under the key of the bytes they read; the file they
    # could not read has no result kept
    keyed = folder_key(call, str(call), False, None, each_file=True)
    assert keyed is not None
    read = _read_dossiers(monkeypatch)
    load_call_folder(call, batch=Batch(jobs=1, cache=ResultCache(cache)), hashed=keyed[1])
    assert read == ["copie-03"]
