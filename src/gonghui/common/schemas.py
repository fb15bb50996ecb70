"""Types the JSON API's schemas share, so a parameter out of range is a 422 naming it, and
the strict base every request body inherits."""

import re
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError, core_schema

MAX_ID = 2**63 - 1  # ids beyond a 64-bit integer name nothing (SQLite would refuse them)
FIRST_YEAR, LAST_YEAR = 1949, 2100  # the years a record of the union can carry

RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]


def one_of(values: Iterable[str]) -> Any:
    """The type of a query parameter that takes one of ``values``, or "" for none (no
    filter, the default order). Anything else is a 422 naming the parameter, never a
    silently empty or unfiltered list; the OpenAPI document lists the values."""
    return Literal[("", *values)]


NUL = "\x00"
NUL_REASON = "不能包含空字符（NUL）"
UNKNOWN_FIELD = "不接受此字段（接口未定义）"  # a body's field the operation does not declare


def not_json(content_type: str) -> str:
    """The 415's message: a body that is not declared as JSON."""
    kind = content_type[:80] or "未注明"
    return f"请求体应为 JSON（Content-Type: application/json），收到的是 {kind}"


def refuse_nul(value: str) -> str:
    """No text column holds a NUL (PostgreSQL refuses it: the write answered 500), and no
    one types one: a string carrying it is refused, naming its field."""
    if NUL in value:
        raise PydanticCustomError("string_nul", NUL_REASON)
    return value


# Dates and times have no JSON type: they are ISO 8601 strings, and only those. Pydantic
# would also take a number, or a string of digits, as seconds since 1970 (a birth date of
# 0 was 1970-01-01).
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
DATE_REASON = "应为日期字符串（YYYY-MM-DD）"
DATETIME_REASON = "应为 ISO 8601 时间字符串（如 2026-03-01T09:30:00+08:00）"


def iso_date_only(value: Any) -> Any:
    if isinstance(value, date):  # a default, or a value set in code
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_type", DATE_REASON)
    return value


def iso_datetime_only(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.fullmatch(value):
        raise PydanticCustomError("datetime_type", DATETIME_REASON)
    return value


# A date as a query parameter: the same rule as in a body.
IsoDate = Annotated[date, BeforeValidator(iso_date_only)]

# JSON has its own numbers and booleans: in a body they must be those, not strings that
# look like them ("1"), nor each other (true for 1, 1.0 for 1).
_JSON_SCALARS = frozenset({"int", "float", "bool"})
_ISO_ONLY = {"date": iso_date_only, "datetime": iso_datetime_only}


def _wrap(schema: dict, function, *, before: bool) -> None:
    """Put a plain validator around the core schema ``schema``, in place (its parent keeps
    pointing at the same dict)."""
    inner = dict(schema)
    schema.clear()
    make = (
        core_schema.no_info_before_validator_function
        if before
        else core_schema.no_info_after_validator_function
    )
    schema.update(make(function, inner))


def _strict_scalars(schema: Any, model: type) -> None:
    """Mark every number and boolean in ``model``'s core schema strict, refuse a NUL in
    every string, and take dates and times as ISO strings only. Another model met on the
    way is left alone: a nested request schema applies these rules itself."""
    if isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "model" and schema.get("cls") is not model:
            return
        for value in schema.values():
            _strict_scalars(value, model)
        if kind in _JSON_SCALARS:
            schema["strict"] = True
        elif kind == "str":
            _wrap(schema, refuse_nul, before=False)
        elif kind in _ISO_ONLY:
            _wrap(schema, _ISO_ONLY[kind], before=True)
    elif isinstance(schema, list):
        for value in schema:
            _strict_scalars(value, model)


class StrictSchema(Schema):
    """The base of every request body: JSON's own types only (a quantity of "1", true or
    1.0 is refused, not coerced to 1; a date is an ISO string, not a number), no NUL in any
    string, and an unknown field is refused by its name instead of being dropped unseen.
    Query and path parameters are strings on the wire: their schemas stay
    ``ninja.Schema``, coerced and range-checked, and the API refuses unknown ones and NULs
    in them in one place (gonghui/api.py), as it refuses a body that is not JSON."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def __get_pydantic_core_schema__(cls, source, handler):
        schema = handler(source)
        _strict_scalars(schema, cls)
        return schema
