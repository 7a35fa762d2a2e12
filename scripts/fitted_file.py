"""Shared by the two fitting scripts (``train_emergency_net.py``, ``train_topic_model.py``): write a
generated knowledge-base file, or with ``--check`` only say whether a fresh fit would change it."""

from __future__ import annotations

from pathlib import Path


def write_or_check(out: Path, text: str, *, check: bool, root: Path) -> int:
    """Exit status: 0 written (or up to date), 1 when ``check`` finds the file would change."""
    if check:
        same = out.exists() and out.read_text(encoding="utf-8") == text
        print(f"{out.name} is up to date" if same else f"{out.name} differs from a fresh fit")
        return 0 if same else 1
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out.relative_to(root)}")
    return 0
