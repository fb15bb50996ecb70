"""The notarised record over JSON: a competition's milestones (staff), and the notary's own
milestones with the message to sign and the countersignature (the notary's account, by
session or API token: a script on the notary's machine may sign and upload)."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from gonghui.common.schemas import StrictSchema, one_of
from gonghui.contests.models import Milestone
from gonghui.contests.notary import selectors, services
from gonghui.contests.notary.selectors import SORTS, STATES
from gonghui.orgs.auth import TokenAuth, session_auth

router = Router(tags=["工匠选树与技能竞赛·公证"])
auth = [TokenAuth(), session_auth]


class MilestoneOut(Schema):
    id: int
    competition: int
    name: str
    stream: str
    seq: int
    head: str
    time: str
    countersigned: bool
    countersigned_at: datetime | None
    notary: str | None

    @staticmethod
    def resolve_competition(obj: Milestone):
        return obj.competition_id

    @staticmethod
    def resolve_stream(obj: Milestone):
        return f"contest:{obj.competition_id}"

    @staticmethod
    def resolve_countersigned(obj: Milestone):
        return obj.countersigned_at is not None

    @staticmethod
    def resolve_notary(obj: Milestone):
        return obj.notary.name if obj.notary_id else None


class NotaryMilestoneOut(MilestoneOut):
    message: str

    @staticmethod
    def resolve_message(obj: Milestone):
        return selectors.message(obj).decode()


@router.get(
    "/competitions/{int:pk}/milestones",
    auth=auth,
    response=list[MilestoneOut],
    summary="竞赛的公证节点（签名检查点与公证员会签）",
)
def milestones(request, pk: int, state: one_of(STATES) = "", sort: one_of(SORTS) = ""):
    return list(
        selectors.milestone_list(actor=request.user, competition_id=pk, state=state, sort=sort)
    )


@router.get(
    "/notary/milestones",
    auth=auth,
    response=list[NotaryMilestoneOut],
    summary="公证员本人的公证节点（含待签消息）",
)
def notary_milestones(request):
    return selectors.notary_milestones(request.user)


class CountersignIn(StrictSchema):
    signature: str


@router.post(
    "/notary/milestones/{int:pk}/countersign",
    auth=auth,
    response=NotaryMilestoneOut,
    summary="公证员会签公证节点（上传本人私钥对待签消息的 Ed25519 签名）",
)
def countersign(request, pk: int, payload: CountersignIn):
    milestone = selectors.notary_milestone(request.user, pk)
    return services.milestone_countersign(
        actor=request.user, milestone=milestone, signature=payload.signature
    )
