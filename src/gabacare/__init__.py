"""GabaCare: a local-first, cited companion for gabapentin therapy."""

__version__ = "0.1.0"
__all__ = ["__version__"]
