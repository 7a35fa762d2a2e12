"""Verify the JWT bearer token a CDS client (the EHR) sends with every CDS Hooks call (spec 2.0 §security).

Rules: the header ``alg`` must be ES384 or RS384 (``none`` and every HMAC algorithm are refused before
any key is touched); the issuer must be on the allow-list, and so must ``jku`` when present; the key is
chosen by ``kid`` from a configured JWKS (never fetched from the token's ``jku``); ``aud`` must be
exactly the URL called, built from configuration and not from the Host header; ``iss``, ``aud``,
``exp``, ``iat`` and ``jti`` are required; a ``jti`` is accepted once (the caller injects the set of
seen ids, e.g. one that forgets entries after their ``exp``).

Errors::

    gabacare.errors.AccessError (also a ValueError, as before)
    └── CdsAuthError     the token is refused; the message says which rule failed (never the token)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, MutableSet
from typing import Any, Final

from gabacare.errors import AccessError

__all__ = ["ALGORITHMS", "CdsAuthError", "verify_cds_jwt"]

#: The only algorithms accepted (asymmetric, as the CDS Hooks spec requires).
ALGORITHMS: Final = ("ES384", "RS384")


class CdsAuthError(AccessError, ValueError):
    """A CDS client token was refused."""


def _keys(jwks: Mapping[str, Any] | Collection[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(jwks, Mapping):
        keys = jwks.get("keys")
        return [k for k in keys if isinstance(k, Mapping)] if isinstance(keys, list) else []
    return [k for k in jwks if isinstance(k, Mapping)]


def verify_cds_jwt(
    token: str,
    *,
    audience: str,
    issuers: Collection[str],
    jwks: Mapping[str, Any] | Collection[Mapping[str, Any]],
    seen_jti: MutableSet[str] | None = None,
    leeway_s: float = 0.0,
) -> dict[str, Any]:
    """Verify a CDS Hooks bearer token and return its claims; raise :class:`CdsAuthError` if refused.

    Parameters
    ----------
    token: the compact JWT from ``Authorization: Bearer <token>``.
    audience: the exact URL of the service called (from configuration).
    issuers: the allow-list of ``iss`` values (and of ``jku`` URLs a token may name).
    jwks: a JWKS document (``{"keys": [...]}``) or a list of JWKs; the key is chosen by ``kid``.
    seen_jti: ids already accepted; the token's ``jti`` is added on success and refused on reuse.
    leeway_s: clock skew allowed on ``exp``/``iat`` in seconds (0 by default).
    """
    import jwt

    if not isinstance(token, str) or token.count(".") != 2:
        raise CdsAuthError("the bearer token is not a compact JWT")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise CdsAuthError("the token header cannot be read") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise CdsAuthError(f"token algorithm {alg!r} is not accepted (only {', '.join(ALGORITHMS)})")
    jku = header.get("jku")
    if jku is not None and jku not in issuers and not any(str(jku).startswith(i.rstrip("/") + "/") for i in issuers):
        raise CdsAuthError("the token's jku is not on the allow-list")
    keys = _keys(jwks)
    kid = header.get("kid")
    candidates = [k for k in keys if k.get("kid") == kid] if kid is not None else keys
    if len(candidates) != 1:
        raise CdsAuthError("no single configured key matches the token's kid")
    try:
        key = jwt.PyJWK(dict(candidates[0]), algorithm=alg)
    except jwt.PyJWTError:
        raise CdsAuthError("the configured key does not fit the token's algorithm") from None
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=[alg], audience=audience, issuer=list(issuers), leeway=leeway_s,
            options={"require": ["iss", "aud", "exp", "iat", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise CdsAuthError("the token has expired") from None
    except jwt.InvalidAudienceError:
        raise CdsAuthError("the token's audience is not this service") from None
    except jwt.InvalidIssuerError:
        raise CdsAuthError("the token's issuer is not on the allow-list") from None
    except jwt.MissingRequiredClaimError as exc:
        raise CdsAuthError(f"the token lacks the required claim {exc.claim!r}") from None
    except jwt.PyJWTError as exc:
        raise CdsAuthError(f"the token is invalid ({type(exc).__name__})") from None
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise CdsAuthError("the token's jti must be a non-empty string")
    if seen_jti is not None:
        if jti in seen_jti:
            raise CdsAuthError("the token's jti was already used")
        seen_jti.add(jti)
    return claims
