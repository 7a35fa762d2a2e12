"""The faces map errors by their type in the one error tree (``gabacare/errors.py``), never by a built-in
base: input is exit 2 / a 4xx problem, an unexpected built-in error is exit 1 / a 500 problem and is
never reported as the user's bad input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import typer
from typer.testing import CliRunner

from gabacare import errors
from gabacare._cli.common import guard
from gabacare.cli import app
from gabacare.errors import (
    AccessError,
    ConflictError,
    GabaCareError,
    InputError,
    InternalError,
    NotFoundError,
    StorageError,
)

runner = CliRunner()
CRCL = ["crcl", "--age", "60", "--sex", "male", "--weight-kg", "72", "--scr", "1.0", "--json"]


def _raising(exc: BaseException) -> Callable[..., object]:
    def boom(*args: object, **kwargs: object) -> object:
        raise exc

    return boom


def _break_crcl(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    """Make the use case behind ``gabacare crcl`` raise ``exc`` (the command looks it up when it runs).

    The application layer is imported first: importing it while the core is patched would bind the
    patched function into it for the rest of the session (the next test would meet it).
    """
    import gabacare.app as app_layer

    monkeypatch.setattr(app_layer, "crcl", _raising(exc))


def test_a_builtin_value_error_inside_a_command_is_a_defect_not_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    _break_crcl(monkeypatch, ValueError("math domain error"))
    res = runner.invoke(app, CRCL)
    assert res.exit_code == 1, res.output
    assert "unexpected ValueError; please report it" in res.stderr
    assert "math domain error" not in res.stderr  # a defect's message may quote input: not shown


def test_a_builtin_key_error_inside_a_command_is_a_defect(monkeypatch: pytest.MonkeyPatch) -> None:
    _break_crcl(monkeypatch, KeyError("band"))
    res = runner.invoke(app, CRCL)
    assert res.exit_code == 1 and "unexpected KeyError; please report it" in res.stderr


def test_an_input_error_inside_a_command_is_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    _break_crcl(monkeypatch, InputError("weight must be above 0 kg"))
    res = runner.invoke(app, CRCL)
    assert res.exit_code == 2 and res.stdout == ""
    assert res.stderr == "gabacare: error: weight must be above 0 kg\n"


def test_the_real_command_still_refuses_bad_input_with_exit_2() -> None:
    res = runner.invoke(app, ["crcl", "--age", "500", "--sex", "male", "--weight-kg", "72", "--scr", "1.0"])
    assert res.exit_code == 2 and "age" in res.stderr and "unexpected" not in res.stderr


@pytest.mark.parametrize(
    ("exc", "code", "shown"),
    [
        (InputError("dose must be above 0 mg"), 2, "dose must be above 0 mg"),
        (NotFoundError("unknown patient id 7"), 2, "unknown patient id 7"),
        (ConflictError("that e-mail is taken"), 2, "that e-mail is taken"),
        (AccessError("not allowed"), 2, "not allowed"),
        (StorageError("the journal database is locked"), 1, "the journal database is locked"),
        (InternalError("the knowledge base does not load"), 1, "the knowledge base does not load"),
        (ValueError("x"), 1, "unexpected ValueError; please report it"),
        (KeyError("x"), 1, "unexpected KeyError; please report it"),
        (LookupError("x"), 1, "unexpected LookupError; please report it"),
        (OSError(28, "No space left on device"), 1, "No space left on device"),
    ],
)
def test_guard_maps_by_type(exc: BaseException, code: int, shown: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exited, guard():
        raise exc
    assert exited.value.exit_code == code
    assert capsys.readouterr().err == f"gabacare: error: {shown}\n"


def test_guard_treats_a_damaged_journal_file_as_the_users_to_fix(capsys: pytest.CaptureFixture[str]) -> None:
    from gabacare.journal.errors import JournalCorruptError, JournalInputError, JournalStorageError

    for exc, code in [(JournalCorruptError("not a GabaCare journal"), 2), (JournalStorageError("locked"), 1),
                      (JournalInputError("mg must be above 0"), 2)]:
        with pytest.raises(typer.Exit) as exited, guard():
            raise exc
        assert exited.value.exit_code == code, exc
    capsys.readouterr()


def test_guard_lets_click_and_exit_through() -> None:
    with pytest.raises(typer.BadParameter), guard():
        raise typer.BadParameter("bad")
    with pytest.raises(typer.Exit) as exited, guard():
        raise typer.Exit(3)
    assert exited.value.exit_code == 3


def test_exit_code_and_http_status_follow_the_tree() -> None:
    assert errors.exit_code(InputError()) == 2 and errors.http_status(InputError()) == 422
    assert errors.exit_code(ValueError()) == 1 and errors.http_status(ValueError()) == 500
    assert errors.exit_code(KeyError()) == 1 and errors.http_status(KeyError()) == 500
    assert errors.http_status(StorageError()) == 503 and errors.exit_code(StorageError()) == 1
    assert errors.http_status(InternalError()) == 500 and errors.exit_code(InternalError()) == 1
    assert errors.http_status(NotFoundError()) == 404 and errors.http_status(ConflictError()) == 409


def test_interop_errors_sit_on_the_tree() -> None:
    from gabacare.interop.cds import UnreadableOrder
    from gabacare.interop.cds_auth import CdsAuthError
    from gabacare.interop.cds_request import CdsRequestError
    from gabacare.interop.fhir import FhirResourceError
    from gabacare.interop.fhir_client import FhirFetchError
    from gabacare.interop.journal_fhir import BundleImportError

    for cls in (UnreadableOrder, CdsRequestError, FhirResourceError, BundleImportError):
        assert issubclass(cls, InputError), cls
    assert issubclass(CdsAuthError, AccessError) and issubclass(FhirFetchError, StorageError)
    for cls in (UnreadableOrder, CdsRequestError, FhirResourceError, BundleImportError, CdsAuthError, FhirFetchError):
        assert issubclass(cls, GabaCareError)


def test_the_tree_itself_gives_the_exit_codes_and_statuses_of_the_journal_errors() -> None:
    # The rule lives in errors.py (a class's cli_exit), not in a face: a damaged journal file is a
    # storage error (503 on the web) that the user must fix (exit 2); refused access is an access error.
    from gabacare.accounts.model import AccessDenied
    from gabacare.errors import exit_code, http_status
    from gabacare.journal.errors import JournalCorruptError, JournalReadOnlyError

    assert (exit_code(JournalCorruptError("damaged")), http_status(JournalCorruptError("damaged"))) == (2, 503)
    assert (exit_code(JournalReadOnlyError("read-only")), http_status(JournalReadOnlyError("read-only"))) == (1, 503)
    assert isinstance(AccessDenied(), AccessError) and exit_code(AccessDenied()) == 2
    assert isinstance(AccessDenied(), LookupError)  # still caught where unknown ids are
