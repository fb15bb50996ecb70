from ninja import Router, Status

from gonghui.common.errors import NotFound
from gonghui.common.pagination import PAGE_SIZE, page_dict
from gonghui.common.schemas import one_of
from gonghui.orgs.selectors import org_unit_get
from gonghui.people import search, selectors, services
from gonghui.people.schemas import (
    LookupIn,
    PersonIn,
    PersonOut,
    PersonPage,
    PersonPatch,
    RevealIn,
    RevealOut,
)

router = Router(tags=["人员"])


@router.get("/", response=PersonPage, summary="人员列表（本人数据范围内）")
def person_list(
    request,
    q: str = "",
    sort: one_of(selectors.PERSON_SORTS) = "",
    page: int = 1,
    size: int = PAGE_SIZE,  # 20, 50, 100 or 200 (another number: 50)
):
    qs = selectors.person_list(actor=request.user, query=q, sort=sort)
    return page_dict(qs, page, size=size, count_cap=search.count_cap(q))


@router.get("/{int:pk}", response=PersonOut, summary="人员详情（个人信息已脱敏）")
def person_get(request, pk: int):
    return selectors.person_get(actor=request.user, pk=pk)


@router.post("/", response={201: PersonOut}, summary="登记人员")
def person_create(request, payload: PersonIn):
    unit = org_unit_get(actor=request.user, pk=payload.org_unit_id)
    data = payload.dict(exclude={"org_unit_id"})
    return Status(201, services.person_create(actor=request.user, org_unit=unit, data=data))


@router.patch("/{int:pk}", response=PersonOut, summary="修改人员（可移动所属工会）")
def person_update(request, pk: int, payload: PersonPatch):
    person = selectors.person_get(actor=request.user, pk=pk)
    data = payload.dict(exclude_unset=True)
    unit_id = data.pop("org_unit_id", None)
    unit = org_unit_get(actor=request.user, pk=unit_id) if unit_id else None
    return services.person_update(actor=request.user, person=person, data=data, org_unit=unit)


@router.post(
    "/lookup",
    response=PersonOut,
    summary="按身份证号精确查找（须有查看完整个人信息的权限；限次；每次记入审计）",
)
def person_lookup(request, payload: LookupIn):
    person = services.person_find_by_id_number(actor=request.user, raw=payload.id_number)
    if person is None:
        raise NotFound()
    return person


@router.post("/{int:pk}/reveal", response=RevealOut, summary="查看完整个人信息（记入审计）")
def person_reveal(request, pk: int, payload: RevealIn):
    person = selectors.person_get(actor=request.user, pk=pk)
    value = services.person_reveal(actor=request.user, person=person, field=payload.field)
    return {"field": payload.field, "value": value}
