"""Today's date, injectable for tests and rehearsals through ``NOTIFIER_TODAY``."""

from __future__ import annotations

import datetime as dt
import os

from notifier.errors import UsageError

ENV_TODAY = "NOTIFIER_TODAY"


def today() -> dt.date:
    """The date used for notice periods and upcoming releases (``NOTIFIER_TODAY`` overrides)."""
    override = os.environ.get(ENV_TODAY, "").strip()
    if not override:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(override)
    except ValueError:
        raise UsageError(
            f"{ENV_TODAY}='{override}' is not a date",
            where="environment",
            fix="Set it as YYYY-MM-DD or unset it.",
        ) from None
