"""Child process for the durability tests (run as a script; not collected by pytest).

usage:
  _child.py import URL PATIENT ROWS MARKER HANG   import ROWS notes; after the first chunk is
                                                 written (inside the transaction) touch MARKER,
                                                 then hang forever if HANG is "hang"
  _child.py write URL PATIENT COUNT TAG GO       wait for the file GO, then log COUNT notes, one
                                                 transaction each, texts "TAG-<i>"
  _child.py open URL GO                          wait for GO, open (and migrate) URL, add a patient
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from gabacare.composition import repository
from gabacare.journal.services import Journal

NOW = datetime(2026, 6, 30, 12, 0)


def _publish(path: Path, text: str) -> None:
    """Write a marker the parent polls for atomically: it appears whole or not at all (a plain
    write_text creates the file before writing, so the parent could read it empty)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _wait(go: str) -> None:
    _publish(Path(go).with_name(f"ready-{os.getpid()}"), "ready")
    while not Path(go).exists():
        time.sleep(0.005)


def main(argv: list[str]) -> None:
    mode, url = argv[0], argv[1]
    if mode == "open":
        _wait(argv[2])
        Journal(repository(url), clock=lambda: NOW).add_patient("Opener")
        return
    journal = Journal(repository(url), clock=lambda: NOW)
    patient = int(argv[2])
    if mode == "import":
        rows, marker, hang = int(argv[3]), Path(argv[4]), argv[5] == "hang"
        start = datetime(2025, 1, 1)
        text = "kind,at,text\n" + "".join(
            f"note,{(start + timedelta(minutes=i)).isoformat()},row {i}\n" for i in range(rows))

        def progress(done: int) -> None:
            if not marker.exists():
                _publish(marker, str(done))
                if hang:
                    time.sleep(600)

        journal.import_text(patient, text, "csv", progress=progress)
        _publish(marker.with_suffix(".done"), "committed")
    elif mode == "write":
        count, tag = int(argv[3]), argv[4]
        _wait(argv[5])
        for i in range(count):
            journal.log_note(patient, f"{tag}-{i}", at=datetime(2026, 6, 1, 8) + timedelta(seconds=i))


if __name__ == "__main__":
    main(sys.argv[1:])
