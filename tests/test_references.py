from __future__ import annotations

import time

import pytest

from flask_server_functions.errors import ExpiredReference, InvalidReference
from flask_server_functions.references import ReferenceCodec, secret_keys


def codec(*keys: str, max_age: int | None = 3600) -> ReferenceCodec:
    return ReferenceCodec(list(keys or ["k1"]), max_age=max_age)


def test_round_trip_unbound() -> None:
    c = codec()
    assert c.loads(c.dumps("abc123")) == ("abc123", {})


def test_round_trip_bound_and_template() -> None:
    c = codec()
    sealed = {"b": {"note_id": 7, "tags": ["a"]}, "t": "other.html"}
    assert c.loads(c.dumps("abc123", sealed)) == ("abc123", sealed)


def test_token_is_url_safe() -> None:
    token = codec().dumps("abc", {"text": "é / ? & #"})
    assert all(ch.isalnum() or ch in "-_.~" for ch in token)


def test_unbound_token_is_cached() -> None:
    c = codec()
    assert c.dumps("abc") is c.dumps("abc")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],
        lambda t: t[:10],
        lambda t: "x" + t[1:],
        lambda t: t.replace(".", "", 1),
        lambda t: "",
        lambda t: "....",
        lambda t: t + "A",
    ],
    ids=["last-char", "truncated", "first-char", "no-separator", "empty", "dots", "appended"],
)
def test_tampered_tokens_are_invalid(mangle) -> None:  # type: ignore[no-untyped-def]
    c = codec()
    with pytest.raises(InvalidReference):
        c.loads(mangle(c.dumps("abc123", {"note_id": 1})))


def test_bound_values_cannot_be_swapped_between_tokens() -> None:
    c = codec()
    a = c.dumps("f", {"note_id": 1})
    b = c.dumps("f", {"note_id": 2})
    payload_a = a.split(".")[0]
    forged = ".".join([payload_a, *b.split(".")[1:]])
    with pytest.raises(InvalidReference):
        c.loads(forged)


def test_other_key_is_invalid() -> None:
    with pytest.raises(InvalidReference):
        codec("other").loads(codec("k1").dumps("abc"))


def test_fallback_key_still_verifies() -> None:
    old = codec("old").dumps("abc", {"x": 1})
    assert codec("old", "new").loads(old) == ("abc", {"x": 1})


def test_expired_token(monkeypatch: pytest.MonkeyPatch) -> None:
    c = codec(max_age=10)
    token = c.dumps("abc", {"x": 1})
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 60)
    with pytest.raises(ExpiredReference):
        c.loads(token)


def test_expired_is_a_kind_of_invalid() -> None:
    assert issubclass(ExpiredReference, InvalidReference)
    assert ExpiredReference.code == 400


def test_state_round_trip_and_tamper() -> None:
    c = codec()
    signed = c.dumps_state({"count": 3}, "form-a")
    assert c.loads_state(signed, "form-a") == {"count": 3}
    with pytest.raises(InvalidReference):
        c.loads_state(signed[:-2], "form-a")
    with pytest.raises(InvalidReference, match="another form"):
        c.loads_state(signed, "form-b")


def test_state_signature_is_not_a_reference() -> None:
    c = codec()
    with pytest.raises(InvalidReference):
        c.loads(c.dumps_state("abc", "form-a"))


def test_secret_keys_order_and_missing_key() -> None:
    assert secret_keys({"SECRET_KEY": "new", "SECRET_KEY_FALLBACKS": ["old"]}) == ["old", "new"]
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        secret_keys({})


def test_small_clock_skew_is_tolerated(monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_server_functions.signing import CLOCK_SKEW

    c = codec(max_age=3600)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + CLOCK_SKEW - 5)  # minted "ahead"
    ahead = c.dumps("abc", {"x": 1})
    monkeypatch.setattr(time, "time", lambda: real() + CLOCK_SKEW + 30)
    far = c.dumps("abc", {"x": 2})
    monkeypatch.setattr(time, "time", real)
    assert c.loads(ahead) == ("abc", {"x": 1})
    with pytest.raises(ExpiredReference):
        c.loads(far)


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verified tokens are remembered, but their age is checked on every call."""
    c = codec(max_age=60)
    token = c.dumps("abc", {"b": {"id": 1}})
    assert c.loads(token) == ("abc", {"b": {"id": 1}})  # verified, remembered
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 61)
    with pytest.raises(ExpiredReference) as info:
        c.loads(token)
    assert info.value.reference == ("abc", {"b": {"id": 1}})


def test_each_call_gets_its_own_copy_of_the_sealed_values() -> None:
    c = codec()
    token = c.dumps("abc", {"b": {"tags": ["a"]}})
    c.loads(token)[1]["b"]["tags"].append("changed by a function")
    assert c.loads(token) == ("abc", {"b": {"tags": ["a"]}})
    flat = c.dumps("abc", {"b": {"id": 1}, "t": "x.html"})
    c.loads(flat)[1]["b"]["id"] = 2
    c.loads(flat)[1]["t"] = "other.html"
    assert c.loads(flat) == ("abc", {"b": {"id": 1}, "t": "x.html"})


def test_only_verified_tokens_are_remembered_and_the_caches_are_bounded() -> None:
    from flask_server_functions import references

    c = codec()
    good = c.dumps("abc", {"b": {"id": 1}})
    forged = good[:-2] + ("AA" if not good.endswith("AA") else "AQ")
    for _ in range(3):
        with pytest.raises(InvalidReference):
            c.loads(forged)
    assert forged not in c._verified
    for i in range(references.VERIFIED_CACHE + 10):
        c.loads(c.dumps("abc", {"b": {"id": i}}))
    assert len(c._verified) <= references.VERIFIED_CACHE
    assert len(c._signed) <= references.SIGNED_CACHE
    # The same values get the same token for a while (re-signed past a part of max_age).
    assert c.dumps("abc", {"b": {"id": 5}}) == c.dumps("abc", {"b": {"id": 5}})
    assert c.dumps("abc", {"b": {"id": 5}}) != c.dumps("abc", {"b": {"id": 6}})


def test_equal_values_of_other_types_seal_apart() -> None:
    """Bound values' JSON is remembered per value *and* type (True == 1 == 1.0)."""
    from flask_server_functions import ServerFunctions

    sf = ServerFunctions()

    @sf.function(template="x.html")
    def pick(choice=None, other: str = "") -> None:  # type: ignore[no-untyped-def]
        ...

    seen = {pick.bind(choice=v).sealed_json for v in (True, 1, 1.0, "1", None, False, 0)}
    assert len(seen) == 7
    assert pick.bind(choice=True).sealed_json == b'{"b":{"choice":true}}'
    assert pick.bind(choice=[1]).key != pick.bind(choice=[2]).key  # unhashable: not remembered
