"""Sealed reviews: committed encrypted, opened in memory with the secretariat's identity.

The example call seals 2022Q2's reviews to a TEST key whose identity is public in
tests/fixtures/sealing/ (never a real call's). Amélie Roux's 2022Q2 review is committed
sealed, to the secretariat's key and her own.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import Result, invoke, replace, run_gen

EXAMPLE = Path(__file__).parent.parent / "dossiers"
KEYS = Path(__file__).parent / "fixtures" / "sealing"
SECRETARIAT = KEYS / "secretariat-TEST-ONLY.key"
REVIEWER = KEYS / "reviewer-TEST-ONLY.key"
ROUND = "2022Q2"
SEALED = f"{ROUND}/reviews/amelie-roux.yaml.age"
#: A comment only the new review holds: it must never be found in plain text on disk.
SECRET = "Appréciation confidentielle 7f3a, le budget paraît sous-estimé."

pytestmark = pytest.mark.usefixtures("clean_git_env")


@pytest.fixture
def call(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "call"))


def everything(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def graded_review(call: Path, reviewer: str = "bruno-keller", grade: str = "4") -> Path:
    """Write a review of 2022Q2 with one dossier graded and a private comment."""
    path = call / ROUND / "reviews" / f"{reviewer}.yaml"
    path.write_text(
        f"reviewer: {reviewer}\n"
        f"round: {ROUND}\n"
        "evaluations:\n"
        "  mobilite-numerique-brest:\n"
        "    grades:\n"
        f"      pertinence: {grade}\n"
        "      innovation: 3\n"
        "      impact: 4\n"
        "      faisabilite: 3\n"
        "      partenariats: 2\n"
        f"    comment: {SECRET}\n",
        encoding="utf-8",
    )
    return path


def test_without_the_identity_a_sealed_review_is_noted_not_checked(call: Path) -> None:
    found = run_gen("validate", "--call", call, "--no-git")
    assert found == Result(
        0,
        f"{call}/{SEALED}:1:1: note N001 sealed review: present, not checked; the "
        "secretariat checks it with its identity (--identity FILE or GEN_AGE_IDENTITY)\n"
        "checked 1 call file, 4 rounds, 125 dossiers, 19 reviews: 0 errors, 0 warnings, "
        "1 note\n",
        "",
    )
    github = run_gen("validate", "--call", call, "--no-git", "--format", "github")
    assert github.out.startswith(f"::notice file={call}/{SEALED},line=1,col=1,title=N001::")


@pytest.mark.parametrize("key", [SECRETARIAT, REVIEWER], ids=["secretariat", "reviewer"])
def test_with_an_identity_it_is_checked_fully(call: Path, key: Path) -> None:
    clean = "checked 1 call file, 4 rounds, 125 dossiers, 19 reviews: 0 errors, 0 warnings\n"
    assert run_gen("validate", "--call", call, "--identity", key) == Result(0, clean, "")
    assert run_gen("validate", "--call", call, GEN_AGE_IDENTITY=str(key)) == Result(0, clean, "")
    status = invoke("status", ROUND, "--call", call, "--identity", key)
    assert (
        "  reviewer amelie-roux: 3 evaluation(s) done, 0 still missing a grade, 0 conflict(s) "
        "declared"
    ) in status.out.splitlines()


def test_seal_then_errors_point_at_the_plaintext_lines(call: Path) -> None:
    plain = graded_review(call, grade="9")
    sealed = invoke("seal", plain, "--call", call)
    assert sealed == Result(
        0,
        f"sealed {plain}.age; removed {plain}: commit bruno-keller.yaml.age, never the plaintext\n",
        "",
    )
    assert not plain.exists()
    assert SECRET.encode() not in Path(f"{plain}.age").read_bytes()
    # By default the message is withheld (CI logs may be public); the place is given.
    checked = invoke("validate", "--call", call, "--identity", SECRETARIAT)
    assert checked.code == 1
    assert checked.out.splitlines()[0] == (
        f"{call}/{ROUND}/reviews/bruno-keller.yaml.age:6:19: error E209 (in a sealed review: "
        "what is wrong is not shown here; the secretariat sees it with gen validate "
        "--identity FILE --show-sealed)"
    )
    shown = invoke("validate", "--call", call, "--identity", SECRETARIAT, "--show-sealed")
    assert shown.out.splitlines()[0] == (
        f"{call}/{ROUND}/reviews/bruno-keller.yaml.age:6:19: error E209 dossier "
        "'mobilite-numerique-brest': grade 9 for 'pertinence' is outside its scale 0–5"
    )
    # Bruno Keller declared no key of his own: the secretariat's opens it, not Amélie's.
    other = invoke("validate", "--call", call, "--identity", REVIEWER)
    assert other.out.splitlines()[0] == (
        f"{call}/{ROUND}/reviews/bruno-keller.yaml.age:1:1: error E011 cannot open this "
        "sealed file: it is not sealed to the identity given, or it was altered since it was "
        "sealed"
    )


def test_the_plaintext_never_touches_the_disk(call: Path, tmp_path: Path) -> None:
    plain = graded_review(call)
    assert invoke("seal", plain, "--call", call).code == 0
    replace(call / "call.yaml", "    submissions: open\n", "    submissions: closed\n")
    before = everything(tmp_path)
    for args in (
        ("validate",),
        ("status", ROUND),
        ("score", "--round", ROUND, "--dry-run"),
        ("show", "mobilite-numerique-brest"),
        ("diff",),
    ):
        done = run_gen(*args, "--call", call, "--identity", SECRETARIAT, cwd=tmp_path)
        assert "Traceback" not in done.err, args
    after = everything(tmp_path)
    assert after.keys() == before.keys()
    assert not [name for name, data in after.items() if SECRET.encode() in data]
    unsealed = run_gen("unseal", f"{plain}.age", "--identity", SECRETARIAT)
    assert unsealed.code == 0
    assert SECRET in unsealed.out
    assert everything(tmp_path).keys() == before.keys()


def test_a_tampered_ciphertext_is_a_clear_error(call: Path) -> None:
    path = call / SEALED
    data = bytearray(path.read_bytes())
    data[-20] ^= 0x01
    path.write_bytes(bytes(data))
    found = invoke("validate", "--call", call, "--identity", SECRETARIAT)
    assert found.code == 1
    assert found.out.splitlines()[0] == (
        f"{call}/{SEALED}:1:1: error E011 cannot open this sealed file: it is not sealed to "
        "the identity given, or it was altered since it was sealed"
    )
    assert invoke("unseal", path, "--identity", SECRETARIAT) == Result(
        1,
        "",
        f"gen: error: cannot open {path}: it is not sealed to the identity given, or it was "
        "altered since it was sealed\n",
    )


def test_scoring_needs_the_identity_and_check_skips_without_it(call: Path) -> None:
    replace(call / "call.yaml", "    submissions: open\n", "    submissions: closed\n")
    refused = invoke("score", "--round", ROUND, "--call", call)
    assert refused == Result(
        2,
        "",
        f"gen: error: round {ROUND} holds 1 sealed review(s) that gen cannot open: give the "
        "secretariat's identity with --identity FILE (or GEN_AGE_IDENTITY)\n",
    )
    assert not (call / ROUND / "results.yaml").exists()
    done = invoke("score", "--round", ROUND, "--call", call, "--identity", SECRETARIAT)
    assert done.code == 0, done.err
    # The record, which everyone reads, keeps the grades sealed: values only.
    import yaml

    record = yaml.safe_load((call / ROUND / "results.yaml").read_text(encoding="utf-8"))
    graded = record["decisions"]["accompagnement-renforce-saint-pierre"]["criteria"]
    assert graded["pertinence"]["value"] is not None
    assert not [c for c in graded.values() if "grades" in c or "calibrated" in c]
    # A pull request's CI has no identity: the round is named, not failed.
    check = invoke("score", "--check", "--call", call)
    assert check == Result(
        0,
        "every other decision record matches its inputs\n",
        f"round {ROUND}: not checked: it holds 1 sealed review(s), which the secretariat "
        "opens with its identity (--identity FILE or GEN_AGE_IDENTITY); its inputs are "
        "those it was scored from\n",
    )
    assert invoke("score", "--check", "--call", call, "--identity", SECRETARIAT) == Result(
        0, "every decision record matches its inputs\n", ""
    )
    # The same reviewer twice (plain beside sealed) is an error, not two reviews.
    out = run_gen("unseal", call / SEALED, "--identity", SECRETARIAT).out
    plain = call / ROUND / "reviews" / "amelie-roux.yaml"
    plain.write_text(out, encoding="utf-8")
    twice = invoke("validate", "--call", call, "--identity", SECRETARIAT)
    assert (
        f"{call}/{SEALED}:1:1: error E012 amelie-roux has a plain and a sealed review in this "
        "round; keep one (the sealed one, in a call that seals reviews)"
    ) in twice.out.splitlines()
    # gen seal never replaces a sealed review.
    assert invoke("seal", plain, "--call", call) == Result(
        2,
        "",
        f"gen: error: {call / SEALED} exists already: gen never replaces a sealed review; to "
        f"replace it, remove it first (git rm {call / SEALED}), then seal again\n",
    )
    # Re-sealing the same review changes its bytes: the record is stale, as it should be,
    # and that shows without the identity.
    (call / SEALED).unlink()
    assert invoke("seal", plain, "--call", call).code == 0
    stale = invoke("score", "--check", "--call", call, "--identity", SECRETARIAT)
    assert stale.code == 1
    assert f"inputs changed: {SEALED}" in stale.out
    outside = invoke("score", "--check", "--call", call)
    assert outside.code == 1
    assert outside.out.splitlines()[0] == (
        f"round {ROUND}: stale record: its inputs changed since it was scored ({SEALED}); "
        "the secretariat scores it again with its identity"
    )


def test_a_plain_review_in_a_sealed_round_is_a_warning(call: Path) -> None:
    plain = graded_review(call)
    found = invoke("validate", "--call", call)
    assert (
        f"{plain}:1:1: warning W017 this review is in plain text, and the call seals this "
        f"round's reviews: run gen seal {plain} before committing it, so that only the "
        "secretariat reads it"
    ) in found.out.splitlines()
    # Rounds before sealing began keep their plain reviews without a warning.
    assert "W017" not in invoke("validate", "--call", call, "2022Q1").out


def test_seal_refuses_what_it_cannot_seal(call: Path, tmp_path: Path) -> None:
    text = (call / "call.yaml").read_text(encoding="utf-8")
    start = text.index("sealing:\n")
    end = text.index("\n\n", start)
    (call / "call.yaml").write_text(text[:start] + text[end + 2 :], encoding="utf-8")
    plain = graded_review(call)
    assert invoke("seal", plain, "--call", call) == Result(
        2,
        "",
        "gen: error: call.yaml names no key to seal reviews to: add sealing: {recipients: "
        "[age1…]} with the secretariat's public keys\n",
    )
    assert plain.exists()
    assert invoke("unseal", call / SEALED) == Result(
        2,
        "",
        "gen: error: give the identity that opens it: --identity FILE (or GEN_AGE_IDENTITY)\n",
    )
    bad = tmp_path / "bad.key"
    bad.write_text("AGE-SECRET-KEY-1NOTAKEY\n", encoding="utf-8")
    assert invoke("validate", "--call", call, "--identity", bad) == Result(
        2,
        "",
        f"gen: error: {bad}:1: this line is not an age identity (it starts with "
        "AGE-SECRET-KEY-1)\n",
    )


def test_nothing_sealed_reaches_the_publication(call: Path, tmp_path: Path) -> None:
    plain = graded_review(call)
    assert invoke("seal", plain, "--call", call).code == 0
    replace(call / "call.yaml", "    submissions: open\n", "    submissions: closed\n")
    assert invoke("score", "--round", ROUND, "--call", call, "--identity", SECRETARIAT).code == 0
    site = tmp_path / "site"
    done = invoke("publish", "--draft", "--out", site, "--call", call, "--identity", SECRETARIAT)
    assert done.code == 0, done.err
    published = b"".join(everything(site).values())
    assert SECRET.encode() not in published
    for name in (b"Bruno Keller", b"Am\xc3\xa9lie Roux", b"bruno-keller", b"amelie-roux"):
        assert name not in published


def test_what_needs_the_reviews_refuses_sealed_ones_without_the_identity(call: Path) -> None:
    need = (
        "sealed review(s), whose grades and conflicts gen assign must see: give the "
        "secretariat's identity with --identity FILE (or GEN_AGE_IDENTITY)"
    )
    assert invoke("assign", ROUND, "--call", call) == Result(
        2, "", f"gen: error: round {ROUND} holds 1 {need}\n"
    )
    assert invoke("assign", ROUND, "--call", call, "--identity", SECRETARIAT).code == 0
    # Amélie Roux's graded dossiers stay hers: the sealed review was read.
    assigned = (call / ROUND / "assignments.yaml").read_text(encoding="utf-8")
    hers = assigned.split("  amelie-roux:\n", 1)[1].split("\n  ", 1)[0]
    assert "accompagnement-renforce-saint-pierre" in hers
    assert invoke("new", "review", ROUND, "amelie-roux", "--call", call) == Result(
        2,
        "",
        f"gen: error: {call / SEALED} exists already: the reviewer's review of {ROUND} is "
        "sealed; the secretariat opens it (gen unseal)\n",
    )


def test_sealed_files_out_of_place_are_reported(call: Path, tmp_path: Path) -> None:
    shutil.copy(call / SEALED, call / ROUND / "amelie-roux.yaml.age")
    link = call / ROUND / "reviews" / "bruno-keller.yaml.age"
    link.symlink_to(tmp_path / "elsewhere.age")
    found = invoke("validate", "--call", call)
    lines = found.out.splitlines()
    assert (
        f"{call}/{ROUND}/amelie-roux.yaml.age:1:1: warning W002 ignored: a sealed review "
        "belongs in the round's reviews/ folder"
    ) in lines
    assert (f"{link}:1:1: error E010 not a regular file: gen does not follow links") in lines


def test_the_jury_spreadsheet_with_comments_needs_the_identity(call: Path, tmp_path: Path) -> None:
    replace(call / "call.yaml", "    submissions: open\n", "    submissions: closed\n")
    assert invoke("score", "--round", ROUND, "--call", call, "--identity", SECRETARIAT).code == 0
    out = tmp_path / "jury.xlsx"
    refused = invoke("export", ROUND, "--private", "--out", out, "--call", call)
    assert refused == Result(
        2,
        "",
        f"gen: error: round {ROUND} holds 1 sealed review(s) and --private adds the reviewers' "
        "comments: give the secretariat's identity with --identity FILE (or GEN_AGE_IDENTITY)\n",
    )
    assert not out.exists()
    done = invoke(
        "export", ROUND, "--private", "--out", out, "--call", call, "--identity", SECRETARIAT
    )
    assert done.code == 0, done.err
    assert out.exists()


# --- A dossier's private part -----------------------------------------------------------------

DOSSIER = f"{ROUND}/mobilite-numerique-brest.yaml"
PRIVATE = f"{ROUND}/mobilite-numerique-brest.private.yaml.age"


def test_a_dossiers_contact_sealed_apart_from_its_public_part(call: Path, tmp_path: Path) -> None:
    email = b"fatou.lambert@example.org"
    assert email in (call / DOSSIER).read_bytes()
    sealed = invoke("seal", call / DOSSIER, "--call", call)
    assert sealed == Result(
        0,
        f"sealed the private fields of {call / DOSSIER} in {call / PRIVATE}: commit both; the "
        "contact no longer appears in the public file\n",
        "",
    )
    assert b"contact" not in (call / DOSSIER).read_bytes()
    assert not [name for name, data in everything(tmp_path).items() if email in data]
    # Without the identity: the public part is checked, the private part noted.
    found = invoke("validate", "--call", call)
    assert found.code == 0
    assert (
        f"{call}/{PRIVATE}:1:1: note N002 sealed private part of a dossier: present, not "
        "checked; the secretariat checks it with its identity (--identity FILE or "
        "GEN_AGE_IDENTITY)"
    ) in found.out.splitlines()
    assert found.out.endswith("0 errors, 0 warnings, 2 notes\n")
    # With it: the dossier is whole again, in memory.
    assert invoke("validate", "--call", call, "--identity", SECRETARIAT).out.endswith(
        "0 errors, 0 warnings\n"
    )
    unsealed = run_gen("unseal", call / PRIVATE, "--identity", SECRETARIAT)
    assert unsealed == Result(
        0, "contact:\n  name: Fatou Lambert\n  email: fatou.lambert@example.org\n", ""
    )
    assert not [name for name, data in everything(tmp_path).items() if email in data]


def test_a_private_part_is_checked_at_its_own_lines(call: Path) -> None:
    assert invoke("seal", call / DOSSIER, "--call", call).code == 0
    # A contact also left in the public file is refused, at its key.
    text = (call / DOSSIER).read_text(encoding="utf-8")
    (call / DOSSIER).write_text(text + "contact:\n  name: X\n  email: x@example.org\n", "utf-8")
    doubled = invoke("validate", "--call", call)
    line = len(text.splitlines()) + 1
    assert (
        f"{call / DOSSIER}:{line}:1: error E013 contact is sealed in "
        "mobilite-numerique-brest.private.yaml.age: remove it from this file, which is public"
    ) in doubled.out.splitlines()
    (call / DOSSIER).write_text(text, encoding="utf-8")
    # A mistake inside the sealed part is located in it, at the plaintext's line.
    (call / PRIVATE).unlink()
    (call / "contact.yaml").write_text(
        "contact:\n  name: Fatou Lambert\n  email: pas-une-adresse\n", encoding="utf-8"
    )
    from gen_cli.sealing import seal

    key = (call / "call.yaml").read_text(encoding="utf-8").split("recipients: [")[1].split("]")[0]
    (call / PRIVATE).write_bytes(seal((call / "contact.yaml").read_bytes(), [key]))
    (call / "contact.yaml").unlink()
    found = invoke("validate", "--call", call, "--identity", SECRETARIAT, "--show-sealed")
    assert found.code == 1
    assert found.out.splitlines()[0].startswith(f"{call}/{PRIVATE}:3:10: error ")
    withheld = invoke("validate", "--call", call, "--identity", SECRETARIAT)
    assert "pas-une-adresse" not in withheld.out
    assert withheld.out.splitlines()[0].startswith(f"{call}/{PRIVATE}:3:10: error ")


def test_letters_in_a_call_run_in_the_open(call: Path, tmp_path: Path) -> None:
    """Set-up (b): reviews and contacts sealed; each letter holds its own data only."""
    replace(call / "call.yaml", "  rounds: [2022Q2]\n", "  rounds: [2022Q1, 2022Q2]\n")
    with (call / "call.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            "letters:\n  signatory: Camille Durand\n  role: Directrice générale\n"
            "  court: tribunal administratif de Paris\n  share_comments: true\n"
        )
    first = "2022Q1"
    review = call / first / "reviews" / "bruno-keller.yaml"
    comments = [
        line.split("comment: ", 1)[1]
        for line in review.read_text(encoding="utf-8").splitlines()
        if "comment: " in line
    ]
    assert invoke("seal", review, "--call", call).code == 0
    dossier = sorted((call / first).glob("objectif-*.yaml"))[0]
    contact = yaml_load(dossier)["contact"]["email"]
    assert invoke("seal", dossier, "--call", call).code == 0
    key = ("--identity", SECRETARIAT)
    assert invoke("score", "--round", first, "--call", call, *key).code == 0
    closed = run_gen("close", first, "--by", "Secrétariat", "--call", call, *key)
    assert closed.code == 0, closed.err
    out = tmp_path / "letters"
    refused = invoke("letters", first, "--call", call, "--out", out)
    assert refused.code == 2
    assert "sealed review(s) and letters share the reviewers' comments" in refused.err
    assert not out.exists()
    done = run_gen("letters", first, "--call", call, "--out", out, *key)
    assert done.code == 0, done.err
    letters = {p.stem: p.read_text(encoding="utf-8") for p in out.glob("*.md")}
    assert contact in letters[dossier.stem]
    for ident, text in letters.items():
        if ident != dossier.stem:
            assert contact not in text
    everything_written = "\n".join(letters.values())
    for name in ("bruno-keller", "Bruno Keller", "amelie-roux", "Amélie Roux"):
        assert name not in everything_written
    # The sealed review was opened: its comments are shared, anonymously.
    plain = everything_written.replace("\\", "")
    assert any(c in plain for c in comments)


def yaml_load(path: Path) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data
