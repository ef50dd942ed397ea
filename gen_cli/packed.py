"""A file's model kept as pickled bytes until something reads it.

Checking a large call reads few of its models: when one dossier of 100,000 changed, the
rules that span files need each dossier's id, round and themes (its facts), not the
dossier itself. Rebuilding a dossier's hundred objects costs about 50 µs, rebuilding its
bytes a fraction of that; so a dossier or review read from the cache, or made by another
process, stays packed, and is unpacked the first time a rule or a command reads it.
"""

from __future__ import annotations

import pickle
import zlib
from typing import Any, Generic, TypeVar

from gen_cli.resultcache import loads

T = TypeVar("T")


class Packed(Generic[T]):
    """A value, or the bytes it is rebuilt from when first asked for (:meth:`get`).

    Pickled, it is its bytes and their checksum: a result holding one is rebuilt without
    it, and a damaged cache entry is caught when the result is, not later.
    """

    __slots__ = ("_blob", "_read", "_value")
    __hash__ = None  # type: ignore[assignment]  # equal by value: not a key

    def __init__(self, blob: bytes, checksum: int) -> None:
        """The value to rebuild from ``blob``.

        Raises:
            pickle.UnpicklingError: ``checksum`` is not the blob's (a damaged cache entry).
        """
        if _checksum(blob) != checksum:
            raise pickle.UnpicklingError("a packed value does not match its checksum")
        self._blob: bytes | None = blob
        self._value: T | None = None
        self._read = False

    @classmethod
    def holding(cls, value: T) -> Packed[T]:
        """A value already built: packed only if it is pickled."""
        packed: Packed[T] = cls.__new__(cls)
        packed._blob, packed._value, packed._read = None, value, False
        return packed

    @property
    def read(self) -> bool:
        """Whether something asked for the value (:meth:`get`, :meth:`built`) since it was made.

        What a check read of a file beyond its facts (``delta``).
        """
        return self._read

    @property
    def unpacked(self) -> bool:
        """Whether the value is built (read, or held from the start)."""
        return self._blob is None

    def get(self) -> T:
        """The value, rebuilt from its bytes the first time.

        Raises:
            pickle.UnpicklingError: the bytes are damaged (they come from the cache).
        """
        self._read = True
        if self._blob is not None:
            self._value = loads(self._blob)
            self._blob = None  # the value is held from now on, not both
        return self._value  # type: ignore[return-value]  # set by holding() or just now

    def built(self) -> T:
        """The value, rebuilt from its bytes if they are all that is held, and not kept.

        For a value read once (a review file checked by a process of its own): only its
        bytes stay held.

        Raises:
            pickle.UnpicklingError: the bytes are damaged (they come from the cache).
        """
        self._read = True
        if self._blob is not None:
            return loads(self._blob)  # type: ignore[no-any-return]
        return self._value  # type: ignore[return-value]  # set by holding() or get()

    def __reduce__(self) -> tuple[type[Packed[Any]], tuple[bytes, int]]:
        blob = self._blob
        if blob is None:
            blob = pickle.dumps(self._value, protocol=pickle.HIGHEST_PROTOCOL)
        return (Packed, (blob, _checksum(blob)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Packed):
            return NotImplemented
        return bool(self.get() == other.get())

    def __repr__(self) -> str:
        return f"Packed({self.get()!r})"


def _checksum(blob: bytes) -> int:
    """The CRC-32 of a packed value's bytes: it tells damage, at a tenth of a hash's cost.

    Not forgery: the cache is the user's own, and rebuilds gen's types only.
    """
    return zlib.crc32(blob)
