from __future__ import annotations

import pytest
from flask import Flask

from flask_server_functions import ServerFunctions
from flask_server_functions.extension import DEFAULTS, app_state


def test_init_app_stores_state_in_extensions(app: Flask, sf: ServerFunctions) -> None:
    state = app.extensions["server_functions"]
    assert state.extension is sf
    assert not hasattr(sf, "app")


def test_constructor_with_app() -> None:
    app = Flask(__name__)
    sf = ServerFunctions(app)
    assert app.extensions["server_functions"].extension is sf


def test_second_init_app_is_refused(app: Flask, sf: ServerFunctions) -> None:
    with pytest.raises(RuntimeError, match="already registered"):
        sf.init_app(app)


def test_one_extension_many_apps(sf: ServerFunctions) -> None:
    @sf.function(template="t.html")
    def f():  # type: ignore[no-untyped-def]
        ...

    a, b = Flask("a"), Flask("b")
    sf.init_app(a)
    sf.init_app(b)
    assert app_state(a) is not app_state(b)
    assert app_state(a).registry is app_state(b).registry


def test_config_defaults_do_not_override(sf: ServerFunctions) -> None:
    app = Flask(__name__)
    app.config["SERVER_FUNCTIONS_URL_PREFIX"] = "/fns"
    sf.init_app(app)
    assert app.config["SERVER_FUNCTIONS_URL_PREFIX"] == "/fns"
    for key in DEFAULTS:
        assert key.startswith("SERVER_FUNCTIONS_") and key in app.config
    assert any(r.rule == "/fns/<token>" for r in app.url_map.iter_rules())


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("SERVER_FUNCTIONS_DIALECT", "3", "must be one of: 4, 2"),
        ("SERVER_FUNCTIONS_HTMX", "cdn", "must be one of: bundled, external"),
    ],
)
def test_bad_config_is_a_clear_error(
    sf: ServerFunctions, key: str, value: str, message: str
) -> None:
    app = Flask(__name__)
    app.config[key] = value
    with pytest.raises(ValueError, match=message):
        sf.init_app(app)


def test_missing_secret_key_is_a_clear_error(sf: ServerFunctions) -> None:
    @sf.function(template="t.html")
    def f():  # type: ignore[no-untyped-def]
        ...

    app = Flask(__name__)
    sf.init_app(app)
    with app.test_request_context(), pytest.raises(RuntimeError, match="SECRET_KEY"):
        app_state().url_for(f.reference)


def test_app_state_without_init_app() -> None:
    with pytest.raises(RuntimeError, match="not set up"):
        app_state(Flask(__name__))


def test_works_with_blueprints_and_app_factory(sf: ServerFunctions) -> None:
    from flask import Blueprint, render_template_string

    @sf.function(template="t.html")
    def f():  # type: ignore[no-untyped-def]
        ...

    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.get("/")
    def index() -> str:
        return render_template_string("{{ server_form(fn, template='inline.html') }}", fn=f)

    def create_app() -> Flask:
        from jinja2 import DictLoader

        app = Flask(__name__)
        app.config["SECRET_KEY"] = "x"
        app.jinja_loader = DictLoader({"inline.html": "<button>Go</button>"})  # type: ignore[assignment]
        app.register_blueprint(bp)
        sf.init_app(app)
        return app

    html = create_app().test_client().get("/shop/").text
    assert '?_sf_next=/shop/"' in html and "<button>Go</button>" in html
