"""Short-lived user tokens: the host application vouches for its signed-in user.

The application signs a JWT with a secret it shares with policy-notifier (HMAC-SHA256): ``sub``
is its user id, ``aud`` names this service, ``exp`` ends it soon, and an optional
``user_created_at`` (seconds since the epoch) tells when the user signed up, so that a user is
not shown notices of releases that took effect before they existed. The API never trusts a user
id it did not verify.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import jwt

from notifier.errors import NotifierError

ALGORITHM = "HS256"
DEFAULT_AUDIENCE = "policy-notifier"


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
    """The verified user, or :class:`TokenRejected`."""
    if not token:
        raise TokenRejected(
            "missing token", where="Authorization", fix="Send `Authorization: Bearer <token>`."
        )
    try:
        claims = jwt.decode(
            token,
            settings.secret,
            algorithms=[ALGORITHM],
            audience=settings.audience,
            leeway=settings.leeway,
            options={"require": ["exp", "sub", "aud", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenRejected("expired token", where="exp", fix="Mint a new token.") from None
    except jwt.InvalidAudienceError:
        raise TokenRejected(
            "token for another audience",
            where="aud",
            fix=f"Mint tokens with aud={settings.audience!r}.",
        ) from None
    except jwt.PyJWTError as exc:
        raise TokenRejected(
            f"invalid token ({exc.__class__.__name__})",
            where="Authorization",
            fix="Sign tokens with the shared secret (HS256).",
        ) from None
    if int(claims["exp"]) - int(claims["iat"]) > settings.max_lifetime:
        raise TokenRejected(
            "token lives too long",
            where="exp",
            fix=f"Mint tokens valid for at most {settings.max_lifetime} s.",
        )
    user = str(claims["sub"]).strip()
    if not user:
        raise TokenRejected("token names no user", where="sub", fix="Put the user id in sub.")
    created = claims.get("user_created_at")
    created_at = (
        dt.datetime.fromtimestamp(int(created), dt.UTC)
        if isinstance(created, int | float)
        else None
    )
    return VerifiedUser(user, created_at)


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
