from __future__ import annotations

from flask import Blueprint, Flask, g, render_template_string
from jinja2 import DictLoader

from flask_server_functions import ServerFunctions

from .conftest import HTMX, form_action


def make_app(sf: ServerFunctions, bp: Blueprint) -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "s"
    app.jinja_loader = DictLoader({"t.html": "<button>go</button>{{ form.state or '' }}"})  # type: ignore[assignment]
    app.register_blueprint(bp)
    sf.init_app(app)
    return app


def test_blueprint_group_url_hooks_and_guards() -> None:
    sf = ServerFunctions()
    bp = Blueprint("admin", __name__, url_prefix="/admin")
    seen: list[str] = []

    @bp.before_request
    def mark() -> None:
        g.admin_hook = True

    allowed = {"value": False}
    admin = sf.group("admin", blueprint=bp, require=lambda: allowed["value"])

    @admin.function(template="t.html")
    def ban(user_id: int):  # type: ignore[no-untyped-def]
        seen.append(f"ban {user_id} hook={g.get('admin_hook')}")
        return "banned"

    @sf.function(template="t.html")
    def public():  # type: ignore[no-untyped-def]
        return "public"

    app = make_app(sf, bp)
    client = app.test_client()
    with app.test_request_context("/admin/"):
        html = render_template_string("{{ server_form(ref) }}", ref=ban.bind(user_id=5))
    url = form_action(html)
    assert url.startswith("/admin/_sf/")

    assert client.post(url, headers=HTMX).status_code == 403  # the group's guard
    assert seen == []
    allowed["value"] = True
    r = client.post(url, headers=HTMX)
    assert r.status_code == 200 and "banned" in r.text
    assert seen == ["ban 5 hook=True"]

    # the group's token at the app's URL, and the app's token at the group's URL: not run
    token = url.rsplit("/", 1)[1]
    assert client.post(f"/_sf/{token}", headers=HTMX).status_code == 404
    with app.test_request_context("/"):
        public_url = form_action(render_template_string("{{ server_form(f) }}", f=public))
    assert (
        client.post("/admin/_sf/" + public_url.rsplit("/", 1)[1], headers=HTMX).status_code == 404
    )
    assert seen == ["ban 5 hook=True"]
    assert client.post(public_url, headers=HTMX).status_code == 200


def test_group_without_blueprint_shares_guards() -> None:
    sf = ServerFunctions()
    staff = sf.group("staff", require=lambda: False)

    @staff.function(template="t.html")
    def secret():  # type: ignore[no-untyped-def]
        return "no"

    assert secret.guards and secret.endpoint == "server_functions.call"
    assert repr(staff) == "<Group 'staff'>"
