"""The cited knowledge base: data files plus their validated, typed view."""

from gabacare.knowledge.monograph import Citation, KnowledgeBaseError, Monograph, knowledge_version, load_monograph

__all__ = ["Citation", "KnowledgeBaseError", "Monograph", "knowledge_version", "load_monograph"]
