"""Named points where a test can stop gen, to interrupt it there (kill -9) for real.

With ``GEN_PAUSE_AT`` set to a point's name, gen writes its process id to the file named
by ``GEN_PAUSE_FILE`` when it reaches that point, then waits a minute. Nothing else.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_SECONDS = 60


def pause(point: str) -> None:
    """Wait here if a test asked to (see the module's docstring)."""
    if os.environ.get("GEN_PAUSE_AT") != point:
        return
    ready = os.environ.get("GEN_PAUSE_FILE")
    if ready:
        Path(ready).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(PAUSE_SECONDS)
