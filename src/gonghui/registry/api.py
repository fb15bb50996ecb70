"""The registry's JSON API: the same services, selectors and scope as the pages."""

from datetime import date

from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from gonghui.common import pii
from gonghui.common.errors import NotFound, ValidationFailed
from gonghui.common.pagination import page_dict
from gonghui.common.schemas import RecordId, StrictSchema, Year, one_of
from gonghui.orgs.selectors import org_unit_get
from gonghui.people.models import Person
from gonghui.people.selectors import public_profile
from gonghui.registry import selectors, services, stats
from gonghui.registry.selectors import PersonFilters

router = Router(tags=["劳模工匠档案"])
public_router = Router(tags=["劳模墙（公开）"])


class HonourOut(Schema):
    id: int
    code: str
    name: str
    level: str
    subject: str
    conferred_by: str
    first_year: int
    cycle: str


class AwardOut(Schema):
    id: int
    honour: str
    year: int
    batch: str
    status: str
    categories: list[str]

    @staticmethod
    def resolve_honour(obj):
        return obj.honour.name

    @staticmethod
    def resolve_categories(obj):
        return [c.name for c in obj.categories.all()]


class RegistryPersonOut(Schema):
    id: int
    name: str
    gender: str
    birth_year: int | None
    id_number_masked: str
    employer: str
    org_unit: str
    awards: list[AwardOut]

    @staticmethod
    def resolve_birth_year(obj):
        return obj.birth_date.year if obj.birth_date else None

    @staticmethod
    def resolve_id_number_masked(obj):
        return pii.mask("id_number", obj.id_number)

    @staticmethod
    def resolve_employer(obj):
        return obj.employer.name if obj.employer_id else ""

    @staticmethod
    def resolve_org_unit(obj):
        return obj.org_unit.name

    @staticmethod
    def resolve_awards(obj):
        return obj.awards.all()  # with_awards read them with the page


class SearchParams(Schema):
    q: str = Field("", max_length=10_000)
    honour: RecordId | None = None
    year_from: Year | None = None
    year_to: Year | None = None
    org_unit: RecordId | None = None
    trade: RecordId | None = None
    category: RecordId | None = None
    status: one_of(Person.Status.values) = ""
    page: int = 1

    def filters(self) -> PersonFilters:
        return PersonFilters(query=self.q, **self.model_dump(exclude={"q", "page"}))


class RegistryPersonPage(Schema):
    count: int
    count_capped: bool = Field(False, description="count 只数到上限：实际至少有这么多")
    page: int
    items: list[RegistryPersonOut]


class AwardIn(StrictSchema):
    person_id: int
    honour_id: int
    year: int
    batch: str = Field("", max_length=40)
    categories: list[str] = []
    deeds: str = Field("", max_length=5000)


class AwardFormIn(Schema):
    """An award as multipart form fields (strings on the wire, as query parameters are:
    coerced here, only these names taken, no NUL), sent with its document (证书、表彰文件)
    as the file ``file``. The services check the rest, the file as the pages' uploads are
    (its kind from its content, its size)."""

    honour_id: RecordId
    year: int
    batch: str = Field("", max_length=40)
    categories: list[str] = Field([], max_length=50)
    deeds: str = Field("", max_length=5000)


class DocumentOut(Schema):
    id: int
    name: str
    mime_type: str
    size: int


class RevokeIn(StrictSchema):
    reason: str = Field(max_length=200)
    on: date | None = None


@router.get("/honours", response=list[HonourOut], summary="荣誉目录")
def honour_list(request):
    return list(selectors.honour_list())


@router.get(
    "/people",
    response=RegistryPersonPage,
    summary="档案检索（姓名、拼音、首字母、单位；可组合筛选）",
)
def person_search(request, params: Query[SearchParams]):
    filters = params.filters()
    qs = selectors.person_search(actor=request.user, filters=filters)
    return page_dict(
        selectors.with_awards(qs),
        params.page,
        count_cap=selectors.count_cap(filters),
    )


@router.get("/people/{int:pk}", response=RegistryPersonOut, summary="人员档案")
def person_get(request, pk: int):
    return selectors.with_awards([selectors.person_get(actor=request.user, pk=pk)])[0]


def _award_create(request, *, person, honour_id, year, batch, categories, deeds, document=None):
    """Record ``person``'s award of the catalogue's honour ``honour_id``, with ``document``
    attached in the same transaction if one is sent."""
    honour = selectors.honour_find(honour_id)
    if honour is None:
        raise ValidationFailed({"honour_id": "未知的荣誉"})
    found = selectors.categories_find(categories)
    if len(found) != len(set(categories)):
        raise ValidationFailed({"categories": "含有未知的类别"})
    return services.award_create(
        actor=request.user,
        honour=honour,
        person=person,
        year=year,
        batch=batch,
        categories=found,
        deeds=deeds,
        document=document,
    )


@router.post("/awards", response={201: AwardOut}, summary="记录授予（仅限本级管理的荣誉）")
def award_create(request, payload: AwardIn):
    person = selectors.person_get(actor=request.user, pk=payload.person_id)
    award = _award_create(request, person=person, **payload.model_dump(exclude={"person_id"}))
    return Status(201, award)


@router.post(
    "/people/{int:pk}/awards",
    response={201: AwardOut},
    summary="记录授予，连同证书或表彰文件（multipart；仅限本级管理的荣誉）",
)
def award_create_with_document(
    request, pk: int, payload: Form[AwardFormIn], file: File[UploadedFile]
):
    person = selectors.person_get(actor=request.user, pk=pk)
    award = _award_create(request, person=person, **payload.model_dump(), document=file)
    return Status(201, award)


@router.post(
    "/awards/{int:pk}/documents",
    response={201: DocumentOut},
    summary="为授予记录上传证书或表彰文件（multipart）",
)
def award_document_add(request, pk: int, file: File[UploadedFile]):
    award = selectors.award_get(actor=request.user, pk=pk)
    document = services.award_document_add(actor=request.user, award=award, upload=file)
    return Status(201, document)


@router.post("/awards/{int:pk}/revoke", response=AwardOut, summary="撤销授予（写明原因）")
def award_revoke(request, pk: int, payload: RevokeIn):
    award = selectors.award_get(actor=request.user, pk=pk)
    return services.award_revoke(
        actor=request.user, award=award, reason=payload.reason, on=payload.on
    )


class UnitOut(Schema):
    id: int
    name: str
    credit_code: str
    kind: str
    org_unit_id: int


class UnitIn(StrictSchema):
    name: str = Field(max_length=120)
    credit_code: str = Field("", max_length=30)
    kind: str = "enterprise"
    org_unit_id: int


class UnitPage(Schema):
    count: int
    page: int
    items: list[UnitOut]


@router.get("/units", response=UnitPage, summary="单位与集体（本人数据范围内）")
def unit_list(request, q: str = "", page: int = 1):
    return page_dict(selectors.employer_list(actor=request.user, query=q), page)


@router.post("/units", response={201: UnitOut}, summary="登记单位或集体")
def unit_create(request, payload: UnitIn):
    org_unit = org_unit_get(actor=request.user, pk=payload.org_unit_id)
    employer = services.unit_create(
        actor=request.user,
        org_unit=org_unit,
        name=payload.name,
        credit_code=payload.credit_code,
        kind=payload.kind,
    )
    return Status(201, employer)


class UnitMoveIn(StrictSchema):
    org_unit_id: int
    detach: bool = Field(
        False, description="班组或部门单独移动：脱离其上级单位（否则须随上级单位一并移动）"
    )


@router.post(
    "/units/{int:pk}/move",
    response=UnitOut,
    summary="单位或集体移到另一工会（连同下属班组、集体荣誉及证书）",
)
def unit_move(request, pk: int, payload: UnitMoveIn):
    employer = selectors.employer_get(actor=request.user, pk=pk)
    try:
        target = org_unit_get(actor=request.user, pk=payload.org_unit_id)
    except NotFound:
        raise ValidationFailed({"org_unit_id": "目标工会不存在或不在您的管理范围内"}) from None
    return services.unit_move(
        actor=request.user, employer=employer, org_unit=target, detach=payload.detach
    )


class BreakdownOut(Schema):
    code: str
    title: str
    columns: list[str]
    rows: list[list]
    total: int


@router.get(
    "/statistics",
    response=list[BreakdownOut],
    summary="统计：按荣誉、年份、批次、区、类别（本人数据范围内）",
)
def statistics(request):
    return [
        {"code": b.code, "title": b.title, "total": b.total, **b.table()}
        for b in stats.breakdowns(awards_qs=selectors.award_list(actor=request.user))
    ]


class ShareOut(Schema):
    summary: str
    count: int
    total: int


@router.get("/statistics/share", response=ShareOut, summary="某年某荣誉中某类别的占比及同比变化")
def statistics_share(request, honour: RecordId, year: Year, category: str):
    chosen = selectors.honour_find(honour)
    if chosen is None:
        raise ValidationFailed({"honour": "未知的荣誉"})
    if not selectors.categories_find([category]):
        raise ValidationFailed({"category": "未知的类别"})
    share = stats.category_share(
        awards_qs=selectors.award_list(actor=request.user),
        category=category,
        year=year,
        honour=chosen,
    )
    return {"summary": share.summary, "count": share.count, "total": share.total}


class WallCardOut(Schema):
    id: int
    name: str | None = None
    gender: str | None = None


@public_router.get(
    "/people", response=list[WallCardOut], auth=None, summary="劳模墙检索（仅本人同意公开的信息）"
)
def wall_search(request, q: str = "", honour: RecordId | None = None, page: int = 1):
    filters = PersonFilters(query=q, honour=honour)
    qs = selectors.public_search(filters=filters)
    items = page_dict(qs, page, count_cap=selectors.count_cap(filters))["items"]
    return [{"id": p.pk, **public_profile(p)} for p in items]
