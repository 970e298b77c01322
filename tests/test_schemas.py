from __future__ import annotations

import datetime
import decimal

import pytest
from marshmallow import ValidationError, fields

from flask_server_functions.schemas import schema_from_signature


def load(func, data):  # type: ignore[no-untyped-def]
    return schema_from_signature(func)().load(data)


def test_simple_types() -> None:
    def f(s: str, i: int, x: float, d: datetime.date, dt: datetime.datetime, m: decimal.Decimal):  # type: ignore[no-untyped-def]
        ...

    got = load(
        f,
        {
            "s": "a",
            "i": "3",
            "x": "1.5",
            "d": "2026-11-24",
            "dt": "2026-11-24T10:00:00",
            "m": "1.10",
        },
    )
    assert got == {
        "s": "a",
        "i": 3,
        "x": 1.5,
        "d": datetime.date(2026, 11, 24),
        "dt": datetime.datetime(2026, 11, 24, 10, 0),
        "m": decimal.Decimal("1.10"),
    }


def test_required_and_defaults() -> None:
    def f(a: int, b: int = 5, c: str | None = None):  # type: ignore[no-untyped-def]
        ...

    assert load(f, {"a": "1"}) == {"a": 1, "b": 5, "c": None}
    with pytest.raises(ValidationError) as e:
        load(f, {})
    assert e.value.messages == {"a": ["Missing data for required field."]}


def test_optional_empty_string_is_none() -> None:
    def f(n: int | None = None, s: str | None = None):  # type: ignore[no-untyped-def]
        ...

    assert load(f, {"n": "", "s": ""}) == {"n": None, "s": None}  # blank means missing


def test_bool_checkbox_missing_is_false() -> None:
    def f(agree: bool):  # type: ignore[no-untyped-def]
        ...

    assert load(f, {}) == {"agree": False}
    assert load(f, {"agree": "on"}) == {"agree": True}


def test_list_field() -> None:
    def f(tags: list[int]):  # type: ignore[no-untyped-def]
        ...

    assert load(f, {"tags": ["1", "2"]}) == {"tags": [1, 2]}
    assert load(f, {}) == {"tags": []}


def test_state_and_unannotated_parameters() -> None:
    def f(state, name):  # type: ignore[no-untyped-def]
        ...

    schema = schema_from_signature(f)()
    assert list(schema.fields) == ["name"]
    assert isinstance(schema.fields["name"], fields.String)


def test_unsupported_type_has_a_clear_error() -> None:
    def f(blob: dict):  # type: ignore[no-untyped-def, type-arg]
        ...

    with pytest.raises(TypeError, match="Pass schema=YourSchema"):
        schema_from_signature(f)


def test_file_field_limits() -> None:
    import io

    from werkzeug.datastructures import FileStorage

    from flask_server_functions.schemas import File

    field = File(max_size=10, content_types=["image/*", "application/pdf"])

    def upload(data: bytes, content_type: str) -> FileStorage:
        return FileStorage(io.BytesIO(data), filename="x", content_type=content_type)

    assert field.deserialize(upload(b"12345", "image/png")).filename == "x"
    with pytest.raises(ValidationError, match="too large"):
        field.deserialize(upload(b"x" * 11, "image/png"))
    with pytest.raises(ValidationError, match="not accepted"):
        field.deserialize(upload(b"x", "text/html"))
    with pytest.raises(ValidationError, match="Not a file"):
        field.deserialize("just text")


def test_unresolvable_hint_is_a_clear_error() -> None:
    def f(x: NotImported):  # type: ignore[name-defined]  # noqa: F821
        ...

    with pytest.raises(TypeError, match="import the types they name at module level"):
        schema_from_signature(f)
