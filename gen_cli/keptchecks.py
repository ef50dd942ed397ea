"""A review file's checks against the call and the dossiers it names, kept between runs.

Checking a review file against the dossiers it evaluates (``rules.review_problems``)
reads gen's code, call.yaml, the review file, and, of each dossier the file names, the
file that dossier id is read from, or that no readable file holds it. Its problems are
kept in the result cache under a hash of exactly those bytes, so that when one dossier of
a large call changes, only the review files that name it are checked again.

What cannot be keyed that way is checked every time: a review or a dossier gen opened
from a sealed file (its bytes never reach the cache), and a review naming a dossier of
another round (the message suggests ids among the whole round's).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Mapping, Sequence

from gen_cli.batch import forked_map
from gen_cli.diagnostics import Problem
from gen_cli.loading import CallFolder, Source
from gen_cli.models import Review, ReviewFacts
from gen_cli.packed import Packed
from gen_cli.resultcache import loads

#: Changes when what a kept check holds, or what its key covers, does.
KEPT_FORMAT = b"review checks 2"
#: The dossier ids that no file holds, and those of files that could not be read.
ABSENT, UNREADABLE = b"absent", b"unreadable"
#: Below this many evaluations to check, starting processes costs more than it saves.
PARALLEL_FROM = 20_000
#: A problem whose message depends on more than the key covers: not kept.
_NOT_KEPT = frozenset({"E206"})

#: A review file to check: its facts, its review (unpacked only if it is checked) and the
#: dossiers whose evaluation lost a part.
KeptReview = tuple[Source, ReviewFacts, Packed[Review], frozenset[str]]
#: The checks of one review file: its problems, and the dossiers whose parts they read.
Checked = tuple[list[Problem], frozenset[str]]
Check = Callable[[Source, Review, frozenset[str]], Checked]


def review_problems_kept(
    folder: CallFolder,
    reviews: Sequence[KeptReview],
    first_files: Mapping[str, Source],
    unreadable: frozenset[str],
    check: Check,
) -> Checked:
    """``check`` of each review, in order; from the cache where its inputs are unchanged.

    Returns their problems, and the ids of the dossiers whose parts the checks read (kept
    with them: a check recalled read them too, when it was made).

    Args:
        first_files: for each dossier id, the file whose dossier the checks use.
        unreadable: names of dossier files that could not be read.
        check: the checks of one review file (its source, review and incomplete ids).
    """
    cache = folder.batch.cache
    call_text = folder.texts.get(folder.call_source.display)
    if cache is None or call_text is None:
        return _joined(_checked(check, reviews, folder.batch.jobs))
    call_token = _hashed(
        folder.call_source.display.encode("utf-8", "surrogateescape"),
        call_text.encode("utf-8", "surrogateescape"),
    )
    made = folder.keys

    def named(dossier_id: str) -> bytes:
        """The token of a dossier id no file holds (every other one is framed below)."""
        return UNREADABLE if dossier_id in unreadable else ABSENT

    # each dossier id with its file's key, framed once: a dossier is named by 3 reviews
    # or so, and 300,000 evaluations are keyed at every run of a large call
    framed = _Framed(named)
    for dossier_id, source in first_files.items():
        token = made.get(("dossier", source.display))
        framed[dossier_id] = None if token is None else _piece(dossier_id, token)
    keys = [
        _key(call_token, made.get(("review", s.display)), s, facts, i, framed)
        for s, facts, _, i in reviews
    ]
    stored = cache.get_many([k for k in keys if k is not None])
    kept = [_recalled(stored.get(key)) if key is not None else None for key in keys]
    todo = [index for index, found in enumerate(kept) if found is None]
    new: list[tuple[bytes, bytes]] = []
    fresh = _checked(check, [reviews[i] for i in todo], folder.batch.jobs)
    for index, found in zip(todo, fresh, strict=True):
        kept[index] = found
        key = keys[index]
        if key is not None and not any(p.code in _NOT_KEPT for p in found[0]):
            new.append((key, pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)))
    cache.put_many(new, [k for k in keys if k is not None])
    return _joined([found for found in kept if found is not None])


def _joined(checked: Sequence[Checked]) -> Checked:
    """The problems of several reviews' checks, in order, and every dossier they read."""
    read = frozenset[str]().union(*(ids for _, ids in checked))
    return [p for problems, _ in checked for p in problems], read


def _checked(check: Check, reviews: Sequence[KeptReview], jobs: int) -> list[Checked]:
    """``check`` of each review, in order: on every core when there are many evaluations."""
    evaluations = sum(len(facts.dossiers) for _, facts, _, _ in reviews)
    if evaluations < PARALLEL_FROM:
        jobs = 1

    def task(index: int) -> Checked:
        source, _, review, incomplete = reviews[index]
        return check(source, review.built(), incomplete)  # not held: checked once

    return forked_map(task, len(reviews), jobs)


class _Framed(dict[str, bytes | None]):
    """Each dossier id asked, framed with its file's key; None when that file has none."""

    def __init__(self, token: Callable[[str], bytes | None]) -> None:
        super().__init__()
        self._token = token

    def __missing__(self, dossier_id: str) -> bytes | None:
        token = self._token(dossier_id)
        piece = None if token is None else _piece(dossier_id, token)
        self[dossier_id] = piece
        return piece


def _piece(dossier_id: str, token: bytes) -> bytes:
    """A dossier id framed with its file's key."""
    return _framed(dossier_id.encode("utf-8", "surrogateescape")) + _framed(token)


def _key(
    call_token: bytes,
    review_token: bytes | None,
    source: Source,
    review: ReviewFacts,
    incomplete: frozenset[str],
    framed: _Framed,
) -> bytes | None:
    """The hash of what checking this review reads; None when some of it has no key."""
    if review_token is None:
        return None
    parts = [KEPT_FORMAT, call_token, review_token, os.fsencode(source.path)]
    parts += [d.encode("utf-8", "surrogateescape") for d in sorted(incomplete)]
    parts.append(b"evaluations")
    evaluated = [framed[dossier_id] for dossier_id in review.dossiers]
    known = [piece for piece in evaluated if piece is not None]
    if len(known) < len(evaluated):
        return None
    pieces = [_framed(part) for part in parts] + known
    return hashlib.blake2b(b"".join(pieces), digest_size=20).digest()


def _hashed(*parts: bytes) -> bytes:
    """A hash of ``parts`` that no other sequence of parts shares (each is length-prefixed)."""
    return hashlib.blake2b(b"".join(map(_framed, parts)), digest_size=20).digest()


def _framed(part: bytes) -> bytes:
    """``part`` after its length: framed parts joined are told apart again."""
    return len(part).to_bytes(8, "big") + part


def _recalled(blob: bytes | None) -> Checked | None:
    """A kept check, or None when there is none or it cannot be read back."""
    if blob is None:
        return None
    try:
        found = loads(blob)
    except pickle.UnpicklingError:
        return None
    if not isinstance(found, tuple) or len(found) != 2:
        return None
    problems, read = found
    if (
        isinstance(problems, list)
        and all(isinstance(p, Problem) for p in problems)
        and isinstance(read, frozenset)
        and all(isinstance(i, str) for i in read)
    ):
        return problems, read
    return None
