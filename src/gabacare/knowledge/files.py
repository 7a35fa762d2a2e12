"""The knowledge base's files and the code that reads them, named without importing pydantic.

The cache keys of the knowledge base's compiled forms (:mod:`gabacare.knowledge.cache`) hash the data
files each form is built from and the modules that build it. A process that only reads a compiled
form (a warm ``gabacare ask``) names them from here: importing the validating modules themselves
(:mod:`.monograph`, :mod:`.guide_data`, :mod:`.language`) would import pydantic and build their model
classes (~0.1 s), only to name their files.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib.machinery import SourceFileLoader, SourcelessFileLoader
from pathlib import Path
from typing import Any

from gabacare.errors import InternalError

__all__ = ["MONOGRAPH_FILES", "KnowledgeBaseError", "code_file", "data_dir", "guide_files", "pydantic_version_file", "read_toml"]

# The monograph is kept in two files for readability: the drug itself, and the medicines taken beside it.
MONOGRAPH_FILES = ("gabapentin.toml", "medicines.toml")


class KnowledgeBaseError(InternalError, ValueError):
    """The knowledge base failed validation; the message names the file and the problem (an
    installation defect, never the user's input: :mod:`gabacare.errors`)."""


def data_dir() -> Any:
    """The data folder (``gabacare/knowledge/data``) as an importlib resource.

    For the package loaded from a folder of files (an ordinary installation or checkout) this is the
    folder's path, the same :class:`~pathlib.Path` ``importlib.resources.files`` gives for it, without
    importing ``importlib.resources`` (with ``tempfile``, ``shutil`` and ``zipfile``: ~7 ms of a warm
    ``gabacare ask``). A package loaded otherwise (from a zip file) gets ``importlib.resources``' own.

    >>> from importlib import resources
    >>> data_dir() == resources.files("gabacare.knowledge").joinpath("data")
    True
    """
    spec = sys.modules["gabacare.knowledge"].__spec__
    if spec is not None and spec.origin is not None and isinstance(spec.loader, SourceFileLoader | SourcelessFileLoader):
        return Path(spec.origin).parent / "data"
    from importlib import resources

    return resources.files("gabacare.knowledge").joinpath("data")


def read_toml(name: str) -> dict[str, Any]:
    """The data file ``name`` (relative to the data folder, e.g. ``"topics/dosing.toml"``) parsed; raise
    :class:`KnowledgeBaseError` naming the file if it is missing or not valid TOML."""
    import tomllib  # (only when a file is parsed: a warm process reads the cache)

    try:
        with data_dir().joinpath(name).open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise KnowledgeBaseError(f"knowledge base file missing: {name}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeBaseError(f"{name}: not valid TOML: {exc}") from exc


def code_file(module: str) -> str:
    """The source file of this package's module ``module`` (``"monograph"``), without importing it.

    >>> Path(code_file("monograph")).name
    'monograph.py'
    """
    return str(Path(__file__).with_name(f"{module}.py"))


def pydantic_version_file() -> str:
    """pydantic's ``version.py`` (what ``pydantic.version.__file__`` names), without importing pydantic:
    the keys of validated forms change with pydantic's version."""
    spec = importlib.util.find_spec("pydantic")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("pydantic")
    return str(Path(spec.origin).with_name("version.py"))


def guide_files() -> tuple[str, ...]:
    """Every data file the guide is built from (relative to the data folder): its own files, the
    monograph's and ``sources.toml`` (topics render the monograph's facts and cite its sources)."""
    topics = sorted(e.name for e in data_dir().joinpath("topics").iterdir() if e.name.endswith(".toml"))
    return ("alternatives.toml", "synonyms.toml", *(f"topics/{t}" for t in topics), *MONOGRAPH_FILES, "sources.toml")
