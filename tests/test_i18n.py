"""Translated messages: Flask-Babel's locale (from Accept-Language), the shipped German
catalogue, marshmallow's default messages, and plain English without Flask-Babel."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask.testing import FlaskClient
from jinja2 import DictLoader
from marshmallow import Schema, fields, validate

from flask_server_functions import ServerFunctions
from flask_server_functions.i18n import FIELD_MESSAGES, TRANSLATIONS

from .conftest import HTMX, TEMPLATES, url_for_ref

ORIGIN = {"Origin": "http://localhost"}


class Signup(Schema):
    name = fields.String(required=True, validate=validate.Length(max=5))
    age = fields.Integer(required=True, validate=validate.Range(min=18))


@pytest.fixture
def babel_app(sf: ServerFunctions) -> Flask:
    from flask_babel import Babel

    app = Flask(__name__)
    app.config.update(SECRET_KEY="s", TESTING=True)
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]
    Babel(app, locale_selector=lambda: request.accept_languages.best_match(["en", "de"]))
    sf.init_app(app)

    @sf.function(template="name_form.html", schema=Signup)
    def signup(name: str, age: int):  # type: ignore[no-untyped-def]
        return {"hello": name}

    @sf.function(template="name_form.html", require=lambda: False)
    def forbidden(name: str):  # type: ignore[no-untyped-def]
        return name

    @sf.function(template="name_form.html", rate_limit="1/minute")
    def limited(name: str):  # type: ignore[no-untyped-def]
        return name

    return app


def post(client: FlaskClient, app: Flask, name: str, data: dict[str, str], **headers: str):  # type: ignore[no-untyped-def]
    fn = app.extensions["server_functions"].registry[name]
    return client.post(url_for_ref(app, fn), data=data, headers={**ORIGIN, **headers})


def test_refusal_and_validation_error_in_german(babel_app: Flask) -> None:
    client = babel_app.test_client()
    de = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    refused = post(client, babel_app, "forbidden", {"name": "x"}, **HTMX, **de)
    assert refused.status_code == 403 and "Das dürfen Sie nicht." in refused.text
    invalid = post(client, babel_app, "signup", {"name": "Bartholomew"}, **HTMX, **de)
    assert invalid.status_code == 422
    assert "Länger als die Höchstlänge 5." in invalid.text  # Length, with its value
    assert "Dieses Feld ist erforderlich." in invalid.text  # age: required
    json = post(
        client, babel_app, "signup", {"name": "Ann", "age": "3"}, Accept="application/json", **de
    )
    assert json.json is not None and json.json["errors"] == {"age": ["Muss mindestens 18 sein."]}
    post(client, babel_app, "limited", {"name": "x"}, **HTMX, **de)
    limited = post(client, babel_app, "limited", {"name": "x"}, Accept="application/json", **de)
    assert limited.status_code == 429
    assert re.fullmatch(
        r"Zu viele Versuche\. Warten Sie \d+ Sekunden und versuchen Sie es dann noch einmal\.",
        limited.json["error"],  # type: ignore[index]
    )
    expired = client.post(
        "/_sf/not-a-token", data={}, headers={**ORIGIN, "Accept": "application/json", **de}
    )
    assert expired.json == {
        "error": "Die Adresse dieses Formulars ist ungültig. Laden Sie die Seite neu und"
        " versuchen Sie es noch einmal."
    }


def test_a_key_sent_again_with_other_input_is_refused_in_german(
    babel_app: Flask, sf: ServerFunctions
) -> None:
    @sf.function(template="name_form.html", idempotent=True)
    def pay(name: str):  # type: ignore[no-untyped-def]
        return name

    client = babel_app.test_client()
    headers = {"Accept": "application/json", "Idempotency-Key": "k", "Authorization": "Bearer a"}
    de = {**headers, "Accept-Language": "de"}
    assert post(client, babel_app, "pay", {"name": "a"}, **de).status_code == 200
    other = post(client, babel_app, "pay", {"name": "b"}, **de)
    assert other.status_code == 409
    assert other.json == {
        "error": "Dieses Formular wurde schon mit anderen Eingaben gesendet, deshalb wurde dies"
        " nicht ausgeführt. Prüfen Sie die Seite und senden Sie das Formular dann noch einmal,"
        " falls Sie es weiterhin möchten."
    }


def test_english_for_english_and_without_babel(
    babel_app: Flask, app: Flask, sf: ServerFunctions
) -> None:
    en = {"Accept-Language": "en-GB,en;q=0.9"}
    client = babel_app.test_client()
    assert (
        "You are not allowed to do this."
        in post(client, babel_app, "forbidden", {"name": "x"}, **HTMX, **en).text
    )
    invalid = post(client, babel_app, "signup", {"name": "Bartholomew"}, **HTMX, **en)
    assert "Longer than maximum length 5." in invalid.text

    # An app without Flask-Babel: plain English whatever the browser asks for.
    @sf.function(template="name_form.html", require=lambda: False)
    def nope(name: str):  # type: ignore[no-untyped-def]
        return name

    assert "babel" not in app.extensions
    response = app.test_client().post(
        url_for_ref(app, nope),
        data={"name": "x"},
        headers={**ORIGIN, **HTMX, "Accept-Language": "de"},
    )
    assert "You are not allowed to do this." in response.text


def test_an_apps_own_messages_are_left_alone(babel_app: Flask, sf: ServerFunctions) -> None:
    from marshmallow import ValidationError

    @sf.function(template="name_form.html")
    def custom(name: str):  # type: ignore[no-untyped-def]
        raise ValidationError({"name": ["Not a valid integer, says the app."]})

    client = babel_app.test_client()
    r = post(client, babel_app, "custom", {"name": "x"}, **HTMX, **{"Accept-Language": "de"})
    assert "Not a valid integer, says the app." in r.text


def test_the_german_catalogue_is_complete_and_compiled() -> None:
    folder = Path(TRANSLATIONS)
    with open(folder / "flask_server_functions.pot", "rb") as f:
        template = read_po(f)
    with open(folder / "de" / "LC_MESSAGES" / "flask_server_functions.po", "rb") as f:
        german = read_po(f)
    with open(folder / "de" / "LC_MESSAGES" / "flask_server_functions.mo", "rb") as f:
        compiled = read_mo(f)
    ids = {m.id for m in template if m.id}
    assert len(ids) > 70
    assert ids == {m.id for m in german if m.id} == {m.id for m in compiled if m.id}
    for message in german:
        if message.id:
            assert message.string, message.id
            assert compiled[message.id].string == message.string  # the .mo is up to date
            placeholders = set(re.findall(r"%\((\w+)\)", message.id))
            assert set(re.findall(r"%\((\w+)\)", message.string)) == placeholders


def test_every_marshmallow_default_message_is_in_the_catalogue() -> None:
    """A marshmallow upgrade with a new default message fails here, not in a user's face."""
    import marshmallow.fields as mf
    import marshmallow.validate as mv

    known = {re.sub(r"%\((\w+)\)s", r"{\1}", m) for m in FIELD_MESSAGES}
    defaults: set[str] = set()
    for cls in vars(mf).values():
        if inspect.isclass(cls) and issubclass(cls, mf.Field):
            for klass in cls.__mro__:
                defaults.update(getattr(klass, "default_error_messages", {}).values())
    for cls in vars(mv).values():
        if inspect.isclass(cls) and issubclass(cls, mv.Validator):
            defaults.update(
                v for k, v in vars(cls).items() if k.startswith("message") or k == "error"
            )
    expanded = set()
    for message in filter(None, defaults):
        if "_op}" in message or not message.endswith("."):  # Range: spelled out per operator
            continue
        if "{input!r}" in message:  # TimeDelta's, with a repr: too rare to translate
            continue
        for obj_type in ("datetime", "date", "time"):
            if "{awareness}" in message and obj_type != "datetime":
                continue
            for awareness in ("naive", "aware"):
                expanded.add(
                    message.replace("{obj_type}", obj_type).replace("{awareness}", awareness)
                )
    assert expanded - known == set()
    ranges = [m for m in known if m.startswith("Must be ") and "than" in m]
    assert len(ranges) == 6  # every bound of validate.Range, and both bounds together
