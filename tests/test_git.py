"""gen_cli.git against real repositories built in tmp_path."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gen_cli.git import (
    SHALLOW_MESSAGE,
    Arrival,
    GitError,
    arrivals,
    changed_files,
    default_branch,
    export_folder,
    is_shallow,
    merge_base,
    repository_root,
    resolve,
    user_name,
)

APPLICANT = ("Ada Applicant", "ada@example.org")
FUNDER = ("Grace Funder", "grace@example.org")


pytestmark = pytest.mark.usefixtures("clean_git_env")


def clean_environment() -> dict[str, str]:
    """This process's environment without GIT_* variables and with no user configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return env | {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def git(cwd: Path, *args: str, date: str = "2022-01-01T12:00:00+01:00", **env: str) -> str:
    """Run git with pinned identities and dates; ``env`` overrides them (e.g. an author date)."""
    pinned = {
        "GIT_AUTHOR_NAME": FUNDER[0],
        "GIT_AUTHOR_EMAIL": FUNDER[1],
        "GIT_COMMITTER_NAME": FUNDER[0],
        "GIT_COMMITTER_EMAIL": FUNDER[1],
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    completed = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**clean_environment(), **pinned, **env},
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def commit(repo: Path, message: str, date: str, **env: str) -> str:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message, date=date, **env)
    return git(repo, "rev-parse", "HEAD")


def by(person: tuple[str, str], author_date: str | None = None) -> dict[str, str]:
    """The environment of a commit written by ``person`` (applicant or funder)."""
    env = {"GIT_AUTHOR_NAME": person[0], "GIT_AUTHOR_EMAIL": person[1]}
    env |= {"GIT_COMMITTER_NAME": person[0], "GIT_COMMITTER_EMAIL": person[1]}
    if author_date:
        env["GIT_AUTHOR_DATE"] = author_date
    return env


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet", "--template=", "-b", "main")
    return path


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class History:
    """A call repository with a direct commit, a merged branch, a removal and a re-addition."""

    def __init__(self, root: Path) -> None:
        self.repo = repo = new_repo(root / "repo")
        write(repo / "README.md", "# Call\n")
        write(repo / "call/call.yaml", "name: call\n")
        self.first = commit(repo, "Open the call", "2022-01-10T09:00:00+01:00")

        # The applicant's branch: its commits are older than anything merged after them.
        git(repo, "switch", "--quiet", "-c", "lovelace")
        write(repo / "call/2022Q1/lovelace.yaml", "id: lovelace\n")
        self.applicant = commit(
            repo,
            "Submit lovelace",
            "2022-01-11T08:00:00+01:00",
            **by(APPLICANT, author_date="2021-06-01T00:00:00+00:00"),
        )
        git(repo, "switch", "--quiet", "main")

        # A direct commit with a back-dated author date; a name with a newline comes first.
        write(repo / "call/2022Q1/babbage.yaml", "id: babbage\n")
        write(repo / "call/\nodd.yaml", "odd\n")
        write(repo / "call/2022Q1/été ü.yaml", "id: ete\n")
        self.direct = commit(
            repo,
            "Add babbage\n\nA body that is not the subject.",
            "2022-01-13T10:15:00+01:00",
            **by(APPLICANT, author_date="2020-01-01T00:00:00+00:00"),
        )

        # The funder merges the branch: the arrival is the merge's committer date.
        git(
            repo,
            "merge",
            "--quiet",
            "--no-ff",
            "-m",
            "Merge lovelace",
            "lovelace",
            date="2022-01-20T18:30:00-05:00",
            GIT_AUTHOR_DATE="2022-01-19T00:00:00+00:00",
        )
        self.merge = git(repo, "rev-parse", "HEAD")

        (repo / "call/2022Q1/babbage.yaml").unlink()
        self.removal = commit(repo, "Withdraw babbage", "2022-02-01T09:00:00+01:00")
        write(repo / "call/2022Q1/babbage.yaml", "id: babbage\nagain: true\n")
        write(repo / "elsewhere/notes.yaml", "outside the call\n")
        self.readd = commit(repo, "Resubmit babbage", "2022-02-02T09:00:00+01:00")

    def copy(self, root: Path) -> History:
        """The same repository (same commits) in ``root``, for a test to change at will."""
        copied = copy.copy(self)
        copied.repo = root / "repo"
        shutil.copytree(self.repo, copied.repo, symlinks=True)
        return copied


@pytest.fixture(scope="module")
def built_history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return History(tmp_path_factory.mktemp("history"))


@pytest.fixture
def history(built_history: History, tmp_path: Path) -> History:
    return built_history.copy(tmp_path)


# arrivals ---------------------------------------------------------------------------------


def test_arrivals_date_files_by_the_first_parent_line(built_history: History) -> None:
    direct = Arrival(built_history.direct, at("2022-01-13T10:15:00+01:00"), "Add babbage")
    assert arrivals(built_history.repo / "call", "main") == {
        "call.yaml": Arrival(built_history.first, at("2022-01-10T09:00:00+01:00"), "Open the call"),
        "\nodd.yaml": direct,
        "2022Q1/babbage.yaml": direct,
        "2022Q1/été ü.yaml": direct,
        "2022Q1/lovelace.yaml": Arrival(
            built_history.merge, at("2022-01-20T18:30:00-05:00"), "Merge lovelace"
        ),
    }


def test_arrival_of_a_merged_file_is_the_merge_committer_date(built_history: History) -> None:
    lovelace = arrivals(built_history.repo / "call", "main")["2022Q1/lovelace.yaml"]
    assert lovelace.commit == built_history.merge != built_history.applicant
    assert lovelace.time == datetime(2022, 1, 20, 18, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert lovelace.time.utcoffset() == timedelta(hours=-5)  # its own offset, kept


def test_arrivals_on_the_branch_itself_use_its_committer_date(built_history: History) -> None:
    # Not the back-dated author date (2021-06-01) the applicant chose.
    assert arrivals(built_history.repo / "call", "lovelace")["2022Q1/lovelace.yaml"] == Arrival(
        built_history.applicant, at("2022-01-11T08:00:00+01:00"), "Submit lovelace"
    )


def test_arrivals_of_the_repository_root(built_history: History) -> None:
    found = arrivals(built_history.repo, built_history.readd)
    assert sorted(found) == [
        "README.md",
        "call/\nodd.yaml",
        "call/2022Q1/babbage.yaml",
        "call/2022Q1/lovelace.yaml",
        "call/2022Q1/été ü.yaml",
        "call/call.yaml",
        "elsewhere/notes.yaml",
    ]
    assert found["elsewhere/notes.yaml"].commit == built_history.readd
    assert found["call/2022Q1/babbage.yaml"].commit == built_history.direct  # the first arrival


def test_arrivals_of_a_subfolder(built_history: History) -> None:
    assert list(arrivals(built_history.repo / "call/2022Q1", "main")) == [
        "babbage.yaml",
        "été ü.yaml",
        "lovelace.yaml",
    ]


def test_arrivals_refuse_a_shallow_clone(built_history: History, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{built_history.repo}", str(clone))
    assert is_shallow(clone) is True
    assert is_shallow(built_history.repo) is False
    with pytest.raises(GitError) as caught:
        arrivals(clone / "call", "main")
    assert str(caught.value) == (
        "the repository is a shallow clone: gen needs the default branch's full history to date"
        " submissions; fetch it (actions/checkout: fetch-depth: 0; GitLab: GIT_DEPTH: 0)"
        " or run with --no-git"
    )
    assert str(caught.value) == SHALLOW_MESSAGE


def test_arrivals_of_an_unknown_branch(built_history: History) -> None:
    with pytest.raises(GitError, match=r"^unknown revision 'nope': "):
        arrivals(built_history.repo / "call", "nope")


def test_arrivals_of_many_files_in_one_pass(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "big")
    # fast-import writes 40 commits of 100 files each in one process, in a fraction of a second.
    stream = []
    for number in range(40):
        stream.append(f"commit refs/heads/main\nmark :{number + 1}\n")
        stream.append(f"committer F <f@x> {1_640_995_200 + 3600 * number} +0100\n")
        stream.append(f"data 9\nround {number:03}\n")
        if number:
            stream.append(f"from :{number}\n")
        for item in range(100):
            body = f"id: p{number}-{item}\n"
            stream.append(
                f"M 100644 inline call/r{number}/p{item}.yaml\ndata {len(body)}\n{body}\n"
            )
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo,
        input="".join(stream).encode(),
        check=True,
    )
    found = arrivals(repo, "main")  # fast-import leaves the work tree empty: read from the top
    assert len(found) == 4000
    assert found["call/r39/p99.yaml"].time == at("2022-01-02T16:00:00+01:00")
    assert found["call/r39/p99.yaml"].subject == "round 039"
    assert found["call/r0/p0.yaml"].time == at("2022-01-01T01:00:00+01:00")


# repository_root, is_shallow, resolve, merge_base, user_name -------------------------------


def test_repository_root(built_history: History, tmp_path: Path) -> None:
    assert repository_root(built_history.repo / "call/2022Q1") == built_history.repo
    assert repository_root(built_history.repo / "call/call.yaml") == built_history.repo
    outside = tmp_path / "outside"
    outside.mkdir()
    assert repository_root(outside) is None
    assert repository_root(built_history.repo / ".git") is None


def test_repository_root_without_git(
    built_history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "")
    assert repository_root(built_history.repo) is None
    with pytest.raises(GitError, match=r"^cannot run git: "):
        resolve(built_history.repo, "main")


def test_a_leaked_git_dir_is_ignored(history: History, monkeypatch: pytest.MonkeyPatch) -> None:
    other = new_repo(history.repo.parent / "other")
    commit(other, "Other", "2023-01-01T00:00:00+00:00")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    assert resolve(history.repo, "main") == history.readd


def test_resolve(built_history: History) -> None:
    assert resolve(built_history.repo, "main") == built_history.readd
    assert resolve(built_history.repo / "call", "main~2") == built_history.merge
    assert resolve(built_history.repo, built_history.direct[:10]) == built_history.direct
    for revision in ("nope", "--output=/tmp/x", ""):
        with pytest.raises(GitError) as caught:
            resolve(built_history.repo, revision)
        assert str(caught.value) == (
            f"unknown revision '{revision}': give a branch, tag or commit of this repository"
            " (fetch it first if it lives on a remote)"
        )


def test_outside_a_repository(tmp_path: Path) -> None:
    message = (
        f"{tmp_path} is not inside a git repository: run gen in the call's repository,"
        " or run with --no-git"
    )
    for call in (resolve, arrivals):
        with pytest.raises(GitError) as caught:
            call(tmp_path, "main")
        assert str(caught.value) == message
    with pytest.raises(GitError) as caught:
        is_shallow(tmp_path)
    assert str(caught.value) == message
    assert default_branch(tmp_path) is None
    assert user_name(tmp_path) is None


def test_merge_base(history: History) -> None:
    assert merge_base(history.repo, "main", "lovelace") == history.applicant
    assert merge_base(history.repo, history.direct, "lovelace") == history.first
    git(history.repo, "switch", "--quiet", "--orphan", "unrelated")
    unrelated = commit(history.repo, "Unrelated", "2022-03-01T00:00:00+00:00")
    assert merge_base(history.repo, "main", unrelated) is None
    with pytest.raises(GitError, match=r"^unknown revision 'nope'"):
        merge_base(history.repo, "main", "nope")


def test_user_name(history: History) -> None:
    assert user_name(history.repo) is None
    git(history.repo, "config", "user.name", "Grace Funder")
    assert user_name(history.repo / "call") == "Grace Funder"


# default_branch -----------------------------------------------------------------------------


def test_default_branch_local_main_then_master(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    assert default_branch(repo) is None  # no commit yet
    commit(repo, "First", "2022-01-01T00:00:00+00:00")
    assert default_branch(repo) == "main"
    git(repo, "branch", "--quiet", "-m", "main", "master")
    assert default_branch(repo) == "master"
    git(repo, "tag", "main")  # a tag is not a branch
    git(repo, "branch", "--quiet", "-m", "master", "trunk")
    assert default_branch(repo) is None


def test_default_branch_from_the_environment(
    built_history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEN_DEFAULT_BRANCH", "lovelace")
    assert default_branch(built_history.repo) == "lovelace"
    monkeypatch.setenv("GEN_DEFAULT_BRANCH", "missing")
    with pytest.raises(GitError) as caught:
        default_branch(built_history.repo)
    assert str(caught.value) == (
        "GEN_DEFAULT_BRANCH=missing is not a branch here: fetch it (git fetch origin missing)"
        " or set GEN_DEFAULT_BRANCH to a branch that exists"
    )


def test_default_branch_in_a_clone(
    history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(history.repo, "branch", "trunk", history.direct)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", f"file://{history.repo}", str(clone))
    git(clone, "switch", "--quiet", "-c", "feature")
    git(clone, "branch", "--quiet", "-D", "main")
    assert default_branch(clone) == "origin/main"  # refs/remotes/origin/HEAD

    monkeypatch.setenv("GEN_DEFAULT_BRANCH", "lovelace")  # only on the remote
    assert default_branch(clone) == "origin/lovelace"
    monkeypatch.setenv("GEN_DEFAULT_BRANCH", "feature")  # as given first
    assert default_branch(clone) == "feature"
    monkeypatch.delenv("GEN_DEFAULT_BRANCH")

    git(clone, "remote", "set-head", "origin", "--delete")
    monkeypatch.setenv("CI_DEFAULT_BRANCH", "trunk")
    assert default_branch(clone) == "origin/trunk"
    git(clone, "branch", "--quiet", "trunk", "origin/trunk")
    assert default_branch(clone) == "trunk"
    monkeypatch.delenv("CI_DEFAULT_BRANCH")
    assert default_branch(clone) == "origin/main"


def test_default_branch_origin_head_first(
    built_history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = tmp_path / "clone"
    git(
        tmp_path,
        "clone",
        "--quiet",
        "--branch",
        "lovelace",
        f"file://{built_history.repo}",
        str(clone),
    )
    git(clone, "branch", "--quiet", "main", "origin/main")
    git(clone, "remote", "set-head", "origin", "lovelace")
    monkeypatch.setenv("CI_DEFAULT_BRANCH", "main")
    assert default_branch(clone) == "origin/lovelace"


# export_folder ------------------------------------------------------------------------------


def status(repo: Path) -> str:
    return git(repo, "status", "--porcelain", "--untracked-files=all")


def test_export_folder_at_an_old_revision_leaves_the_work_tree_alone(
    history: History, tmp_path: Path
) -> None:
    repo = history.repo
    (repo / "call/2022Q1/lovelace.yaml").write_text("id: changed\n", encoding="utf-8")
    write(repo / "call/untracked.yaml", "new\n")
    git(repo, "add", "call/untracked.yaml")
    (repo / "call/call.yaml").unlink()
    before = status(repo), (repo / ".git/index").read_bytes()

    dest = tmp_path / "base"
    export_folder(repo / "call", history.merge, dest)

    assert (status(repo), (repo / ".git/index").read_bytes()) == before
    assert (repo / "call/2022Q1/lovelace.yaml").read_text(encoding="utf-8") == "id: changed\n"
    exported = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert exported == [
        "\nodd.yaml",
        "2022Q1/babbage.yaml",
        "2022Q1/lovelace.yaml",
        "2022Q1/été ü.yaml",
        "call.yaml",
    ]
    for name in exported:
        shown = subprocess.run(
            ["git", "show", f"{history.merge}:call/{name}"], cwd=repo, capture_output=True
        )
        assert (dest / name).read_bytes() == shown.stdout


def test_export_folder_recreates_links_and_skips_submodules(
    history: History, tmp_path: Path
) -> None:
    repo = history.repo
    (repo / "call/2022Q1/link.yaml").symlink_to("../../../outside/secret.yaml")
    write(repo / "call/run.sh", "#!/bin/sh\n").chmod(0o755)
    write(repo / "call/bytes.bin", "").write_bytes(b"\x00\xff\r\n")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{history.first},call/sub")
    revision = commit(repo, "Link, script, submodule", "2022-03-01T00:00:00+00:00")

    dest = tmp_path / "head"
    export_folder(repo / "call", revision, dest)
    link = dest / "2022Q1/link.yaml"
    assert link.is_symlink()
    assert os.readlink(link) == "../../../outside/secret.yaml"
    assert os.access(dest / "run.sh", os.X_OK)
    assert not os.access(dest / "call.yaml", os.X_OK)
    assert (dest / "bytes.bin").read_bytes() == b"\x00\xff\r\n"
    assert not (dest / "sub").exists()


def test_export_folder_of_the_repository_root(built_history: History, tmp_path: Path) -> None:
    dest = tmp_path / "root"
    export_folder(built_history.repo / "call", built_history.first, dest / "call")
    export_folder(built_history.repo, built_history.first, dest / "all")
    assert sorted(p.name for p in (dest / "all").iterdir()) == ["README.md", "call"]
    assert (dest / "call/call.yaml").read_text(encoding="utf-8") == "name: call\n"


def test_export_folder_missing_at_that_revision(built_history: History, tmp_path: Path) -> None:
    dest = tmp_path / "empty"
    export_folder(built_history.repo / "call/2022Q1", built_history.first, dest)
    assert list(dest.iterdir()) == []


def test_export_folder_needs_an_empty_destination(built_history: History, tmp_path: Path) -> None:
    write(tmp_path / "full/x", "x")
    with pytest.raises(GitError, match=r"full is not empty: export into an empty folder$"):
        export_folder(built_history.repo / "call", "main", tmp_path / "full")
    with pytest.raises(GitError, match=r"^unknown revision 'nope'"):
        export_folder(built_history.repo / "call", "nope", tmp_path / "dest")


def crafted_commit(repo: Path, call_entries: list[tuple[str, bytes, str]]) -> str:
    """A commit whose tree has the folder ``call`` with raw entries git itself would refuse."""

    def blob(content: bytes) -> str:
        out = subprocess.run(
            ["git", "hash-object", "-w", "--stdin"], cwd=repo, input=content, capture_output=True
        )
        return out.stdout.decode().strip()

    def tree(entries: list[tuple[str, bytes, str]]) -> str:
        data = b"".join(
            mode.encode() + b" " + name + b"\0" + bytes.fromhex(sha) for mode, name, sha in entries
        )
        out = subprocess.run(
            ["git", "hash-object", "-t", "tree", "-w", "--literally", "--stdin"],
            cwd=repo,
            input=data,
            capture_output=True,
        )
        return out.stdout.decode().strip()

    resolved = [(m, n, blob(s.encode()) if m != "40000" else s) for m, n, s in call_entries]
    top = tree([("40000", b"call", tree(resolved))])
    return git(repo, "commit-tree", top, "-m", "crafted")


def files_outside(tmp_path: Path, dest: Path) -> set[Path]:
    return {p for p in tmp_path.rglob("*") if dest not in p.parents and p != dest}


@pytest.mark.parametrize("name", [b"..", b"../../escape", b"/etc/escape", b".git", b"a\\..\\b"])
def test_export_folder_refuses_a_path_leading_outside(
    history: History, tmp_path: Path, name: bytes
) -> None:
    repo = history.repo
    if name in {b"..", b".git"}:  # a folder of that name holding a file
        inner = crafted_commit(repo, [("100644", b"escape", "pwned\n")])
        inner_tree = git(repo, "rev-parse", f"{inner}:call")
        revision = crafted_commit(repo, [("40000", name, inner_tree)])
    else:
        revision = crafted_commit(repo, [("100644", name, "pwned\n")])
    listed = git(repo, "ls-tree", "-r", "--full-tree", "--name-only", revision)
    assert listed.lstrip('"').startswith("call/")  # git lists it as is
    dest = tmp_path / "dest" / "deeper"
    before = files_outside(tmp_path, dest)
    with pytest.raises(GitError, match=r"holds an unsafe path .*: refusing to export it"):
        export_folder(repo / "call", revision, dest)
    assert files_outside(tmp_path, dest) == before
    assert not dest.exists()


@pytest.mark.parametrize(
    ("link_first", "problem"),
    [(True, "uses 'x/pwned.yaml' both as a file and a folder"), (False, "names 'x' twice")],
)
def test_export_folder_never_writes_through_a_link(
    history: History, tmp_path: Path, link_first: bool, problem: str
) -> None:
    repo = history.repo
    outside = tmp_path / "outside"
    outside.mkdir()
    inner = crafted_commit(repo, [("100644", b"pwned.yaml", "pwned\n")])
    folder = ("40000", b"x", git(repo, "rev-parse", f"{inner}:call"))
    link = ("120000", b"x", str(outside))
    entries = [link, folder] if link_first else [folder, link]
    revision = crafted_commit(repo, entries)
    with pytest.raises(GitError) as caught:
        export_folder(repo / "call", revision, tmp_path / "dest")
    assert str(caught.value) == f"the tree of {revision} {problem}: refusing to export it"
    assert list(outside.iterdir()) == []


# changed_files ------------------------------------------------------------------------------


def test_changed_files_between_revisions(built_history: History) -> None:
    call = built_history.repo / "call"
    assert changed_files(call, built_history.first, built_history.merge) == [
        "\nodd.yaml",
        "2022Q1/babbage.yaml",
        "2022Q1/lovelace.yaml",
        "2022Q1/été ü.yaml",
    ]
    assert changed_files(call, built_history.merge, "main") == ["2022Q1/babbage.yaml"]
    assert changed_files(built_history.repo, built_history.merge, "main") == [
        "call/2022Q1/babbage.yaml",
        "elsewhere/notes.yaml",
    ]


def test_changed_files_against_the_work_tree(history: History) -> None:
    repo = history.repo
    call = repo / "call"
    assert changed_files(call, "main", None) == []
    write(repo / ".gitignore", "*.tmp\n")
    write(call / "2022Q2/new dossier.yaml", "id: new\n")  # untracked
    write(call / "scratch.tmp", "ignored\n")
    write(repo / "elsewhere/more.yaml", "outside\n")
    (call / "call.yaml").write_text("name: changed\n", encoding="utf-8")
    (call / "2022Q1/lovelace.yaml").unlink()
    write(call / "staged.yaml", "staged\n")
    git(repo, "add", "call/staged.yaml")
    assert changed_files(call, "main", None) == [
        "2022Q1/lovelace.yaml",
        "2022Q2/new dossier.yaml",
        "call.yaml",
        "staged.yaml",
    ]
    assert changed_files(call / "2022Q2", history.first, None) == ["new dossier.yaml"]
