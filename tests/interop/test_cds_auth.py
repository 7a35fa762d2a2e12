"""JWT bearer verification for CDS clients: ES384/RS384 accepted; none, HMAC, wrong aud/iss, expiry, replay refused."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gabacare.interop.cds_auth import CdsAuthError, verify_cds_jwt

AUD = "https://gabacare.example/cds-services/gabacare-order-sign"
ISS = "https://sandbox.cds-hooks.org"


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    ec_key = ec.generate_private_key(ec.SECP384R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    ec_jwk.update(kid="ec-1", alg="ES384")
    rsa_jwk.update(kid="rsa-1", alg="RS384")
    return {"ec": ec_key, "rsa": rsa_key, "jwks": {"keys": [ec_jwk, rsa_jwk]}}


def claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISS, "aud": AUD, "exp": now + 300, "iat": now, "jti": f"j-{time.monotonic_ns()}"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def sign(keys: dict[str, Any], alg: str = "ES384", **over: Any) -> str:
    key, kid = (keys["ec"], "ec-1") if alg == "ES384" else (keys["rsa"], "rsa-1")
    return jwt.encode(claims(**over), key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


def verify(keys: dict[str, Any], token: str, seen: set[str] | None = None) -> dict[str, Any]:
    return verify_cds_jwt(token, audience=AUD, issuers=[ISS], jwks=keys["jwks"], seen_jti=seen)


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_asymmetric_tokens_are_accepted(keys: dict[str, Any], alg: str) -> None:
    assert verify(keys, sign(keys, alg))["iss"] == ISS


def test_none_and_hmac_are_refused(keys: dict[str, Any]) -> None:
    unsigned = jwt.encode(claims(), None, algorithm="none")
    with pytest.raises(CdsAuthError, match="not accepted"):
        verify(keys, unsigned)
    hmac = jwt.encode(claims(), "secret-secret-secret-secret-secret-secret-secret", algorithm="HS256",
                      headers={"kid": "ec-1"})
    with pytest.raises(CdsAuthError, match="not accepted"):
        verify(keys, hmac)


@pytest.mark.parametrize(("over", "message"), [
    ({"aud": "https://elsewhere.example/cds-services/x"}, "audience"),
    ({"iss": "https://evil.example"}, "issuer"),
    ({"exp": int(time.time()) - 60}, "expired"),
    ({"jti": None}, "jti"),
    ({"iat": None}, "iat"),
])
def test_wrong_claims_are_refused(keys: dict[str, Any], over: dict[str, Any], message: str) -> None:
    with pytest.raises(CdsAuthError, match=message):
        verify(keys, sign(keys, **over))


def test_jti_is_single_use(keys: dict[str, Any]) -> None:
    seen: set[str] = set()
    token = sign(keys)
    verify(keys, token, seen)
    with pytest.raises(CdsAuthError, match="already used"):
        verify(keys, token, seen)


def test_unknown_kid_jku_and_garbage_are_refused(keys: dict[str, Any]) -> None:
    other = ec.generate_private_key(ec.SECP384R1())
    stranger = jwt.encode(claims(), other, algorithm="ES384", headers={"kid": "unknown"})
    with pytest.raises(CdsAuthError, match="kid"):
        verify(keys, stranger)
    forged = jwt.encode(claims(), other, algorithm="ES384", headers={"kid": "ec-1"})
    with pytest.raises(CdsAuthError, match="invalid"):
        verify(keys, forged)
    jku = jwt.encode(claims(), keys["ec"], algorithm="ES384", headers={"kid": "ec-1", "jku": "https://evil.example/jwks"})
    with pytest.raises(CdsAuthError, match="jku"):
        verify(keys, jku)
    with pytest.raises(CdsAuthError):
        verify(keys, "not-a-token")
