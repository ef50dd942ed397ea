"""What day it is for gen: SOURCE_DATE_EPOCH's when set (reproducible builds), else today.

Only what the user does today is dated by it (closing a round, a new dossier's submission
date, a publication's date). Which rounds are closed is never decided by the date: it is
written in call.yaml and in the rounds' decision records.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from gen_cli.errors import GenError


def generation_date(epoch: str | None) -> date | None:
    """The date SOURCE_DATE_EPOCH gives (else none).

    Raises:
        GenError: the value is not a Unix time (exit status 2).
    """
    if not epoch:
        return None
    try:
        return datetime.fromtimestamp(int(epoch), tz=UTC).date()
    except (ValueError, OverflowError, OSError):
        raise GenError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time") from None


def today() -> date:
    """Today, or the day of SOURCE_DATE_EPOCH when set."""
    stamp = generation_date(os.environ.get("SOURCE_DATE_EPOCH"))
    return stamp if stamp is not None else date.today()
