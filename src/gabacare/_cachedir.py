"""Where GabaCare keeps files it can always make again (compiled knowledge, the ask index, the CLI's help).

One rule for every cache: ``GABACARE_CACHE=off`` (or ``0``, ``no``, ``false``) turns caching off;
``GABACARE_CACHE_DIR`` names the folder; else the platform's user cache folder for ``gabacare``
(``$XDG_CACHE_HOME/gabacare`` or ``~/.cache/gabacare`` on Linux, answered without importing
platformdirs, so the command line's start-up stays light). Nothing here reads or writes a file.

>>> import os
>>> os.environ["GABACARE_CACHE_DIR"] = "/tmp/gabacare-cache"
>>> cache_directory()
'/tmp/gabacare-cache'
>>> os.environ["GABACARE_CACHE"] = "off"
>>> cache_directory() is None
True
>>> del os.environ["GABACARE_CACHE"], os.environ["GABACARE_CACHE_DIR"]
"""

from __future__ import annotations

import os
import sys

__all__ = ["cache_directory"]

_OFF = ("off", "0", "no", "false")


def cache_directory() -> str | None:
    """The cache folder's path, or ``None`` when caching is turned off (module docstring)."""
    if os.environ.get("GABACARE_CACHE", "").lower() in _OFF:
        return None
    configured = os.environ.get("GABACARE_CACHE_DIR")
    if configured:
        return configured
    if sys.platform == "linux":  # what platformdirs answers there
        base = os.environ.get("XDG_CACHE_HOME", "")
        return os.path.join(base if base.strip() else os.path.expanduser("~/.cache"), "gabacare")
    from platformdirs import user_cache_dir

    return str(user_cache_dir("gabacare"))
