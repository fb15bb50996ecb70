"""Nominations over JSON: the same services, selectors and scope as the pages; the public
notices and objections without login."""

from datetime import date, datetime

from ninja import File, Form, Router, Schema, Status, UploadedFile
from pydantic import Field

from gonghui.common.errors import ValidationFailed
from gonghui.common.net import client_key
from gonghui.common.pagination import page_dict
from gonghui.common.schemas import IsoDate, RecordId, StrictSchema, one_of
from gonghui.nominations import exports, selectors, services
from gonghui.nominations.workflow import State

router = Router(tags=["推荐评选"])
public_router = Router(tags=["评选公示（公开）"])


class CampaignOut(Schema):
    id: int
    name: str
    honour: str
    year: int
    status: str
    nominate_from: date
    nominate_until: date
    notice_days: int
    notice_calendar_days: bool

    @staticmethod
    def resolve_honour(obj):
        return obj.honour.name


class RuleLine(Schema):
    rule: str
    count: int
    total: int
    ok: bool


class QuotaLine(Schema):
    org_unit: str
    used: int
    allowed: int
    submitted: bool
    rules: list[RuleLine]


class CampaignDetail(CampaignOut):
    quota_lines: list[QuotaLine]
    overall: list[RuleLine]


class NominationOut(Schema):
    id: int
    name: str
    org_unit: str
    quota_unit: str
    state: str
    state_label: str
    is_front_line: bool
    rank: str
    categories: list[str]

    @staticmethod
    def resolve_name(obj):
        return obj.person.name

    @staticmethod
    def resolve_org_unit(obj):
        return obj.org_unit.name

    @staticmethod
    def resolve_quota_unit(obj):
        return obj.quota.org_unit.name

    @staticmethod
    def resolve_state_label(obj):
        return obj.get_state_display()

    @staticmethod
    def resolve_categories(obj):
        return obj.category_list


class NominationPage(Schema):
    count: int
    page: int
    items: list[NominationOut]


class EntryOut(Schema):
    at: datetime
    kind: str
    title: str
    detail: str
    by: str


class NominationDetail(NominationOut):
    brief: str
    deeds: str
    meeting_on: date | None
    meeting_attendance: int | None
    meeting_result: str
    clearances: dict[str, str]
    reason: str
    timeline: list[EntryOut]


class AdvanceIn(StrictSchema):
    ids: list[RecordId] = Field(min_length=1, max_length=5000)
    action: str
    opinion: str = Field("", max_length=2000)


class WithdrawIn(StrictSchema):
    reason: str = Field(max_length=500)


class NominationSaveIn(Schema):
    """A nominee's materials as multipart form fields, sent with the nomination form (推荐表)
    as the file ``file``. Strings on the wire, as query parameters are: coerced here (the
    id, the attendance and ``submit``; the date ISO only), the id in range, at most 50
    categories and 200 characters of the meeting's result. gonghui/api.py takes only these
    names and the file, each once (the categories may repeat), with no NUL. The service
    checks the rest: the person among the nominating union's, the lengths of the brief and
    the deeds, the meeting's date and attendance, the categories, and with ``submit`` that
    nothing is missing."""

    person_id: RecordId
    brief: str = ""
    deeds: str = ""
    categories: list[str] = Field([], max_length=50)
    meeting_on: IsoDate | None = None
    meeting_attendance: int | None = None
    meeting_result: str = Field("", max_length=200)
    submit: bool = False


class NominationReplaceIn(NominationSaveIn):
    reason: str = Field(max_length=500)


def _rules(statuses) -> list[dict]:
    return [
        {"rule": s.rule.label, "count": s.count, "total": s.total, "ok": s.ok} for s in statuses
    ]


@router.get("/campaigns", response=list[CampaignOut], summary="评选活动")
def campaign_list(request):
    return list(selectors.campaign_list(actor=request.user)[:200])


@router.get("/campaigns/{int:pk}", response=CampaignDetail, summary="评选活动与名额、结构比例")
def campaign_get(request, pk: int):
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    nodes, overall = selectors.quota_lines(actor=request.user, campaign=campaign)
    campaign.quota_lines = [
        {
            "org_unit": n.quota.org_unit.name,
            "used": n.quota.used,
            "allowed": n.quota.allowed,
            "submitted": n.quota.submitted_at is not None,
            "rules": _rules(n.rules),
        }
        for n in nodes
    ]
    campaign.overall = _rules(overall)
    return campaign


@router.get(
    "/campaigns/{int:pk}/nominations", response=NominationPage, summary="被推荐人（本单位范围）"
)
def nomination_list(request, pk: int, state: one_of(State.values) = "", page: int = 1):
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    return page_dict(
        selectors.nomination_list(actor=request.user, campaign=campaign, state=state[:16]), page
    )


@router.post(
    "/campaigns/{int:pk}/advance",
    response=list[NominationOut],
    summary="审核（可批量，全部或全不）",
)
def advance(request, pk: int, body: AdvanceIn):
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    chosen = selectors.nominations_chosen(actor=request.user, campaign=campaign, ids=set(body.ids))
    return services.nominations_advance(
        actor=request.user, nominations=chosen, action=body.action, opinion=body.opinion
    )


@router.post(
    "/campaigns/{int:pk}/nominations",
    response={201: NominationOut},
    summary="推荐人选（连同推荐表；可同时推荐上报）",
)
def nomination_save(request, pk: int, payload: Form[NominationSaveIn], file: File[UploadedFile]):
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    saved = services.nomination_save(
        actor=request.user, campaign=campaign, document=file, **payload.model_dump()
    )
    return Status(201, saved)


@router.get("/nominations/{int:pk}", response=NominationDetail, summary="被推荐人与办理记录")
def nomination_get(request, pk: int):
    nomination = selectors.nomination_get(actor=request.user, pk=pk)
    nomination.timeline = selectors.timeline(actor=request.user, nomination=nomination)
    return nomination


@router.post("/nominations/{int:pk}/submit", response=NominationOut, summary="推荐上报")
def nomination_submit(request, pk: int):
    nomination = selectors.nomination_get(actor=request.user, pk=pk)
    return services.nomination_submit(actor=request.user, nomination=nomination)


@router.post(
    "/nominations/{int:pk}/replace",
    response={201: NominationOut},
    summary="替换被推荐人（原人选撤回，新人选连同推荐表）",
)
def nomination_replace(
    request, pk: int, payload: Form[NominationReplaceIn], file: File[UploadedFile]
):
    old = selectors.nomination_get(actor=request.user, pk=pk)
    saved = services.nomination_save(
        actor=request.user,
        campaign=old.campaign,
        replaces=old,
        document=file,
        **payload.model_dump(),
    )
    return Status(201, saved)


@router.post("/nominations/{int:pk}/withdraw", response=NominationOut, summary="撤回推荐")
def nomination_withdraw(request, pk: int, body: WithdrawIn):
    nomination = selectors.nomination_get(actor=request.user, pk=pk)
    return services.nomination_withdraw(
        actor=request.user, nomination=nomination, reason=body.reason
    )


# --- Public --------------------------------------------------------------------------------


class NoticeOut(Schema):
    id: int
    title: str
    stage: str
    starts_on: date
    ends_on: date
    open: bool
    contact: str

    @staticmethod
    def resolve_open(obj):
        return selectors.notice_open(obj)


class NoticeDetail(NoticeOut):
    headers: list[str]
    rows: list[dict]


class ObjectionIn(StrictSchema):
    nomination_id: int
    text: str = Field(max_length=5000)
    anonymous: bool = False
    name: str = Field("", max_length=60)
    contact: str = Field("", max_length=100)


class ObjectionFiled(Schema):
    reference: str


class ObjectionStatus(Schema):
    reference: str
    notice: str
    nominee: str
    status: str
    finding: str
    note: str


@public_router.get("/", response=list[NoticeOut], auth=None, summary="公示")
def notice_list(request, page: int = 1):
    return page_dict(selectors.public_notices(), page)["items"]


@public_router.get("/{int:pk}", response=NoticeDetail, auth=None, summary="公示名单")
def notice_get(request, pk: int):
    notice = selectors.public_notice(pk)
    nominees = exports.notice_nominations(notice)
    notice.headers = exports.notice_headers(notice.fields)
    notice.rows = [
        {"nomination_id": n.pk, "values": exports.notice_row(n, notice.fields)} for n in nominees
    ]
    return notice


@public_router.post(
    "/{int:pk}/objections", response={201: ObjectionFiled}, auth=None, summary="提出异议"
)
def objection_file(request, pk: int, body: ObjectionIn):
    notice = selectors.public_notice(pk)
    nomination = notice.nominations.filter(pk=body.nomination_id).first()
    if nomination is None:
        raise ValidationFailed({"nomination_id": "该人员不在本次公示名单中"})
    objection = services.objection_file(
        notice=notice,
        nomination=nomination,
        text=body.text,
        anonymous=body.anonymous,
        name=body.name,
        contact=body.contact,
        source=client_key(request),
    )
    return Status(201, {"reference": objection.reference})


@public_router.get(
    "/objections/{reference}", response=ObjectionStatus, auth=None, summary="异议办理结果"
)
def objection_status(request, reference: str):
    services.lookup_allowed(client_key(request))
    o = selectors.objection_by_reference(reference)
    return {
        "reference": o.reference,
        "notice": o.notice.title,
        "nominee": o.nomination.person.name,
        "status": o.get_status_display(),
        "finding": o.get_finding_display() if o.finding else "",
        "note": o.finding_note if o.finding else o.triage_reason,
    }
