from __future__ import annotations

import re

import pytest
from marshmallow import Schema, fields

from flask_server_functions import Reference, ServerFunction, ServerFunctions
from flask_server_functions.functions import function_id


def test_decorator_bare_and_with_options(sf: ServerFunctions) -> None:
    @sf.function
    def plain(x: int):  # type: ignore[no-untyped-def]
        return x * 2

    @sf.function(name="other", template="t.html")
    def configured(x: int):  # type: ignore[no-untyped-def]
        return x

    assert isinstance(plain, ServerFunction)
    assert plain(4) == 8  # still a plain function
    assert sf.registry["other"] is configured
    assert configured.template == "t.html"


def test_id_is_stable_and_opaque() -> None:
    def update_name():  # type: ignore[no-untyped-def]
        ...

    assert function_id(update_name) == function_id(update_name)
    assert "update_name" not in function_id(update_name)
    assert re.fullmatch(r"[\w-]{11}", function_id(update_name))  # 64 bits


def test_bind_checks_names_and_json(sf: ServerFunctions) -> None:
    @sf.function
    def rename(note_id: int, text: str):  # type: ignore[no-untyped-def]
        ...

    ref = rename.bind(note_id=3)
    assert isinstance(ref, Reference) and ref.bound == {"note_id": 3}
    assert ref.bind(text="x").bound == {"note_id": 3, "text": "x"}
    with pytest.raises(TypeError, match="no parameter named nope"):
        rename.bind(nope=1)
    with pytest.raises(TypeError, match="JSON-able"):
        rename.bind(note_id=object())


def test_reference_keys_differ_by_bound_values(sf: ServerFunctions) -> None:
    @sf.function
    def f(note_id: int):  # type: ignore[no-untyped-def]
        ...

    assert f.bind(note_id=1).key != f.bind(note_id=2).key
    assert f.bind(note_id=1) == f.bind(note_id=1)
    assert f.reference.key == f.id


def test_duplicate_names_are_refused(sf: ServerFunctions) -> None:
    @sf.function(name="dup")
    def a():  # type: ignore[no-untyped-def]
        ...

    with pytest.raises(ValueError, match="already registered"):

        @sf.function(name="dup")
        def b():  # type: ignore[no-untyped-def]
            ...


def test_unknown_name_lists_registered(sf: ServerFunctions) -> None:
    @sf.function
    def known():  # type: ignore[no-untyped-def]
        ...

    with pytest.raises(KeyError, match="registered: known"):
        sf.registry["missing"]


def test_sensitive_fields(sf: ServerFunctions) -> None:
    class Login(Schema):
        user = fields.String()
        secret = fields.String(load_only=True)
        pin = fields.String(metadata={"sensitive": True})

    @sf.function(schema=Login)
    def login(user: str, secret: str, pin: str):  # type: ignore[no-untyped-def]
        ...

    assert login.is_sensitive("secret") and login.is_sensitive("pin")
    assert login.is_sensitive("new_password") and not login.is_sensitive("user")


def test_missing_template_is_a_clear_error(sf: ServerFunctions) -> None:
    @sf.function
    def no_template():  # type: ignore[no-untyped-def]
        ...

    with pytest.raises(RuntimeError, match="has no template"):
        no_template.reference.partial  # noqa: B018


def test_form_state_helpers(sf: ServerFunctions) -> None:
    from flask_server_functions import FormState

    @sf.function
    def pick(note_id: int, colours: list[str]):  # type: ignore[no-untyped-def]
        ...

    ok = FormState(pick.bind(note_id=4), {"done": True})
    assert ok.ok and ok.bound == {"note_id": 4} and ok.values_of("colours") == []
    bad = FormState(
        pick.reference,
        None,
        values={"colours": ["red", "blue"]},
        errors={"colours": ["Pick one."], "_form": ["Nope."]},
    )
    assert not bad.ok and bad.values_of("colours") == ["red", "blue"]
    assert bad.form_errors == ["Nope."] and bad.first_invalid == "colours"
