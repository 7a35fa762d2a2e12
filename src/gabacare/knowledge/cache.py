"""A cache for data derived from the knowledge base (compiled lexicons, vocabularies).

Compiling the lay-language lexicon (normalising, correcting and stemming ~2,000 phrases) costs a
few hundred milliseconds, which every new ``gabacare`` process would pay again. :func:`derived`
keeps the JSON result in the user's cache directory under a key that hashes the data files and the
code that derives from them, so a changed lexicon or compiler is never served stale. Any problem
(no writable cache directory, a damaged file) falls back to building in memory: the cache can only
save time, never change a result. ``GABACARE_CACHE=off`` disables it; ``GABACARE_CACHE_DIR``
moves it. Nothing from a journal is ever written here.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["derived"]


def _directory() -> Path | None:
    if os.environ.get("GABACARE_CACHE", "").lower() in ("off", "0", "no", "false"):
        return None
    configured = os.environ.get("GABACARE_CACHE_DIR")
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("gabacare"))


def _key(name: str, data_files: Sequence[str], code_files: Sequence[str]) -> str:
    h = hashlib.sha256(name.encode())
    data = resources.files("gabacare.knowledge").joinpath("data")
    for f in data_files:
        h.update(data.joinpath(f).read_bytes())
    for f in code_files:
        h.update(Path(f).read_bytes())
    return h.hexdigest()[:32]


def derived(name: str, data_files: Sequence[str], code_files: Sequence[str], build: Callable[[], Any]) -> Any:
    """``build()``'s JSON-serialisable result, cached for these data files and this code."""
    try:
        folder = _directory()
        if folder is None:
            return build()
        path = folder / f"{name}-{_key(name, data_files, code_files)}.json"
        if path.is_file():
            with path.open(encoding="utf-8") as fh:
                return json.load(fh)
    except (OSError, ValueError):
        return build()
    value = build()
    try:
        # Only JSON-exact values are cached (a TOML date, say, is not: it is then rebuilt each time).
        encoded = json.dumps(value, separators=(",", ":"), allow_nan=False)
        if json.loads(encoded) != value:
            return value
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(encoded)
        os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
        for old in folder.glob(f"{name}-*.json"):  # earlier versions of the same data
            if old != path:
                old.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError):
        pass
    return value
