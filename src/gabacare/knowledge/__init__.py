"""The cited knowledge base: data files plus their validated, typed view.

The names below are imported on first use (PEP 562): a module that needs only a pydantic-free part
of the package (:mod:`gabacare.knowledge.cache`, :mod:`gabacare.knowledge.files`,
:mod:`gabacare.knowledge.words`) does not import pydantic and build the monograph's model classes.
"""

from typing import TYPE_CHECKING

from gabacare._lazy import lazy_exports

if TYPE_CHECKING:  # the names below, for type checkers; at run time they load on first use
    from gabacare.knowledge.monograph import Citation, KnowledgeBaseError, Monograph, knowledge_version, load_monograph

__all__ = ["Citation", "KnowledgeBaseError", "Monograph", "knowledge_version", "load_monograph"]

__getattr__, __dir__ = lazy_exports(__name__, globals(), dict.fromkeys(__all__, "gabacare.knowledge.monograph"), __all__)
