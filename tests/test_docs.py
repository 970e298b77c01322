"""Every snippet in the docs (README.md and docs/*.md) runs, as a reader would run it.

* **A whole app**: a ``# app.py`` block, with the templates right after it
  (``{# templates/NAME #}``), runs from a folder of its own. Its tests run there with
  pytest: the ``# test_app.py`` right after it, and a ``# conftest.py`` +
  ``# test_app.py`` pair anywhere later on a page tests the page's first app.
* **Any other Python block** is a fragment of the page's app. It runs in a namespace
  with ``app`` and ``sf`` (new for each block, made as the first example makes them),
  what earlier blocks on the page defined (not what they imported: a block imports
  what it uses), and stand-ins for the reader's own code (``db``, ``current_user``, a
  view ``orders.show``, a template function ``list_notes``); a block that defines
  ``create_app`` is checked with the app it makes. Then a page with the form of every
  function it registered renders, and each function is called as :data:`CALLS` says
  (a function without an entry there fails the test); :data:`CHECKS` asserts more
  about some blocks.
* **A Jinja block** named ``{# templates/NAME #}`` that is not part of an app is a
  template of the fragments: one of them must render it (a form's partial, a region a
  call refreshes). Templates they name but the docs do not show are a stand-in that
  prints the form's state and errors. Any other Jinja block renders in a page of the
  functions defined so far, with :data:`TEMPLATE_CONTEXT`.
* **A console session** of ``flask --app example`` runs against the example app and
  prints what the block shows, up to its ``...``.
* Nothing else is code (``text``), or says on its fence line why it cannot run:
  ```` ```sh (not run: starts gunicorn servers) ````. :data:`NOT_RUN` counts those.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import io
import re
import subprocess
import sys
import types
import typing as t
from pathlib import Path

import pytest
from flask import Blueprint, Flask, render_template_string
from flask.testing import FlaskClient
from jinja2 import BaseLoader, Environment, TemplateNotFound

from flask_server_functions import ServerFunction, ServerFunctions
from flask_server_functions.templating import button_reference
from flask_server_functions.testing import call_function

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
#: Blocks that say why they cannot run; a new one is a decision, so it is counted.
NOT_RUN = 2


# -- The blocks of a page ---------------------------------------------------------


@dataclasses.dataclass
class Block:
    doc: str
    line: int
    lang: str
    note: str  # the rest of the fence line: "(not run: why)"
    code: str

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"

    @property
    def template(self) -> str | None:
        """The template the block is (``{# templates/NAME #}``), if it names one."""
        match = re.match(r"\{# templates/([\w.]+)", self.code)
        return match.group(1) if self.lang == "jinja" and match else None

    def is_file(self, name: str) -> bool:
        return self.lang == "python" and self.code.startswith(f"# {name}")


FENCE = re.compile(r"^```(\S*)[ \t]*([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)


def blocks(doc: str) -> list[Block]:
    """The fenced blocks of ``doc``; MyST directives (```` ```{toctree} ````) are not."""
    text = (ROOT / doc).read_text()
    return [
        Block(doc, text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2), m.group(3))
        for m in FENCE.finditer(text)
        if not m.group(1).startswith("{")
    ]


@dataclasses.dataclass
class App:
    source: str
    templates: dict[str, str]
    tests: dict[str, str]  # file name -> code
    blocks: list[Block]


def apps(doc: str) -> list[App]:
    """Every whole app of ``doc``: ``# app.py``, its templates and its tests."""
    found: list[App] = []
    page = blocks(doc)
    for i, block in enumerate(page):
        if block.is_file("app.py"):
            app = App(block.code, {}, {}, [block])
            for after in page[i + 1 :]:
                if after.template:
                    app.templates[after.template] = after.code
                elif after.is_file("test_app.py"):
                    app.tests["test_app.py"] = after.code
                else:
                    break
                app.blocks.append(after)
            found.append(app)
        elif block.is_file("conftest.py"):
            tests = page[i + 1]
            assert tests.is_file("test_app.py"), f"{block.where}: no # test_app.py after it"
            assert found and not found[0].tests, f"{block.where}: tests of which app?"
            found[0].tests = {"conftest.py": block.code, "test_app.py": tests.code}
            found[0].blocks += [block, tests]
    return found


def kind(block: Block, in_apps: list[Block]) -> str:
    """How the test runs ``block`` (see the module's docstring)."""
    if block in in_apps:
        return "app"
    if block.note.startswith("(not run: ") and block.note.endswith(")"):
        return "not run"
    if block.lang == "python":
        return "fragment"
    if block.lang == "jinja":
        return "template" if block.template else "jinja"
    if block.lang == "console" and block.code.startswith("$ flask --app example "):
        return "console"
    if block.lang == "text":
        return "text"
    return "unmarked"


def kinds(doc: str) -> list[tuple[Block, str]]:
    in_apps = [b for app in apps(doc) for b in app.blocks]
    return [(block, kind(block, in_apps)) for block in blocks(doc)]


def test_every_block_runs_or_says_why() -> None:
    found = [(block, k) for doc in DOCS for block, k in kinds(doc)]
    unmarked = [block.where for block, k in found if k == "unmarked"]
    assert not unmarked, f"neither run nor marked ```LANG (not run: why): {unmarked}"
    not_run = [f"{block.where} {block.note}" for block, k in found if k == "not run"]
    assert len(not_run) == NOT_RUN, not_run
    assert sum(k in ("app", "fragment", "template", "jinja") for _, k in found) > 40  # all found


# -- Whole apps -------------------------------------------------------------------


APPS = [(doc, i) for doc in DOCS for i in range(len(apps(doc)))]


@pytest.fixture
def app_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[Path]:
    """A folder to run an app from, importable as ``app``."""
    (tmp_path / "templates").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    yield tmp_path
    sys.modules.pop("app", None)


@pytest.mark.parametrize(("doc", "index"), APPS)
def test_every_app_runs_with_its_tests(doc: str, index: int, app_folder: Path) -> None:
    app = apps(doc)[index]
    (app_folder / "app.py").write_text(app.source)
    for name, code in app.templates.items():
        (app_folder / "templates" / name).write_text(code)
    client = importlib.import_module("app").create_app().test_client()
    assert client.get("/").status_code == 200
    for name, code in app.tests.items():
        (app_folder / name).write_text(code)
    if app.tests:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
            cwd=app_folder,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, f"{app.blocks[0].where}:\n{run.stdout}{run.stderr}"
        assert re.search(r"\b[1-9]\d* passed", run.stdout), run.stdout


@pytest.mark.parametrize("doc", ["README.md", "docs/guide.md"])
def test_the_first_example_is_a_page_to_copy(doc: str, app_folder: Path) -> None:
    app = apps(doc)[0]
    assert set(app.templates) == {"index.html", "name_form.html"}
    (app_folder / "app.py").write_text(app.source)
    for name, code in app.templates.items():
        (app_folder / "templates" / name).write_text(code)
    module = importlib.import_module("app")
    client = module.create_app().test_client()
    page = client.get("/").text
    assert 'action="/_sf/' in page and " hx-post>" in page and "htmx.min.js" in page
    # a valid page to copy: its language and a title
    assert re.search(r'<html lang="\w+">', page) and re.search(r"<title>[^<]+</title>", page)
    result = call_function(client, module.update_name, {"name": "Ada"})
    assert result.state == {"error": None, "name": "Ada"} and "Saved Ada" in result.html
    result = call_function(client, module.update_name, {"name": " "}, js=False)
    assert result.status == 303 and "Name is required" in result.html


# -- Fragments: the stand-ins for the reader's own code -----------------------------


class Db:
    """The reader's database, as the snippets use it."""

    def __init__(self) -> None:
        self.notes = ["buy milk"]
        self.done: list[tuple[str, t.Any]] = []

    def add_note(self, text: str) -> None:
        self.notes.append(text)

    def get_task(self, task_id: int) -> None:
        return None  # deleted in another tab

    def get_setting(self, key: str) -> str | None:
        self.done.append(("get_setting", (key,)))
        return dict(reversed([args for name, args in self.done if name == "set_setting"])).get(key)

    def __getattr__(self, name: str) -> t.Callable[..., None]:  # delete, rename, like...
        return lambda *args: self.done.append((name, args))


class User:
    """Flask-Login's ``current_user``, signed in (or not)."""

    id = 1
    signed_in = True

    def get_id(self) -> str | None:
        return str(self.id) if self.signed_in else None


NOTE = types.SimpleNamespace(id=1, text="buy milk")
#: What the reader's views pass to the Jinja blocks.
TEMPLATE_CONTEXT = {"notes": [NOTE], "note": NOTE, "post": types.SimpleNamespace(id=7)}
#: A template the fragments name and the docs do not show.
STAND_IN = "{% if form is defined %}<output>{{ form.state }}</output>{{ form.errors }}{% endif %}"
#: A page with the form (or button) of every function of the app.
PAGE = """<!doctype html><html lang="en"><head><title>Docs</title>
{{ server_functions_scripts() }}</head><body>{% for fn in functions %}
{{ server_form(fn) if fn.template else server_button(fn, fn.name) }}{% endfor %}</body></html>"""


class Templates(BaseLoader):
    """The page's templates and stand-ins for the others; remembers which were used."""

    def __init__(self, named: dict[str, str]) -> None:
        self.named = named
        self.used: set[str] = set()

    def get_source(
        self, environment: Environment, name: str
    ) -> tuple[str, str | None, t.Callable[[], bool]]:
        if name.startswith("server_functions/"):  # the extension's own
            raise TemplateNotFound(name)
        self.used.add(name)
        return self.named.get(name, STAND_IN), None, lambda: True


class PageRun:
    """The fragments and Jinja blocks of one page, run in order."""

    def __init__(self, doc: str, folder: Path) -> None:
        self.doc = doc
        self.folder = folder
        self.db = Db()
        self.user = User()
        self.defined: dict[str, t.Any] = {}  # what earlier blocks defined
        self.functions: dict[str, ServerFunction[t.Any]] = {}  # the latest of each name
        self.templates = Templates(
            {b.template: b.code for b, k in kinds(doc) if k == "template" and b.template}
        )

    def prepare(self, app: Flask, sf: ServerFunctions) -> Flask:
        """Make ``app`` (the namespace's, or one ``create_app()`` returned) testable."""
        app.config["TESTING"] = True
        app.jinja_loader = self.templates  # type: ignore[assignment]
        app.jinja_env.globals.update(list_notes=lambda q="": [NOTE], **TEMPLATE_CONTEXT)
        orders = Blueprint("orders", __name__)
        orders.add_url_rule("/orders/<int:order_id>", "show", lambda order_id: "An order")
        app.register_blueprint(orders)
        app.add_url_rule(
            "/", "page", lambda: render_template_string(PAGE, functions=list(sf.registry))
        )
        return app

    def fragment(self, block: Block) -> None:
        sf = ServerFunctions()
        app = Flask("snippet", instance_path=str(self.folder / "instance"))
        app.config["SECRET_KEY"] = "change me"
        sf.init_app(app)
        self.prepare(app, sf)
        namespace = {"__name__": "snippet", "app": app, "sf": sf, "db": self.db}
        namespace.update({"current_user": self.user, **self.defined})
        given = dict(namespace)
        exec(compile(block.code, block.where, "exec"), namespace)
        if namespace.get("create_app") is not given.get("create_app"):  # its own app
            app = self.prepare(namespace["create_app"](), sf)
        client = app.test_client()
        assert client.get("/", base_url=BASE_URL.get(self.doc)).status_code == 200
        for function in sf.registry:
            assert function.name in CALLS, f"say in CALLS how to call {function.name}()"
            CALLS[function.name](client, function, self)
            self.functions[function.name] = function
        for text, check in CHECKS.items():
            if text in block.code:
                check(client, namespace, self)
        imported = {
            (alias.asname or alias.name).split(".")[0]
            for node in ast.parse(block.code).body
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        }
        self.defined.update(
            (name, value)
            for name, value in namespace.items()
            if name not in imported and given.get(name) is not value and name != "__builtins__"
        )

    def jinja(self, block: Block) -> None:
        assert "form." not in block.code, "a block that uses `form` is a partial: name it"
        sf = ServerFunctions()
        for function in self.functions.values():
            if function.group is None:
                sf.registry.add(function)
        app = Flask("snippet")
        app.config["SECRET_KEY"] = "change me"
        sf.init_app(app)
        self.prepare(app, sf)
        with app.test_request_context("/"):
            html = render_template_string(block.code, **TEMPLATE_CONTEXT)
        if "server_" in block.code:
            assert "/_sf/" in html, html


#: Where a page's app is (its app trusts that host only).
BASE_URL = {"docs/security.md": "https://notes.example.com"}


@pytest.mark.parametrize("doc", DOCS)
def test_every_fragment_and_template_runs(
    doc: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # an instance folder goes there
    monkeypatch.setenv("SECRET_KEY", "from the environment")
    (tmp_path / "instance").mkdir()
    run = PageRun(doc, tmp_path)
    for block, k in kinds(doc):
        try:
            if k == "fragment":
                run.fragment(block)
            elif k == "jinja":
                run.jinja(block)
            elif k == "console":
                console(block)
        except Exception as e:
            raise AssertionError(f"{block.where}: {type(e).__name__}: {e}") from e
    unused = set(run.templates.named) - run.templates.used
    assert not unused, f"{doc}: no snippet renders {sorted(unused)}"


def console(block: Block) -> None:
    """A ``flask --app example ...`` session prints what the block shows."""
    from example import create_app

    command, _, shown = block.code.partition("\n")
    args = command.removeprefix("$ flask --app example ").split()
    app = create_app({"TESTING": True, "DATABASE": ":memory:"})
    output = app.test_cli_runner().invoke(args=args).output
    assert output.startswith(shown.split("\n...")[0]), output


# -- Fragments: how to call each function, and what more to check -------------------

Call = t.Callable[[FlaskClient, ServerFunction[t.Any], PageRun], None]
CALLS: dict[str, Call] = {}


def calls(*names: str) -> t.Callable[[Call], Call]:
    def add(call: Call) -> Call:
        CALLS.update(dict.fromkeys(names, call))
        return call

    return add


@calls("add_note")
def _add_note(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    result = call_function(client, fn, {"text": "buy bread"})
    assert result.ok, result.html
    if fn.refresh:  # it re-renders the list
        assert 'hx-target="#notes-list"' in result.html
    if fn.triggers:
        assert "notes-changed" in result.response.headers["HX-Trigger"]


@calls("add_task")
def _add_task(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    for js in (True, False):
        result = call_function(client, fn, {"title": "", "count": "x"}, js=js)
        assert result.errors == {
            "title": ["Please give the task a title."],
            "count": ["How many times, in digits?"],
        }
        assert "Please give the task a title." in result.html
    assert call_function(client, fn, {"title": "Read"}).state == {"title": "Read", "count": 1}


@calls("order")
def _order(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    result = call_function(client, fn, {"quantity": ""})
    assert result.errors == {"quantity": ["How many?"]} and "How many?" in result.html
    result = call_function(client, fn, {"quantity": "x"})  # the app's own default
    assert result.errors == {"quantity": ["Digits only, please."]}
    assert call_function(client, fn, {"quantity": "3"}).state == {"ordered": 3}


@calls("rename_note")
def _rename_note(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    assert call_function(client, fn.bind(note_id=1), {"text": "buy oat milk"}).ok
    assert run.db.done[-1] == ("rename", (1, "buy oat milk"))
    assert call_function(client, fn.bind(note_id=1), {"note_id": "2", "text": ""}).status == 422


@calls("update_name")
def _update_name(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    # a call that succeeds without taking state never computes the initial state
    run.db.done.clear()
    assert call_function(client, fn, {"name": "Ada"}).state == {"error": None, "name": "Ada"}
    assert ("get_setting", ("name",)) not in run.db.done
    # an invalid call shows the saved name, computed on the server
    invalid = call_function(client, fn, {})  # no name: 422
    assert invalid.status == 422 and invalid.state == {"error": None, "name": "Ada"}


@calls("increment")
def _increment(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    assert call_function(client, fn).state == {"count": 1}
    assert call_function(client, fn, previous_state={"count": 5}).state == {"count": 6}


@calls("delete_note")
def _delete_note(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    result = call_function(client, button_reference(fn.bind(note_id=1), "Delete"))
    assert result.state == "Deleted." and run.db.done[-1] == ("delete", (1,))
    assert 'hx-target="#notes-list"' in result.html and "<li>buy milk</li>" in result.html


@calls("like")
def _like(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    result = call_function(client, button_reference(fn.bind(post_id=7), "Like"))
    assert result.state == "Liked." and "Liked." in result.html


@calls("rename_task")
def _rename_task(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    result = call_function(client, fn.bind(task_id=1), {"title": "Read"})
    assert result.status == 404 and "This task no longer exists." in result.html


@calls("checkout")
def _checkout(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    result = call_function(client, fn.bind(order_id=3))
    assert result.response.headers["HX-Redirect"] == "/orders/3"


@calls("add_numbers")
def _add_numbers(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    assert call_function(client, fn, {"a": "2", "b": "3"}).state == 5


@calls("sign_up")
def _sign_up(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    data = {"name": "Ada", "password": "correct horse", "confirm": "battery staple"}
    assert call_function(client, fn, data).errors == {"confirm": ["The passwords differ."]}
    data["confirm"] = data["password"]
    assert call_function(client, fn, data).state == {"welcome": "Ada"}
    assert "data-sf-live" in client.get("/").text


@calls("upload_photo")
def _upload_photo(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    text = {"image": (io.BytesIO(b"hello"), "a.txt", "text/plain")}
    result = call_function(client, fn, text)
    assert result.errors == {"image": ["This type of file is not accepted (allowed: image/*)."]}
    png = {"image": (io.BytesIO(b"\x89PNG\r\n"), "../cat.png", "image/png")}
    assert call_function(client, fn, png).state == {"saved": "cat.png"}
    assert (run.folder / "instance" / "cat.png").read_bytes() == b"\x89PNG\r\n"


@calls("import_notes")
def _import_notes(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    lines = {"file": (io.BytesIO(b"one\ntwo"), "notes.txt", "text/plain")}
    assert call_function(client, fn, lines).state == {"done": 2, "total": 2}
    assert run.db.notes[-2:] == ["one", "two"]


@calls("clear_notes", "ban_user")
def _admin_only(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    with client.session_transaction() as session:
        session.clear()
    assert call_function(client, fn, {"user_id": "2"}).status == 403
    with client.session_transaction() as session:
        session["admin"] = True
    assert call_function(client, fn, {"user_id": "2"}).ok
    with client.session_transaction() as session:
        session["banned"] = True  # refused by the before_call guard
    assert call_function(client, fn, {"user_id": "2"}).status == 403


@calls("pay")
def _pay(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    assert call_function(client, fn, {"amount": "5"}).ok


@calls("ping")
def _ping(client: FlaskClient, fn: ServerFunction[t.Any], run: PageRun) -> None:
    assert call_function(client, button_reference(fn, "Ping")).ok


Check = t.Callable[[FlaskClient, dict[str, t.Any], PageRun], None]
#: Checks for the blocks that contain a text, after their functions are called.
CHECKS: dict[str, Check] = {}


def checks(text: str) -> t.Callable[[Check], Check]:
    def add(check: Check) -> Check:
        CHECKS[text] = check
        return check

    return add


@checks("RedisStore(")
def _redis_store(client: FlaskClient, ns: dict[str, t.Any], run: PageRun) -> None:
    store = ns["app"].config["SERVER_FUNCTIONS_IDEMPOTENCY_STORE"]
    assert type(store).__name__ == "RedisStore"


@checks('"SERVER_FUNCTIONS_RATE_LIMIT"]')
def _rate_limits(client: FlaskClient, ns: dict[str, t.Any], run: PageRun) -> None:
    assert ns["app"].config["SERVER_FUNCTIONS_RATE_LIMIT"] == "120/minute"
    assert ns["admin"].rate_limit == "5/second;100/hour"


@checks("SERVER_FUNCTIONS_RATE_LIMIT_KEY")
def _rate_limit_key(client: FlaskClient, ns: dict[str, t.Any], run: PageRun) -> None:
    key = ns["app"].config["SERVER_FUNCTIONS_RATE_LIMIT_KEY"]
    with ns["app"].test_request_context("/", environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        assert key() == "1"
        run.user.signed_in = False
        assert key() == "10.0.0.1"


@checks("Limiter(")
def _limiter(client: FlaskClient, ns: dict[str, t.Any], run: PageRun) -> None:
    assert ns["app"].config["SERVER_FUNCTIONS_RATE_LIMIT_STORAGE"] is ns["limiter"].storage


@checks("function_called.connect_via(app)")
def _log_call(client: FlaskClient, ns: dict[str, t.Any], run: PageRun) -> None:
    @ns["sf"].function
    def ping() -> str:
        return "pong"

    messages: list[str] = []
    ns["app"].logger.info = lambda message, *args: messages.append(message % args)
    call_function(client, button_reference(ping, "Ping"))
    assert messages == ["ping 200 ok via htmx"]


@checks("def strict_csp(")
def _strict_csp(client: FlaskClient, ns: dict[str, t.Any], run: PageRun) -> None:
    page = client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"])
    assert nonce and f'nonce="{nonce.group(1)}"' in page.text


@checks('refresh("stats", "stats.html")')
def _refresh_at_run_time(client: FlaskClient, ns: dict[str, t.Any], run: PageRun) -> None:
    for page, regions in [("/dashboard", 2), ("/", 1)]:
        html = call_function(client, ns["add_note"], {"text": "x"}, page=page).html
        assert html.count("<hx-partial ") == regions and ('"#stats"' in html) == (regions == 2)


@checks("Babel(app")
def _babel(client: FlaskClient, ns: dict[str, t.Any], run: PageRun) -> None:
    @ns["sf"].function
    def count(n: int) -> int:
        return n

    result = call_function(client, count, {"n": "x"}, headers={"Accept-Language": "de"})
    assert result.errors == {"n": ["Geben Sie eine ganze Zahl ein."]}


@checks("TRUSTED_HOSTS")
def _deployed(client: FlaskClient, ns: dict[str, t.Any], run: PageRun) -> None:
    app = client.application
    assert app.secret_key == "from the environment" and app.config["SESSION_COOKIE_SECURE"]
    assert client.get("/", base_url="https://notes.example.com").status_code == 200
    assert client.get("/", base_url="https://evil.example").status_code == 400


def test_every_call_and_check_is_used() -> None:
    code = "\n".join(b.code for doc in DOCS for b, k in kinds(doc) if k == "fragment")
    assert not [text for text in CHECKS if text not in code]
    assert not [name for name in CALLS if not re.search(rf"def {name}\(", code)]


# -- The API reference --------------------------------------------------------------


def test_the_api_reference_names_every_public_name() -> None:
    """docs/api.md documents every name ``flask_server_functions`` exports, and the
    public helpers of the modules users import from."""
    api = (ROOT / "docs/api.md").read_text()
    init = (ROOT / "flask_server_functions/__init__.py").read_text()
    exported = re.findall(r"from \.(\w+) import (\w+) as \2", init)
    missing = [
        name
        for module, name in exported
        if f"flask_server_functions.{name}" not in api
        and f"automodule:: flask_server_functions.{module}" not in api
        and module != "_version"
    ]
    modules = {
        "errors": "automodule:: flask_server_functions.errors",
        "testing": "call_function, CallResult, call_server_function",
        "schemas": "File, FilledString, is_blank",
        "messages": "automodule:: flask_server_functions.messages",
        "signals": "automodule:: flask_server_functions.signals",
        "stores": "automodule:: flask_server_functions.stores",
        "templating": "templating.server_form",
    }
    missing += [m for m, text in modules.items() if text not in api]
    assert not missing and {"ServerFunctions", "FormState"} <= {n for _, n in exported}


def test_the_configuration_table_lists_every_key_once() -> None:
    """The guide's configuration table has one row per key of ``config.DEFAULTS``
    (a key listed twice had two different defaults)."""
    from flask_server_functions.config import DEFAULTS

    table = (ROOT / "docs/guide.md").read_text().split("\n## Configuration\n", 1)[1]
    rows = re.findall(r"^\| `(SERVER_FUNCTIONS_\w+)` \|", table, re.M)
    assert sorted(rows) == sorted(DEFAULTS)
