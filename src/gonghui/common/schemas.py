"""Types the JSON API's schemas share, so a parameter out of range is a 422 naming it, and
the strict base every request body inherits."""

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

MAX_ID = 2**63 - 1  # ids beyond a 64-bit integer name nothing (SQLite would refuse them)
FIRST_YEAR, LAST_YEAR = 1949, 2100  # the years a record of the union can carry

RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]


def one_of(values: Iterable[str]) -> Any:
    """The type of a query parameter that takes one of ``values``, or "" for none (no
    filter, the default order). Anything else is a 422 naming the parameter, never a
    silently empty or unfiltered list; the OpenAPI document lists the values."""
    return Literal[("", *values)]


# JSON has its own numbers and booleans: in a body they must be those, not strings that
# look like them ("1"), nor each other (true for 1, 1.0 for 1). Dates and times have no
# JSON type: they stay ISO strings, parsed as before.
_JSON_SCALARS = frozenset({"int", "float", "bool"})


def _strict_scalars(schema: Any, model: type) -> None:
    """Mark every number and boolean in ``model``'s core schema strict. Another model met
    on the way is left alone: a nested request schema applies this rule itself."""
    if isinstance(schema, dict):
        if schema.get("type") == "model" and schema.get("cls") is not model:
            return
        if schema.get("type") in _JSON_SCALARS:
            schema["strict"] = True
        for value in schema.values():
            _strict_scalars(value, model)
    elif isinstance(schema, list):
        for value in schema:
            _strict_scalars(value, model)


class StrictSchema(Schema):
    """The base of every request body: JSON's own types only (a quantity of "1", true or
    1.0 is refused, not coerced to 1), and an unknown field is refused by its name instead
    of being dropped unseen. Query and path parameters are strings on the wire: their
    schemas stay ``ninja.Schema``, coerced and range-checked. That bodies are JSON at all
    is the API's parser's business (gonghui/api.py)."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def __get_pydantic_core_schema__(cls, source, handler):
        schema = handler(source)
        _strict_scalars(schema, cls)
        return schema
