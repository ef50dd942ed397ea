"""Scalars the YAML reader marks, for the models to refuse with the right words.

Light to import: the reader needs them without building gen's models.
"""

from __future__ import annotations

import re


class NotABoolean(str):
    """Text YAML 1.1 reads as a boolean but YAML 1.2, which editors use, reads as text.

    ``yes``, ``no``, ``on``, ``off``: gen keeps them as text, as editors do, so that a
    field that takes true or false refuses them and says so (see #11).
    """

    __slots__ = ()


class QuotedNumber(str):
    """Digits the file wrote in quotes (``'30500'``): text to YAML and to editors.

    A text field takes it as the text it is; a number field refuses it and says why.
    """

    __slots__ = ()


class NotANumber(str):
    """Text the reader found written as a number, but not with plain decimal digits.

    ``1_000``, ``3.8e4``, ``0x9470``, ``1:30``: YAML (or pydantic, from text) would read
    them as numbers; README promises that only plain decimal digits make one (see #8).
    """

    __slots__ = ()


#: A number as README promises it: plain decimal digits, a sign, a decimal point.
PLAIN_DECIMAL = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)")

#: What YAML 1.1 leaves as text but pydantic would still read as a number: 3.8e4, 1_000.
NUMBER_LIKE = re.compile(r"[-+]?([0-9][0-9_]*)?\.?[0-9_]*([eE][-+]?[0-9]+)?")
