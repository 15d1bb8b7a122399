"""Short-lived user tokens: the host application vouches for its signed-in user.

The application signs a JWT with a secret it shares with policy-notifier (HMAC-SHA256): ``sub``
is its user id, ``aud`` names this service, ``exp`` ends it soon, and an optional
``user_created_at`` (seconds since the epoch) tells when the user signed up, so that a user is
not shown notices of releases that took effect before they existed. The API never trusts a user
id it did not verify.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeGuard

import jwt

from notifier.errors import NotifierError

ALGORITHM = "HS256"
DEFAULT_AUDIENCE = "policy-notifier"
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class TokenRejected(NotifierError):  # noqa: N818 - reads as what happened to the token
    """Missing, forged, expired or wrong-audience token."""


@dataclass(frozen=True)
class TokenSettings:
    """How tokens are checked."""

    secret: str
    audience: str = DEFAULT_AUDIENCE
    max_lifetime: int = 3600  # seconds between iat and exp, at most
    leeway: int = 30


@dataclass(frozen=True)
class VerifiedUser:
    """The user a valid token names."""

    user_id: str
    created_at: dt.datetime | None = None


def verify_token(token: str | None, settings: TokenSettings) -> VerifiedUser:
    """The verified user, or :class:`TokenRejected`.

    Only HS256 is accepted. The check is written out here rather than left to PyJWT's generic
    ``jwt.decode``, which costs about 120 microseconds a call, most of the in-app API's budget
    for a request; the tests hold this check to PyJWT's answers on valid and tampered tokens.
    """
    if not token:
        raise TokenRejected(
            "missing token", where="Authorization", fix="Send `Authorization: Bearer <token>`."
        )
    claims = _verified_claims(token, settings.secret.encode("utf-8"))
    _check_times(claims, settings)
    _check_audience(claims.get("aud"), settings.audience)
    user = claims.get("sub")
    if not isinstance(user, str) or not user.strip():
        raise TokenRejected("token names no user", where="sub", fix="Put the user id in sub.")
    return VerifiedUser(user.strip(), _sign_up_time(claims.get("user_created_at", None)))


def _sign_up_time(created: object) -> dt.datetime | None:
    if not _is_number(created):
        return None
    try:
        return dt.datetime.fromtimestamp(created, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise _invalid("user_created_at out of range") from None


def _invalid(reason: str) -> TokenRejected:
    return TokenRejected(
        f"invalid token ({reason})",
        where="Authorization",
        fix="Sign tokens with the shared secret (HS256).",
    )


def _verified_claims(token: str, secret: bytes) -> dict[str, Any]:
    """The claims of a well-formed HS256 token whose signature matches ``secret``."""
    if not _COMPACT_JWS.fullmatch(token):
        raise _invalid("malformed")
    header, payload, signature = token.split(".")
    if _algorithm(header) != ALGORITHM:
        raise _invalid("algorithm not allowed")
    expected = hmac.new(secret, f"{header}.{payload}".encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _b64decode(signature)):
        raise _invalid("bad signature")
    try:
        claims = json.loads(_b64decode(payload))
    except ValueError:
        raise _invalid("unreadable claims") from None
    if not isinstance(claims, dict):
        raise _invalid("unreadable claims")
    return claims


@lru_cache(maxsize=64)
def _algorithm(header: str) -> str | None:
    """The ``alg`` of an encoded header (few distinct headers exist: cached); None if the
    header is unreadable or asks for extensions this check does not understand (``crit``)."""
    try:
        fields = json.loads(_b64decode(header))
    except ValueError:
        return None
    if not isinstance(fields, dict) or "crit" in fields:
        return None
    algorithm = fields.get("alg")
    return algorithm if isinstance(algorithm, str) else None


def _b64decode(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise _invalid("malformed") from None


def _check_times(claims: dict[str, Any], settings: TokenSettings) -> None:
    for name in ("exp", "iat"):
        if name not in claims:
            raise _invalid(f"missing {name}")
        if not _is_number(claims[name]):
            raise _invalid(f"{name} is not a number")
    now = time.time()
    if claims["exp"] <= now - settings.leeway:
        raise TokenRejected("expired token", where="exp", fix="Mint a new token.")
    if claims["iat"] > now + settings.leeway:
        raise _invalid("issued in the future")
    not_before = claims.get("nbf", now)
    if not _is_number(not_before) or not_before > now + settings.leeway:
        raise _invalid("not yet valid")
    if int(claims["exp"]) - int(claims["iat"]) > settings.max_lifetime:
        raise TokenRejected(
            "token lives too long",
            where="exp",
            fix=f"Mint tokens valid for at most {settings.max_lifetime} s.",
        )


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_audience(audience: object, expected: str) -> None:
    named = audience if isinstance(audience, list) else [audience]
    if audience is None:
        raise _invalid("missing aud")
    if expected not in named:
        raise TokenRejected(
            "token for another audience",
            where="aud",
            fix=f"Mint tokens with aud={expected!r}.",
        )


def mint_token(
    user_id: str,
    secret: str,
    *,
    audience: str = DEFAULT_AUDIENCE,
    lifetime: int = 600,
    user_created_at: dt.datetime | None = None,
) -> str:
    """A token for ``user_id``, as a host application would mint it (see the developer docs)."""
    now = int(time.time())
    claims: dict[str, object] = {"sub": user_id, "aud": audience, "iat": now, "exp": now + lifetime}
    if user_created_at is not None:
        claims["user_created_at"] = int(user_created_at.timestamp())
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
