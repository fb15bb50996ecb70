"""The standing crawl: every page kind, for every kind of demo object, as each role of the
demo and anonymously, on the real demo (``gonghui demo``). Any answer of 500 or above fails,
naming the URL, the login and the exception; 302, 403, 404, 405 are answers like others.

Page kinds come from the URL resolver (the pages, the admin site) and from the API's
OpenAPI schema (its GET operations), so a new page joins by itself. A path parameter is
filled from ``FILL``: the demo objects that the route's path names up to that parameter
(``"registry/people/{pk}"``: people). A route that ``FILL`` cannot fill fails the suite
(``test_every_route_parameter_can_be_filled``): a new page kind adds its line there.

Which objects: the person page (``/people/<pk>/`` and ``/registry/people/<pk>/``) opens
for every person of the demo, as the city's admin (who sees every panel of it). Elsewhere a
sample of each kind: for the logins that see the whole city, and for nobody, one of each
status (a suspended card, a drawn lottery, each stage of a notice; else the first and the
last); for the others, the first within each of their posts and their own (a member's card
and claims, a counter's merchant), or the city's first when they have none. Pages whose
content answers a query are opened with one too (``QUERIES``). The admin site's pages past
its index are opened by the logins it lets in.

Which logins: nobody, and one login of each role (city admin, city department, auditor,
district, street and grassroots staff, member, merchant counter): the one whose posts hold
the most kinds of demo objects. Logins of one role differ only in the subtree they see;
the city-wide logins open every kind of object anywhere, and test_permissions.py crosses
districts.

Which demo: ``gonghui demo`` itself, with 200 people (the command's default is 3,000):
every kind of what it builds besides the people (the tree, the logins, awards across the
whole catalogue, both campaigns, the cards, merchants and giveaways) is there at any size, and
200 keep the person pages for everyone within seconds (at this size every generated person
gets an employer and a choice about the public wall, at 3,000 one in ten; the campaigns'
nominees have neither). The demo makes no import job and no merge; the crawl makes one of
each through the services, as staff would.

As it goes, the crawl checks that no answer shows a demo person's full ID or phone number
to a login without ``people.view_pii`` over that person: a mask must hold on every page."""

import io
import logging
import re
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.test import Client, RequestFactory, TestCase
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from gonghui.api import api
from gonghui.contests.jury import passes as juror_passes
from gonghui.contests.models import (
    Appeal,
    Competition,
    Entrant,
    Judge,
    Match,
    Milestone,
    Programme,
    RescoreBatch,
    Seat,
    Stage,
)
from gonghui.dashboards.models import DisplayToken
from gonghui.dashboards.services import display_token_create, display_token_revoke
from gonghui.files.models import Attachment
from gonghui.funds.models import (
    Application,
    Entitlement,
    Hardship,
    LedgerEntry,
    PayeeAccount,
    PayoutBatch,
    PayoutLine,
    Run,
)
from gonghui.funds.models import Programme as FundsProgramme
from gonghui.jobs.models import Job
from gonghui.nominations.models import Campaign, Nomination, Notice, Objection
from gonghui.orgs import access
from gonghui.orgs.models import ApiToken, OrgUnit, Post
from gonghui.orgs.services import token_create
from gonghui.people.models import Person, TransferRequest
from gonghui.people.services import person_create, transfer_request_submit
from gonghui.perks import passes
from gonghui.perks.models import Card, Claim, Giveaway, Merchant
from gonghui.registry import excel
from gonghui.registry.models import Award, Merge, Studio
from gonghui.registry.services import person_merge, registry_import_start
from gonghui.training.models import (
    Alliance,
    AllianceMember,
    Certificate,
    Course,
    Enrolment,
    Problem,
    Question,
    Quiz,
    Salon,
    Speaker,
    SpeakerTeam,
    StudioMember,
    StudioReport,
    Talk,
    Visit,
)
from gonghui.training.models import Session as TrainingSession
from gonghui.treeimport.services import tree_import_start
from tests.demo import demo_built

PEOPLE = 200
EVERY_PERSON_AS = "admin"
API = "api/v1/"


@dataclass(frozen=True)
class Kind:
    """The demo objects that fill a path parameter."""

    objects: Callable[..., QuerySet | list]  # () -> all; (parent) -> those of the parent
    unit: str | None = "org_unit"  # lookup to the union node that scopes one ("" on OrgUnit)
    own: str | None = None  # lookup to the login that owns one (a member's card)
    vary: str | None = None  # one of each value of this field (a card of each status)
    attr: str = "pk"  # what goes into the URL
    every: bool = False  # the page that ends at this parameter opens for every one

    @property
    def nested(self) -> bool:
        return self.objects.__code__.co_argcount > 0


def _values(*values: str) -> Kind:
    return Kind(lambda *parent: list(values), unit=None)


PERSON = Kind(lambda: Person.objects.all(), vary="is_public", own="user")
PERSON_PAGE = Kind(PERSON.objects, vary="is_public", own="user", every=True)
ORG = Kind(lambda: OrgUnit.objects.all(), unit="", vary="level")
JOB = Kind(lambda: Job.objects.all(), vary="kind")
CAMPAIGN = Kind(lambda: Campaign.objects.all(), vary="status")
NOMINATION = Kind(lambda: Nomination.objects.all(), vary="state")
NOTICE = Kind(lambda: Notice.objects.all(), vary="stage")
GIVEAWAY = Kind(lambda: Giveaway.objects.all(), vary="status")
CARD = Kind(lambda: Card.objects.all(), vary="status", own="person__user")
OBJECTION = Kind(lambda: Objection.objects.all(), unit="nomination__org_unit", vary="status")
# Contests (工匠选树与技能竞赛): the demo's finished edition and its district contest.
PROGRAMME = Kind(lambda: Programme.objects.all(), vary="kind")
COMPETITION = Kind(lambda: Competition.objects.all(), vary="status")
STAGE = Kind(lambda: Stage.objects.all(), unit="competition__org_unit", vary="status")
# A judge's own stages (the judge's phone): those whose matches the login sits on.
JUDGE_STAGE = Kind(STAGE.objects, unit=STAGE.unit, vary="status", own="matches__seats__judge__user")
# An entrant's own stages (the appeal form): those the login's person took part in.
ENTRANT_STAGE = Kind(
    STAGE.objects, unit=STAGE.unit, vary="status", own="entries__entrant__person__user"
)


FUNDS_PROGRAMME = Kind(lambda: FundsProgramme.objects.all(), vary="kind")
APPLICATION = Kind(lambda: Application.objects.all(), vary="status")
APPLICATION_DOCUMENT = Kind(
    lambda application: Attachment.objects.filter(
        content_type__model="application", object_id=application.pk
    )
)


# Training: a session of each status (the open one with its waitlist), certificates, quizzes.
SESSION = Kind(lambda: TrainingSession.objects.all(), vary="status")
CERTIFICATE = Kind(lambda: Certificate.objects.all(), unit="attendance__session__org_unit")
QUIZ = Kind(lambda: Quiz.objects.all(), vary="status")


def _juror_passes() -> list[str]:
    """Voting passes (投票凭证) of the demo's public jurors: the first and the last seated,
    and one not seated (whose page still opens: the vote decides)."""
    jurors = Judge.objects.filter(kind=Judge.Kind.PUBLIC).order_by("pk")
    picks = [jurors.filter(seated=True).first(), jurors.filter(seated=True).last()]
    picks.append(jurors.filter(seated=False).first())
    return [juror_passes.issue(j.pk, j.pass_count) for j in {j.pk: j for j in picks if j}.values()]


# The route up to and including a parameter ({name}, as the API's schema writes it).
FILL: dict[str, Kind] = {
    "orgs/{pk}": ORG,
    "tree/{pk}": ORG,
    "jobs/{pk}": JOB,
    "people/{pk}": PERSON_PAGE,
    "people/{pk}/reveal/{field}": _values("id_number", "phone"),
    "dashboards/{page}": _values(
        "registry", "nominations", "contests", "funds", "perks", "training", "nothing"
    ),
    "dashboards/{page}/{chart}": _values("awards_child", "awards_year", "nothing"),
    "dashboards/screens/{pk}": Kind(lambda: DisplayToken.objects.all()),
    "screen/{token}": Kind(lambda *parent: DISPLAY_TOKENS, unit=None),
    "files/{pk}": Kind(lambda: Attachment.objects.all()),
    "registry/import/{pk}": Kind(lambda: Job.objects.filter(kind="registry.import")),
    "registry/people/{pk}": PERSON_PAGE,
    "registry/awards/{pk}": Kind(lambda: Award.objects.all(), vary="honour__level"),
    "registry/merges/{pk}": Kind(lambda: Merge.objects.all(), unit="survivor__org_unit"),
    "wall/{pk}": PERSON,
    "nominations/{pk}": CAMPAIGN,
    "nominations/{pk}/quotas/{quota_pk}": Kind(lambda campaign: campaign.quotas.all()),
    "nominations/n/{pk}": NOMINATION,
    "nominations/objections/{pk}": OBJECTION,
    "notices/{pk}": NOTICE,
    "notices/{pk}/list.{fmt}": _values("docx", "xlsx", "pdf"),
    "notices/{pk}/{nomination_pk}": Kind(lambda notice: notice.nominations.all()),
    "giveaways/{pk}": GIVEAWAY,
    "draws/{pk}": GIVEAWAY,
    "m/giveaways/{pk}": GIVEAWAY,
    "m/claims/{pk}": Kind(
        lambda: Claim.objects.all(), unit="giveaway__org_unit", own="person__user", vary="status"
    ),
    "cards/{pk}": CARD,
    "tokens/{pk}": Kind(lambda: ApiToken.objects.all(), unit=None, own="user"),
    "people/transfers/{pk}": Kind(
        lambda: TransferRequest.objects.all(), unit="decider", vary="status"
    ),
    "merchants/{pk}": Kind(lambda: Merchant.objects.all(), vary="plan", own="staff__user"),
    "merchants/{pk}/offers/{offer_pk}": Kind(
        lambda merchant: merchant.offers.all(), unit="merchant__org_unit"
    ),
    # Contests: programmes, competitions, stages and what hangs from them.
    "contests/{pk}": PROGRAMME,
    "contests/p/{pk}": PROGRAMME,
    "contests/c/{pk}": COMPETITION,
    "contests/stages/{pk}": STAGE,
    "contests/stages/{pk}/sheets/{number}": Kind(
        lambda stage: Entrant.objects.filter(entries__stage=stage),
        unit="competition__org_unit",
        vary="status",
        attr="number",
    ),
    "contests/matches/{pk}": Kind(
        lambda: Match.objects.all(), unit="stage__competition__org_unit", vary="stage__kind"
    ),
    "contests/seats/{pk}": Kind(
        lambda: Seat.objects.all(), unit="match__stage__competition__org_unit", vary="absent"
    ),
    "contests/jurors/{pk}": Kind(
        lambda: Judge.objects.filter(kind=Judge.Kind.PUBLIC),
        unit="programme__org_unit",
        vary="seated",
    ),
    "contests/appeals/{pk}": Kind(
        lambda: Appeal.objects.all(), unit="stage__competition__org_unit", vary="status"
    ),
    "contests/rescores/{pk}": Kind(
        lambda: RescoreBatch.objects.all(),
        unit="appeal__stage__competition__org_unit",
        vary="status",
    ),
    "m/contests/entries/{pk}": Kind(
        lambda: Entrant.objects.all(),
        unit="competition__org_unit",
        own="person__user",
        vary="status",
    ),
    "m/contests/appeal/{pk}": ENTRANT_STAGE,
    "judge/stages/{pk}": JUDGE_STAGE,
    "live/{pk}": COMPETITION,
    "contests/verifier/{name}": _values("verify_contest.py", "engine.py", "nothing.py"),
    "notary/milestones/{pk}": Kind(
        lambda: Milestone.objects.all(),
        unit="competition__org_unit",
        own="competition__programme__notaries__user",
    ),
    # Funds: programmes, applications (and their documents), runs, batches, lines, accounts.
    "funds/p/{pk}": FUNDS_PROGRAMME,
    "m/funds/p/{pk}": FUNDS_PROGRAMME,
    "funds/a/{pk}": APPLICATION,
    "funds/a/{pk}/documents/{doc}": APPLICATION_DOCUMENT,
    "m/funds/a/{pk}": Kind(APPLICATION.objects, vary="status", own="person__user"),
    "m/funds/a/{pk}/documents/{doc}": APPLICATION_DOCUMENT,
    "funds/runs/{pk}": Kind(lambda: Run.objects.all(), vary="status"),
    "funds/entitlements/{pk}": Kind(lambda: Entitlement.objects.all(), vary="status"),
    "funds/batches/{pk}": Kind(lambda: PayoutBatch.objects.all(), vary="status"),
    "funds/batches/{pk}/files/{file_pk}": Kind(
        lambda batch: Attachment.objects.filter(
            content_type__model="payoutbatch", object_id=batch.pk
        ),
        unit="org_unit",
    ),
    "funds/lines/{pk}": Kind(
        lambda: PayoutLine.objects.all(), unit="batch__org_unit", vary="status"
    ),
    "funds/ledger/{pk}": Kind(
        lambda: LedgerEntry.objects.all(), unit="budget__org_unit", vary="kind"
    ),
    "funds/hardship/{pk}": Kind(lambda: Hardship.objects.all(), vary="grade"),
    "funds/people/{pk}": Kind(
        lambda: Person.objects.filter(payee_accounts__isnull=False).distinct(),
        vary="payee_accounts__status",
    ),
    "funds/accounts/{pk}": Kind(
        lambda: PayeeAccount.objects.all(), unit="person__org_unit", vary="status"
    ),
    # Training: courses and sessions, quizzes, salons, studios and their reports, outreach.
    "training/courses/{pk}": Kind(lambda: Course.objects.all(), vary="status"),
    "training/sessions/{pk}": SESSION,
    "training/sessions/{pk}/enrolments/{enrolment}": Kind(
        lambda session: session.enrolments.all(), unit="session__org_unit", vary="status"
    ),
    "training/certificates/{pk}": CERTIFICATE,
    "m/training/sessions/{pk}": SESSION,
    "m/training/enrolments/{pk}": Kind(
        lambda: Enrolment.objects.all(),
        unit="session__org_unit",
        own="person__user",
        vary="status",
    ),
    "m/training/certificates/{pk}": Kind(
        CERTIFICATE.objects, unit=CERTIFICATE.unit, own="attendance__person__user"
    ),
    "training/questions/{pk}": Kind(lambda: Question.objects.all(), vary="kind"),
    "training/quizzes/{pk}": QUIZ,
    "m/training/quiz/{pk}": QUIZ,
    "training/salons/{pk}": Kind(lambda: Salon.objects.all(), vary="status"),
    "training/salons/{pk}/members/{person_pk}": Kind(
        lambda salon: Person.objects.filter(pk__in=salon.members.values("person"))
    ),
    "training/studios/{pk}": Kind(lambda: Studio.objects.all(), vary="status"),
    "training/studios/members/{pk}": Kind(
        lambda: StudioMember.objects.all(), unit="studio__org_unit", vary="role"
    ),
    "training/studios/reports/{pk}": Kind(lambda: StudioReport.objects.all(), vary="status"),
    "training/studios/reports/{pk}/evidence/{attachment}": Kind(
        lambda report: Attachment.objects.filter(
            content_type__model="studioreport", object_id=report.pk
        )
    ),
    "training/outreach/teams/{pk}": Kind(lambda: SpeakerTeam.objects.all()),
    "training/outreach/speakers/{pk}": Kind(lambda: Speaker.objects.all(), unit="team__org_unit"),
    "training/outreach/talks/{pk}": Kind(lambda: Talk.objects.all(), vary="status"),
    "training/outreach/visits/{pk}": Kind(lambda: Visit.objects.all(), vary="stage"),
    "training/outreach/problems/{pk}": Kind(
        lambda: Problem.objects.all(), unit="visit__org_unit", vary="status"
    ),
    "training/outreach/alliances/{pk}": Kind(lambda: Alliance.objects.all(), vary="kind"),
    "training/outreach/alliance-members/{pk}": Kind(
        lambda: AllianceMember.objects.all(), unit="alliance__org_unit"
    ),
    # The admin site; its model pages take their objects from their ModelAdmin (Route.kind).
    "admin/{app_label}": Kind(
        lambda: sorted({m._meta.app_label for m in admin.site._registry}), unit=None
    ),
    "admin/r/{content_type_id}": Kind(
        lambda: ContentType.objects.filter(app_label__in=["people", "orgs"]), unit=None
    ),
    "admin/r/{content_type_id}/{object_id}": Kind(
        lambda ct: ct.model_class()._default_manager.all(), unit=None
    ),
    "admin/{url}": _values("no-such-page/"),
    # The API.
    f"{API}orgs/{{pk}}": ORG,
    f"{API}orgs/jobs/{{pk}}": JOB,
    f"{API}people/{{pk}}": PERSON,
    f"{API}registry/people/{{pk}}": PERSON,
    f"{API}nominations/campaigns/{{pk}}": CAMPAIGN,
    f"{API}nominations/nominations/{{pk}}": NOMINATION,
    f"{API}notices/{{pk}}": NOTICE,
    f"{API}notices/objections/{{reference}}": Kind(
        OBJECTION.objects, unit=OBJECTION.unit, attr="reference"
    ),
    f"{API}perks/giveaways/{{pk}}": GIVEAWAY,
    f"{API}cards/{{pk}}": CARD,
    f"{API}contests/programmes/{{pk}}": PROGRAMME,
    f"{API}contests/competitions/{{pk}}": COMPETITION,
    f"{API}contests/stages/{{pk}}": STAGE,
    f"{API}contests/judge/stages/{{pk}}": JUDGE_STAGE,
}


def _honoured() -> Award:
    return Award.objects.filter(person__isnull=False, categories__isnull=False).first()


# Pages whose content answers a query: opened with these too (a found name, a chosen honour).
QUERIES: dict[str, Callable[[], list[dict]]] = {
    **{
        path: lambda: [{"q": _honoured().person.name}]
        for path in ("orgs/", "people/", "registry/", "wall/", "cards/", "giveaways/")
        + tuple(API + p for p in ("orgs/", "people/", "registry/people", "wall/people", "cards"))
    },
    "registry/dictionary/": lambda: [
        {"honour": _honoured().honour_id, "format": f} for f in ("html", "docx")
    ],
    # Contests: a programme found by its name, the talent database by an entrant's name.
    **{
        path: lambda: [{"q": Programme.objects.order_by("pk").first().name}]
        for path in ("contests/", f"{API}contests/programmes")
    },
    **{
        path: lambda: [{"q": Entrant.objects.order_by("pk").first().person.name}]
        for path in ("contests/talent/", f"{API}contests/talent")
    },
    # A public juror's voting page, by the pass in its query (never in the path).
    "vote/": lambda: [{"pass": token} for token in _juror_passes()],
    f"{API}registry/statistics/share": lambda: [
        {"honour": a.honour_id, "year": a.year, "category": a.categories.first().code}
        for a in [_honoured()]
    ],
}


# --- The routes ----------------------------------------------------------------------------

PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


@dataclass
class Route:
    """A page kind: its path with ``{name}`` for each parameter."""

    path: str
    name: str
    model_admin: ModelAdmin | None = None

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def key(self, param: str) -> str:
        return self.path[: self.path.index(f"{{{param}}}") + len(param) + 2]

    def kind(self, param: str) -> Kind | None:
        if self.model_admin is not None and param in ("object_id", "id"):
            # Django's generic pages: one object of the model shows them, a missing one
            # where the demo has none (no checkpoint before the worker runs, no group).
            found = self.model_admin.model._default_manager.order_by("pk")
            return Kind(lambda: list(found.values_list("pk", flat=True)[:1]) or [0], unit=None)
        return FILL.get(self.key(param))


def _template(pattern) -> str:
    if isinstance(pattern, RegexPattern):
        return GROUP.sub(r"{\1}", pattern.regex.pattern).lstrip("^").rstrip("$").replace("\\", "")
    return PARAM.sub(r"{\1}", str(pattern))


def _model_admin(callback) -> ModelAdmin | None:
    found = getattr(callback, "model_admin", None)
    bound = getattr(getattr(callback, "__wrapped__", None), "__self__", None)
    return found or (bound if isinstance(bound, ModelAdmin) else None)


def _resolver_routes(resolver=None, prefix="", namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        path = prefix + _template(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _resolver_routes(entry, path, ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name or path}"
            yield Route(path, name, _model_admin(entry.callback))


def routes() -> list[Route]:
    """Every page of the resolver, with the API's operations replaced by its GET operations
    as its schema lists them (the resolver does not say which method a route answers)."""
    schema = api.get_openapi_schema()["paths"]
    operations = {API + path.removeprefix("/api/v1/") for path in schema}
    found = [r for r in _resolver_routes() if r.path not in operations]
    for path, item in schema.items():
        if "get" in item:
            path = API + path.removeprefix("/api/v1/")
            found.append(Route(path, f"api:{path}"))
    return found


def test_every_route_parameter_can_be_filled():
    """A new page kind with a path parameter names its demo objects in FILL."""
    unfilled = {f"{r.name} ({r.path})" for r in routes() for p in r.params if r.kind(p) is None}
    assert not unfilled, f"routes the crawl cannot fill (add them to FILL): {sorted(unfilled)}"
    used = {r.key(p) for r in routes() for p in r.params}
    assert not set(FILL) - used, f"FILL lines for routes that are gone: {set(FILL) - used}"
    gone = set(QUERIES) - {r.path for r in routes()}
    assert not gone, f"QUERIES lines for routes that are gone: {gone}"


# --- The demo, and what it lacks ----------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with demo_built(django_db_blocker, people=PEOPLE):
        _jobs_and_a_merge()
        _a_display_token()
        yield


DISPLAY_TOKENS: list[str] = []  # the raw wall-screen tokens made for the crawl


def _a_display_token() -> None:
    """What the demo has none of: a display token for the hall's wall screen (its raw value
    is shown once, so the crawl keeps it), and a revoked one."""
    admin = get_user_model().objects.get(username="admin")
    city = OrgUnit.objects.get(parent=None)
    _, raw = display_token_create(actor=admin, name="大厅大屏", org_unit=city)
    revoked, old = display_token_create(actor=admin, name="旧大屏", org_unit=city)
    display_token_revoke(actor=admin, token_id=revoked.pk)
    DISPLAY_TOKENS.extend([raw, old, "gd_no-such-token"])


def _jobs_and_a_merge() -> None:
    """What the demo has none of: an import of the tree (done), an import of the registry
    (refused, with its error report), a merge of a person's two records, an API token and a
    transfer request (申请转入) from another district's union."""
    User = get_user_model()
    city_admin, district = User.objects.get(username="admin"), User.objects.get(username="chaoyang")
    chaoyang = OrgUnit.objects.get(code="110105")
    tree = "组织编码,组织名称,级别,上级编码\nCY-NEW,望京新街道总工会,街乡镇总工会,110105\n"
    with TestCase.captureOnCommitCallbacks(execute=True):  # the jobs run (immediately)
        tree_import_start(actor=district, data=tree.encode(), filename="新增组织.csv")
        registry_import_start(
            actor=district,
            data=_registry_workbook(district, chaoyang.code),
            filename="劳模名单.xlsx",
        )
    survivor = (
        Person.objects.filter(access.subtree_q(chaoyang, via="org_unit"), awards__isnull=False)
        .order_by("pk")
        .first()
    )
    twin = person_create(
        actor=city_admin,
        org_unit=survivor.org_unit,
        data={"name": survivor.name, "gender": survivor.gender, "no_id_reason": "历史档案无记录"},
    )
    person_merge(actor=city_admin, survivor=survivor, loser=twin)
    token_create(actor=district, name="统计接口")
    haidian = User.objects.get(username="haidian")
    transfer_request_submit(
        actor=haidian,
        person=survivor,
        to_unit=OrgUnit.objects.get(code="110108"),
        name=survivor.name,
        reason="登记人员",
    )
    assert Job.objects.filter(kind="orgs.import", status=Job.Status.DONE).exists()
    assert Job.objects.filter(kind="registry.import", status=Job.Status.FAILED).exists()


def _registry_workbook(actor, unit_code: str) -> bytes:
    """The import template with one good row and one with a birth date that never was."""
    book = openpyxl.load_workbook(io.BytesIO(excel.template_workbook(actor=actor)))
    keys = list(excel.COLUMNS)
    for name, born in (("崔建国", "1968-04-12"), ("韩秀英", "1975-02-30")):
        row = {"name": name, "birth_date": born, "org_unit": unit_code}
        row |= {"gender": "男", "no_id_reason": "历史档案无记录"}
        book[excel.SHEET].append([row.get(k) for k in keys])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- The crawl -----------------------------------------------------------------------------

# An 18-character ID number or an 11-digit mobile number, not inside a longer number.
NUMBER = re.compile(rb"(?<![0-9])(?:[0-9]{17}[0-9X]|1[3-9][0-9]{9})(?![0-9X])")


@dataclass
class Login:
    """Who opens the pages: a demo login, or nobody (``user`` None)."""

    user: object | None
    name: str = "anonymous"
    posts: list = field(default_factory=list)  # the union nodes of the login's posts
    wide: bool = True  # sees the whole city (or is nobody): sampled for variety
    admin_site: bool = False  # let into the admin site past its index

    @classmethod
    def of(cls, user) -> "Login":
        request = RequestFactory().get("/admin/")
        request.user = user
        user.is_verified = lambda: True  # the crawl's sessions pass the second factor (conftest)
        posts = [p.org_unit for p in Post.objects.filter(user=user).select_related("org_unit")]
        return cls(
            user,
            user.username,
            posts,
            wide=any(unit.parent_id is None for unit in posts),
            admin_site=admin.site.has_permission(request),
        )


@dataclass
class Crawl:
    opened: Counter = field(default_factory=Counter)  # login -> pages opened
    urls: set = field(default_factory=set)  # (login, url)
    statuses: Counter = field(default_factory=Counter)
    errors: dict = field(default_factory=lambda: defaultdict(list))  # (route, error) -> where
    leaks: dict = field(default_factory=lambda: defaultdict(list))  # (route, login) -> urls
    seconds: Counter = field(default_factory=Counter)  # route -> time spent
    refused: dict = field(default_factory=dict)  # route -> the login it answered 405


def _sample(kind: Kind, login: Login, parent=None, *, every=False) -> list:
    found = kind.objects(parent) if parent is not None else kind.objects()
    if isinstance(found, list):
        return found
    found = found.order_by("pk")
    if every:
        return list(found)
    picks = []
    if login.wide and kind.vary:
        for value in found.order_by().values_list(kind.vary, flat=True).distinct():
            picks.append(found.filter(**{kind.vary: value}).first())
    elif login.wide:
        picks += [found.first(), found.last()]
    if kind.unit is not None:
        for unit in login.posts:
            picks.append(found.filter(access.subtree_q(unit, via=kind.unit)).first())
    if kind.own and login.user is not None:
        picks.append(found.filter(**{kind.own: login.user}).first())
    if not any(picks):  # none of theirs: one that is not
        picks.append(found.first())
    return list({p.pk: p for p in picks if p is not None}.values())


def _urls(route: Route, login: Login) -> list[str]:
    """The route filled with the sample of each parameter (nested: those of the parent),
    and with its QUERIES."""
    filled: list[tuple[dict, object]] = [({}, None)]
    for param in route.params:
        kind = route.kind(param)
        every = (
            kind.every
            and login.name == EVERY_PERSON_AS
            and route.path.rstrip("/").endswith(f"{{{param}}}")
        )
        filled = [
            ({**values, param: getattr(obj, kind.attr, obj)}, obj)
            for values, parent in filled
            for obj in _sample(kind, login, parent, every=every)
        ]
    queries = QUERIES.get(route.path, list)()
    return ["/" + route.path.format(**values) for values, _ in filled] + [
        f"/{route.path}?{urlencode(query)}" for query in queries
    ]


def _body(response) -> bytes:
    # The test client closes a streamed answer once read to its end, as a server would.
    return b"".join(response.streaming_content) if response.streaming else response.content


def _numbers_shown(body: bytes) -> set[str]:
    """ID and phone numbers in an answer, also inside a workbook's or document's XML."""
    found = set(NUMBER.findall(body))
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            for name in book.namelist():
                found |= set(NUMBER.findall(book.read(name)))
    return {n.decode() for n in found}


def _crawl_as(login: Login, crawl: Crawl, numbers: dict[str, OrgUnit], pages: list[Route]):
    client = Client(raise_request_exception=False)
    headers = {}
    if login.user is not None:
        client.force_login(login.user)
        person = Person.objects.filter(user=login.user).first()
        if person is not None:  # a member's phone sends its pass with every request
            headers = {passes.HEADER: passes.issue(person.pk)}
    may_see: dict[int, bool] = {}
    for route in pages:
        if route.path.startswith("admin/") and route.path != "admin/" and not login.admin_site:
            continue
        for url in _urls(route, login):
            if crawl.refused.get(route.name) == login.name:
                break  # the route does not answer GET (405): not for any object
            started = time.perf_counter()
            with transaction.atomic():  # whatever a page writes (an audit event) is undone
                response = client.get(url, headers=headers)
                body = _body(response)
                transaction.set_rollback(True)
            crawl.seconds[route.name] += time.perf_counter() - started
            crawl.opened[login.name] += 1
            crawl.urls.add((login.name, url))
            crawl.statuses[response.status_code] += 1
            if response.status_code == 405:
                crawl.refused[route.name] = login.name
            if response.status_code >= 500:
                exc = response.exc_info[1] if response.exc_info else None
                error = f"{type(exc).__name__}: {exc}" if exc else f"HTTP {response.status_code}"
                crawl.errors[(route.name, error)].append((url, login.name))
            for unit in {numbers[n] for n in _numbers_shown(body) & numbers.keys()}:
                if unit.pk not in may_see:
                    may_see[unit.pk] = access.can_at(login.user, "people.view_pii", unit)
                if not may_see[unit.pk]:
                    crawl.leaks[(route.name, login.name)].append(url)
                    break


def _logins() -> list["Login"]:
    """Nobody, and a login of each role of the demo: the one whose posts hold the most kinds
    of demo objects (logins of one role differ only in the subtree they see: the city-wide
    logins open every kind of object anywhere, and test_permissions.py crosses districts)."""
    kinds = {id(k): k for k in FILL.values() if k.unit is not None and not k.nested}.values()
    by_role: dict[tuple, list[Login]] = defaultdict(list)
    for user in get_user_model().objects.order_by("username"):
        login = Login.of(user)
        role = (
            tuple(sorted(Post.objects.filter(user=user).values_list("role__code", flat=True))),
            Person.objects.filter(user=user).exists(),
            Merchant.objects.filter(staff__user=user).exists(),
        )
        by_role[role].append(login)

    def held(login: Login) -> int:
        return sum(
            k.objects().filter(access.subtree_q(unit, via=k.unit)).exists()
            for k in kinds
            for unit in login.posts
        )

    return [Login(None), *(max(logins, key=held) for logins in by_role.values())]


@pytest.fixture(scope="module")
def crawl(demo) -> Crawl:
    """The whole crawl, once, inside a savepoint rolled back after it."""
    pages = routes()
    numbers = {  # every person's full ID and phone numbers -> the union node they belong to
        number: p.org_unit
        for p in Person.objects.select_related("org_unit")
        for number in (p.id_number, p.phone)
        if number
    }
    logins = _logins()
    result = Crawl()
    quiet = logging.getLogger("django.request")  # each 500 is listed below, once
    level, quiet.level = quiet.level, logging.CRITICAL
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        with transaction.atomic():
            for login in logins:
                _crawl_as(login, result, numbers, pages)
            transaction.set_rollback(True)
    finally:
        quiet.level = level
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    slowest = ", ".join(f"{n} {s:.1f} s" for n, s in result.seconds.most_common(5))
    print(
        f"\ncrawl: {sum(result.opened.values())} pages of {len(pages)} kinds as "
        f"{len(logins)} logins in {wall:.1f} s ({cpu:.1f} s CPU); answers "
        f"{dict(sorted(result.statuses.items()))}; slowest: {slowest}"
    )
    return result


def _listed(found: dict) -> str:
    return "\n".join(
        f"{len(where)} x {key}: e.g. {where[:3]}"
        for key, where in sorted(found.items(), key=lambda item: -len(item[1]))
    )


def test_the_crawl_opens_every_page_kind_with_demo_objects(crawl, db):
    """Each route is opened with real demo objects, and the person page with every person."""
    nobody = Login(None)
    empty = {
        f"{route.name} ({param})"
        for route in routes()
        for param in route.params
        if not (kind := route.kind(param)).nested and not _sample(kind, nobody)
    }
    assert not empty, f"the demo has no objects for: {sorted(empty)}"
    for page in ("/people/{}/", "/registry/people/{}/"):
        every = {
            (EVERY_PERSON_AS, page.format(pk)) for pk in Person.objects.values_list("pk", flat=True)
        }
        assert every <= crawl.urls, page


def test_no_page_answers_a_server_error(crawl, db):
    assert not crawl.errors, "server errors:\n" + _listed(crawl.errors)


def test_no_page_shows_a_full_number_to_a_login_without_view_pii(crawl, db):
    assert not crawl.leaks, "full numbers shown without people.view_pii:\n" + _listed(crawl.leaks)
