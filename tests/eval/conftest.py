"""The evaluation corpora run untraced by coverage.

These tests measure quality (recall, false alarms, names, topics) over ~35,000 texts; they are not there
to cover code, which the unit and spec tests do line by line. Under coverage's tracer the same work takes
about four times as long (measured 2026-12-07: 21 s against 83 s for this folder on two workers), the
largest single cost of ``make test``. So coverage is paused while a test of this folder is set up and
run (pytest-cov's own ``no_cover`` marker pauses only the call, and the scoring here happens in
module-scoped fixtures). Without ``--cov`` nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def _running_coverage(config: pytest.Config) -> Any:
    """pytest-cov's controller when it is tracing this process, else None."""
    plugin = config.pluginmanager.get_plugin("_cov")
    controller = getattr(plugin, "cov_controller", None)
    return controller if controller is not None and getattr(controller, "started", False) else None


def _untraced(item: pytest.Item) -> Iterator[None]:
    controller = _running_coverage(item.config)
    if controller is None:
        yield
        return
    controller.pause()
    try:
        yield
    finally:
        controller.resume()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    yield from _untraced(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    yield from _untraced(item)
