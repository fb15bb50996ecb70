from datetime import datetime
from typing import Annotated

from ninja import Query, Router, Schema
from pydantic import Field

from gonghui.audit import selectors
from gonghui.common.pagination import page_dict
from gonghui.common.schemas import IsoDate
from gonghui.orgs import access

router = Router(tags=["审计"])
Day = Annotated[IsoDate, Field(ge=selectors.FIRST_DAY, le=selectors.LAST_DAY)]


class EventOut(Schema):
    stream: str
    seq: int
    created_at: datetime
    actor_name: str
    action: str
    object_type: str
    object_id: str
    org_unit_id: int | None
    ip: str | None
    hash: str


class EventFilters(Schema):
    actor_name: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: Day | None = None
    until: Day | None = None
    page: int = 1


class EventPage(Schema):
    count: int
    page: int
    items: list[EventOut]


@router.get("/events", response=EventPage, summary="审计事件（审计员）")
def event_list(request, filters: Query[EventFilters]):
    access.require(request.user, "audit.view")
    params = filters.dict(exclude={"page"})
    qs = selectors.event_list(actor=request.user, **params)
    return page_dict(qs, filters.page)
