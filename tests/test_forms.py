"""Forms the way real apps write them: merged attributes, the data-hx-* spelling, field
helpers for every type, blank values, plain messages, form-wide errors' placement."""

from __future__ import annotations

import datetime
import re
import typing as t

import pytest
from flask import Flask, render_template_string, request
from flask.testing import FlaskClient
from marshmallow import Schema, fields

from flask_server_functions import ServerFunctions
from flask_server_functions.testing import call_function

from .conftest import TEMPLATES


def form_tag(html: str) -> str:
    return re.search(r"<form\b[^>]*>", html).group(0)  # type: ignore[union-attr]


def names(tag: str) -> list[str]:
    return re.findall(r'\s([\w:.-]+)(?:="[^"]*")?', tag[len("<form") : -1])


@pytest.fixture
def update_name(sf: ServerFunctions):  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def update_name(name: str) -> str:
        return f"Saved {name}"

    return update_name


def render(app: Flask, source: str, **context: object) -> str:
    with app.test_request_context("/"):
        return render_template_string(source, **context)


def test_given_attributes_replace_the_extensions_and_classes_join(app: Flask, update_name) -> None:  # type: ignore[no-untyped-def]
    tag = form_tag(
        render(
            app,
            "{{ server_form(f, class_='a', attrs={'hx-swap': 'outerHTML', 'class': 'b',"
            " 'hx-sync': None, 'data-x': 1}) }}",
            f=update_name,
        )
    )
    assert 'hx-swap="outerHTML"' in tag and 'class="sf-form a b"' in tag and 'data-x="1"' in tag
    assert "hx-sync" not in tag
    assert len(names(tag)) == len(set(names(tag))), tag


def test_an_id_in_attrs_is_the_forms_id(app: Flask, update_name) -> None:  # type: ignore[no-untyped-def]
    html = render(app, "{{ server_form(f, attrs={'id': 'mine'}) }}", f=update_name)
    assert form_tag(html).count(" id=") == 1 and 'id="mine"' in form_tag(html)
    assert 'id="mine-name"' in html  # the fields follow it


def test_server_button_takes_attrs(app: Flask, update_name) -> None:  # type: ignore[no-untyped-def]
    html = render(
        app,
        "{{ server_button(f, 'Go', confirm='Sure?', class_='x',"
        " attrs={'hx-confirm': 'Really?', 'class': 'y', 'data-optimistic': '#t'}) }}",
        f=update_name,
    )
    tag = form_tag(html)
    assert 'hx-confirm="Really?"' in tag and "Sure?" not in tag
    assert 'class="sf-form sf-button x y"' in tag and 'data-optimistic="#t"' in tag


def test_data_hx_prefix(sf: ServerFunctions, update_name) -> None:  # type: ignore[no-untyped-def]
    from jinja2 import DictLoader

    app = Flask(__name__)
    app.config.update(SECRET_KEY="s", SERVER_FUNCTIONS_ATTRIBUTE_PREFIX="data-hx-")
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]
    sf.init_app(app)
    for source in ("{{ server_form(f) }}", "{{ server_form(f, attrs={'hx-swap': 'none'}) }}"):
        tag = form_tag(render(app, source, f=update_name))
        assert not re.search(r"\shx-", tag), tag
        assert " data-hx-post" in tag and "data-hx-post=" not in tag  # the URL: action
    assert 'data-hx-swap="none"' in tag
    with pytest.raises(ValueError, match="one of: hx-, data-hx-"):
        bad = Flask(__name__)
        bad.config.update(SECRET_KEY="s", SERVER_FUNCTIONS_ATTRIBUTE_PREFIX="x-")
        ServerFunctions(bad)


class Task(Schema):
    due = fields.Date(load_default=None, allow_none=True)
    priority = fields.Integer(load_default=2)
    when = fields.Date(required=True)


def test_blank_means_missing_on_both_paths(client: FlaskClient, sf: ServerFunctions) -> None:
    @sf.function
    def hinted(when: datetime.date, due: datetime.date | None = None, priority: int = 2):  # type: ignore[no-untyped-def]
        return {"due": due, "priority": priority}

    @sf.function(schema=Task)
    def explicit(when, due, priority):  # type: ignore[no-untyped-def]
        return {"due": due, "priority": priority}

    for fn in (hinted, explicit):
        result = call_function(client, fn, {"when": "2026-01-02", "due": "", "priority": ""})
        assert result.ok and result.state == {"due": None, "priority": 2}, fn
        result = call_function(client, fn, {"when": "", "due": "", "priority": ""})
        assert result.status == 422 and result.errors == {"when": ["This field is required."]}


def test_a_required_str_takes_blank(client: FlaskClient, sf: ServerFunctions) -> None:
    @sf.function
    def named(name: str, nickname: str | None = None):  # type: ignore[no-untyped-def]
        return [name, nickname]

    assert call_function(client, named, {"name": "", "nickname": ""}).state == ["", None]


def test_plain_messages_per_app_and_per_field(
    app: Flask, client: FlaskClient, sf: ServerFunctions
) -> None:
    class Own(Schema):
        n = fields.Integer(required=True, error_messages={"invalid": "Just digits."})
        m = fields.Integer(required=True)

    @sf.function(schema=Own)
    def own(n, m):  # type: ignore[no-untyped-def]
        return n

    result = call_function(client, own, {"n": "x", "m": "y"})
    assert result.errors == {"n": ["Just digits."], "m": ["Enter a whole number."]}
    app.config["SERVER_FUNCTIONS_MESSAGES"] = {"integer": "Digits only, please."}
    result = call_function(client, own, {"n": "x"})
    assert result.errors == {"n": ["Just digits."], "m": ["This field is required."]}
    assert call_function(client, own, {"n": "1", "m": "y"}).errors == {
        "m": ["Digits only, please."]
    }


TASK_FORM = """<input {{ form.attrs('title') }}>{{ form.errors_for('title') }}
<input {{ form.attrs('count') }}>{{ form.errors_for('count') }}"""


@pytest.fixture
def add_task(app: Flask, sf: ServerFunctions):  # type: ignore[no-untyped-def]
    app.jinja_loader.mapping["task.html"] = TASK_FORM  # type: ignore[union-attr]
    app.add_url_rule("/tasks", "tasks", lambda: render_template_string("{{ server_form(f) }}", f=f))

    @sf.function(
        template="task.html",
        messages={
            "title": "Please give the title a name",
            "count": {"required": "How many?", "integer": "Digits only, like {3}."},
        },
    )
    def f(title: str, count: int, note: str = ""):  # type: ignore[no-untyped-def]
        return {"title": title, "count": count}

    return f


def test_messages_per_field_without_a_schema_on_every_path(
    app: Flask, client: FlaskClient, add_task
) -> None:  # type: ignore[no-untyped-def]
    # a function's own message wins over the app's for the same key
    app.config["SERVER_FUNCTIONS_MESSAGES"] = {"integer": "The app's digits."}
    for js in (True, False):
        blank = call_function(client, add_task, {"title": "", "count": ""}, js=js, page="/tasks")
        assert blank.errors == {"title": ["Please give the title a name"], "count": ["How many?"]}
        assert not blank.called and blank.status == (422 if js else 303)
        assert "Please give the title a name" in blank.html and "How many?" in blank.html
        wrong = call_function(client, add_task, {"title": "A", "count": "x"}, js=js, page="/tasks")
        assert wrong.errors == {"count": ["Digits only, like {3}."]}  # as written, no format
        assert "Digits only, like {3}." in wrong.html and "The app" not in wrong.html
    valid = call_function(client, add_task, {"title": "Ada", "count": "2"})
    assert valid.state == {"title": "Ada", "count": 2}
    # JSON and validate-only calls (live validation) say the same
    with app.test_request_context("/tasks"):
        url = app.extensions["server_functions"].url_for(add_task.reference)
    origin = {"Origin": "http://localhost"}
    answer = client.post(url, data={"count": "x"}, headers={**origin, "Accept": "application/json"})
    assert answer.status_code == 422
    assert answer.json["errors"]["count"] == ["Digits only, like {3}."]  # type: ignore[index]
    live = client.post(url, data={"title": ""}, headers={**origin, "Precognition": "true"})
    assert live.json["errors"]["title"] == ["Please give the title a name"]  # type: ignore[index]


def test_lazy_messages_are_in_the_requests_locale(sf: ServerFunctions) -> None:
    from flask_babel import Babel, LazyString, get_locale
    from jinja2 import DictLoader

    from .conftest import TEMPLATES

    app = Flask(__name__)
    app.config.update(SECRET_KEY="s", TESTING=True)
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]
    Babel(app, locale_selector=lambda: request.accept_languages.best_match(["en", "de"]))
    sf.init_app(app)
    words = {"en": "Name it, please.", "de": "Bitte benennen."}

    def locale() -> str:
        return str(get_locale())

    @sf.function(
        template="name_form.html",
        messages={"name": t.cast(str, LazyString(lambda: words[locale()]))},
    )
    def named(name: str):  # type: ignore[no-untyped-def]
        return name

    class Optional(Schema):  # the schema lets it out, the function needs it
        name = fields.String(error_messages={"required": LazyString(lambda: words[locale()])})

    @sf.function(template="name_form.html", schema=Optional)
    def needed(name):  # type: ignore[no-untyped-def]
        return name

    client = app.test_client()
    for lang, text in words.items():
        for fn in (named, needed):
            result = call_function(client, fn, {}, headers={"Accept-Language": lang})
            assert result.errors == {"name": [text]} and text in result.html, fn


def test_messages_naming_no_field_or_a_key_it_never_shows_fail_at_once(
    sf: ServerFunctions,
) -> None:
    def add(title: str, count: int = 1, state=None):  # type: ignore[no-untyped-def]
        return title

    with pytest.raises(TypeError, match=r"names state, titel, which is not one of its fields"):
        sf.function(messages={"titel": "x", "state": "y"})(add)
    with pytest.raises(
        TypeError,
        match=r"'date' is not a message this field can show; its"
        r" keys: integer, null, required, too_large",
    ):
        sf.function(messages={"count": {"date": "x"}})(add)
    with pytest.raises(TypeError, match="with schema=, give the schema's fields error_messages="):

        class Own(Schema):
            title = fields.String()

        sf.function(schema=Own, messages={"title": "x"})(add)
    assert len(sf.registry) == 0


def test_a_required_str_with_no_message_of_its_own_still_takes_blank(
    client: FlaskClient, sf: ServerFunctions
) -> None:
    @sf.function(messages={"nickname": "Too odd."})
    def named(name: str, nickname: str = ""):  # type: ignore[no-untyped-def]
        return [name, nickname]

    assert call_function(client, named, {"name": "", "nickname": ""}).state == ["", ""]
    assert call_function(client, named, {}).errors == {"name": ["This field is required."]}


def test_one_message_covers_a_list_and_its_items(client: FlaskClient, sf: ServerFunctions) -> None:
    @sf.function(messages={"ids": "Choose notes by number."})
    def pick(ids: list[int]):  # type: ignore[no-untyped-def]
        return ids

    assert call_function(client, pick, {"ids": ["1", "x"]}).errors == {
        "ids": ["Choose notes by number."]
    }
    assert call_function(client, pick, {"ids": ["1", "2"]}).state == [1, 2]


FIELDS = """
<select {{ form.attrs('size', with_value=False) }}>
{% for v in ['s', 'm'] %}{{ form.option('size', v, default='m') }}{% endfor %}</select>
{% for v in [1, 2] %}<input {{ form.radio('prio', v, default=2) }}>{% endfor %}
<select multiple {{ form.attrs('tags', with_value=False) }}>{% for v in ['a', 'b', 'c'] %}
<option value="{{ v }}"{{ form.selected('tags', v, default=['a']) }}>{{ v }}</option>
{% endfor %}</select>
<input type=date {{ form.attrs('due', value=due_default) }}>
<input {{ form.checkbox('done', default=True) }}>
{{ form.textarea('notes', default='hi', rows=2) }}
<input type=password {{ form.attrs('password') }}>{{ form.textarea('old_password') }}
<input {{ form.checkbox('password_shown') }}>
"""


@pytest.fixture
def every_field(app: Flask, sf: ServerFunctions):  # type: ignore[no-untyped-def]
    app.jinja_loader.mapping["fields.html"] = FIELDS  # type: ignore[union-attr]

    @sf.function(template="fields.html")
    def every_field(
        size: str,
        prio: int,
        tags: list[str],
        due: datetime.date | None = None,
        done: bool = False,
        notes: str = "",
        password: str = "",
        old_password: str = "",
        password_shown: bool = False,
        title: str = "",
    ):  # type: ignore[no-untyped-def]
        if not title:
            raise __import__("marshmallow").ValidationError({"title": ["Say what."]})
        return "ok"

    return every_field


def test_field_helpers_fresh(app: Flask, every_field) -> None:  # type: ignore[no-untyped-def]
    app.jinja_env.globals["due_default"] = datetime.date(2026, 12, 24)
    html = render(app, "{{ server_form(f) }}", f=every_field)
    assert '<option value="m" selected>m</option>' in html and '<option value="s">' in html
    assert re.search(r'id="[\w-]+-prio-2" value="2" checked>', html)
    assert '<option value="a" selected>' in html and '<option value="b">' in html
    assert 'value="2026-12-24"' in html
    assert re.search(r'type="checkbox" name="done" id="[\w-]+-done" value="on" checked>', html)
    assert re.search(r'<textarea name="notes" id="[\w-]+-notes" rows="2">hi</textarea>', html)


def test_field_helpers_after_an_error_keep_choices_but_never_sensitive(
    app: Flask, client: FlaskClient, every_field
) -> None:  # type: ignore[no-untyped-def]
    data = {
        "size": "s",
        "prio": "1",
        "tags": ["b", "c"],
        "due": "2027-01-02",
        "notes": "x<y",
        "password": "hunter2",
        "secret": "s3",
        "pin": "on",
    }
    app.jinja_env.globals["due_default"] = None
    app.add_url_rule(
        "/form", "form", lambda: render_template_string("{{ server_form(f) }}", f=every_field)
    )
    for js in (True, False):
        result = call_function(client, every_field, data, js=js, page="/form")
        html = result.html
        assert result.errors == {"title": ["Say what."]} and result.called
        assert '<option value="s" selected>' in html and '<option value="m">' in html
        assert re.search(r'-prio-1" value="1" checked>', html) and '-prio-2" value="2">' in html
        assert '<option value="a">' in html and '<option value="b" selected>' in html
        assert 'value="2027-01-02"' in html
        assert re.search(r'name="done" id="[\w-]+-done" value="on">', html)  # unchecked: not sent
        assert ">x&lt;y</textarea>" in html
        assert "hunter2" not in html and "s3cr3t" not in html
        assert re.search(
            r'name="password_shown" id="[\w-]+-password_shown" value="on">', html
        )  # never re-checked


def test_form_errors_shown_once_where_the_partial_places_them(
    app: Flask, client: FlaskClient, sf: ServerFunctions
) -> None:
    from marshmallow import ValidationError

    app.jinja_loader.mapping.update(
        {  # type: ignore[union-attr]
            "auto.html": "<input {{ form.attrs('x') }}>",
            "placed.html": "<input {{ form.attrs('x') }}><footer>{{ form.form_error() }}</footer>",
            "looped.html": "{% for m in form.form_errors %}<b>{{ m }}</b>{% endfor %}",
        }
    )

    @sf.function(template="auto.html")
    def fails(x: str = ""):  # type: ignore[no-untyped-def]
        raise ValidationError("Not today.")

    for template in ("auto.html", "placed.html", "looped.html"):
        html = call_function(client, fails.reference.using(template), {}).html
        assert html.count("Not today.") == 1, (template, html)
        if template == "placed.html":
            assert '<footer><p class="sf-form-error" role="alert">Not today.</p></footer>' in html


def test_called_means_the_function_ran(client: FlaskClient, sf: ServerFunctions) -> None:
    ran = []

    @sf.function
    def count(n: int):  # type: ignore[no-untyped-def]
        ran.append(n)
        return n

    invalid = call_function(client, count, {"n": "x"})
    assert invalid.status == 422 and not invalid.called and ran == []
    valid = call_function(client, count, {"n": "3"})
    assert valid.called and valid.ok and ran == [3]


def test_call_function_says_which_form_id_to_pass(
    app: Flask, client: FlaskClient, update_name
) -> None:  # type: ignore[no-untyped-def]
    @app.get("/own")
    def own() -> str:
        return render_template_string("{{ server_form(f, id='name-form') }}", f=update_name)

    with pytest.raises(ValueError, match="pass form_id='name-form'"):
        call_function(client, update_name, {"name": "Ada"}, js=False, page="/own")
    result = call_function(
        client, update_name, {"name": "Ada"}, js=False, page="/own", form_id="name-form"
    )
    assert "Saved Ada" in result.html
