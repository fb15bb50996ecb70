"""Service cards over JSON (mounted at /api/v1/cards in ``gonghui/api.py``): union staff
list the cards in their scope, open one, issue, and change a card's status; the same
services, selectors and scope as the pages."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from gonghui.common.pagination import page_dict
from gonghui.common.schemas import StrictSchema, one_of
from gonghui.orgs import access
from gonghui.perks.cards import selectors, services

router = Router(tags=["会员服务·服务卡"])


class CardOut(Schema):
    id: int
    number: str
    holder: str
    org_unit_id: int
    org_unit: str
    status: str
    status_label: str
    issued_at: datetime

    @staticmethod
    def resolve_holder(obj):
        return obj.person.name

    @staticmethod
    def resolve_org_unit(obj):
        return obj.org_unit.name

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()


class CardPage(Schema):
    count: int
    count_capped: bool
    page: int
    items: list[CardOut]


class CardDetail(CardOut):
    status_changed_at: datetime | None
    status_reason: str
    replaced_by: str | None
    replaces: str | None

    @staticmethod
    def resolve_replaced_by(obj):
        return obj.replaced_by.number if obj.replaced_by_id else None

    @staticmethod
    def resolve_replaces(obj):
        old = getattr(obj, "replaces", None)
        return old.number if old is not None else None


class IssueIn(StrictSchema):
    person_id: int | None = Field(None, description="人员ID（与身份证号二选一）")
    id_number: str | None = Field(None, max_length=40, description="身份证号（与人员ID二选一）")


class CardReasonIn(StrictSchema):
    reason: str = Field("", max_length=200)


@router.get("", response=CardPage, summary="服务卡（本单位范围）")
def card_list(
    request, status: str = "", q: str = "", sort: one_of(selectors.CARD_SORTS) = "", page: int = 1
):
    access.require(request.user, "perks.view")
    cards = selectors.card_list(actor=request.user, status=status[:12], q=q[:60], sort=sort[:12])
    return page_dict(cards, page)


def _card(request, pk: int):
    return selectors.card_get(actor=request.user, pk=pk)


@router.get("/{int:pk}", response=CardDetail, summary="服务卡详情")
def card_get(request, pk: int):
    access.require(request.user, "perks.view")
    return _card(request, pk)


@router.post("", response={201: CardOut}, summary="办理服务卡")
def card_issue(request, body: IssueIn):
    access.require(request.user, "perks.cards")
    card = services.card_issue_for(
        actor=request.user, person_id=body.person_id, id_number=body.id_number
    )
    return Status(201, card)


def _with_reason(request, pk: int, body: CardReasonIn, service):
    """A change of a card's status: ``service`` on the card, with the reason given."""
    access.require(request.user, "perks.view")
    return service(actor=request.user, card=_card(request, pk), reason=body.reason)


@router.post("/{int:pk}/suspend", response=CardOut, summary="暂停服务卡（须写明原因）")
def card_suspend(request, pk: int, body: CardReasonIn):
    return _with_reason(request, pk, body, services.card_suspend)


@router.post("/{int:pk}/resume", response=CardOut, summary="恢复服务卡")
def card_resume(request, pk: int, body: CardReasonIn):
    return _with_reason(request, pk, body, services.card_resume)


@router.post("/{int:pk}/cancel", response=CardOut, summary="注销服务卡（须写明原因）")
def card_cancel(request, pk: int, body: CardReasonIn):
    return _with_reason(request, pk, body, services.card_cancel)


@router.post("/{int:pk}/reissue", response=CardOut, summary="挂失补卡（须写明原因；返回新卡）")
def card_reissue(request, pk: int, body: CardReasonIn):
    return _with_reason(request, pk, body, services.card_reissue)
