"""Journal and application settings: named, documented constants (not clinical facts).

Clinical numbers (dose limits, the withdrawal window, renal bands) live in the knowledge base;
what is here is GabaCare's own bookkeeping policy for the journal.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

__all__ = [
    "APP_NAME",
    "COUNT_SCALES",
    "DB_ENV_VAR",
    "DB_FILENAME",
    "FUTURE_TOLERANCE",
    "IMPORT_CHUNK_ROWS",
    "KNOWN_LAB_TESTS",
    "KNOWN_SCALES",
    "MAX_COUNT_PER_DAY",
    "MAX_NAME_CHARS",
    "MAX_TEXT_CHARS",
    "ON_TIME_WINDOW",
    "PCT",
    "ROLLING_WINDOW_DAYS",
    "SCORE_MAX",
    "SCORE_MIN",
    "SQLITE_BUSY_TIMEOUT_MS",
    "STEP_COMPARE_DAYS",
]

APP_NAME: Final = "gabacare"
"""Directory name under the platform's user data directory (``platformdirs.user_data_dir``)."""

DB_ENV_VAR: Final = "GABACARE_DB"
"""Environment variable holding a SQLAlchemy URL that selects the journal database."""

DB_FILENAME: Final = "journal.sqlite3"
"""File name of the default embedded SQLite journal inside the user data directory."""

SQLITE_BUSY_TIMEOUT_MS: Final = 30_000
"""How long a SQLite writer waits for another writer's lock before giving up (milliseconds)."""

ON_TIME_WINDOW: Final = timedelta(hours=1)
"""A taken dose counts as on time when it is within this much of its scheduled clock time."""

FUTURE_TOLERANCE: Final = timedelta(days=1)
"""Entries may be dated at most this far ahead of now (clock skew, time zones); later is refused."""

SCORE_MIN: Final = 0.0
"""Lowest value on a 0-10 symptom scale."""

SCORE_MAX: Final = 10.0
"""Highest value on a 0-10 symptom scale."""

MAX_COUNT_PER_DAY: Final = 10_000
"""Upper bound for count scales (e.g. spasms per day), to catch typing errors."""

KNOWN_SCALES: Final = ("spasm_intensity", "spasm_count", "pain", "anxiety", "sleep")
"""Scales named in the patient articles; any other well-formed name is a custom 0-10 scale."""

COUNT_SCALES: Final = frozenset({"spasm_count"})
"""Scales that hold a whole-number count per day instead of a 0-10 score."""

KNOWN_LAB_TESTS: Final = ("creatinine",)
"""Lab tests the journal understands; serum creatinine re-runs the renal check of the active plan."""

MAX_TEXT_CHARS: Final = 2000
"""Longest note, trigger or side-effect text accepted."""

MAX_NAME_CHARS: Final = 200
"""Longest patient name accepted."""

ROLLING_WINDOW_DAYS: Final = 7
"""Width of the rolling mean used for score trends (calendar days, trailing)."""

STEP_COMPARE_DAYS: Final = 7
"""Days before and after a plan step compared in the dose-response view."""

IMPORT_CHUNK_ROWS: Final = 1000
"""Rows written per statement during a bulk import (all inside one transaction)."""

PCT: Final = 100.0
"""Scale factor from a fraction to a percentage."""
