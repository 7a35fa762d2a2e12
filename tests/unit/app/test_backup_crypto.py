"""Properties of the backup file's encryption (gabacare.app.backup): what is sealed with a passphrase opens
with it, exactly; any single changed byte of the file (header, salt, nonce, ciphertext or tag), any cut,
and any other passphrase are refused with the same input error, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.app import backup
from gabacare.app.backup import BackupInputError, KdfParams

FAST = KdfParams(log2_n=10)
passphrases = st.text(min_size=1, max_size=40).filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s))


@settings(max_examples=60)
@given(plain=st.binary(max_size=2048), passphrase=passphrases)
def test_decrypt_undoes_encrypt(plain: bytes, passphrase: str) -> None:
    sealed = backup.encrypt(plain, passphrase, kdf=FAST)
    assert backup.decrypt(sealed, passphrase) == plain
    assert len(sealed) == backup.HEADER.size + len(plain) + 16  # header, ciphertext, GCM tag: nothing else


@settings(max_examples=60)
@given(plain=st.binary(max_size=256), passphrase=passphrases, data=st.data())
def test_any_single_flipped_byte_is_refused(plain: bytes, passphrase: str, data: st.DataObject) -> None:
    sealed = bytearray(backup.encrypt(plain, passphrase, kdf=FAST))
    where = data.draw(st.integers(0, len(sealed) - 1), label="byte")
    mask = data.draw(st.integers(1, 255), label="xor")
    sealed[where] ^= mask
    with pytest.raises(BackupInputError):
        backup.decrypt(bytes(sealed), passphrase)


@settings(max_examples=40)
@given(plain=st.binary(max_size=256), passphrase=passphrases, data=st.data())
def test_a_cut_file_is_refused(plain: bytes, passphrase: str, data: st.DataObject) -> None:
    sealed = backup.encrypt(plain, passphrase, kdf=FAST)
    cut = data.draw(st.integers(0, len(sealed) - 1), label="length")
    with pytest.raises(BackupInputError):
        backup.decrypt(sealed[:cut], passphrase)


@settings(max_examples=40)
@given(plain=st.binary(max_size=256), passphrase=passphrases, other=passphrases)
def test_another_passphrase_is_refused(plain: bytes, passphrase: str, other: str) -> None:
    if other == passphrase:
        return
    with pytest.raises(BackupInputError, match="passphrase is wrong"):
        backup.decrypt(backup.encrypt(plain, passphrase, kdf=FAST), other)


@settings(max_examples=100)
@given(junk=st.binary(max_size=200), passphrase=passphrases)
def test_arbitrary_bytes_are_an_input_error_never_a_crash(junk: bytes, passphrase: str) -> None:
    with pytest.raises(BackupInputError):
        backup.decrypt(junk, passphrase)
    with pytest.raises(BackupInputError):
        backup.decrypt(backup.MAGIC + junk, passphrase)


def test_two_files_of_the_same_contents_share_no_salt_nonce_or_ciphertext() -> None:
    a, b = (backup.encrypt(b"same contents", "same passphrase", kdf=FAST) for _ in range(2))
    assert a[:9] == b[:9]  # magic, version, KDF and its cost
    assert a[9:25] != b[9:25] and a[25:37] != b[25:37] and a[37:] != b[37:]


@pytest.mark.parametrize("kdf", [KdfParams(log2_n=9), KdfParams(log2_n=18), KdfParams(r=16), KdfParams(p=2)])
def test_costs_outside_the_bounds_are_neither_written_nor_read(kdf: KdfParams) -> None:
    with pytest.raises(BackupInputError, match="key settings"):
        backup.encrypt(b"x", "passphrase", kdf=kdf)
    sealed = bytearray(backup.encrypt(b"x", "passphrase", kdf=FAST))
    sealed[6:9] = bytes([kdf.log2_n, kdf.r, kdf.p])
    with pytest.raises(BackupInputError, match="key settings"):
        backup.decrypt(bytes(sealed), "passphrase")
