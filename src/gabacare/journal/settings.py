"""Journal and application settings: named, documented constants (not clinical facts).

Clinical numbers (dose limits, the withdrawal window, renal bands) live in the knowledge base;
what is here is GabaCare's own bookkeeping policy for the journal.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Final

__all__ = [
    "APP_NAME",
    "AUDIT_DURABILITIES",
    "AUDIT_DURABILITY_ENV_VAR",
    "CALENDAR_FEED_DAYS_AHEAD",
    "CALENDAR_FEED_DAYS_BEHIND",
    "CALENDAR_FEED_REFRESH",
    "COMMON_PASSWORDS",
    "COUNT_SCALES",
    "DB_AUDIT_POOL_OVERFLOW",
    "DB_AUDIT_POOL_SIZE",
    "DB_ENV_VAR",
    "DB_FILENAME",
    "DB_PING_AFTER_IDLE_S",
    "DB_POOL_OVERFLOW",
    "DB_POOL_SIZE",
    "DISPLAY_NAME_MAX_CHARS",
    "EMAIL_MAX_CHARS",
    "FUTURE_TOLERANCE",
    "IMPORT_CHUNK_ROWS",
    "IMPORT_MAX_PROBLEMS",
    "KNOWN_LAB_TESTS",
    "KNOWN_SCALES",
    "MAX_COUNT_PER_DAY",
    "MAX_ENTRY_YEAR",
    "MAX_NAME_CHARS",
    "MAX_SLOT_DISTANCE",
    "MAX_TEXT_CHARS",
    "ON_TIME_WINDOW",
    "PASSWORD_MAX_CHARS",
    "PASSWORD_MIN_CHARS",
    "PATIENT_MEMBERS_MAX",
    "PCT",
    "PICKUP_LIST_DAYS",
    "REFILL_LEAD_DAYS",
    "REFILL_LEAD_DAYS_MAX",
    "REFILL_REMINDER_AT",
    "ROLLING_WINDOW_DAYS",
    "SCORE_MAX",
    "SCORE_MIN",
    "SECRET_BYTES",
    "SESSION_MAX_TTL",
    "SESSION_TTL",
    "SHARE_LINK_MAX_LIFETIME",
    "SQLITE_BUSY_TIMEOUT_MS",
    "STEP_COMPARE_DAYS",
    "SUPPLY_HISTORY_DAYS",
    "SUPPLY_HORIZON_DAYS",
    "TOKEN_NAME_MAX_CHARS",
]

APP_NAME: Final = "gabacare"
"""Directory name under the platform's user data directory (``platformdirs.user_data_dir``)."""

DB_ENV_VAR: Final = "GABACARE_DB"
"""Environment variable holding a SQLAlchemy URL that selects the journal database."""

DB_FILENAME: Final = "journal.sqlite3"
"""File name of the default embedded SQLite journal inside the user data directory."""

DB_POOL_SIZE: Final = 16
"""Database connections one process keeps open between requests (SQLAlchemy's ``pool_size``).

Why this many: a signed-in page holds two connections at once (its read snapshot, and the audit row's
write), and a worker serves several pages at a time on its thread pool. With SQLAlchemy's default of 5
kept, every connection above that was opened for one request and closed after it: on PostgreSQL a new
server process each time, which set the Today page's p99 at 200 req/s on two workers (54 ms with 5
kept, 31 ms with 16; benchmarks/README.md). PostgreSQL's ``max_connections`` must cover the sum over
every worker of every app host of this plus :data:`DB_POOL_OVERFLOW` and the audit rows' own
:data:`DB_AUDIT_POOL_SIZE` and :data:`DB_AUDIT_POOL_OVERFLOW` (docs/deployment.md)."""

DB_POOL_OVERFLOW: Final = 16
"""Connections a process may open beyond :data:`DB_POOL_SIZE` in a burst, closed again when returned
(SQLAlchemy's ``max_overflow``); a request that finds all of them busy waits for one."""

DB_AUDIT_POOL_SIZE: Final = 2
"""Connections a PostgreSQL process keeps for its audit rows alone, besides :data:`DB_POOL_SIZE`.

Why a pool of their own: an audit row is written in autocommit, one INSERT (one round trip) where a
transaction on a shared connection took four (BEGIN, ``SET LOCAL synchronous_commit``, INSERT, COMMIT);
its connections are opened with ``synchronous_commit`` already set. Why this few: a process writes its
audit rows one batch at a time (``accounts.audit_writer.GroupCommit``)."""

DB_AUDIT_POOL_OVERFLOW: Final = 2
"""Audit connections a process may open beyond :data:`DB_AUDIT_POOL_SIZE` (a backup or a test writing
audit rows outside the group commit), closed again when returned."""

DB_PING_AFTER_IDLE_S: Final = 1.0
"""A PostgreSQL connection taken from the pool is checked with a round trip (and replaced if the server
dropped it) only when it sat unused at least this long (seconds). Why not every time (SQLAlchemy's
``pool_pre_ping``): under load a connection is reused within milliseconds, and the check was 2 of a
signed-in page's 14 round trips. A connection that dies within this window fails one request with a
storage error (503), and the pool then replaces every connection opened before the failure."""

SQLITE_BUSY_TIMEOUT_MS: Final = 30_000
"""How long a SQLite writer waits for another writer's lock before giving up (milliseconds)."""

AUDIT_DURABILITY_ENV_VAR: Final = "GABACARE_AUDIT_DURABILITY"
"""Environment variable choosing how durable an audit row is when its request answers (one of
:data:`AUDIT_DURABILITIES`; unset = the first)."""

AUDIT_DURABILITIES: Final = ("process", "full")
"""How durable an audit row is when the request it records answers:

* ``"process"`` (default): committed, so it survives the GabaCare process being killed (SIGKILL, an
  out-of-memory kill, a crash), but the commit does not wait for the disk: the database's own log
  reaches the disk moments later (SQLite ``synchronous=NORMAL`` in WAL mode, PostgreSQL
  ``synchronous_commit=off``; a later fully durable commit carries it there at once). A power cut or
  an operating-system crash in that moment can lose the last audit rows, never a journal entry, an
  account or a plan, and never corrupts the database. A page view then waits for no fsync.
* ``"full"``: the audit row is on disk before the request answers, like every other write (each view
  waits for an fsync: on a slow disk that is the slowest pages' latency)."""

ON_TIME_WINDOW: Final = timedelta(hours=1)
"""A taken dose counts as on time when it is within this much of its scheduled clock time."""

FUTURE_TOLERANCE: Final = timedelta(days=1)
"""Entries may be dated at most this far ahead of now (clock skew, time zones); later is refused."""

MAX_SLOT_DISTANCE: Final = timedelta(days=1)
"""A dose is taken at most this far from the planned dose (its slot) it answers: a dose further away
answers another planned dose, or none (then it is an extra dose, or an as-needed one)."""

MAX_ENTRY_YEAR: Final = 9000
"""Latest year a stored entry may carry (the clock-free bound for rows already stored): beyond it a
day's or a time zone's arithmetic could overflow Python's dates. The earliest year is in the knowledge
base (``[journal_limits] earliest_year``)."""

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

IMPORT_MAX_PROBLEMS: Final = 1000
"""Bad rows an import refusal lists one by one (the rest are counted): bounds its memory and message."""

PCT: Final = 100.0
"""Scale factor from a fraction to a percentage."""

REFILL_LEAD_DAYS: Final = 7
"""Default days between the refill reminder and the run-out date (GabaCare's policy, not a clinical
fact): a week covers a prescription request, the pharmacy ordering the strength in and a weekend.
A patient may choose 0 to :data:`REFILL_LEAD_DAYS_MAX` days."""

REFILL_LEAD_DAYS_MAX: Final = 60
"""Longest refill lead time accepted (days): beyond two months a reminder says nothing about running out."""

REFILL_REMINDER_AT: Final = time(9, 0)
"""Local clock time of the refill reminder in the calendar feed (GabaCare's policy): during pharmacy
and surgery hours, so the prescription can be asked for the same day."""

SUPPLY_HORIZON_DAYS: Final = 366
"""How far ahead the run-out date is looked for (days, today included): the walk over the plan's doses
is bounded; a stock that lasts longer is reported as lasting at least until the last day looked at."""

SUPPLY_HISTORY_DAYS: Final = 366
"""How far back pick-ups and taken doses are counted (days): bounds the work of each request. A pick-up
covers at most ``[supply] max_supply_days`` (100) days at the label's maximum daily dose; pills kept
for longer than a year are not tracked (log a new pick-up with the count in hand)."""

PICKUP_LIST_DAYS: Final = 28
"""Days of planned doses the pick-up list covers (four weeks, a common pack and prescription length;
GabaCare's policy), or up to the end of a plan that ends sooner (a taper)."""


# -- accounts (web sign-in, API tokens, share links) ------------------------------------------------

PASSWORD_MIN_CHARS: Final = 10
"""Shortest password accepted at sign-up (characters); length is what resists guessing."""

PASSWORD_MAX_CHARS: Final = 1024
"""Longest password accepted; a bound so a megabyte "password" cannot tie up the Argon2 hasher."""

COMMON_PASSWORDS: Final = frozenset({
    "0987654321", "1111111111", "1234567890", "12345678910", "123456789a", "1q2w3e4r5t", "1qaz2wsx3edc",
    "abcdefghij", "administrator", "changeme123", "football123", "gabacare123", "gabapentin", "gabapentin1",
    "iloveyou12", "letmein123", "passw0rd123", "password12", "password123", "password1234", "princess123",
    "q1w2e3r4t5", "qwerty1234", "qwerty12345", "qwertyuiop", "sunshine123", "trustno1234", "welcome123",
    "zaq12wsxcde",
})
"""Passwords long enough to pass the length rule yet among the first guesses (compared lower-cased)."""

EMAIL_MAX_CHARS: Final = 254
"""Longest e-mail address accepted (the SMTP path limit of RFC 5321 less the angle brackets)."""

DISPLAY_NAME_MAX_CHARS: Final = 100
"""Longest display name of an account."""

TOKEN_NAME_MAX_CHARS: Final = 80
"""Longest label of an API token ("backup script", "phone")."""

SECRET_BYTES: Final = 32
"""Random bytes in every session id, API token and share-link token (``secrets.token_urlsafe``)."""

SESSION_TTL: Final = timedelta(hours=12)
"""Default lifetime of a sign-in session."""

SESSION_MAX_TTL: Final = timedelta(days=30)
"""Longest lifetime a session may be given ("remember me")."""

SHARE_LINK_MAX_LIFETIME: Final = timedelta(days=30)
"""Longest a clinician's read-only share link may live before it must be issued again."""

PATIENT_MEMBERS_MAX: Final = 20
"""Most other accounts one patient may be shared with (a family and carers, far from it): the Share page
lists them all and each access check reads them, so the number is bounded."""

CALENDAR_FEED_DAYS_AHEAD: Final = 56
"""Days of future doses a calendar feed carries, today included (GabaCare's policy, not a clinical
fact): eight weeks covers a whole titration to the usual targets and several taper steps, while a
calendar app, which re-reads the feed every few hours, always has the next weeks in hand even if it
goes unrefreshed for a while. The feed is re-computed on each read, so later days appear as time passes."""

CALENDAR_FEED_DAYS_BEHIND: Final = 7
"""Days of past doses a calendar feed keeps (GabaCare's policy): last week's reminders stay visible in
the calendar, while older ones drop out so the feed stays small."""

CALENDAR_FEED_REFRESH: Final = timedelta(hours=4)
"""How often a calendar feed asks to be re-read (``REFRESH-INTERVAL``, RFC 7986; ``X-PUBLISHED-TTL``):
a hint only; each calendar app keeps its own schedule, often every few hours."""
