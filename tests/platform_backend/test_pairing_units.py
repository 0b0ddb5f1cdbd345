"""The plain parts of pairing: token kinds, what counts as a code, the rate limiter."""

from __future__ import annotations

import time

import jwt
import pytest

from platform_backend.auth import AuthError, issue_token, verify_token
from platform_backend.pairing import ALPHABET, CODE_LENGTH, new_code, normalize_code
from platform_backend.pairing_rate import Hit, Limit, LocalRateLimits, RateLimiter

SECRET = "unit-secret-0123456789abcdefghijklmnop"


def test_token_kinds() -> None:
    web = verify_token(issue_token("42", SECRET), SECRET, expect="web")
    assert (web.kind, web.token_id) == ("web", None)
    gw = verify_token(issue_token("42", SECRET, kind="gateway", token_id="tok-12345678"),
                      SECRET, expect="gateway")
    assert (gw.user_id, gw.kind, gw.token_id) == ("42", "gateway", "tok-12345678")
    # a token minted before kinds existed signs a person in
    legacy = jwt.encode({"sub": "42", "exp": int(time.time()) + 60}, SECRET, "HS256")
    assert verify_token(legacy, SECRET, expect="web").kind == "web"
    for token, expect in ((legacy, "gateway"), (issue_token("42", SECRET), "gateway"),
                          (issue_token("42", SECRET, kind="gateway", token_id="tok-12345678"),
                           "web")):
        with pytest.raises(AuthError) as refused:
            verify_token(token, SECRET, expect=expect)  # type: ignore[arg-type]
        assert refused.value.kind == "wrong_kind"
    odd = [{"kind": "admin"}, {"kind": "gateway"}, {"kind": "gateway", "jti": "short"},
           {"kind": "gateway", "jti": 12345678901}]
    for extra in odd:
        token = jwt.encode({"sub": "42", "exp": int(time.time()) + 60, **extra}, SECRET,
                           "HS256")
        with pytest.raises(AuthError) as refused:
            verify_token(token, SECRET)
        assert refused.value.kind == "invalid", extra
    with pytest.raises(ValueError, match="token id"):
        issue_token("42", SECRET, kind="gateway")


def test_codes_are_unambiguous_and_typed_loosely() -> None:
    assert not set("0O1IL") & set(ALPHABET)
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert normalize_code(" k7px-3m9q ") == "K7PX3M9Q"
    for bad in ("K7PX3M9", "K7PX3M9QQ", "K7PX3M0Q", "K7PX3MOQ", "K7PX 3M9Ä", ""):
        assert normalize_code(bad) is None, bad


def test_rate_limiter_window() -> None:
    limiter = RateLimiter(Limit(3, 60.0))
    assert [limiter.hit("a", 100.0 + i) for i in range(3)] == [0, 0, 0]
    assert limiter.hit("a", 110.0) == 50  # the first hit leaves the window at 160
    assert limiter.hit("b", 110.0) == 0   # per key
    assert limiter.retry_after("a", 160.0) == 0
    assert limiter.hit("a", 160.0) == 0
    assert limiter.hit("a", 160.5) == 1


def test_rate_limiter_memory_is_bounded() -> None:
    limiter = RateLimiter(Limit(1, 60.0), max_keys=100)
    for i in range(1000):
        assert limiter.hit(f"addr-{i}", float(i) / 100) == 0
    assert len(limiter._hits) <= 100


def test_several_limits_count_all_or_nothing() -> None:
    limits = LocalRateLimits()
    per_user, per_address = Limit(5, 60.0), Limit(2, 60.0)
    hits = [Hit("by-user", "42", per_user), Hit("by-address", "10.0.0.1", per_address)]
    assert limits.take_now(hits, 0.0) == 0 and limits.take_now(hits, 1.0) == 0
    assert limits.take_now(hits, 2.0) == 58  # the address is full...
    # ...and the refused attempt did not use up the user's allowance
    waits = [limits.take_now([Hit("by-user", "42", per_user),
                              Hit("by-address", f"10.0.1.{i}", per_address)], 3.0 + i)
             for i in range(4)]
    assert waits == [0, 0, 0, 54]  # 5 for the user, the first at 0 s
