"""The Backup page: download an encrypted backup of the account, or restore one (issue 15, item 5).

``GET /account/backup``: the two forms. ``POST /account/backup``: the passphrase twice, answers the
file (``application/octet-stream``, a download). ``POST /account/backup/restore``: a file upload and
the passphrase, answers the page with what was restored. Both forms carry a CSRF token; both need a
signed-in person (not an API token); both are audited by :mod:`gabacare.app.backup` (``export`` or
``import``, per patient and for the account).

Bounds: the upload is refused with 413 from its ``Content-Length`` before the form is read when it
could not hold a backup of at most ``MAX_BACKUP_BYTES`` (plus the form's own fields); the file is then
read at most one byte past that limit. The key derivation (scrypt, 128 MiB) runs in one of the app's
password-check slots, so backups and sign-ins together never run more memory-hard work at once than
``password_checks_at_once``. A wrong passphrase, a damaged, altered or oversized file answer the page
again with the reason (422, or 413 for size), never a 500; nothing is restored then.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from gabacare.web.auth import _sentence, journal_web, page_user, password_check, render
from gabacare.web.deps import CurrentUser
from gabacare.web.problems import ProblemError
from gabacare.web.security import require_csrf

if TYPE_CHECKING:
    from gabacare.app.backup import RestoreResult

__all__ = ["FORM_OVERHEAD_BYTES", "router"]

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]

FORM_OVERHEAD_BYTES = 64 * 1024
"""Room in an upload for the form's other fields and the multipart boundaries around the file."""


def _page(request: Request, user: CurrentUser, *, error: str | None = None, restored: RestoreResult | None = None,
          status_code: int = 200) -> Response:
    from gabacare.app.backup import MAX_BACKUP_BYTES, PASSPHRASE_MIN_CHARS

    patients = journal_web(request).accounts().patients_of(user.account)
    return render(request, "account/backup.html", {
        "active": "account", "user": user, "patients": patients, "error": error, "restored": restored,
        "max_mib": MAX_BACKUP_BYTES // 2**20, "min_chars": PASSPHRASE_MIN_CHARS}, status_code)


def _upload_bound(request: Request) -> None:
    """413 before the form is parsed when the declared body cannot be a backup of the allowed size."""
    from gabacare.app.backup import MAX_BACKUP_BYTES

    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BACKUP_BYTES + FORM_OVERHEAD_BYTES:
        raise ProblemError(413, "too-large", f"A backup file is at most {MAX_BACKUP_BYTES // 2**20} MiB; "
                                             "this upload is larger. Nothing was restored.")


@router.get("/account/backup", response_class=HTMLResponse)
def backup_page(request: Request, user: CurrentUser = Depends(page_user)) -> Response:
    """What a backup holds, the download form and the restore form."""
    return _page(request, user)


@router.post("/account/backup", dependencies=[Depends(require_csrf)])
def backup_download(request: Request, passphrase: Text = "", repeat: Text = "",
                    user: CurrentUser = Depends(page_user)) -> Response:
    """The encrypted backup as a download (``gabacare-backup-YYYY-MM-DD.gcbackup``); 422 and the page
    again when the passphrases differ or are refused."""
    from gabacare.app.backup import BackupInputError, make_backup

    jw = journal_web(request)
    try:
        if passphrase != repeat:
            raise BackupInputError("the two passphrases are not the same")
        with password_check(request):
            made = make_backup(jw.journal(), jw.accounts(), user.account, passphrase, actor=user.actor)
    except BackupInputError as exc:
        return _page(request, user, error=_sentence(str(exc)), status_code=413 if _too_large(exc) else 422)
    name = f"gabacare-backup-{datetime.now(UTC):%Y-%m-%d}.gcbackup"
    return Response(made.data, media_type="application/octet-stream",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


def _too_large(exc: Exception) -> bool:
    from gabacare.app.backup import BackupTooLarge

    return isinstance(exc, BackupTooLarge)


@router.post("/account/backup/restore", response_class=HTMLResponse,
             dependencies=[Depends(_upload_bound), Depends(require_csrf)])
async def backup_restore(request: Request, user: CurrentUser = Depends(page_user)) -> Response:
    """Restore an uploaded backup into this account; the page again with the counts, or with the reason
    it was refused (413 too large, 422 otherwise).

    NOTE: the form is read here, not declared as parameters: FastAPI reads declared form fields before
    any dependency runs, and ``_upload_bound`` must see the declared length first.
    """
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import UploadFile

    from gabacare.app.backup import MAX_BACKUP_BYTES, BackupInputError, restore_backup

    form = await request.form(max_files=1, max_fields=8)
    file, passphrase = form.get("file"), form.get("passphrase")
    if not isinstance(file, UploadFile) or not file.filename:
        return _page(request, user, error="Choose a backup file to restore.", status_code=422)
    data = await file.read(MAX_BACKUP_BYTES + 1)  # one byte past the limit is enough to refuse it
    secret = passphrase if isinstance(passphrase, str) else ""
    jw = journal_web(request)

    def work() -> RestoreResult:
        with password_check(request):
            return restore_backup(jw.journal(), jw.accounts(), user.account, data, secret, actor=user.actor)

    try:
        result = await run_in_threadpool(work)
    except BackupInputError as exc:
        return _page(request, user, error=_sentence(str(exc)), status_code=413 if _too_large(exc) else 422)
    return _page(request, user, restored=result)
