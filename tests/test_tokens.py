"""The hand-written HS256 check agrees with PyJWT on valid and tampered tokens."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.web.tokens import TokenRejected, TokenSettings, mint_token, verify_token

SECRET = "a-shared-secret-long-enough-for-every-hmac-algorithm-0123456789abcdef"
SETTINGS = TokenSettings(SECRET)


def _pyjwt_accepts(token: str) -> bool:
    try:
        claims = jwt.decode(
            token,
            SECRET,
            algorithms=["HS256"],
            audience=SETTINGS.audience,
            leeway=SETTINGS.leeway,
            options={"require": ["exp", "sub", "aud", "iat"]},
        )
    except jwt.PyJWTError:
        return False
    return int(claims["exp"]) - int(claims["iat"]) <= SETTINGS.max_lifetime and bool(
        str(claims["sub"]).strip()
    )


def _ours_accepts(token: str) -> bool:
    try:
        verify_token(token, SETTINGS)
    except TokenRejected:
        return False
    return True


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "u1",
        "aud": "policy-notifier",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def _cases() -> dict[str, str]:
    now = int(time.time())
    good = jwt.encode(_claims(), SECRET, algorithm="HS256")
    header, payload, signature = good.split(".")
    return {
        "valid": good,
        "valid, audience list": jwt.encode(
            _claims(aud=["other", "policy-notifier"]), SECRET, algorithm="HS256"
        ),
        "valid, not before": jwt.encode(_claims(nbf=now - 5), SECRET, algorithm="HS256"),
        "forged": jwt.encode(_claims(), "another-" + SECRET, algorithm="HS256"),
        "payload swapped": f"{header}.{_b64(json.dumps(_claims(sub='x')).encode())}.{signature}",
        "signature cut": f"{header}.{payload}.{signature[:-4]}",
        "alg none": jwt.encode(_claims(), None, algorithm="none"),
        "alg HS512": jwt.encode(_claims(), SECRET, algorithm="HS512"),
        "crit header": jwt.encode(_claims(), SECRET, algorithm="HS256", headers={"crit": ["x"]}),
        "expired": jwt.encode(_claims(iat=now - 900, exp=now - 300), SECRET, algorithm="HS256"),
        "issued in the future": jwt.encode(
            _claims(iat=now + 600, exp=now + 900), SECRET, algorithm="HS256"
        ),
        "not yet valid": jwt.encode(_claims(nbf=now + 600), SECRET, algorithm="HS256"),
        "other audience": jwt.encode(_claims(aud="someone-else"), SECRET, algorithm="HS256"),
        "no audience": jwt.encode(_claims(aud=None), SECRET, algorithm="HS256"),
        "no expiry": jwt.encode(_claims(exp=None), SECRET, algorithm="HS256"),
        "no subject": jwt.encode(_claims(sub=None), SECRET, algorithm="HS256"),
        "blank subject": jwt.encode(_claims(sub="  "), SECRET, algorithm="HS256"),
        "long-lived": jwt.encode(_claims(exp=now + 86400), SECRET, algorithm="HS256"),
        "three dots": good + ".x",
        "not base64": "a!b.c.d",
        "empty": "..",
    }


@pytest.mark.parametrize("case", sorted(_cases()))
def test_verdict_matches_pyjwt(case: str) -> None:
    token = _cases()[case]
    assert _ours_accepts(token) == _pyjwt_accepts(token), case
    assert _ours_accepts(token) == case.startswith("valid")


@settings(max_examples=300, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from("AQgw_-x0.="))
def test_any_tampered_character_is_refused(position: int, replacement: str) -> None:
    token = mint_token("u1", SECRET)
    index = position % len(token)
    tampered = token[:index] + replacement + token[index + 1 :]
    assert _ours_accepts(tampered) == _pyjwt_accepts(tampered)


def test_user_and_sign_up_time_come_from_the_token() -> None:
    token = jwt.encode(_claims(sub=" u7 ", user_created_at=1_700_000_000), SECRET, "HS256")
    user = verify_token(token, SETTINGS)
    assert user.user_id == "u7"
    assert user.created_at is not None and int(user.created_at.timestamp()) == 1_700_000_000


def test_a_sign_up_time_out_of_range_is_refused_not_a_crash() -> None:
    token = jwt.encode(_claims(user_created_at=10**20), SECRET, "HS256")
    with pytest.raises(TokenRejected, match="user_created_at"):
        verify_token(token, SETTINGS)
