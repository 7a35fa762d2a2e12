"""The cited knowledge base: data files plus their validated, typed view."""

from gabacare.knowledge.monograph import Citation, KnowledgeBaseError, Monograph, load_monograph

__all__ = ["Citation", "KnowledgeBaseError", "Monograph", "load_monograph"]
