"""Types the JSON API's schemas share, so a parameter out of range is a 422 naming it."""

from typing import Annotated

from pydantic import Field

MAX_ID = 2**63 - 1  # ids beyond a 64-bit integer name nothing (SQLite would refuse them)
FIRST_YEAR, LAST_YEAR = 1949, 2100  # the years a record of the union can carry

RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
