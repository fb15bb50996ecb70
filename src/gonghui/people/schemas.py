from datetime import date

from ninja import Schema
from pydantic import Field

from gonghui.common import pii
from gonghui.common.schemas import StrictSchema


class PersonOut(Schema):
    """Protected fields are always masked here; the full value needs /reveal (audited)."""

    id: int
    name: str
    name_reading: str
    gender: str
    birth_date: date | None
    id_number_masked: str
    phone_masked: str
    no_id_reason: str
    org_unit_id: int
    org_unit_name: str
    is_public: bool

    @staticmethod
    def resolve_id_number_masked(obj):
        return pii.mask("id_number", obj.id_number)

    @staticmethod
    def resolve_phone_masked(obj):
        return pii.mask("phone", obj.phone)

    @staticmethod
    def resolve_org_unit_name(obj):
        return obj.org_unit.name


class PersonIn(StrictSchema):
    org_unit_id: int
    name: str = Field(max_length=60)
    name_reading: str = Field(default="", max_length=420)
    gender: str = ""
    birth_date: date | None = None
    id_number: str | None = Field(default=None, max_length=40)
    no_id_reason: str = Field(default="", max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    is_public: bool = False
    public_fields: list[str] = []


class PersonPatch(StrictSchema):
    org_unit_id: int | None = None
    name: str | None = Field(default=None, max_length=60)
    name_reading: str | None = Field(default=None, max_length=420)
    gender: str | None = None
    birth_date: date | None = None
    id_number: str | None = Field(default=None, max_length=40)
    no_id_reason: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    is_public: bool | None = None
    public_fields: list[str] | None = None


class PersonPage(Schema):
    count: int
    count_capped: bool = False  # a search counts up to people.search.COUNT_CAP
    page: int
    items: list[PersonOut]


class LookupIn(StrictSchema):
    id_number: str = Field(max_length=40)


class RevealIn(StrictSchema):
    field: str


class RevealOut(Schema):
    field: str
    value: str
