"""The shared serializer (:mod:`gabacare.serialize`), under the web package's old name."""

from gabacare.serialize import citation_json, jsonable

__all__ = ["citation_json", "jsonable"]
