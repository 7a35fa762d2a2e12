"""Deleting a patient from the local journal on the command line (``gabacare patient delete``).

The web and the API delete through :meth:`gabacare.accounts.service.Accounts.delete_patient`, which
needs the owning account. The command line acts as the ``cli`` actor: the machine's own operator, who
holds the database file and may already read and change every patient in it (``patient list``,
``log``, ``export``). The same safeguards apply: the patient's name must be typed to confirm (spacing
and letter case aside), live share links and the calendar feed are revoked first (each audited), so
that a deletion failing midway leaves no live way in, then one transaction removes the patient and
everything recorded about them (``AccountRepository.delete_patient``), and an audit row records the
deletion. The audit log keeps its rows naming the patient (ids, action words and times only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gabacare._record import record
from gabacare.accounts.model import AccountInputError, Actor

if TYPE_CHECKING:
    from gabacare.accounts.service import Accounts
    from gabacare.journal.services import Journal

__all__ = ["Removed", "delete_patient_locally"]


@record
class Removed:
    """What a deletion removed: counts only (no contents), as ``patient delete --json`` prints them."""

    patient: int
    entries: int
    plans: int
    questionnaires: int
    share_links: int  # every link the patient had (live, expired or revoked): all rows are deleted
    calendar_feeds_revoked: int


def _folded(name: str) -> str:
    # The comparison Accounts.delete_patient makes: spacing and letter case do not count.
    return " ".join(name.split()).casefold()


def delete_patient_locally(journal: Journal, accounts: Accounts, patient_id: int, confirm_name: str) -> Removed:
    """Delete ``patient_id`` and everything recorded about them, as the local operator (``cli`` actor).

    The name must match, spacing and letter case aside:

    >>> from gabacare.accounts.service import Accounts
    >>> from gabacare.accounts.memory import InMemoryAccountRepository
    >>> from gabacare.journal.memory import InMemoryJournalRepository
    >>> from gabacare.journal.services import Journal
    >>> mem = InMemoryJournalRepository()
    >>> journal, accounts = Journal(mem), Accounts(InMemoryAccountRepository(mem))
    >>> pid = journal.add_patient("Ada Lovelace").id
    >>> _ = journal.log_dose(pid, 300)
    >>> delete_patient_locally(journal, accounts, pid, "  ada  LOVELACE")
    Removed(patient=1, entries=1, plans=0, questionnaires=0, share_links=0, calendar_feeds_revoked=0)

    Raises
    ------
    UnknownPatientError
        No such patient; nothing changes.
    AccountInputError
        ``confirm_name`` is not the patient's name; nothing changes.
    """
    patient = journal.get_patient(patient_id)
    if _folded(confirm_name) != _folded(patient.name):
        raise AccountInputError("the name given to --confirm is not the patient's name; nothing was deleted")
    counts = journal.record_counts(patient_id)
    actor = Actor.cli()
    repo = accounts.repo
    now = accounts.clock()
    links = repo.list_share_links(patient_id)
    for link in links:
        if link.revoked_at is None:
            repo.revoke_share_link(link.id, at=now)
            accounts.audit(actor, "revoke", patient_id, "share_link", link.id)
    feeds = repo.revoke_calendar_feeds(patient_id, at=now)
    for feed_id in feeds:
        accounts.audit(actor, "revoke", patient_id, "calendar_feed", feed_id)
    for member in repo.list_members(patient_id):  # accounts it was shared with: their access ends, audited
        if repo.remove_member(patient_id, member.user_id):
            accounts.audit(actor, "revoke", patient_id, "account", member.user_id)
    repo.delete_patient(patient_id)
    accounts.audit(actor, "delete", patient_id, "patient", patient_id)
    return Removed(patient=patient_id, entries=counts["entries"], plans=counts["plans"],
                   questionnaires=counts["questionnaires"], share_links=len(links),
                   calendar_feeds_revoked=len(feeds))
