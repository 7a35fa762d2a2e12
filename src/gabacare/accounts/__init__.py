"""Accounts: who may use GabaCare and what they did, beside the journal (which holds the patients' records).

The package, by layer (ports and the service are pure Python; adapters hold the I/O):

* :mod:`gabacare.accounts.model` -- the values: users, sign-in sessions, API tokens, share links,
  patient members (viewer, logger), calendar feeds, audit entries, and the account errors;
* :mod:`gabacare.accounts.repository` -- the port (:class:`AccountRepository`) every adapter meets;
* :mod:`gabacare.accounts.service` -- the use cases (:class:`Accounts`): identity and passwords,
  sessions, tokens, share links, members, access checks, deletion, audit;
* :mod:`gabacare.accounts.audit_writer` -- audit rows of concurrent requests committed together;
* :mod:`gabacare.accounts.sql` and :mod:`gabacare.accounts.memory` -- the adapters, on the journal's
  own store (the same engine, or the same in-memory fake), so an account owns patients in one database.

The journal never imports this package (import-linter); faces reach it through the composition root.
"""
