"""Charts and reports built on the core (matplotlib and WeasyPrint are imported lazily inside)."""

__all__: list[str] = []
