from ninja import Schema
from pydantic import Field

from gonghui.common.schemas import StrictSchema


class OrgUnitOut(Schema):
    id: int
    code: str
    name: str
    level: str
    level_label: str
    parent_id: int | None
    depth: int
    is_active: bool

    @staticmethod
    def resolve_level_label(obj):
        return obj.get_level_display()


class OrgUnitIn(StrictSchema):
    parent_id: int
    code: str = Field(max_length=32)
    name: str = Field(max_length=120)
    level: str


class OrgUnitPatch(StrictSchema):
    name: str = Field(max_length=120)
    is_active: bool | None = None


class MoveIn(StrictSchema):
    parent_id: int


class OrgPage(Schema):
    count: int
    page: int
    items: list[OrgUnitOut]


class MeOut(Schema):
    username: str
    posts: list[dict]
