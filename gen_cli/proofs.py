"""A scored round's record known to be what its inputs give, kept between runs.

Publishing a round that is scored but not closed (``gen publish --draft``) first proves
its committed record is not stale: the round is computed again and the text compared
byte for byte, a minute at 100,000 dossiers. When gen writes or checks a record, it keeps
the SHA-256 of the text it computed in the result cache, under a hash of everything the
computation read: gen's code, call.yaml's bytes, the record format, the round, the path
and digest of every file of the round, the dossiers it found late (from the default
branch's history) and the budget left before it. A later run that finds the same inputs
and a committed record with that digest knows the record is fresh without computing it.

The proof only ever says "these inputs give this text": a changed byte anywhere among the
inputs is another key, and a record edited by hand has another digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal

from gen_cli.resultcache import ResultCache, code_fingerprint

#: Changes when what a proof covers does.
PROOF_FORMAT = b"record proof 1"


def proof_key(
    call_text: str | None,
    round_id: str,
    fmt: int,
    inputs: Mapping[str, str],
    late: Mapping[str, str],
    available: Decimal,
) -> bytes | None:
    """The hash of what computing a round's record reads (None: no proof can be kept).

    Args:
        call_text: call.yaml as the call was read from it (None when it is not at hand,
            or the computation read more, such as late dossiers accepted by hand).
        inputs: each file of the round, by its path in the call folder: its digest.
        late: the round's late dossiers, by id: why each is late.
        available: the call's budget left before the round.
    """
    if call_text is None:
        return None
    parts = [
        PROOF_FORMAT,
        code_fingerprint().encode(),
        call_text.encode("utf-8", "surrogateescape"),
        round_id.encode("utf-8", "surrogateescape"),
        str(fmt).encode(),
        str(available).encode(),
        b"inputs",
    ]
    for path, file_digest in sorted(inputs.items()):
        parts += [path.encode("utf-8", "surrogateescape"), file_digest.encode()]
    parts.append(b"late")
    for ident, why in sorted(late.items()):
        parts += [ident.encode("utf-8", "surrogateescape"), why.encode("utf-8", "surrogateescape")]
    return _hashed(parts)


def _hashed(parts: list[bytes]) -> bytes:
    key = hashlib.blake2b(digest_size=20)
    for part in parts:  # each length-prefixed: no other sequence of parts gives this hash
        key.update(len(part).to_bytes(8, "big"))
        key.update(part)
    return key.digest()


def keep_proof(cache: ResultCache | None, key: bytes | None, text_digest: bytes) -> None:
    """Keep that the inputs of ``key`` give a record whose SHA-256 is ``text_digest``."""
    if cache is not None and key is not None:
        ends = _ending_at(text_digest)
        cache.put_many([(key, b"sha256:" + text_digest), (ends, b"")], [key, ends])


def may_be_proven(cache: ResultCache | None, text_digest: bytes) -> bool:
    """Whether some proof kept ends at the record whose SHA-256 is given, whatever its inputs.

    When none does, a round need not be read to make its proof's key: no key would be
    found. An answer of yes proves nothing: the proof is looked for by its inputs.
    """
    if cache is None:
        return False
    ends = _ending_at(text_digest)
    return ends in cache.get_many([ends])


def _ending_at(text_digest: bytes) -> bytes:
    return _hashed([PROOF_FORMAT, b"ends at", code_fingerprint().encode(), text_digest])


def proven(cache: ResultCache | None, key: bytes | None, text_digest: bytes) -> bool:
    """Whether the inputs of ``key`` are known to give the record whose SHA-256 is given."""
    if cache is None or key is None:
        return False
    return cache.get_many([key]).get(key) == b"sha256:" + text_digest
