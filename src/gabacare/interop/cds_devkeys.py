"""A local signing key and tokens for trying CDS Hooks JWT verification on one machine (development only).

An EHR signs every CDS call with its own private key and publishes the public half; GabaCare trusts
the issuers and keys its settings name (``docs/cds-hooks.md``). To play the EHR locally::

    python -m gabacare.interop.cds_devkeys keys DIR
        writes DIR/cds-dev-key.pem (an ES384 private key, mode 0600) and DIR/cds-dev-jwks.json
        (its public JWK, kid "gabacare-dev"): point GABACARE_CDS_JWKS_FILE at the JSON file
    python -m gabacare.interop.cds_devkeys token DIR --iss ISSUER --aud URL [--lifetime-s N]
        prints one signed token (single use: a fresh jti) for the service URL ``aud``; the default
        lifetime, 240 s, stays under GABACARE_CDS_JWT_MAX_AGE_S's default of 300 s

The key never leaves DIR and is for a local demo only: an EHR's real key is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Final

__all__ = ["DEV_KID", "JWKS_FILE", "KEY_FILE", "main", "make_dev_keys", "sign_dev_token"]

DEV_KID: Final = "gabacare-dev"
KEY_FILE: Final = "cds-dev-key.pem"
JWKS_FILE: Final = "cds-dev-jwks.json"
DEFAULT_LIFETIME_S: Final = 240  # documented above: under the service's default maximum of 300 s


def make_dev_keys(directory: Path) -> tuple[Path, Path]:
    """Write a new ES384 key pair into ``directory``; return (private key PEM, public JWKS) paths."""
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    key_path = directory / KEY_FILE
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid=DEV_KID, alg="ES384", use="sig")
    jwks_path = directory / JWKS_FILE
    jwks_path.write_text(json.dumps({"keys": [jwk]}, indent=2) + "\n", encoding="utf-8")
    return key_path, jwks_path


def sign_dev_token(directory: Path, *, issuer: str, audience: str, lifetime_s: int = DEFAULT_LIFETIME_S) -> str:
    """One CDS client token signed with the key in ``directory`` (``iss``, ``aud``, ``exp``, ``iat``, ``jti``)."""
    import jwt
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key((directory / KEY_FILE).read_bytes(), password=None)
    now = int(time.time())
    claims = {"iss": issuer, "sub": issuer, "aud": audience, "iat": now, "exp": now + lifetime_s,
              "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm="ES384", headers={"kid": DEV_KID, "typ": "JWT"})  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (module docstring); returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m gabacare.interop.cds_devkeys",
                                     description="A local CDS Hooks signing key and tokens (development only).")
    sub = parser.add_subparsers(dest="command", required=True)
    keys = sub.add_parser("keys", help="write a new key pair into DIR")
    keys.add_argument("directory", type=Path)
    token = sub.add_parser("token", help="print one signed token")
    token.add_argument("directory", type=Path)
    token.add_argument("--iss", required=True, help="the issuer, as listed in GABACARE_CDS_ISSUERS")
    token.add_argument("--aud", required=True, help="GABACARE_PUBLIC_BASE_URL + the path called")
    token.add_argument("--lifetime-s", type=int, default=DEFAULT_LIFETIME_S,
                       help=f"seconds until the token expires (default {DEFAULT_LIFETIME_S})")
    args = parser.parse_args(argv)
    if args.command == "keys":
        key_path, jwks_path = make_dev_keys(args.directory)
        print(f"private key: {key_path}\npublic JWKS: {jwks_path}  (GABACARE_CDS_JWKS_FILE)")
        return 0
    if not (args.directory / KEY_FILE).is_file():
        print(f"no {KEY_FILE} in {args.directory}: run the 'keys' command first", file=sys.stderr)
        return 2
    print(sign_dev_token(args.directory, issuer=args.iss, audience=args.aud, lifetime_s=args.lifetime_s))
    return 0


if __name__ == "__main__":  # pragma: no cover - the command line
    raise SystemExit(main())
