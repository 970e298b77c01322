"""The example app through the Flask test client (the browser suite is in tests/browser)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from example import create_app

from .conftest import HTMX


@pytest.fixture
def example_app(tmp_path: Path) -> Flask:
    return create_app({"DATABASE": str(tmp_path / "notes.sqlite"), "TESTING": True})


@pytest.fixture
def example_client(example_app: Flask) -> FlaskClient:
    return example_app.test_client()


def actions(html: str) -> list[str]:
    """The URLs of the page's server-function forms (not its search form)."""
    return re.findall(r'<form[^>]* action="(/_sf/[^"]+|/admin/_sf/[^"]+)"', html)


def count_notes(app: Flask) -> int:
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        return conn.execute("SELECT count(*) FROM note").fetchone()[0]


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "nojs"])
def test_update_name(example_client: FlaskClient, headers: dict[str, str]) -> None:
    name_url = actions(example_client.get("/").text)[0]
    r = example_client.post(name_url, data={"name": "  "}, headers=headers, follow_redirects=True)
    assert "Name is required" in r.text
    r = example_client.post(name_url, data={"name": "Ada"}, headers=headers, follow_redirects=True)
    assert 'Saved name: <strong class="saved-name">Ada</strong>' in r.text
    # stored in SQLite: a fresh page shows it
    assert "Ada" in example_client.get("/").text


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "nojs"])
def test_add_rename_delete_note(
    example_app: Flask, example_client: FlaskClient, headers: dict[str, str]
) -> None:
    add_url = actions(example_client.get("/").text)[1]
    r = example_client.post(add_url, data={"text": ""}, headers=headers, follow_redirects=True)
    assert "Write something first." in r.text
    r = example_client.post(
        add_url, data={"text": "y" * 201}, headers=headers, follow_redirects=True
    )
    assert "Keep it under 200 characters." in r.text and "y" * 201 in r.text
    assert count_notes(example_app) == 0

    r = example_client.post(add_url, data={"text": "first"}, headers=headers, follow_redirects=True)
    assert 'value="first"' in r.text  # in the list (rename form), the add input is empty again
    assert "1 note<" in r.text
    assert count_notes(example_app) == 1

    page = example_client.get("/").text
    rename_url, delete_url = actions(page)[2:4]
    r = example_client.post(
        rename_url, data={"text": "renamed"}, headers=headers, follow_redirects=True
    )
    assert 'value="renamed"' in r.text and "Renamed" in r.text
    r = example_client.post(delete_url, headers=headers, follow_redirects=True)
    assert count_notes(example_app) == 0
    assert "0 notes" in r.text


def test_delete_is_bound_to_the_note(example_app: Flask, example_client: FlaskClient) -> None:
    add_url = actions(example_client.get("/").text)[1]
    for text in ("a", "b", "c"):
        example_client.post(add_url, data={"text": text}, headers=HTMX)
    forms = actions(example_client.get("/").text)
    delete_b = forms[2 + 2 * 1 + 1]  # newest first: c, b, a; (rename, delete) per note
    example_client.post(delete_b, data={"note_id": "1"}, headers=HTMX)  # note_id is ignored
    with sqlite3.connect(example_app.config["DATABASE"]) as conn:
        assert [r[0] for r in conn.execute("SELECT text FROM note ORDER BY id")] == ["a", "c"]


def test_init_db_command(example_app: Flask, example_client: FlaskClient) -> None:
    add_url = actions(example_client.get("/").text)[1]
    example_client.post(add_url, data={"text": "x"}, headers=HTMX)
    result = example_app.test_cli_runner().invoke(args=["init-db"])
    assert "Initialized the database" in result.output
    assert count_notes(example_app) == 0


def test_admin_group(example_app: Flask, example_client: FlaskClient) -> None:
    forms = actions(example_client.get("/").text)
    toggle_url, clear_url = forms[-2:]
    assert clear_url.startswith("/admin/_sf/") and toggle_url.startswith("/_sf/")
    add_url = forms[1]
    example_client.post(add_url, data={"text": "keep me"}, headers=HTMX)
    r = example_client.post(clear_url, headers=HTMX)
    assert r.status_code == 403 and "You are not allowed to do this." in r.text
    assert count_notes(example_app) == 1
    example_client.post(toggle_url, headers=HTMX)
    r = example_client.post(clear_url, headers=HTMX)
    assert r.status_code == 200 and "Deleted 1 note." in r.text
    assert count_notes(example_app) == 0


def test_deleting_a_note_removes_its_upload(tmp_path: Path) -> None:
    import io
    import os

    from .browser.test_features import png_bytes

    app = create_app({"DATABASE": str(tmp_path / "notes.sqlite"), "TESTING": True})
    app.instance_path = str(tmp_path)  # uploads go to <instance>/uploads
    client = app.test_client()
    uploads = tmp_path / "uploads"
    add_url = actions(client.get("/").text)[1]
    for text in ("with a picture", "another"):
        image = (io.BytesIO(png_bytes()), "dot.png", "image/png")
        r = client.post(add_url, data={"text": text, "image": image}, headers=HTMX)
        assert r.status_code == 200
    assert len(os.listdir(uploads)) == 2
    page = client.get("/").text
    assert 'alt="Image of the note “another”"' in page
    assert 'aria-label="Delete “another”"' in page
    delete_newest = actions(page)[3]
    client.post(delete_newest, headers=HTMX)
    assert len(os.listdir(uploads)) == 1
    toggle_url, clear_url = actions(page)[-2:]
    client.post(toggle_url, headers=HTMX)  # become the admin
    client.post(clear_url, headers=HTMX)
    assert os.listdir(uploads) == []


def _rename_state(html: str) -> str:
    """The signed state the rename form carries, in a page or an htmx fragment."""
    chunk = next((f for f in html.split("<form") if 'class="sf-form rename"' in f), html)
    found = re.search(r'name="_sf_state" value="([^"]+)"', chunk)
    assert found, "the rename form carries its state"
    return found.group(1)


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "nojs"])
def test_rename_error_hides_the_earlier_success(
    example_client: FlaskClient, headers: dict[str, str]
) -> None:
    add_url = actions(example_client.get("/").text)[1]
    example_client.post(add_url, data={"text": "first"}, headers=HTMX)
    page = example_client.get("/").text
    rename_url = actions(page)[2]
    data = {"text": "ok", "_sf_state": _rename_state(page)}
    r = example_client.post(rename_url, data=data, headers=headers, follow_redirects=True)
    assert ">Renamed</span>" in r.text
    # the form now carries {"renamed": True}; an invalid rename must not show it
    data = {"text": "", "_sf_state": _rename_state(r.text)}
    r = example_client.post(rename_url, data=data, headers=headers, follow_redirects=True)
    assert "Write something first." in r.text and ">Renamed</span>" not in r.text
