"""Alembic migrations of the journal schema (applied programmatically by :mod:`gabacare.journal.db`)."""
