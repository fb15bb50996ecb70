"""Every write leaves its event, as a rule (issue #15, 10a).

``gonghui.audit.actions.WRITE_SERVICES`` lists every write service with the events one call
appends. Here each is run, through the path the registry names, and must append exactly
those: a service that returns before recording its event fails (making
``registry.services.award_revoke`` skip its ``record`` left the rest of the suite green).
A public function added to one of ``SERVICE_MODULES`` fails too until it is listed there
(a write, with its events and a scenario here) or below as a read or a helper; and a module
anywhere under src/gonghui with a function that calls ``record`` or ``seal`` fails until it
is one of ``SERVICE_MODULES`` (or named below as recording outside the services)."""

import ast
import csv
import importlib
import inspect
import io
import json
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max

import gonghui
from gonghui.audit import retention
from gonghui.audit.actions import ACTION_LABELS, SERVICE_MODULES, WRITE_SERVICES
from gonghui.audit.models import AuditEvent
from gonghui.audit.services import batch_digest, checkpoint_all, head_sign, record
from gonghui.common.errors import Throttled
from gonghui.dashboards.services import display_token_create
from gonghui.files.services import attachment_add
from gonghui.nominations.models import Objection
from gonghui.nominations.services import campaigns, notices, objections, reviews
from gonghui.orgs.models import Role
from gonghui.orgs.services import token_create
from gonghui.people.models import Membership, Unit
from gonghui.people.services import membership_join, transfer_request_submit
from gonghui.perks import passes
from gonghui.perks.cards.services import card_cancel, card_issue, card_suspend
from gonghui.perks.giveaways import claims
from gonghui.perks.giveaways.services import (
    claims_seal,
    giveaway_create,
    giveaway_freeze,
    giveaway_publish,
    seal_rows,
)
from gonghui.perks.merchants.services import merchant_create, merchant_staff_add
from gonghui.perks.models import Card, Claim, MerchantStaff
from gonghui.registry import excel
from gonghui.registry.selectors import PersonFilters
from gonghui.registry.services import award_create, person_merge, registry_export_start, unit_create
from tests.factories import PASSWORD, VALID_IDS, make_person, make_unit, make_user
from tests.nominations.conftest import MATERIALS, at, nominate
from tests.perks.conftest import (
    OPENING,
    giveaway_for,
    make_member,
    venue,  # noqa: F401  (a fixture: the giveaways' venue, asked for by world)
)

pytestmark = pytest.mark.django_db

# Public functions of SERVICE_MODULES that are not writes of their own, and why.
NOT_WRITES = {
    # Reads (selectors that live beside the services), checks, and computations.
    **dict.fromkeys(
        [
            "gonghui.orgs.services.check_placement",
            "gonghui.orgs.services.check_code_name",
            "gonghui.orgs.services.check_separation",
            "gonghui.orgs.services.check_role_separation",
            "gonghui.people.services.clean_person",
            "gonghui.people.services.meeting_point",
            "gonghui.people.services.require_live",
            "gonghui.files.services.sniff",
            "gonghui.files.services.refuse_oversize",
            "gonghui.files.services.attachment_list",
            "gonghui.files.services.attachments_of",
            "gonghui.jobs.services.upload_read",
            "gonghui.jobs.services.job_get",
            "gonghui.jobs.services.home_unit",
            "gonghui.nominations.services.final_list.final_list_check",
            "gonghui.registry.services.clean_credit_code",
            "gonghui.registry.services.award_rule_errors",
            "gonghui.registry.services.check_award",
            "gonghui.nominations.services.nominating.cycle_years",
            "gonghui.nominations.services.notices.notice_period",
            "gonghui.nominations.services.objections.lookup_allowed",
            "gonghui.perks.giveaways.services.seal_rows",
            "gonghui.perks.cards.imports.cards_template",
            "gonghui.perks.giveaways.claims.pickup_code",
            "gonghui.perks.giveaways.claims.request_hash",
            "gonghui.perks.giveaways.claims.rules",
            "gonghui.audit.services.diff",
            "gonghui.audit.services.id_ranges",
            "gonghui.audit.services.public_keys",
            "gonghui.audit.services.trusted_suites",
            "gonghui.audit.services.crypto_suite_recorded",
            "gonghui.audit.services.key_fingerprints",
            "gonghui.audit.services.evidence",
            "gonghui.audit.services.verify_stream",
            "gonghui.audit.services.streams",
            "gonghui.audit.services.verify_platform",
            "gonghui.audit.services.archive_storage",
            "gonghui.audit.services.event_body",
            "gonghui.audit.services.file_digest",
            "gonghui.audit.services.archive_problem",
            "gonghui.audit.services.archived_start",
            "gonghui.audit.retention.cutoff",
            "gonghui.audit.retention.verify_scheduled",
        ],
        "a read, a check or a computation: writes nothing",
    ),
    # Steps inside an audited service's transaction: the caller's event covers them.
    "gonghui.files.services.attachments_move": "part of person_update / awards_follow",
    "gonghui.registry.services.awards_follow": "part of person_update, person_merge, merge_reverse",
    "gonghui.nominations.services.campaigns.counters_rebuild": "derived counters, inside audited writes",
    "gonghui.perks.giveaways.services.waitlist_rank": "the waitlist order the audited draw fixed",
    "gonghui.perks.cards.services.new_card": "part of card_issue, card_reissue, cards_import",
    "gonghui.files.services.owner_rule": "configuration at start-up",
    "gonghui.files.services.owner_guard": "configuration at start-up",
    "gonghui.perks.giveaways.claims.forget": "drops a process cache",
    # The contests' shared helpers: each write that uses them is listed with its events.
    "gonghui.contests.events.event": "appends the calling write's event to its stream",
    "gonghui.contests.events.allowed": "the scope check",
    "gonghui.contests.events.locked": "locks a row inside the calling write",
    "gonghui.contests.events.board_changed": "a signal after the calling write commits",
    "gonghui.contests.events.milestone": "a signal after the calling write commits",
    # The funds' shared helpers: each write that uses them is listed with its events.
    "gonghui.funds.events.event": "appends the calling write's event to its stream",
    "gonghui.funds.events.allowed": "the scope check",
    "gonghui.funds.ledger.month_of": "a pure helper",
    "gonghui.funds.ledger.payment_id": "a pure helper",
    "gonghui.funds.ledger.budget_for": "a read inside the calling write",
    "gonghui.funds.ledger.commit": "a ledger row inside the calling write (its event names it)",
    "gonghui.funds.ledger.release": "a ledger row inside the calling write (its event names it)",
    "gonghui.funds.ledger.pay": "a ledger row inside the calling write (its event names it)",
    "gonghui.funds.ledger.returned": "a ledger row inside the calling write (its event names it)",
    "gonghui.funds.ledger.reverse": "a ledger row inside the calling write (its event names it)",
    "gonghui.funds.ledger.seal_rows": "seals the calling write's ledger rows into its stream",
    # funds · enrolment: the rule check its writes start with.
    "gonghui.funds.enrolment.services.current_rule": "a read and check of the programme's rule",
    # funds · payouts: reads beside its writes.
    "gonghui.funds.payouts.services.layout_of": "a read: the batch's bank file layout",
    "gonghui.funds.payouts.services.release_check": "a read: what stands before a release",
    # An API token's own bookkeeping: its last use, and its binding to a re-hashed password.
    "gonghui.orgs.services.token_authenticate": "notes a token's last use",
    "gonghui.orgs.services.tokens_follow_rehash": "the same password, re-hashed at sign-in",
    # A job's own bookkeeping; the import the job runs records its event.
    "gonghui.jobs.services.job_start": "job bookkeeping (the queued import is audited)",
    "gonghui.jobs.services.import_start": "job bookkeeping (the queued import is audited)",
    "gonghui.jobs.services.run_import": "job bookkeeping (the import it runs is audited)",
    "gonghui.jobs.services.job_progress": "job bookkeeping",
    "gonghui.jobs.services.job_finish": "job bookkeeping",
    "gonghui.jobs.services.export_start": "job bookkeeping (the export it queues is listed)",
    "gonghui.jobs.services.run_export": "job bookkeeping (the export it runs is listed)",
    "gonghui.jobs.services.jobs_expire": "deletes export files past their time",
    "gonghui.jobs.services.worker_id": "names the worker process (no write)",
    "gonghui.jobs.services.worker_beat": "the worker's heartbeat (bookkeeping)",
    "gonghui.jobs.services.jobs_recover": "job bookkeeping: a lost worker's job failed or "
    "queued again, each an alert (jobs.worker_lost) to the operator",
    "gonghui.files.services.attachments_sweep": "deletes stored files no attachment names",
    # The audit log itself: the primitives and the signatures over it.
    "gonghui.audit.services.record": "the primitive every write calls",
    "gonghui.audit.services.seal": "the primitive claims_seal calls",
    "gonghui.audit.services.import_record": "the event cards_import, registry_import and tree_import record",
    "gonghui.audit.services.checkpoint_sign": "a signature over the log, not an event",
    "gonghui.audit.services.checkpoint_all": "a signature over the log, not an event",
    "gonghui.audit.services.head_sign": "a signature over the log, not an event",
    "gonghui.audit.retention.archive_due": "the worker's schedule: archive's events",
    "gonghui.training.quizzes.services.seal_rows": "a pure helper",  # training · quizzes
    "gonghui.training.quizzes.answers.paper": "a read (cached per process)",  # training · quizzes
    "gonghui.training.quizzes.answers.forget": "drops a process cache",  # training · quizzes
    "gonghui.web.services.list_columns_set": "a user's own display preference (columns shown)",
    # factors · the second factor
    "gonghui.factors.services.totp_start": "a secret being set up: nothing enabled until confirmed",
    "gonghui.factors.services.require_staff": "a check: enrolment is for staff",
}
# Actions recorded outside the services: sign-in signals and the demo builder.
NOT_FROM_SERVICES = {"auth.login", "auth.logout", "auth.login_failed", "auth.account_locked"}
NOT_FROM_SERVICES |= {"auth.idle_logout"}  # sessions: an idle session signed out (signals)
NOT_FROM_SERVICES |= {code for code in ACTION_LABELS if code.startswith("demo.")}

SCENARIOS = {}


def scenario(*keys):
    def register(fn):
        for key in keys:
            SCENARIOS[key] = fn
        return fn

    return register


class Call:
    """Calls the service a registry key names, once, and keeps the events it appended
    (``within``: a context the measure spans, e.g. running on-commit jobs)."""

    def __init__(self, key: str):
        self.key = key
        self.module, _, self.name = key.partition("[")[0].rpartition(".")
        self.appended = None

    def __call__(self, within=None, **kwargs):
        assert self.appended is None, "a scenario calls its service once"
        service = getattr(importlib.import_module(self.module), self.name)
        before = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
        try:
            if within is None:
                return service(**kwargs)
            with within:
                return service(**kwargs)
        finally:  # a refusal's own events count too (a throttled probe)
            added = AuditEvent.objects.filter(id__gt=before).values_list("action", flat=True)
            self.appended = sorted(added)


@pytest.fixture
def world(request, tree, users, honours, settings, tmp_path):
    """What the scenarios build on: the tree, staff at each level, the honour catalogue, a
    giveaways' venue (tests/perks/conftest.py)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    users.hd_grass = make_user("hd_grass", tree.hd_grass, "grassroots_staff")
    return SimpleNamespace(
        tree=tree,
        users=users,
        honours=honours,
        venue=request.getfixturevalue("venue"),
        settings=settings,
    )


@pytest.mark.parametrize("key", sorted(WRITE_SERVICES))
def test_every_write_service_appends_exactly_its_events(
    key, world, django_capture_on_commit_callbacks
):
    assert key in SCENARIOS, f"{key}: add a scenario to tests/audit/test_every_write.py"
    call = Call(key)
    world.on_commit = django_capture_on_commit_callbacks
    # On the nomination procedure's calendar (Monday 2025-09-22, 10:00); scenarios move on.
    with time_machine.travel(at(2025, 9, 22, 10), tick=False) as world.clock:
        SCENARIOS[key](world, call)

    assert call.appended is not None, f"the scenario of {key} never called it"
    assert call.appended == sorted(WRITE_SERVICES[key]), (
        f"{key} appended {call.appended}, its events are {sorted(WRITE_SERVICES[key])}"
    )


def test_every_service_is_listed_as_a_write_or_not():
    """A public function added to a service module is a write until said otherwise."""
    listed = {key.partition("[")[0] for key in WRITE_SERVICES} | set(NOT_WRITES)
    found = set()
    for name in SERVICE_MODULES:
        module = importlib.import_module(name)
        found |= {
            f"{name}.{attr}"
            for attr, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == name and not attr.startswith("_")
        }
    assert sorted(found - listed) == [], "list these in WRITE_SERVICES (with a scenario here)"
    assert sorted(listed - found) == [], "listed but no longer there"


# Modules that record events and are no services, and why (NOT_FROM_SERVICES: their events).
RECORDS_OUTSIDE_SERVICES = {
    "gonghui.audit.signals": "sign-in, sign-out and failed sign-ins: Django's auth signals",
    "gonghui.web.demo": "the demo builder (demo.* events)",
    "gonghui.perks.demo": "the demo builder (demo.* events)",
    "gonghui.contests.demo": "the demo builder (demo.* events)",
    "gonghui.training.courses.demo": "the demo builder (demo.* events: past enrolments in bulk)",
}
RECORDERS = {"record", "seal"}
SRC = Path(gonghui.__file__).resolve().parent  # src/gonghui


def _dotted(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return base and f"{base}.{node.attr}"
    return None


def recording_functions(source: str) -> list[str]:
    """The functions (methods, nested ones) of a module that call
    gonghui.audit.services.record or seal, however imported."""
    tree = ast.parse(source)
    names, modules = set(), set()  # what record/seal and the services module are called here
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "gonghui.audit.services":
            names |= {a.asname or a.name for a in node.names if a.name in RECORDERS}
        elif isinstance(node, ast.ImportFrom) and node.module == "gonghui.audit":
            modules |= {a.asname or a.name for a in node.names if a.name == "services"}
        elif isinstance(node, ast.Import):
            modules |= {
                a.asname or a.name for a in node.names if a.name == "gonghui.audit.services"
            }
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for call in ast.walk(fn):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            if (isinstance(func, ast.Name) and func.id in names) or (
                isinstance(func, ast.Attribute)
                and func.attr in RECORDERS
                and _dotted(func.value) in modules
            ):
                found.append(fn.name)
                break
    return found


def modules_recording(root: Path) -> dict[str, list[str]]:
    """Dotted module name -> its functions that record, for every module under ``root``
    (the gonghui package directory)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        functions = recording_functions(path.read_text("utf-8"))
        if functions:
            parts = path.relative_to(root.parent).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = functions
    return found


def test_every_module_that_records_an_event_is_a_service_module():
    """A write added outside SERVICE_MODULES (say perks/draw.py) would escape the two tests
    above: any function under src/gonghui that calls record or seal makes its module one."""
    recording = modules_recording(SRC)
    outside = {
        name: functions
        for name, functions in recording.items()
        if name not in SERVICE_MODULES and name not in RECORDS_OUTSIDE_SERVICES
    }
    assert outside == {}, "add these modules to SERVICE_MODULES (gonghui/audit/actions.py)"
    assert sorted(set(RECORDS_OUTSIDE_SERVICES) - set(recording)) == [], "no longer records"


@pytest.mark.parametrize(
    "source",
    [
        "from gonghui.audit.services import record\n"
        "def draw_run(*, actor):\n    record(actor=actor, action='perks.draw')\n",
        "from gonghui.audit import services as audit\n"
        "class Draw:\n    def run(self):\n        audit.seal(stream='s', kind='k', rows=[])\n",
        "import gonghui.audit.services\n"
        "def draw_run():\n    gonghui.audit.services.record(actor=None, action='x')\n",
        "from gonghui.audit.services import record as note\n"
        "def draw_run():\n    def inner():\n        note(actor=None, action='x')\n",
    ],
    ids=["imported", "module-alias", "dotted", "renamed-nested"],
)
def test_a_write_added_outside_the_service_modules_is_caught(tmp_path, source):
    package = tmp_path / "gonghui"
    (package / "perks").mkdir(parents=True)
    (package / "perks" / "draw.py").write_text(source)
    (package / "perks" / "quiet.py").write_text(
        "from gonghui.audit.services import diff\ndef f():\n    return diff({}, {})\n"
    )

    assert list(modules_recording(package)) == ["gonghui.perks.draw"]
    assert "gonghui.perks.draw" not in SERVICE_MODULES


def test_every_action_comes_from_a_listed_service():
    produced = {code for events in WRITE_SERVICES.values() for code in events}
    assert sorted(set(ACTION_LABELS) - produced - NOT_FROM_SERVICES) == []
    assert sorted(produced - set(ACTION_LABELS)) == []


# --- Organisation tree, accounts --------------------------------------------------------------

TREE_CSV = "组织编码,组织名称,级别,上级编码\nCY-S9,三里屯街道总工会,街乡镇总工会,110105\n".encode()


@scenario("gonghui.orgs.services.orgunit_create")
def _(w, call):
    call(
        actor=w.users.cy, parent=w.tree.cy_street, code="CY-G2", name="朝阳某厂", level="grassroots"
    )


@scenario("gonghui.orgs.services.orgunit_update")
def _(w, call):
    call(actor=w.users.cy, unit=w.tree.cy_street, name="建外街道工会")


@scenario("gonghui.orgs.services.orgunit_move")
def _(w, call):
    other = make_unit(w.tree.chaoyang, "street", "CY-S2", "三里屯街道总工会")
    call(actor=w.users.cy, unit=w.tree.cy_grass, new_parent=other)


@scenario("gonghui.orgs.services.user_create")
def _(w, call):
    sys_admin = make_user("sys_t", w.tree.city, "sys_admin")
    call(actor=sys_admin, username="new_staff", password="Zhao-yu-2026x", full_name="新人")


@scenario("gonghui.orgs.services.password_change")
def _(w, call):
    call(actor=w.users.cy, old_password=PASSWORD, new_password="Zhao-yu-2026x")


@scenario("gonghui.orgs.services.post_assign")
def _(w, call):
    user = make_user("newbie", None, None)
    role = Role.objects.get(code="street_staff")
    sec_admin = make_user("sec_t", w.tree.city, "sec_admin")
    call(actor=sec_admin, user=user, org_unit=w.tree.cy_street, role=role)


@scenario("gonghui.orgs.services.role_update")
def _(w, call):
    role = Role.objects.get(code="street_staff")
    sec_admin = make_user("sec_t", w.tree.city, "sec_admin")
    call(actor=sec_admin, role=role, name="街道工作人员", permissions=role.permissions[:-1])


@scenario("gonghui.orgs.services.token_create")
def _(w, call):
    call(actor=w.users.cy, name="统计接口")


@scenario("gonghui.orgs.services.token_revoke")
def _(w, call):
    token, _ = token_create(actor=w.users.cy, name="统计接口")
    call(actor=w.users.cy, token_id=token.pk)


@scenario("gonghui.dashboards.services.display_token_create")
def _(w, call):
    call(actor=w.users.admin, name="一楼大厅大屏", org_unit=w.tree.chaoyang)


@scenario("gonghui.dashboards.services.display_token_revoke")
def _(w, call):
    token, _ = display_token_create(actor=w.users.admin, name="一楼大厅大屏", org_unit=w.tree.city)
    call(actor=w.users.admin, token_id=token.pk)


@scenario("gonghui.orgs.services.tokens_end_with_account")
def _(w, call):
    token_create(actor=w.users.cy, name="统计接口")
    token_create(actor=w.users.cy, name="报表")
    w.users.cy.is_active = False
    call(actor=None, user=w.users.cy)


@scenario("gonghui.orgs.services.account_unlock")
def _(w, call):
    call(actor=None, username="CY_staff")


@scenario("gonghui.treeimport.services.tree_import_start")
def _(w, call):
    call(within=w.on_commit(execute=True), actor=w.users.cy, data=TREE_CSV, filename="t.csv")


@scenario("gonghui.treeimport.services.tree_import")
def _(w, call):
    call(actor=w.users.cy, data=TREE_CSV, filename="tree.csv")


# --- People, files ----------------------------------------------------------------------------


def person(w, name="赵郁", id_number=VALID_IDS[1], **extra):
    born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return make_person(w.tree.cy_grass, name, id_number, birth_date=born, **extra)


def upload(name="证书.pdf", data=b"%PDF-1.4\n%test\n"):
    return SimpleUploadedFile(name, data)


@scenario("gonghui.people.services.person_create")
def _(w, call):
    data = {"name": "赵郁", "id_number": VALID_IDS[1], "phone": "13800138000"}
    call(actor=w.users.cy, org_unit=w.tree.cy_grass, data=data)


@scenario("gonghui.people.services.person_update")
def _(w, call):
    call(actor=w.users.cy, person=person(w), data={"name": "赵玉"})


@scenario("gonghui.people.services.person_create[throttled]")
def _(w, call):
    w.settings.ID_PROBES_PER_DAY = 0
    data = {"name": "赵郁", "id_number": VALID_IDS[1]}
    with pytest.raises(Throttled):
        call(actor=w.users.cy_grass, org_unit=w.tree.cy_grass, data=data)


@scenario("gonghui.people.services.person_update[throttled]")
def _(w, call):
    w.settings.ID_PROBES_PER_DAY = 0
    clerk = make_person(w.tree.cy_grass, "赵郁", birth_date=None)  # no number yet
    with pytest.raises(Throttled):
        call(actor=w.users.cy_grass, person=clerk, data={"id_number": VALID_IDS[1]})


@scenario("gonghui.people.services.person_update[move]")
def _(w, call):
    call(actor=w.users.cy, person=person(w), data={}, org_unit=w.tree.cy_street)


@scenario("gonghui.people.services.person_find_by_id_number")
def _(w, call):
    person(w)
    call(actor=w.users.cy, raw=VALID_IDS[1])


@scenario("gonghui.people.services.id_probes_spend")
def _(w, call):
    call(actor=w.users.cy_grass, n=3, bulk=True, what="名单.csv")


@scenario("gonghui.people.services.id_probes_spend[throttled]")
def _(w, call):
    w.settings.ID_PROBES_PER_DAY = 2
    with pytest.raises(Throttled):
        call(actor=w.users.cy_grass, n=3, bulk=True, what="名单.csv")


@scenario("gonghui.people.services.id_collision")
def _(w, call):
    call(actor=w.users.cy, unit=w.tree.cy_grass, holder=person(w), name="赵郁", via="登记人员")


@scenario("gonghui.people.services.id_collision[transfer]")
def _(w, call):
    holder = make_person(w.tree.hd_grass, "钱学", VALID_IDS[2])
    call(actor=w.users.cy, unit=w.tree.cy_grass, holder=holder, name="钱学", via="登记人员")


def transfer(w, call=None):
    holder = make_person(w.tree.hd_grass, "钱学", VALID_IDS[2])
    submit = call or transfer_request_submit
    return submit(
        actor=w.users.cy, person=holder, to_unit=w.tree.cy_grass, name="钱学", reason="登记人员"
    )


@scenario("gonghui.people.services.transfer_request_submit")
def _(w, call):
    transfer(w, call)


@scenario("gonghui.people.services.transfer_request_for")
def _(w, call):
    transfer(w, call)


@scenario("gonghui.people.services.transfer_request_approve")
def _(w, call):
    call(actor=w.users.admin, request=transfer(w))


@scenario("gonghui.people.services.transfer_request_refuse")
def _(w, call):
    call(actor=w.users.admin, request=transfer(w), note="查无此人")


@scenario("gonghui.people.services.person_reveal")
def _(w, call):
    call(actor=w.users.cy, person=person(w), field="id_number")


@scenario("gonghui.people.services.membership_join")
def _(w, call):
    call(actor=w.users.cy, person=person(w), org_unit=w.tree.cy_grass, joined_on=date(2020, 1, 1))


@scenario("gonghui.people.services.membership_leave")
def _(w, call):
    joined = membership_join(
        actor=w.users.cy, person=person(w), org_unit=w.tree.cy_grass, joined_on=date(2020, 1, 1)
    )
    call(actor=w.users.cy, membership=joined, left_on=date(2024, 6, 30))


@scenario("gonghui.files.services.attachment_add")
def _(w, call):
    call(actor=w.users.cy, owner=person(w), org_unit=w.tree.cy_grass, upload=upload())


@scenario("gonghui.files.services.attachment_store")
def _(w, call):
    call(owner=person(w), org_unit=w.tree.cy_grass, upload=upload(), actor=w.users.cy)


@scenario("gonghui.files.services.attachment_download")
def _(w, call):
    stored = attachment_add(
        actor=w.users.cy, owner=person(w), org_unit=w.tree.cy_grass, upload=upload()
    )
    call(actor=w.users.cy, pk=stored.pk)


# --- Registry ---------------------------------------------------------------------------------


def award(w, holder=None):
    return award_create(
        actor=w.users.admin,
        honour=w.honours["capital-labour-medal"],
        person=holder or person(w),
        year=2010,
    )


def registry_workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = excel.SHEET
    header = list(excel.COLUMNS.values())
    row = {"姓名": "李建国", "身份证号": VALID_IDS[2], "所属工会编码": "CY-G1"}
    sheet.append(header)
    sheet.append([row.get(h) for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@scenario("gonghui.registry.services.unit_create")
def _(w, call):
    call(
        actor=w.users.cy,
        org_unit=w.tree.cy_grass,
        name="北京地铁运营公司",
        credit_code="91110000600037341L",
    )


@scenario("gonghui.registry.services.unit_move")
def _(w, call):
    team = unit_create(actor=w.users.cy, org_unit=w.tree.cy_grass, name="朝阳班组")
    call(actor=w.users.cy, employer=team, org_unit=w.tree.cy_street)


@scenario("gonghui.registry.services.unit_move[split]")
def _(w, call):
    company = unit_create(actor=w.users.cy, org_unit=w.tree.cy_grass, name="朝阳公司")
    team = unit_create(
        actor=w.users.cy, org_unit=w.tree.cy_grass, name="一班", kind="team", parent=company
    )
    Unit.objects.filter(pk=team.pk).update(org_unit=w.tree.cy_street)  # as moves once let
    call(actor=w.users.cy, employer=company, org_unit=w.tree.chaoyang)


@scenario("gonghui.registry.services.honour_create")
def _(w, call):
    call(
        actor=w.users.cy,
        code="chaoyang-new-star",
        name="朝阳新星",
        level="district",
        subject="individual",
        conferred_by="朝阳区总工会",
        conferring_unit=w.tree.chaoyang,
        first_year=2020,
    )


@scenario("gonghui.registry.services.award_create")
def _(w, call):
    honour = w.honours["capital-labour-medal"]
    call(actor=w.users.admin, honour=honour, person=person(w), year=2010)


@scenario("gonghui.registry.services.award_create[document]")
def _(w, call):
    honour = w.honours["capital-labour-medal"]
    call(actor=w.users.admin, honour=honour, person=person(w), year=2010, document=upload())


@scenario("gonghui.registry.services.award_document_add")
def _(w, call):
    call(actor=w.users.admin, award=award(w), upload=upload())


@scenario("gonghui.registry.services.award_update")
def _(w, call):
    call(actor=w.users.admin, award=award(w), deeds="三十年扎根一线。")


@scenario("gonghui.registry.services.award_revoke")
def _(w, call):
    call(actor=w.users.admin, award=award(w), reason="经查实存在弄虚作假")


@scenario("gonghui.registry.services.person_media_set")
def _(w, call):
    call(actor=w.users.cy, person=person(w), video_url="https://example.org/deeds.mp4")


@scenario("gonghui.registry.services.person_media_set[portrait]")
def _(w, call):
    png = upload("照片.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    call(actor=w.users.cy, person=person(w), portrait=png)


def twins(w, unit=None):
    """赵郁's record, and a second one of him (at ``unit``: by default at the same union)."""
    zhao = person(w, id_number=VALID_IDS[0])
    twin = make_person(unit or w.tree.cy_grass, "赵郁", None, birth_date=zhao.birth_date)
    return zhao, twin


@scenario("gonghui.registry.services.person_merge")
def _(w, call):
    zhao, twin = twins(w)
    call(actor=w.users.cy, survivor=zhao, loser=twin)


@scenario("gonghui.registry.services.merge_reverse")
def _(w, call):
    zhao, twin = twins(w)
    merge = person_merge(actor=w.users.cy, survivor=zhao, loser=twin)
    call(actor=w.users.admin, merge=merge)


@scenario("gonghui.registry.services.person_merge[across]")
def _(w, call):
    zhao, twin = twins(w, w.tree.cy_street)
    call(actor=w.users.cy, survivor=zhao, loser=twin)


@scenario("gonghui.registry.services.merge_reverse[across]")
def _(w, call):
    zhao, twin = twins(w, w.tree.cy_street)
    merge = person_merge(actor=w.users.cy, survivor=zhao, loser=twin)
    call(actor=w.users.admin, merge=merge)


@scenario("gonghui.registry.services.registry_import_start")
def _(w, call):
    data = registry_workbook()
    call(within=w.on_commit(execute=True), actor=w.users.cy, data=data, filename="名单.xlsx")


@scenario("gonghui.registry.excel.importer.registry_import")
def _(w, call):
    call(actor=w.users.cy, data=registry_workbook(), filename="名单.xlsx")


@scenario("gonghui.registry.excel.export.registry_export")
def _(w, call):
    person(w)
    call(actor=w.users.cy, out=io.BytesIO(), filters=PersonFilters())


@scenario("gonghui.registry.excel.export.registry_export[reveal]")
def _(w, call):
    person(w)
    call(actor=w.users.cy, out=io.BytesIO(), filters=PersonFilters(), reveal=True)


@scenario("gonghui.registry.services.registry_export_start")
def _(w, call):
    person(w)
    done(call(within=w.on_commit(execute=True), actor=w.users.cy, filters=PersonFilters()))


def done(job):
    """An export job the scenario ran: it must have finished (else its events prove nothing)."""
    job.refresh_from_db()
    assert job.status == job.Status.DONE, job.message


@scenario("gonghui.registry.services.dictionary_start")
def _(w, call):
    award(w)
    honour = w.honours["capital-labour-medal"]
    done(call(within=w.on_commit(execute=True), actor=w.users.cy, honour=honour))


@scenario("gonghui.jobs.services.job_result")
def _(w, call):
    person(w)
    with w.on_commit(execute=True):
        job = registry_export_start(actor=w.users.cy, filters=PersonFilters())
    call(actor=w.users.cy, pk=job.pk).result_file.close()


# --- Nominations ------------------------------------------------------------------------------


def campaign(w, *, open_=True, quota=True, create=campaigns.campaign_create):
    made = create(
        actor=w.users.admin,
        honour=w.honours["capital-labour-medal"],
        year=2025,
        nominate_from=date(2025, 9, 1),
        nominate_until=date(2025, 10, 31),
        objection_contact="电话 010-12345678",
    )
    if quota:
        campaigns.quota_set(actor=w.users.admin, campaign=made, org_unit=w.tree.chaoyang, allowed=4)
    if open_:
        campaigns.campaign_open(actor=w.users.admin, campaign=made)
    return made


def nominee(w, c, name="赵郁", *, submit=True):
    return nominate(w.users, w.tree, c, name, submit=submit)


def first_notice(w, c, n):
    return notices.notice_publish(
        actor=w.users.cy_grass, campaign=c, stage="first", nominations=[n]
    )


def reach(w, stage: str):
    """A campaign with one submitted nominee, taken through the procedure (一报告两审核三公示)
    up to ``stage``, the step the scenario calls itself; the clock moves as the notice
    periods require. Returns (campaign, nomination)."""
    c = campaign(w)
    n = nominee(w, c)
    admin = w.users.admin

    def advance(actor, action):
        reviews.nominations_advance(actor=actor, nominations=[n], action=action)

    def publish(stage):
        notices.notice_publish(actor=admin, campaign=c, stage=stage, nominations=[n])

    procedure = [
        ("first_notice", lambda: first_notice(w, c, n)),
        ("first_notice_over", lambda: w.clock.move_to(at(2025, 9, 27, 0, 0))),
        ("first_review", lambda: advance(w.users.cy, "first_pass")),
        (
            "list_submit",
            lambda: reviews.node_list_submit(
                actor=w.users.cy, campaign=c, org_unit=w.tree.chaoyang
            ),
        ),
        ("second_notice", lambda: w.clock.move_to(at(2025, 9, 28, 9)) or publish("second")),
        ("second_notice_over", lambda: w.clock.move_to(at(2025, 10, 11, 8))),
        ("second_review", lambda: advance(admin, "second_pass")),
        ("final_notice", lambda: publish("final")),
        ("final_notice_over", lambda: w.clock.move_to(at(2025, 10, 20, 9))),
        ("decision", None),
    ]
    for name, step in procedure:
        if name == stage:
            return c, n
        step()
    raise AssertionError(f"no stage {stage}")


def case(call) -> str:
    """The bracketed case of a registry key (``…nominations_advance[approve]`` -> approve)."""
    return call.key.partition("[")[2].rstrip("]")


@scenario("gonghui.nominations.services.final_list.final_list_export_start")
def _(w, call):
    c, _ = reach(w, "decision")
    done(call(within=w.on_commit(execute=True), actor=w.users.admin, campaign=c))


@scenario("gonghui.nominations.services.campaigns.campaign_create")
def _(w, call):
    campaign(w, open_=False, quota=False, create=call)


@scenario("gonghui.nominations.services.campaigns.quota_set")
def _(w, call):
    c = campaign(w, open_=False, quota=False)
    call(actor=w.users.admin, campaign=c, org_unit=w.tree.chaoyang, allowed=4)


@scenario("gonghui.nominations.services.campaigns.rule_add")
def _(w, call):
    c = campaign(w, open_=False)
    call(
        actor=w.users.admin,
        campaign=c,
        kind="min",
        attribute="front_line",
        percent=50,
        per_node=True,
    )


@scenario("gonghui.nominations.services.campaigns.campaign_open")
def _(w, call):
    call(actor=w.users.admin, campaign=campaign(w, open_=False))


@scenario("gonghui.nominations.services.nominating.nomination_create")
def _(w, call):
    c = campaign(w)
    someone = make_person(w.tree.cy_grass, "赵郁", is_front_line=True)
    call(
        actor=w.users.cy_grass,
        campaign=c,
        person_id=someone.pk,
        org_unit=w.tree.cy_grass,
        **MATERIALS,
    )


@scenario("gonghui.nominations.services.nominating.nomination_submit")
def _(w, call):
    c = campaign(w)
    call(actor=w.users.cy_grass, nomination=nominee(w, c, submit=False))


@scenario("gonghui.nominations.services.nominating.nomination_withdraw")
def _(w, call):
    c = campaign(w)
    call(actor=w.users.cy_grass, nomination=nominee(w, c), reason="本人自愿放弃")


@scenario(
    "gonghui.nominations.services.nominating.nomination_save",
    "gonghui.nominations.services.nominating.nomination_save[replace]",
    "gonghui.nominations.services.nominating.nomination_save[submit]",
)
def _(w, call):
    c = campaign(w)
    replaced = nominee(w, c) if case(call) == "replace" else None
    call(
        actor=w.users.cy_grass,
        campaign=c,
        person_id=make_person(w.tree.cy_grass, "武润泽", is_front_line=True).pk,
        replaces=replaced,
        reason="换人" if replaced else "",
        document=SimpleUploadedFile("推荐表.pdf", b"%PDF-1.4\n%test\n"),
        submit=case(call) == "submit",
        **MATERIALS,
    )


@scenario(
    "gonghui.nominations.services.notices.notice_publish",
    "gonghui.nominations.services.notices.notice_publish[second]",
    "gonghui.nominations.services.notices.notice_publish[final]",
)
def _(w, call):
    stage = case(call) or "first"
    c, n = reach(w, f"{stage}_notice")
    actor = w.users.cy_grass if stage == "first" else w.users.admin
    if stage == "second":
        w.clock.move_to(at(2025, 9, 28, 9))
    call(actor=actor, campaign=c, stage=stage, nominations=[n])


@scenario("gonghui.nominations.services.reviews.clearance_record")
def _(w, call):
    _, n = reach(w, "first_notice_over")
    call(actor=w.users.cy, nomination=n, department="税务", opinion="无欠税记录")


@scenario(
    "gonghui.nominations.services.reviews.nominations_advance",
    "gonghui.nominations.services.reviews.nominations_advance[first_reject]",
    "gonghui.nominations.services.reviews.nominations_advance[second_pass]",
    "gonghui.nominations.services.reviews.nominations_advance[second_reject]",
    "gonghui.nominations.services.reviews.nominations_advance[approve]",
    "gonghui.nominations.services.reviews.nominations_advance[final_reject]",
)
def _(w, call):
    action = case(call) or "first_pass"
    stage = {"first": "first_review", "second": "second_review"}.get(
        action.partition("_")[0], "decision"
    )
    _, n = reach(w, stage)
    actor = w.users.cy if stage == "first_review" else w.users.admin
    call(actor=actor, nominations=[n], action=action, opinion="审核意见")


@scenario("gonghui.nominations.services.reviews.node_list_submit")
def _(w, call):
    c, _ = reach(w, "list_submit")
    call(actor=w.users.cy, campaign=c, org_unit=w.tree.chaoyang)


OBJECTION = "该同志所报技术成果系他人完成，有项目验收材料为证。"


def objection(w, *, named=False, triaged=False):
    c, n = reach(w, "first_notice")
    notice = first_notice(w, c, n)
    who = {"name": "张三", "contact": "13800001111"} if named else {"anonymous": True}
    filed = objections.objection_file(
        notice=notice, nomination=n, text=OBJECTION, source="203.0.113.9", **who
    )
    if triaged:
        objections.objection_triage(actor=w.users.cy, objection=filed, admissible=True)
    return filed


@scenario("gonghui.nominations.services.objections.objection_file")
def _(w, call):
    c, n = reach(w, "first_notice")
    notice = first_notice(w, c, n)
    call(notice=notice, nomination=n, text=OBJECTION, anonymous=True, source="203.0.113.9")


@scenario("gonghui.nominations.services.objections.objection_triage")
def _(w, call):
    call(actor=w.users.cy, objection=objection(w), admissible=True)


@scenario(
    "gonghui.nominations.services.objections.objection_resolve",
    "gonghui.nominations.services.objections.objection_resolve[upheld]",
)
def _(w, call):
    upheld = case(call) == "upheld"
    call(
        actor=w.users.cy,
        objection=objection(w, triaged=True),
        verification="调阅项目验收材料",
        finding=Objection.Finding.UPHELD if upheld else Objection.Finding.NOT_UPHELD,
    )


@scenario("gonghui.nominations.services.objections.objection_contact_reveal")
def _(w, call):
    call(actor=w.users.cy, objection=objection(w, named=True))


@scenario("gonghui.calendar.services.calendar_year_set")
def _(w, call):
    call(
        actor=w.users.admin,
        year=2030,
        holidays=[(date(2030, 1, 1), date(2030, 1, 1), "元旦")],
        workdays=[],
        basis="《国务院办公厅关于2030年部分节假日安排的通知》",
    )


# --- Perks: giveaways -------------------------------------------------------------------------


def fcfs(w, **extra):
    return giveaway_for(w.users, w.venue, w.tree.chaoyang, **extra)


def members(w, count):
    return [make_member(w.tree.cy_grass, f"朝阳会员{i}", i) for i in range(count)]


def press(member, giveaway, *, waitlist=False):
    return claims.claim(
        person_id=member,
        giveaway_id=giveaway.pk,
        key=f"{'wait' if waitlist else 'press'}-{member:08d}",
        waitlist=waitlist,
    )


def at_opening():
    return time_machine.travel(OPENING + timedelta(seconds=1), tick=False)


def giveaway(w, create=giveaway_create, **fields):
    return create(
        actor=w.users.cy,
        org_unit=w.tree.chaoyang,
        title="五一游园",
        item="玫瑰情园套票",
        opens_at=OPENING,
        closes_at=OPENING + timedelta(days=1),
        pickup_from=OPENING + timedelta(days=2),
        pickup_until=OPENING + timedelta(days=4),
        pickup_location=w.venue,
        **({"mode": "fcfs", "stock": 2} | fields),
    )


def lottery(w, *, frozen=False):
    with time_machine.travel(OPENING - timedelta(days=1), tick=False):
        source = "2026年5月1日福彩3D开奖号码"
        drawn = giveaway(w, mode="lottery", stock=1, public_value_source=source)
        giveaway_publish(actor=w.users.cy, giveaway=drawn)
    with at_opening():
        for member in members(w, 2):
            press(member, drawn)
    w.clock.move_to(drawn.closes_at + timedelta(minutes=1))
    if frozen:
        giveaway_freeze(actor=w.users.cy, giveaway=drawn)
    return drawn


@scenario("gonghui.perks.giveaways.services.giveaway_create")
def _(w, call):
    giveaway(w, create=call)


@scenario("gonghui.perks.giveaways.services.giveaway_publish")
def _(w, call):
    draft = fcfs(w, status="draft")
    with time_machine.travel(OPENING - timedelta(days=1), tick=False):
        call(actor=w.users.cy, giveaway=draft)


@scenario("gonghui.perks.giveaways.services.giveaway_cancel")
def _(w, call):
    call(actor=w.users.cy, giveaway=fcfs(w), reason="场地临时调整")


@scenario("gonghui.perks.giveaways.services.giveaway_freeze")
def _(w, call):
    call(actor=w.users.cy, giveaway=lottery(w))


@scenario("gonghui.perks.giveaways.services.giveaway_draw")
def _(w, call):
    call(actor=w.users.cy, giveaway=lottery(w, frozen=True), public_value="581")


@scenario(
    "gonghui.perks.giveaways.services.claim_cancel",
    "gonghui.perks.giveaways.services.claim_cancel[promote]",
    "gonghui.perks.giveaways.services.claim_cancel[skip]",
)
def _(w, call):
    giveaway = fcfs(w, stock=1)
    first, *waiting = members(w, {"": 1, "promote": 2, "skip": 3}[case(call)])
    with at_opening():
        held = press(first, giveaway).claim
        for member in waiting:
            press(member, giveaway, waitlist=True)
        if case(call) == "skip":  # the first in line has left the union since
            card = Card.objects.get(person_id=waiting[0])
            card_cancel(actor=w.users.cy_grass, card=card, reason="离会")
        call(person_id=first, claim_id=held["id"])


def counter(w, giveaway):
    user = make_user("rose_gate", None, None)
    location = giveaway.pickup_location
    MerchantStaff.objects.create(user=user, merchant=location.merchant, location=location)
    return user


@scenario("gonghui.perks.counter.services.pickup_accept")
def _(w, call):
    giveaway = fcfs(w)
    with at_opening():
        code = press(members(w, 1)[0], giveaway).claim["code"]
    gate = counter(w, giveaway)
    with time_machine.travel(giveaway.pickup_from + timedelta(hours=1), tick=False):
        call(actor=gate, code=code)


@scenario("gonghui.perks.giveaways.services.no_shows_release")
def _(w, call):
    giveaway = fcfs(w, stock=1)
    first, second = members(w, 2)
    with at_opening():
        press(first, giveaway)
        press(second, giveaway, waitlist=True)
    with time_machine.travel(giveaway.pickup_until + timedelta(hours=1), tick=False):
        later = giveaway.pickup_until + timedelta(days=3)
        call(actor=w.users.cy, giveaway=giveaway, pickup_until=later)


@scenario("gonghui.perks.giveaways.services.winners_export_start")
def _(w, call):
    giveaway = fcfs(w)
    with at_opening():
        press(members(w, 1)[0], giveaway)
    done(call(within=w.on_commit(execute=True), actor=w.users.cy, giveaway=giveaway))


@scenario("gonghui.perks.giveaways.services.winners_export")
def _(w, call):
    giveaway = fcfs(w)
    with at_opening():
        press(members(w, 1)[0], giveaway)
    call(actor=w.users.cy, giveaway=giveaway)


@scenario(
    "gonghui.perks.giveaways.services.claims_seal",
    "gonghui.perks.giveaways.services.claims_seal_all",
    "gonghui.perks.giveaways.services.claims_housekeeping",
)
def _(w, call):
    giveaway = fcfs(w)
    with at_opening():
        press(members(w, 1)[0], giveaway)
    call(**({"giveaway": giveaway} if call.name == "claims_seal" else {}))


@scenario("gonghui.perks.giveaways.claims.claim")
def _(w, call):
    giveaway = fcfs(w)
    member = members(w, 1)[0]
    with at_opening():
        answer = call(person_id=member, giveaway_id=giveaway.pk, key="k-00000001")
    # Not one event per claim: the next seal of the giveaway's stream covers its row.
    claims_seal(giveaway=giveaway)
    sealed = AuditEvent.objects.get(stream=giveaway.stream, action="perks.claim.seal")
    claim_id = answer.claim["id"]
    assert sealed.object_id == f"{claim_id}-{claim_id}"
    rows = seal_rows(Claim.objects.filter(pk=claim_id).values())
    assert json.loads(sealed.body)["changes"]["sha256"][1] == batch_digest(rows)[1]


# --- Perks: cards, merchants, the counter -----------------------------------------------------


def member(w):
    """A member of the Chaoyang grassroots union, without a card yet."""
    someone = make_person(w.tree.cy_grass, "赵郁", VALID_IDS[0])
    Membership.objects.create(person=someone, org_unit=w.tree.cy_grass, joined_on=date(2020, 1, 1))
    return someone


def member_card(w, *, status=None):
    card = card_issue(actor=w.users.cy_grass, person=member(w))
    if status == "suspended":
        card_suspend(actor=w.users.cy_grass, card=card, reason="会员申请暂停")
    return card


def merchant(w, create=merchant_create):
    return create(
        actor=w.users.cy,
        org_unit=w.tree.chaoyang,
        name="洁亮洗车",
        category="car",
        discount="凭卡洗车8折",
        valid_from=date(2025, 1, 1),
        valid_until=date(2025, 12, 31),
    )


@scenario("gonghui.perks.cards.services.card_issue")
def _(w, call):
    call(actor=w.users.cy_grass, person=member(w))


@scenario(
    "gonghui.perks.cards.services.card_person",
    "gonghui.perks.cards.services.card_issue_for",
)
def _(w, call):
    member(w)
    call(actor=w.users.cy, id_number=VALID_IDS[0])


@scenario(
    "gonghui.perks.cards.services.card_suspend",
    "gonghui.perks.cards.services.card_cancel",
    "gonghui.perks.cards.services.card_reissue",
)
def _(w, call):
    call(actor=w.users.cy_grass, card=member_card(w), reason="会员卡遗失")


@scenario("gonghui.perks.cards.services.card_resume")
def _(w, call):
    call(actor=w.users.cy_grass, card=member_card(w, status="suspended"), reason="已找回")


@scenario("gonghui.perks.cards.imports.cards_import")
def _(w, call):
    member(w)
    text = io.StringIO()
    csv.writer(text).writerows([["姓名", "身份证号"], ["赵郁", VALID_IDS[0]]])
    call(actor=w.users.cy_grass, data=text.getvalue().encode("utf-8-sig"), filename="名单.csv")


@scenario("gonghui.perks.merchants.services.merchant_create")
def _(w, call):
    merchant(w, create=call)


@scenario("gonghui.perks.merchants.services.merchant_change")
def _(w, call):
    call(actor=w.users.cy, merchant=merchant(w), discount="凭卡洗车7折")


@scenario("gonghui.perks.merchants.services.location_add")
def _(w, call):
    shop = merchant(w)
    call(
        actor=w.users.cy,
        merchant=shop,
        name="朝阳门店",
        address="建国路1号",
        district=w.tree.chaoyang,
    )


@scenario("gonghui.perks.merchants.services.offer_save")
def _(w, call):
    call(
        actor=w.users.cy,
        merchant=merchant(w),
        title="精洗套餐",
        discount="7折",
        valid_from=date(2025, 6, 1),
        valid_until=date(2025, 6, 30),
    )


@scenario("gonghui.perks.merchants.services.merchant_staff_add")
def _(w, call):
    call(actor=w.users.cy, merchant=merchant(w), username="shop1", password=PASSWORD)


@scenario("gonghui.perks.counter.services.card_verify")
def _(w, call):
    with time_machine.travel(at(2025, 6, 16, 12), tick=False):
        staff = merchant_staff_add(
            actor=w.users.cy, merchant=merchant(w), username="shop1", password=PASSWORD
        )
        card = member_card(w)
        call(actor=staff.user, token=passes.card_token(card.pk))


# --- The audit log's own export ---------------------------------------------------------------


@scenario("gonghui.audit.services.export_bundle")
def _(w, call):
    record(actor=w.users.admin, action="orgs.update", obj=w.tree.chaoyang)
    call(stream="platform", out=io.BytesIO(), actor=w.users.auditor)


@scenario("gonghui.audit.services.witness_restart")
def _(w, call):
    record(actor=w.users.admin, action="orgs.update", obj=w.tree.chaoyang)
    head_sign()
    w.settings.AUDIT_WITNESS[0].unlink()  # the witness went missing: restarted on purpose
    call(actor=w.users.admin)


# --- audit retention (issue #21 point 5) ---


def old_signed_events(w):
    """Platform events with a checkpoint, then 200 days on, one more, signed: the first
    ones are past the retention and archivable."""
    record(actor=w.users.admin, action="orgs.update", obj=w.tree.chaoyang)
    checkpoint_all()
    w.clock.shift(timedelta(days=200))
    record(actor=w.users.admin, action="orgs.update", obj=w.tree.chaoyang)
    head_sign()


@scenario("gonghui.audit.retention.archive")
def _(w, call):
    old_signed_events(w)
    call(actor=w.users.admin, stream="platform")


@scenario("gonghui.audit.retention.prune")
def _(w, call):
    old_signed_events(w)
    retention.archive(stream="platform")
    call(actor=w.users.admin, stream="platform")


# --- smcrypto: switching the algorithms, moving the fields ---


@scenario("gonghui.audit.services.crypto_switch")
def _(w, call):
    from tests.audit.test_smcrypto import go_sm

    record(actor=w.users.admin, action="orgs.update", obj=w.tree.chaoyang)
    go_sm(w.settings)
    call(to="sm", actor=w.users.admin)


@scenario("gonghui.audit.reencrypt.reencrypt")
def _(w, call):
    from tests.audit.test_smcrypto import go_sm

    make_person(w.tree.cy_grass, id_number=VALID_IDS[4])
    go_sm(w.settings)
    call(actor=w.users.admin)


# --- contests · setup: this feature's scenarios below this line ---
def contest_setup(w, kind="contest"):
    """A Chaoyang programme with its competition for the fitters (钳工), made by the
    district's staff through the set-up services."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from gonghui.contests.setup.services import competition_create, programme_create
    from gonghui.people.models import Trade

    programme = programme_create(
        actor=w.users.cy, org_unit=w.tree.chaoyang, name="朝阳区钳工技能竞赛", year=2025, kind=kind
    )
    sh = ZoneInfo("Asia/Shanghai")
    competition = competition_create(
        actor=w.users.cy,
        programme=programme,
        trade=Trade.objects.get(code="6-18-01"),
        registration_opens_at=datetime(2025, 10, 1, 9, tzinfo=sh),
        registration_closes_at=datetime(2025, 11, 1, 17, tzinfo=sh),
    )
    return programme, competition


@scenario("gonghui.contests.setup.services.programme_create")
def _(w, call):
    call(
        actor=w.users.cy,
        org_unit=w.tree.chaoyang,
        name="朝阳工匠 2025",
        year=2025,
        kind="title",
        title_honour=w.honours["chaoyang-craftsman"],
    )


@scenario("gonghui.contests.setup.services.competition_create")
def _(w, call):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from gonghui.contests.setup.services import programme_create
    from gonghui.people.models import Trade

    programme = programme_create(
        actor=w.users.cy, org_unit=w.tree.chaoyang, name="朝阳工匠 2025", year=2025, kind="title"
    )
    sh = ZoneInfo("Asia/Shanghai")
    call(
        actor=w.users.cy,
        programme=programme,
        trade=Trade.objects.get(code="6-18-01"),
        registration_opens_at=datetime(2025, 10, 1, 9, tzinfo=sh),
        registration_closes_at=datetime(2025, 11, 1, 17, tzinfo=sh),
    )


@scenario("gonghui.contests.setup.services.competition_open")
def _(w, call):
    from datetime import timedelta

    from django.utils import timezone

    from gonghui.contests.models import Competition

    _, competition = contest_setup(w)
    Competition.objects.filter(pk=competition.pk).update(
        rules_sha256="ab" * 32,
        rules_name="规程.pdf",
        registration_closes_at=timezone.now() + timedelta(days=30),
    )
    call(actor=w.users.cy, competition=competition)


@scenario("gonghui.contests.setup.services.competition_rules_upload")
def _(w, call):
    _, competition = contest_setup(w)
    upload = SimpleUploadedFile("钳工竞赛规程.pdf", b"%PDF-1.4\n")
    call(actor=w.users.cy, competition=competition, upload=upload)


@scenario("gonghui.contests.setup.services.stage_update")
def _(w, call):
    _, competition = contest_setup(w)
    stage = competition.stages.get(order=1)
    call(
        actor=w.users.cy,
        stage=stage,
        name=stage.name,
        scheme=stage.scheme,
        rule={"kind": "top", "n": 6},
    )


@scenario("gonghui.contests.setup.services.judge_add")
def _(w, call):
    programme, _ = contest_setup(w)
    call(actor=w.users.cy, programme=programme, kind="expert", name="王工")


@scenario("gonghui.contests.setup.services.recusal_declare")
def _(w, call):
    from gonghui.contests.models import Entrant
    from gonghui.contests.setup.services import judge_add

    programme, competition = contest_setup(w)
    judge = judge_add(actor=w.users.cy, programme=programme, kind="expert", name="王工")
    entrant = Entrant.objects.create(
        competition=competition,
        person=make_person(w.tree.cy_grass, "李铁"),
        number=7,
        age=35,
        employer=make_unit_record(w.tree.cy_grass),
        route=Entrant.Route.SELF,
    )
    call(actor=w.users.cy, judge=judge, entrant=entrant, note="师徒关系")


def make_unit_record(org_unit):
    return Unit.objects.create(name="北京精密机械厂", org_unit=org_unit)


#


# --- contests · entry: this feature's scenarios below this line ---
#


def entry_contest(w, *, closes_in=timedelta(days=1), rules=True):
    """An open competition of Chaoyang (made directly, until the setup feature's services)."""
    from django.utils import timezone

    from gonghui.contests.models import Competition, Programme
    from gonghui.people.models import Trade

    trade, _ = Trade.objects.get_or_create(code="T-QG", defaults={"name": "钳工（测）"})
    programme = Programme.objects.create(
        name="朝阳工匠", year=2025, org_unit=w.tree.chaoyang, created_by=w.users.cy
    )
    now = timezone.now()
    return Competition.objects.create(
        programme=programme,
        org_unit=w.tree.chaoyang,
        trade=trade,
        name="朝阳工匠·钳工",
        status="open",
        registration_opens_at=now - timedelta(days=2),
        registration_closes_at=now + closes_in,
        rules_sha256="ab" * 32 if rules else "",
    )


def entry_member(w):
    """A member with an account, an employer and a birth date (the one-tap registration)."""
    from gonghui.people.models import Person

    user = make_user("member_entry", None, None)
    employer = Unit.objects.create(name="朝阳某公司", org_unit=w.tree.cy_grass)
    someone = person(w, "王建国", VALID_IDS[1], employer=employer)
    Person.objects.filter(pk=someone.pk).update(user=user)
    return user


@scenario("gonghui.contests.entry.services.entrant_register")
def _(w, call):
    call(
        competition=entry_contest(w),
        name="王小明",
        phone="13800138000",
        age=30,
        employer_name="朝阳新开的厂",
        ip="203.0.113.9",
    )


@scenario("gonghui.contests.entry.services.entrant_register[member]")
def _(w, call):
    call(competition=entry_contest(w), user=entry_member(w))


@scenario("gonghui.contests.entry.services.entrant_nominate")
def _(w, call):
    employer = Unit.objects.create(name="朝阳某公司", org_unit=w.tree.cy_grass)
    call(
        actor=w.users.cy,
        competition=entry_contest(w),
        person=person(w, employer=employer),
    )


@scenario("gonghui.contests.entry.services.entrant_withdraw")
def _(w, call):
    from gonghui.contests.entry.services import entrant_register

    entrant = entrant_register(competition=entry_contest(w), user=entry_member(w))
    call(actor=w.users.cy, entrant=entrant, reason="工作安排冲突")


@scenario("gonghui.contests.entry.services.registration_close")
def _(w, call):
    call(actor=w.users.cy, competition=entry_contest(w))


@scenario("gonghui.contests.entry.services.registration_close[again]")
def _(w, call):
    from gonghui.contests.entry.services import registration_close

    contest = entry_contest(w)
    registration_close(actor=w.users.cy, competition=contest)
    call(actor=w.users.cy, competition=contest)


@scenario("gonghui.contests.entry.services.registrations_close_due")
def _(w, call):
    entry_contest(w, closes_in=-timedelta(minutes=1), rules=False)
    call()


@scenario("gonghui.people.services.person_enrol")
def _(w, call):
    call(
        org_unit=w.tree.chaoyang,
        data={"name": "王小明", "phone": "13800138000", "id_number": VALID_IDS[3]},
        via="竞赛报名",
    )


@scenario("gonghui.people.services.person_enrol[found]")
def _(w, call):
    person(w)
    call(
        org_unit=w.tree.chaoyang,
        data={"name": "赵 郁", "id_number": VALID_IDS[1]},  # the holder's name
        via="竞赛报名",
    )


@scenario("gonghui.people.services.employer_enrol")
def _(w, call):
    call(org_unit=w.tree.chaoyang, name="朝阳新开的厂")


@scenario("gonghui.people.services.employer_enrol[found]")
def _(w, call):
    Unit.objects.create(name="朝阳某公司", org_unit=w.tree.cy_grass)
    call(org_unit=w.tree.chaoyang, name="朝阳某公司")


# --- contests · judging: this feature's scenarios below this line ---


def judging(w, *, drawn=True, marking=True):
    """A Chaoyang contest (tests/contests/test_judging.py) with match A of entrants 1–4,
    committed; drawn (a panel of three) and marking unless said otherwise."""
    from gonghui.contests.judging import services as judging_services
    from tests.contests.test_judging import build_contest

    c = build_contest(w.tree, w.users.cy)
    staff = w.users.cy
    c.match = judging_services.match_create(
        actor=staff, stage=c.stage, code="A", entrants=[1, 2, 3, 4], panel_size=3
    )
    judging_services.draw_commit(actor=staff, match=c.match)
    if drawn:
        judging_services.panel_draw(actor=staff, match=c.match)
        c.panel = [s.judge for s in c.match.seats.select_related("judge__user")]
    if drawn and marking:
        judging_services.stage_start(actor=staff, stage=c.stage)
    return c


def judge_marks(c, judge, entrant, aspect, value):
    from gonghui.contests.judging.services import mark_submit

    key = f"k-{judge.pk}-{entrant}-{aspect}-{value}"
    return mark_submit(
        actor=judge.user, stage=c.stage, entrant=entrant, aspect=aspect, value=value, key=key
    ).mark


@scenario("gonghui.contests.judging.services.match_create")
def _(w, call):
    from tests.contests.test_judging import build_contest

    c = build_contest(w.tree, w.users.cy)
    call(actor=w.users.cy, stage=c.stage, code="A", entrants=[1, 2], seed=2, panel_size=3)


@scenario("gonghui.contests.judging.services.recusals_by_employer")
def _(w, call):
    from gonghui.contests.models import Judge
    from tests.contests.test_judging import build_contest

    c = build_contest(w.tree, w.users.cy)
    Judge.objects.filter(name="裁判2").update(employer=c.employers[6])  # one judge of 首钢 left
    call(actor=w.users.cy, competition=c.competition)  # 裁判1 ≠ 001, 002


@scenario("gonghui.contests.judging.services.draw_commit")
def _(w, call):
    from gonghui.contests.judging.services import match_create
    from tests.contests.test_judging import build_contest

    c = build_contest(w.tree, w.users.cy)
    match = match_create(actor=w.users.cy, stage=c.stage, code="A", entrants=[1, 2])
    call(actor=w.users.cy, match=match)


@scenario("gonghui.contests.judging.services.panel_draw")
def _(w, call):
    c = judging(w, drawn=False)
    call(actor=w.users.cy, match=c.match)


@scenario("gonghui.contests.judging.services.seat_add")
def _(w, call):
    c = judging(w, marking=False)
    call(actor=w.users.cy, match=c.match, judge=c.chief)


@scenario("gonghui.contests.judging.services.seat_absent")
def _(w, call):
    c = judging(w)
    call(actor=w.users.cy, seat=c.match.seats.first(), reason="未到场")


@scenario("gonghui.contests.judging.services.stage_start")
def _(w, call):
    c = judging(w, marking=False)
    call(actor=w.users.cy, stage=c.stage)


@scenario("gonghui.contests.judging.services.mark_submit")
def _(w, call):
    c = judging(w)
    judge = c.panel[0]
    call(actor=judge.user, stage=c.stage, entrant=1, aspect="M1", value="38.5", key="k-first-1")


@scenario("gonghui.contests.judging.services.mark_submit[duplicate]")
def _(w, call):
    c = judging(w)
    judge = c.panel[0]
    judge_marks(c, judge, 1, "M1", "38.5")
    call(
        actor=judge.user,
        stage=c.stage,
        entrant=1,
        aspect="M1",
        value="38.5",
        key=f"k-{judge.pk}-1-M1-38.5",
    )


@scenario("gonghui.contests.judging.services.mark_correct")
def _(w, call):
    c = judging(w)
    mark = judge_marks(c, c.panel[0], 1, "J1", "12")
    call(actor=c.panel[0].user, mark=mark, value="21", reason="误按", key="k-correct-1")


@scenario("gonghui.contests.judging.services.sheet_lock")
def _(w, call):
    c = judging(w)
    judge_marks(c, c.panel[0], 1, "M1", "38")
    for judge, value in zip(c.panel, ["20", "22", "21"], strict=True):
        judge_marks(c, judge, 1, "J1", value)
    call(actor=w.users.cy, stage=c.stage, entrant=1)


#


# --- contests · results: this feature's scenarios below this line ---
#
from tests.contests import test_results as results_world  # noqa: E402

NOT_WRITES["gonghui.contests.results.services.results_write"] = (
    "part of results_lock / rescore_apply"
)
NOT_WRITES["gonghui.contests.results.services.results_payload"] = (
    "a computation: the results as results_lock's event carries them"
)


@scenario("gonghui.contests.results.services.results_lock")
def _(w, call):
    contest = results_world.selection(w.tree, w.users, w.honours)
    call(actor=w.users.cy, stage=contest.stages[0])


@scenario("gonghui.contests.results.services.advance_confirm")
def _(w, call):
    contest = results_world.with_final(w.tree, w.users, w.honours)
    going = [contest.entrants["003"].pk, contest.entrants["001"].pk]
    call(actor=w.users.cy, stage=contest.stages[0], advancing=going)


@scenario("gonghui.contests.results.services.titles_award")
def _(w, call):
    contest = results_world.finished(w.tree, w.users, w.honours)
    call(actor=w.users.cy, competition=contest.competition)


@scenario("gonghui.contests.results.services.programme_titles_award")
def _(w, call):
    first, _second = results_world.two_trades(w.tree, w.users, w.honours, titles=(1, 0))
    call(actor=w.users.cy, programme=first.programme)


def _studio_offer(w, call_or_service, employer):
    return call_or_service(
        actor=w.users.cy,
        employer=employer,
        leader=make_person(w.tree.cy_grass, "王芳"),
        org_unit=w.tree.cy_grass,
        source="第3届朝阳工匠 · 钳工",
        grant_fen_per_year=10_000_000,
        grant_years=3,
    )


@scenario("gonghui.registry.services.studio_offer")
def _(w, call):
    _studio_offer(w, call, Unit.objects.create(name="首钢", org_unit=w.tree.cy_grass))


@scenario("gonghui.registry.services.studio_offer[again]")
def _(w, call):
    from gonghui.registry.services import studio_offer

    employer = Unit.objects.create(name="首钢", org_unit=w.tree.cy_grass)
    _studio_offer(w, studio_offer, employer)
    assert _studio_offer(w, call, employer) is None


# --- contests · jury & appeals: this feature's scenarios below this line ---
#


def _jury_contest(w, *, locked=False):
    from tests.contests.test_jury_world import build_contest, lock_results

    contest = build_contest(w.tree, w.users.cy)
    if locked:
        lock_results(contest)
    return contest


def _juror(w, contest, *, seat=True):
    from gonghui.contests.jury.services import juror_register, juror_seat

    juror = juror_register(
        actor=w.users.cy, programme=contest.programme, name="大众评委", id_number=VALID_IDS[0]
    )
    if seat:
        juror_seat(actor=w.users.cy, juror=juror)
    return juror


@scenario("gonghui.contests.jury.services.juror_register")
def _(w, call):
    contest = _jury_contest(w)
    call(actor=w.users.cy, programme=contest.programme, name="大众评委", id_number=VALID_IDS[0])


@scenario("gonghui.contests.jury.services.juror_register[conflicts]")
def _(w, call):
    contest = _jury_contest(w)
    call(
        actor=w.users.cy,
        programme=contest.programme,
        name="大众评委",
        id_number=VALID_IDS[0],
        employer_name=contest.employers[0].name,
        relations=[contest.entrants[2].pk],
    )


@scenario("gonghui.contests.jury.services.juror_seat")
def _(w, call):
    contest = _jury_contest(w)
    call(actor=w.users.cy, juror=_juror(w, contest, seat=False))


@scenario("gonghui.contests.jury.services.juror_unseat")
def _(w, call):
    contest = _jury_contest(w)
    call(actor=w.users.cy, juror=_juror(w, contest))


@scenario("gonghui.contests.jury.services.juror_register[new employer]")
def _(w, call):
    contest = _jury_contest(w)
    call(
        actor=w.users.cy,
        programme=contest.programme,
        name="大众评委",
        id_number=VALID_IDS[0],
        employer_name="京西新材料有限公司",
    )


@scenario("gonghui.contests.jury.services.vote_cast")
def _(w, call):
    contest = _jury_contest(w)
    juror = _juror(w, contest)
    call(juror=juror, stage=contest.stage, entrant=contest.entrants[0], value="80", key="k" * 12)


@scenario("gonghui.contests.jury.services.vote_cast[late]")
def _(w, call):
    from gonghui.common.errors import ValidationFailed

    contest = _jury_contest(w)
    juror = _juror(w, contest)
    w.clock.move_to(contest.stage.votes_close_at)
    with pytest.raises(ValidationFailed):
        call(
            juror=juror, stage=contest.stage, entrant=contest.entrants[0], value="80", key="k" * 12
        )


def _appeal(contest, text="请复核第二位选手的实操评分"):
    from gonghui.contests.appeals.services import appeal_file

    return appeal_file(
        actor=contest.users[1], stage=contest.stage, entrant=contest.entrants[1], text=text
    )


def _upheld_appeal(w, contest):
    from gonghui.contests.appeals.services import appeal_rule

    return appeal_rule(actor=w.users.cy, appeal=_appeal(contest), upheld=True, ruling="评分有误")


def _rescore(w, contest):
    from gonghui.contests.appeals.services import rescore_preview

    change = {
        "judge": contest.experts[0].pk,
        "entrant": contest.entrants[1].pk,
        "aspect": "M1",
        "value": "95",
    }
    return rescore_preview(actor=w.users.cy, appeal=_upheld_appeal(w, contest), changes=[change])


@scenario("gonghui.contests.appeals.services.appeal_file")
def _(w, call):
    contest = _jury_contest(w, locked=True)
    call(actor=contest.users[1], stage=contest.stage, entrant=contest.entrants[1], text="请复核")


@scenario("gonghui.contests.appeals.services.appeal_file[merge]")
def _(w, call):
    contest = _jury_contest(w, locked=True)
    _appeal(contest, text="请复核")
    call(actor=contest.users[1], stage=contest.stage, entrant=contest.entrants[1], text="请复核")


@scenario("gonghui.contests.appeals.services.appeal_rule")
def _(w, call):
    contest = _jury_contest(w, locked=True)
    call(actor=w.users.cy, appeal=_appeal(contest), upheld=False, ruling="评分无误")


@scenario("gonghui.contests.appeals.services.rescore_preview")
def _(w, call):
    contest = _jury_contest(w, locked=True)
    change = {
        "judge": contest.experts[0].pk,
        "entrant": contest.entrants[1].pk,
        "aspect": "M1",
        "value": "95",
    }
    call(actor=w.users.cy, appeal=_upheld_appeal(w, contest), changes=[change])


@scenario("gonghui.contests.appeals.services.rescore_apply")
def _(w, call):
    contest = _jury_contest(w, locked=True)
    call(actor=w.users.cy, batch=_rescore(w, contest))


@scenario("gonghui.contests.appeals.services.rescore_cancel")
def _(w, call):
    contest = _jury_contest(w, locked=True)
    call(actor=w.users.cy, batch=_rescore(w, contest))


# --- contests · board: this feature's scenarios below this line ---
#
from tests.contests.test_board import board_world  # noqa: E402

NOT_WRITES.update(
    {
        # A picture of audited results (no event of its own), run on board_changed.
        "gonghui.contests.board.services.snapshot_refresh": "derived data: the board's snapshot",
    }
)


@scenario("gonghui.contests.board.services.board_freeze")
def _(w, call):
    board = board_world(w.tree, w.users)  # frozen already: open it first
    type(board.competition).objects.filter(pk=board.competition.pk).update(frozen_at=None)
    board.competition.refresh_from_db()
    call(within=w.on_commit(execute=True), actor=w.users.cy, competition=board.competition)


@scenario("gonghui.contests.board.services.board_reveal_next")
def _(w, call):
    board = board_world(w.tree, w.users)
    call(within=w.on_commit(execute=True), actor=w.users.cy, competition=board.competition)


@scenario("gonghui.contests.board.services.board_unfreeze")
def _(w, call):
    board = board_world(w.tree, w.users)
    call(within=w.on_commit(execute=True), actor=w.users.cy, competition=board.competition)


# --- contests · notary: this feature's scenarios below this line ---
#
def notary_contest(w):
    from tests.contests.test_notary import build_contest

    return build_contest(w.tree, w.users.cy)


def notary_of(w, contest):
    from gonghui.contests.notary.services import notary_register
    from tests.contests.test_notary import key_pair

    private, public = key_pair()
    user = make_user("notary_w", None, None)
    notary_register(
        actor=w.users.cy,
        programme=contest.programme,
        user=user,
        name="李公证",
        office="方圆公证处",
        public_key=public,
    )
    return private, user


@scenario("gonghui.contests.notary.services.milestone_sign")
def _(w, call):
    contest = notary_contest(w)
    call(competition_id=contest.competition.pk, name="报名截止")


@scenario("gonghui.contests.notary.services.notary_register")
def _(w, call):
    from tests.contests.test_notary import key_pair

    contest = notary_contest(w)
    call(
        actor=w.users.cy,
        programme=contest.programme,
        user=make_user("notary_w", None, None),
        name="李公证",
        office="方圆公证处",
        public_key=key_pair()[1],
    )


@scenario("gonghui.contests.notary.services.milestone_countersign")
def _(w, call):
    from gonghui.contests.notary import selectors
    from gonghui.contests.notary.services import milestone_sign

    contest = notary_contest(w)
    private, user = notary_of(w, contest)
    milestone = milestone_sign(competition_id=contest.competition.pk, name="报名截止")
    call(
        actor=user, milestone=milestone, signature=private.sign(selectors.message(milestone)).hex()
    )


@scenario("gonghui.contests.notary.services.record_export")
def _(w, call):
    contest = notary_contest(w)
    audit_admin = make_user("audit_t", w.tree.city, "audit_admin")
    call(actor=audit_admin, competition=contest.competition, out=io.BytesIO())


# --- funds · programmes: this feature's scenarios below this line ---
#
def funds_programme(w, code="illness"):
    """A city programme (the funds tests' critical-illness aid) with its 2025 budget."""
    from tests.funds.conftest import ILLNESS_RULE, make_programme

    programme = make_programme(code, "大病救助", "illness", w.tree.city, ILLNESS_RULE)
    from gonghui.funds.models import Budget

    Budget.objects.create(programme=programme, org_unit=w.tree.city, year=2025, amount=10**8)
    return programme


@scenario("gonghui.funds.programmes.services.programme_create")
def _(w, call):
    call(
        actor=w.users.admin,
        org_unit=w.tree.city,
        code="studio",
        name="创新工作室资助",
        kind="studio",
        rule={"kind": "fixed", "amount": 7000000},
    )


@scenario("gonghui.funds.programmes.services.programme_update")
def _(w, call):
    call(actor=w.users.admin, programme=funds_programme(w), name="大病救助（新）", levels=3)


@scenario("gonghui.funds.programmes.services.rule_change")
def _(w, call):
    from tests.funds.conftest import ILLNESS_RULE

    rule = dict(ILLNESS_RULE, cap_per_year=1000000)
    call(actor=w.users.admin, programme=funds_programme(w), rule=rule, note="年度上限调整")


@scenario("gonghui.funds.programmes.services.budget_set")
def _(w, call):
    call(
        actor=w.users.cy,
        programme=funds_programme(w),
        org_unit=w.tree.chaoyang,
        year=2025,
        amount="600,000.00",
    )


@scenario("gonghui.funds.programmes.services.ledger_correct")
def _(w, call):
    from gonghui.funds.models import Budget, LedgerEntry
    from tests.funds.conftest import YEAR
    from tests.funds.test_guards import paid_line

    programme = funds_programme(w)
    Budget.objects.create(programme=programme, org_unit=w.tree.city, year=YEAR, amount=10**8)
    line, _budget = paid_line(w.tree, w.users, programme, amount=200000)
    call(actor=w.users.admin, entry=LedgerEntry.objects.get(kind="pay", line=line), note="录入错误")


@scenario("gonghui.funds.programmes.services.hardship_set")
def _(w, call):
    from tests.factories import make_member

    person = make_member(w.tree.cy_grass, "王秀英")
    call(actor=w.users.cy, person=person, grade="特别困难", since=date(2025, 9, 1))


@scenario("gonghui.funds.programmes.services.hardship_set[regrade]")
def _(w, call):
    from gonghui.funds.programmes.services import hardship_set
    from tests.factories import make_member

    person = make_member(w.tree.cy_grass, "王秀英")
    hardship_set(actor=w.users.cy, person=person, grade="一般困难", since=date(2025, 1, 1))
    call(actor=w.users.cy, person=person, grade="特别困难", since=date(2025, 9, 1))


@scenario("gonghui.funds.programmes.services.hardship_end")
def _(w, call):
    from gonghui.funds.programmes.services import hardship_set
    from tests.factories import make_member

    person = make_member(w.tree.cy_grass, "王秀英")
    hardship = hardship_set(
        actor=w.users.cy, person=person, grade="一般困难", since=date(2025, 1, 1)
    )
    call(actor=w.users.cy, hardship=hardship, until=date(2025, 9, 1))


# --- funds · applications: this feature's scenarios below this line ---
#


def funds_world(w):
    """The funds fixtures' programmes with budgets for the scenarios' year (2025), a member
    of Chaoyang's grassroots union with a login."""
    from gonghui.funds.models import Budget
    from tests.factories import make_member
    from tests.funds.conftest import CERTIFICATE_RULE, ILLNESS_RULE, make_programme

    programmes = SimpleNamespace(
        certificate=make_programme(
            "cert", "技能等级证书补贴", "certificate", w.tree.city, CERTIFICATE_RULE, levels=3
        ),
        illness=make_programme("illness", "大病救助", "illness", w.tree.city, ILLNESS_RULE),
    )
    for programme in vars(programmes).values():
        Budget.objects.create(programme=programme, org_unit=w.tree.city, year=2025, amount=10**8)
    programmes.member = make_member(w.tree.cy_grass, "赵郁", username="zhaoyu_w")
    return programmes


def funds_pdf(name="证书.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 scan", content_type="application/pdf")


def funds_cert(f, **kwargs):
    from gonghui.funds.applications.services import application_submit

    return application_submit(actor=f.member.user, **funds_cert_args(f), **kwargs)


def funds_cert_args(f):
    return {
        "programme": f.certificate,
        "facts": {
            "certificate_no": "S0001",
            "level": "一级",
            "trade": "钳工",
            "issued_on": "2025-01-02",
        },
        "documents": {"certificate_doc": funds_pdf()},
    }


def funds_illness_args(f):
    return {
        "programme": f.illness,
        "facts": {
            "self_paid": "1000",
            "grade": "一般困难",
            "diagnosis": "肺炎",
            "event_date": "2025-09-01",
            "hospital": "某医院",
        },
        "documents": {
            k: funds_pdf(f"{k}.pdf") for k in ("diagnosis_doc", "bills_doc", "hardship_doc")
        },
    }


@scenario("gonghui.funds.applications.services.application_submit")
def _(w, call):
    f = funds_world(w)
    call(actor=f.member.user, **funds_cert_args(f))


@scenario("gonghui.funds.applications.services.application_submit[finalist]")
def _(w, call):
    from django.utils import timezone

    from gonghui.contests.models import Competition, Entrant, Result, Stage
    from gonghui.contests.models import Programme as Contest
    from gonghui.funds.models import RuleVersion
    from gonghui.people.models import Trade
    from tests.funds.conftest import CERTIFICATE_RULE

    f = funds_world(w)
    now = timezone.now()
    competition = Competition.objects.create(
        programme=Contest.objects.create(
            name="大工匠", year=2025, org_unit=w.tree.city, created_by=w.users.admin
        ),
        org_unit=w.tree.city,
        trade=Trade.objects.first() or Trade.objects.create(code="T-W", name="钳工"),
        name="大工匠·钳工",
        registration_opens_at=now - timedelta(days=2),
        registration_closes_at=now - timedelta(days=1),
    )
    stage = Stage.objects.create(competition=competition, order=1, kind="final", name="决赛")
    entrant = Entrant.objects.create(
        competition=competition,
        person=f.member,
        number=1,
        age=40,
        employer=Unit.objects.create(name="某厂", org_unit=w.tree.city),
        route="self",
    )
    Result.objects.create(
        stage=stage,
        entrant=entrant,
        score="90",
        place=3,
        scheme_version=1,
        computed_at=now,
        revealed_at=now,
    )
    rule = CERTIFICATE_RULE | {"competitions": [{"id": competition.pk, "top_level": "final"}]}
    RuleVersion.objects.create(programme=f.certificate, version=2, rule=rule)
    call(
        actor=f.member.user,
        programme=f.certificate,
        facts={"route": "finalist", "competition": competition.pk},
    )


@scenario("gonghui.funds.applications.services.application_submit[illness]")
def _(w, call):
    f = funds_world(w)
    call(actor=f.member.user, **funds_illness_args(f))


@scenario("gonghui.funds.applications.services.application_decide")
def _(w, call):
    f = funds_world(w)
    call(actor=w.users.cy_grass, application=funds_cert(f), decision="pass")


@scenario("gonghui.funds.applications.services.application_decide[review]")
def _(w, call):
    from gonghui.funds.applications.services import application_decide

    f = funds_world(w)
    app = application_decide(actor=w.users.cy_grass, application=funds_cert(f), decision="pass")
    call(actor=w.users.cy, application=app, decision="pass")


@scenario("gonghui.funds.applications.services.application_decide[approve]")
def _(w, call):
    from gonghui.funds.applications.services import application_decide, application_submit

    f = funds_world(w)
    app = application_submit(actor=f.member.user, **funds_illness_args(f))
    app = application_decide(actor=w.users.cy_grass, application=app, decision="pass")
    call(actor=w.users.cy, application=app, decision="pass")


@scenario("gonghui.funds.applications.services.application_decide[reject]")
def _(w, call):
    f = funds_world(w)
    call(actor=w.users.cy_grass, application=funds_cert(f), decision="reject", note="证书不清晰")


@scenario("gonghui.funds.applications.services.application_withdraw")
def _(w, call):
    f = funds_world(w)
    call(actor=f.member.user, application=funds_cert(f))


@scenario("gonghui.funds.applications.services.document_open")
def _(w, call):
    f = funds_world(w)
    app = funds_cert(f)
    call(
        actor=f.member.user,
        application=app,
        attachment_id=app.facts["documents"]["certificate_doc"],
    )


# --- funds · enrolment: this feature's scenarios below this line ---
#


def enrolment_world(w):
    """Chaoyang's Spring Festival condolence money (enrolled by rule) with this year's
    budget, one model worker in hardship, and a run set up for next January."""
    from gonghui.funds.enrolment.services import run_create
    from gonghui.funds.models import Budget, Hardship, Programme, RuleVersion
    from gonghui.registry.models import Award

    programme = Programme.objects.create(
        code="spring-aw",
        name="春节慰问金",
        kind="condolence",
        entry="enrol",
        org_unit=w.tree.chaoyang,
    )
    RuleVersion.objects.create(
        programme=programme,
        version=1,
        rule={
            "kind": "fixed",
            "amount": 500000,
            "enrol": {"honours": ["beijing-model-worker"], "hardship": ["特别困难"]},
        },
    )
    Budget.objects.create(programme=programme, org_unit=w.tree.chaoyang, year=2026, amount=10**8)
    person = make_person(w.tree.cy_grass, "严秀兰")
    Membership.objects.create(person=person, org_unit=w.tree.cy_grass, joined_on=date(2020, 1, 1))
    Award.objects.create(
        honour=w.honours["beijing-model-worker"], person=person, org_unit=w.tree.cy_grass, year=2010
    )
    Hardship.objects.create(
        person=person, org_unit=w.tree.cy_grass, grade="特别困难", since=date(2024, 1, 1)
    )
    run = run_create(
        actor=w.users.cy,
        programme=programme,
        org_unit=w.tree.chaoyang,
        name="2026年春节慰问",
        year=2026,
    )
    return programme, run


@scenario("gonghui.funds.enrolment.services.run_create")
def _(w, call):
    programme, _run = enrolment_world(w)
    call(actor=w.users.cy, programme=programme, org_unit=w.tree.chaoyang, name="补发", year=2026)


@scenario("gonghui.funds.enrolment.services.run_enrol")
def _(w, call):
    _programme, run = enrolment_world(w)
    call(actor=w.users.cy, run=run)


@scenario("gonghui.funds.enrolment.services.entitlement_cancel")
def _(w, call):
    from gonghui.funds.enrolment.services import run_enrol

    _programme, run = enrolment_world(w)
    run_enrol(actor=w.users.cy, run=run)
    call(actor=w.users.cy, entitlement=run.entitlements.get(), reason="本人已故")


# --- funds · accounts: this feature's scenarios below this line ---
#


def _funds_payee(w):
    """A Chaoyang member with a Ⅱ类 union card and a passbook, as the accounts scenarios
    need them (made directly: these scenarios count the events of one call)."""
    from gonghui.funds.models import PayeeAccount
    from tests.factories import make_member

    person = make_member(w.tree.cy_grass, "高秀兰")
    card = PayeeAccount.objects.create(
        person=person,
        kind="union_card",
        account_class="II",
        bank="北京银行",
        number="6217000010000000003",
        is_default=True,
    )
    passbook = PayeeAccount.objects.create(
        person=person, kind="passbook", bank="北京农商银行", number="622848000000000011"
    )
    return person, card, passbook


def _funds_batch(w):
    """A draft batch of Chaoyang's Spring Festival money with the elder's 12,000元 line
    onto her Ⅱ类 card (over its day: her passbook proposed)."""
    from gonghui.funds.models import Entitlement, PayoutBatch, PayoutLine
    from tests.funds.conftest import CONDOLENCE_RULE, make_programme

    person, card, passbook = _funds_payee(w)
    programme = make_programme(
        "spring", "春节慰问金", "condolence", w.tree.chaoyang, CONDOLENCE_RULE, budget=10**8
    )
    budget = programme.budgets.get()
    budget.year = 2025
    budget.save()
    entitlement = Entitlement.objects.create(
        programme=programme,
        budget=budget,
        person=person,
        org_unit=person.org_unit,
        year=2025,
        amount=1_200_000,
        rule_version=programme.rule_versions.get(),
        payment_id="FR00001P0000000001",
        status="batched",
    )
    batch = PayoutBatch.objects.create(
        programme=programme, org_unit=w.tree.chaoyang, name="2025年春节慰问金", built=True
    )
    line = PayoutLine.objects.create(
        batch=batch, entitlement=entitlement, account=card, amount=1_200_000
    )
    return batch, line, passbook


@scenario("gonghui.funds.accounts.services.account_add")
def _(w, call):
    from tests.factories import make_member

    person = make_member(w.tree.cy_grass, "高秀兰")
    call(
        actor=w.users.cy,
        person=person,
        kind="union_card",
        account_class="I",
        bank="北京银行",
        number="6217000010000000003",
    )


@scenario("gonghui.funds.accounts.services.account_update")
def _(w, call):
    _person, card, _passbook = _funds_payee(w)
    call(actor=w.users.cy, account=card, status="dormant")


@scenario("gonghui.funds.accounts.services.account_reveal")
def _(w, call):
    _person, card, _passbook = _funds_payee(w)
    call(actor=w.users.cy, account=card)


@scenario("gonghui.funds.accounts.services.accounts_status_import")
def _(w, call):
    _funds_payee(w)
    call(actor=w.users.cy, data="6217000010000000003,锁定\n".encode())


@scenario("gonghui.funds.accounts.services.batch_predict")
def _(w, call):
    batch, _line, _passbook = _funds_batch(w)
    call(actor=w.users.cy, batch=batch)


@scenario("gonghui.funds.accounts.services.line_reroute")
def _(w, call):
    _batch, line, passbook = _funds_batch(w)
    call(actor=w.users.cy, line=line, account=passbook)


@scenario("gonghui.funds.accounts.services.batch_reroute")
def _(w, call):
    from gonghui.funds.accounts.services import batch_predict

    batch, _line, _passbook = _funds_batch(w)
    batch_predict(actor=w.users.cy, batch=batch)
    call(actor=w.users.cy, batch=batch)


# --- funds · payouts: this feature's scenarios below this line ---
#
def payouts_world(w):
    from tests.funds.test_payouts_world import build_world, seed_funds

    return build_world(w.tree, w.users, seed_funds(w.tree))


def payouts_failed(w):
    """An exported Spring Festival batch whose bank return failed its first line."""
    from gonghui.funds.payouts.services import returns_import
    from tests.funds.test_payouts_world import return_file

    pw = payouts_world(w)
    batch, _ = pw.exported()
    ids = [e.payment_id for e in pw.entitlements[:3]]
    data = return_file(
        [(ids[0], "失败", "账户已锁定", ""), (ids[1], "成功", "", ""), (ids[2], "成功", "", "")]
    )
    returns_import(actor=w.users.cy, batch=batch, filename="r.csv", data=data)
    return pw, batch, batch.lines.get(status="failed")


@scenario("gonghui.funds.payouts.services.batch_create")
def _(w, call):
    pw = payouts_world(w)
    call(
        actor=w.users.cy, programme=pw.funds.condolence, org_unit=w.tree.chaoyang, name="春节慰问金"
    )


@scenario("gonghui.funds.payouts.services.batch_build")
def _(w, call):
    from gonghui.funds.models import PayoutBatch

    pw = payouts_world(w)
    batch = PayoutBatch.objects.create(
        programme=pw.funds.condolence, org_unit=w.tree.chaoyang, name="续编", created_by=w.users.cy
    )
    call(actor=w.users.cy, batch=batch)


@scenario("gonghui.funds.payouts.services.batch_release")
def _(w, call):
    from tests.funds.test_payouts_world import predict

    pw = payouts_world(w)
    batch = pw.batch()
    predict(batch)
    call(actor=pw.checker, batch=batch)


@scenario("gonghui.funds.payouts.services.batch_export")
def _(w, call):
    pw = payouts_world(w)
    call(actor=w.users.cy, batch=pw.released())


@scenario("gonghui.funds.payouts.services.batch_file")
def _(w, call):
    pw = payouts_world(w)
    batch, exported = pw.exported()
    call(actor=w.users.cy, batch=batch, attachment_id=exported.attachment.pk)


@scenario(
    "gonghui.funds.payouts.services.returns_import",
    "gonghui.funds.payouts.services.returns_import[failed]",
    "gonghui.funds.payouts.services.returns_import[again]",
)
def _(w, call):
    from gonghui.funds.payouts.services import returns_import
    from tests.funds.test_payouts_world import return_file

    pw = payouts_world(w)
    batch, _ = pw.exported()
    ids = [e.payment_id for e in pw.entitlements[:3]]
    failed = "失败" if call.key.endswith("[failed]") else "成功"
    data = return_file(
        [(ids[0], failed, "账户已锁定", ""), (ids[1], "成功", "", ""), (ids[2], "成功", "", "")]
    )
    if call.key.endswith("[again]"):
        returns_import(actor=w.users.cy, batch=batch, filename="r.csv", data=data)
    call(actor=w.users.cy, batch=batch, filename="r.csv", data=data)


@scenario("gonghui.funds.payouts.services.line_reissue")
def _(w, call):
    pw, _, failed = payouts_failed(w)
    passbook = pw.accounts[pw.people[0].pk][1]
    call(actor=w.users.cy, line=failed, account=passbook, note="改用存折")


@scenario("gonghui.funds.payouts.services.line_reissue[cash]")
def _(w, call):
    from tests.funds.test_payouts_world import receipt

    _, _, failed = payouts_failed(w)
    call(actor=w.users.cy, line=failed, cash=True, receipt=receipt(), note="上门送达，本人签收")


@scenario("gonghui.funds.payouts.services.batch_reconcile")
def _(w, call):
    _, batch, _ = payouts_failed(w)
    call(actor=w.users.cy, batch=batch, bank_count=2, bank_total=1_700_000)


# --- funds · reports: this feature's scenarios below this line ---


# --- training · courses: this feature's scenarios below this line ---


def courses_world(w, capacity=30):
    """Chaoyang's published lecture, a session open now, two members with logins."""
    from gonghui.training.models import Course
    from tests.factories import make_member
    from tests.training.conftest import make_session

    course = Course.objects.create(
        name="工匠讲堂", org_unit=w.tree.chaoyang, status="published", created_by=w.users.cy
    )
    session = make_session(course, capacity=capacity, audience=w.tree.chaoyang)
    one = make_member(w.tree.cy_grass, "王建国", username="m_one")
    two = make_member(w.tree.cy_grass, "李秀英", username="m_two")
    return course, session, one, two


def courses_present(w):
    """A session with one member seated and marked present, the clock at its start."""
    from gonghui.training.courses.services import attendance_mark, enrolment_create

    course, session, one, two = courses_world(w)
    enrolment_create(actor=one.user, session=session)
    w.clock.move_to(session.starts_at)
    attendance_mark(actor=w.users.cy, session=session, person=one)
    return session, one


@scenario("gonghui.training.courses.services.course_create")
def _(w, call):
    call(actor=w.users.cy, org_unit=w.tree.chaoyang, name="工匠讲堂", kind="lecture")


@scenario("gonghui.training.courses.services.course_update")
def _(w, call):
    course, *_ = courses_world(w)
    call(actor=w.users.cy, course=course, partner="首都工匠学院（亦庄）")


@scenario("gonghui.training.courses.services.course_publish")
def _(w, call):
    from gonghui.training.models import Course

    course = Course.objects.create(name="新课", org_unit=w.tree.chaoyang, created_by=w.users.cy)
    call(actor=w.users.cy, course=course)


@scenario("gonghui.training.courses.services.course_close")
def _(w, call):
    course, *_ = courses_world(w)
    call(actor=w.users.cy, course=course)


@scenario("gonghui.training.courses.services.session_create")
def _(w, call):
    from datetime import timedelta

    from django.utils import timezone

    course, *_ = courses_world(w)
    now = timezone.now()
    call(
        actor=w.users.cy,
        course=course,
        title="数控加工",
        place="实训楼",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
        capacity=40,
        lecturer_name="王师傅",
        enrol_opens_at=now,
        enrol_closes_at=now + timedelta(days=2),
    )


@scenario("gonghui.training.courses.services.session_update")
def _(w, call):
    _, session, *_ = courses_world(w)
    call(actor=w.users.cy, session=session, capacity=50, lecturer_name="王师傅")


@scenario("gonghui.training.courses.services.session_cancel")
def _(w, call):
    _, session, *_ = courses_world(w)
    call(actor=w.users.cy, session=session, reason="讲师临时出差")


@scenario("gonghui.training.courses.services.enrolment_create")
def _(w, call):
    _, session, one, _ = courses_world(w)
    call(actor=one.user, session=session)


@scenario("gonghui.training.courses.services.enrolment_cancel")
def _(w, call):
    from gonghui.training.courses.services import enrolment_create

    _, session, one, _ = courses_world(w)
    call(actor=one.user, enrolment=enrolment_create(actor=one.user, session=session))


@scenario("gonghui.training.courses.services.enrolment_cancel[promote]")
def _(w, call):
    from gonghui.training.courses.services import enrolment_create

    _, session, one, two = courses_world(w, capacity=1)
    seated = enrolment_create(actor=one.user, session=session)
    enrolment_create(actor=two.user, session=session)
    call(actor=w.users.cy, enrolment=seated)


@scenario("gonghui.training.courses.services.attendance_checkin")
def _(w, call):
    from gonghui.training.courses.checkin import checkin_token
    from gonghui.training.courses.services import enrolment_create

    _, session, one, _ = courses_world(w)
    enrolment_create(actor=one.user, session=session)
    w.clock.move_to(session.starts_at)
    call(actor=one.user, token=checkin_token(session.pk))


@scenario("gonghui.training.courses.services.attendance_mark")
def _(w, call):
    from gonghui.training.courses.services import enrolment_create

    _, session, one, _ = courses_world(w)
    enrolment_create(actor=one.user, session=session)
    w.clock.move_to(session.starts_at)
    call(actor=w.users.cy, session=session, person=one)


@scenario("gonghui.training.courses.services.attendance_bulk")
def _(w, call):
    from gonghui.training.courses.services import enrolment_create

    _, session, one, two = courses_world(w)
    enrolment_create(actor=one.user, session=session)
    enrolment_create(actor=two.user, session=session)
    w.clock.move_to(session.starts_at)
    call(actor=w.users.cy, session=session, people=[one, two])


@scenario("gonghui.training.courses.services.certificates_issue")
def _(w, call):
    session, _ = courses_present(w)
    w.clock.move_to(session.ends_at)
    call(actor=w.users.cy, session=session)


@scenario("gonghui.training.courses.services.certificate_download")
def _(w, call):
    from gonghui.training.courses.services import certificates_issue
    from gonghui.training.models import Certificate

    session, _ = courses_present(w)
    w.clock.move_to(session.ends_at)
    certificates_issue(actor=w.users.cy, session=session)
    call(actor=w.users.cy, certificate=Certificate.objects.get(), check_url="https://x/check/")


@scenario("gonghui.training.courses.services.session_roster_export")
def _(w, call):
    session, _ = courses_present(w)
    call(actor=w.users.cy, session=session)


# --- training · quizzes: this feature's scenarios below this line ---


def _quiz_world(w, *, answered: int = 1, opened: bool = True):
    from gonghui.training.models import Course
    from gonghui.training.quizzes import services as quizzes
    from tests.factories import make_member as make_one_member
    from tests.training.conftest import make_session
    from tests.training.quizzes_support import RIGHT, attend, bank, quiz_for, reset_caches

    reset_caches()
    course = Course.objects.create(
        name="工匠讲堂", org_unit=w.tree.chaoyang, status="published", created_by=w.users.cy
    )
    session = make_session(course)
    people = [make_one_member(w.tree.cy_grass, f"学员{i}") for i in range(answered)]
    attend(session, *people)
    questions = bank(w.users.cy, w.tree.chaoyang)
    quiz = quiz_for(w.users.cy, session, questions)
    if opened:
        quiz = quizzes.quiz_open(actor=w.users.cy, quiz=quiz)
    return SimpleNamespace(
        session=session, people=people, questions=questions, quiz=quiz, right=RIGHT
    )


@scenario("gonghui.training.quizzes.services.question_create")
def _(w, call):
    call(
        actor=w.users.cy,
        org_unit=w.tree.chaoyang,
        kind="true_false",
        text="工会会员有权对工会工作提出批评和建议。",
        answer=[0],
    )


@scenario(
    "gonghui.training.quizzes.services.question_update",
    "gonghui.training.quizzes.services.question_deactivate",
    "gonghui.training.quizzes.services.questions_export",
)
def _(w, call):
    q = _quiz_world(w, answered=0, opened=False).questions[2]
    if call.name == "question_update":
        call(actor=w.users.cy, question=q, kind="true_false", text="改过的题干", answer=[1])
    elif call.name == "question_deactivate":
        call(actor=w.users.cy, question=q)
    else:
        from gonghui.training.quizzes.selectors import question_list

        call(actor=w.users.cy, rows=question_list(w.users.cy))


@scenario(
    "gonghui.training.quizzes.services.quiz_create",
    "gonghui.training.quizzes.services.quiz_open",
)
def _(w, call):
    made = _quiz_world(w, answered=0, opened=False)
    if call.name == "quiz_create":
        call(actor=w.users.cy, session=made.session, title="课后答题", questions=made.questions)
    else:
        call(actor=w.users.cy, quiz=made.quiz)


@scenario(
    "gonghui.training.quizzes.services.quiz_close",
    "gonghui.training.quizzes.services.quiz_close[empty]",
    "gonghui.training.quizzes.services.quiz_close[again]",
    "gonghui.training.quizzes.services.results_export",
)
def _(w, call):
    from gonghui.training.quizzes import answers
    from gonghui.training.quizzes import services as quizzes

    empty = call.key.endswith("[empty]")
    made = _quiz_world(w, answered=0 if empty else 2)
    for person in made.people:
        answers.submit(person_id=person.pk, quiz_id=made.quiz.pk, answers=made.right)
    if call.key.endswith("[again]"):
        quizzes.quiz_close(actor=w.users.cy, quiz=made.quiz)
    call(actor=w.users.cy, quiz=made.quiz)


@scenario("gonghui.training.quizzes.services.quizzes_close_due")
def _(w, call):
    from gonghui.training.quizzes import answers

    made = _quiz_world(w, answered=2)
    for person in made.people:
        answers.submit(person_id=person.pk, quiz_id=made.quiz.pk, answers=made.right)
    with time_machine.travel(made.quiz.closes_at + timedelta(minutes=1)):
        assert call() == 1


@scenario("gonghui.training.quizzes.answers.submit")
def _(w, call):
    from gonghui.training.models import Submission
    from gonghui.training.quizzes import services as quizzes

    made = _quiz_world(w)
    ack = call(person_id=made.people[0].pk, quiz_id=made.quiz.pk, answers=made.right)
    # Not one event per answer: the quiz's close seals its row.
    quizzes.quiz_close(actor=w.users.cy, quiz=made.quiz)
    sealed = AuditEvent.objects.get(action="training.quiz.seal")
    row_id = ack.submission["id"]
    assert sealed.object_id == f"{row_id}-{row_id}"
    rows = quizzes.seal_rows(
        Submission.objects.filter(pk=row_id).values(
            "id", "person_id", "answers", "score", "submitted_at", "elapsed_ms"
        )
    )
    assert json.loads(sealed.body)["changes"]["sha256"][1] == batch_digest(rows)[1]


# --- training · salons: this feature's scenarios below this line ---


def salons_world(w):
    """Chaoyang's company union with 26 members (one the mentor), its salon filed."""
    from tests.training.salons_helpers import applied, crowd

    readers = crowd(w.tree.cy_grass, 26)
    salon = applied(w.users.cy_grass, w.tree.cy_grass, readers[:25], readers[25])
    return SimpleNamespace(readers=readers, salon=salon)


def salons_approved(w):
    from gonghui.training.salons.services import salon_decide

    s = salons_world(w)
    s.salon = salon_decide(actor=w.users.cy, salon=s.salon, decision="approve")
    return s


@scenario("gonghui.training.salons.services.salon_apply")
def _(w, call):
    from tests.training.salons_helpers import crowd

    readers = crowd(w.tree.cy_grass, 26)
    call(
        actor=w.users.cy_grass,
        org_unit=w.tree.cy_grass,
        name="书香读书会",
        year=2025,
        mentor=readers[25],
        members=readers[:25],
        requested="5000",
    )


@scenario("gonghui.training.salons.services.salon_apply[reapply]")
def _(w, call):
    from gonghui.training.salons.services import salon_decide

    s = salons_world(w)
    salon = salon_decide(actor=w.users.cy, salon=s.salon, decision="reject", note="成员名单不全")
    call(
        actor=w.users.cy_grass,
        salon=salon,
        name="书香读书会",
        year=2025,
        mentor=s.readers[25],
        members=s.readers[:25],
    )


@scenario("gonghui.training.salons.services.salon_decide")
def _(w, call):
    call(actor=w.users.cy, salon=salons_world(w).salon, decision="approve", granted="3000")


@scenario("gonghui.training.salons.services.salon_decide[reject]")
def _(w, call):
    call(actor=w.users.cy, salon=salons_world(w).salon, decision="reject", note="导师资质不符")


@scenario("gonghui.training.salons.services.salon_members_add")
def _(w, call):
    from tests.training.salons_helpers import crowd

    s = salons_approved(w)
    call(actor=w.users.cy_grass, salon=s.salon, members=crowd(w.tree.cy_grass, 1, start=60))


@scenario("gonghui.training.salons.services.salon_member_remove")
def _(w, call):
    from gonghui.training.salons.services import salon_members_add
    from tests.training.salons_helpers import crowd

    s = salons_approved(w)
    extra = crowd(w.tree.cy_grass, 1, start=60)
    salon_members_add(actor=w.users.cy_grass, salon=s.salon, members=extra)
    call(actor=w.users.cy_grass, salon=s.salon, person=extra[0])


@scenario("gonghui.training.salons.services.salon_meeting_report")
def _(w, call):
    s = salons_approved(w)
    png = SimpleUploadedFile("合影.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    call(
        actor=w.users.cy_grass,
        salon=s.salon,
        held_on=date(2025, 9, 20),
        book="《平凡的世界》",
        attendance=20,
        photos=[png],
    )


# --- training · studios: this feature's scenarios below this line ---


def studio_world(w, status="active"):
    """A Chaoyang studio (made directly) with its leader, a member of its union."""
    from gonghui.people.models import Unit
    from gonghui.registry.models import Studio
    from tests.factories import make_member

    leader = make_member(w.tree.cy_grass, "王建国")
    return Studio.objects.create(
        name="王建国焊接创新工作室",
        employer=Unit.objects.create(name="朝阳某焊接厂", org_unit=w.tree.cy_grass),
        leader=leader,
        org_unit=w.tree.cy_grass,
        status=status,
        kind="craftsman",
        level="district",
        founded_year=2018,
    )


STUDIO_REPORT = {
    "year": "2024",
    "patents": [{"number": "ZL202310123456.7", "title": "一种焊缝跟踪装置"}],
    "innovations": "3",
    "benefit": "1000000",
}


def studio_report(w, studio):
    from gonghui.training.studios.services import studio_report_submit

    return studio_report_submit(actor=w.users.cy_grass, studio=studio, **STUDIO_REPORT)


@scenario("gonghui.training.studios.services.studio_register")
def _(w, call):
    from gonghui.people.models import Unit

    call(
        actor=w.users.cy,
        org_unit=w.tree.cy_grass,
        name="朝阳职工创新工作室",
        kind="worker",
        level="district",
        employer=Unit.objects.create(name="朝阳某厂", org_unit=w.tree.cy_grass),
        founded_year=2020,
    )


@scenario("gonghui.training.studios.services.studio_update")
def _(w, call):
    call(actor=w.users.cy, studio=studio_world(w), trade="焊接")


@scenario("gonghui.training.studios.services.studio_accept")
def _(w, call):
    call(actor=w.users.cy, studio=studio_world(w, "offered"), level="district")


@scenario("gonghui.training.studios.services.studio_decline")
def _(w, call):
    call(actor=w.users.cy, studio=studio_world(w, "offered"), reason="单位改制")


@scenario("gonghui.training.studios.services.studio_member_add")
def _(w, call):
    from tests.factories import make_member

    call(actor=w.users.cy, studio=studio_world(w), person=make_member(w.tree.cy_grass, "李秀英"))


@scenario("gonghui.training.studios.services.studio_member_remove")
def _(w, call):
    from gonghui.training.studios.services import studio_member_add
    from tests.factories import make_member

    studio = studio_world(w)
    member = studio_member_add(
        actor=w.users.cy, studio=studio, person=make_member(w.tree.cy_grass, "李秀英")
    )
    call(actor=w.users.cy, member=member)


@scenario("gonghui.training.studios.services.studio_report_submit")
def _(w, call):
    call(actor=w.users.cy_grass, studio=studio_world(w), **STUDIO_REPORT)


@scenario("gonghui.training.studios.services.studio_report_update")
def _(w, call):
    from gonghui.training.studios.services import studio_report_review

    report = studio_report(w, studio_world(w))
    report = studio_report_review(actor=w.users.cy, report=report, decision="return", note="补材料")
    call(actor=w.users.cy_grass, report=report, **STUDIO_REPORT)


@scenario("gonghui.training.studios.services.studio_report_review")
def _(w, call):
    call(actor=w.users.cy, report=studio_report(w, studio_world(w)), decision="approve")


@scenario("gonghui.training.studios.services.studios_export")
def _(w, call):
    studio_world(w)
    call(actor=w.users.cy, filters={"kind": "craftsman"})


# --- training · outreach: this feature's scenarios below this line ---
#
def outreach_world(w):
    from tests.training.outreach_world import make_outreach

    return make_outreach(w.tree, w.users, w.honours)


def outreach_talk(w, o, *, confirmed=False):
    from gonghui.training.outreach.services import talk_book, talk_confirm

    talk = talk_book(
        actor=w.users.cy_grass,
        team=o.cy_team,
        org_unit=w.tree.cy_grass,
        on=date(2025, 9, 22),
        topic="劳模精神进企业",
        place="礼堂",
    )
    if confirmed:
        talk = talk_confirm(actor=w.users.cy, talk=talk, speaker=o.cy_speaker)
    return talk


def outreach_problem(w, o, *, answered=False):
    from gonghui.training.outreach.services import problem_answer, problem_raise

    problem = problem_raise(
        actor=w.users.cy, visit=o.visit, text="班车少", assignee=w.tree.cy_grass
    )
    if answered:
        problem = problem_answer(actor=w.users.cy_grass, problem=problem, answer="已增开")
    return problem


def outreach_alliance(w):
    from gonghui.training.outreach.services import alliance_create

    return alliance_create(
        actor=w.users.cy, org_unit=w.tree.chaoyang, name="朝阳区劳模联盟", kind="model_workers"
    )


@scenario("gonghui.training.outreach.services.team_create")
def _(w, call):
    call(actor=w.users.cy, org_unit=w.tree.chaoyang, name="朝阳区劳模工匠宣讲团")


@scenario("gonghui.training.outreach.services.team_update")
def _(w, call):
    call(actor=w.users.cy, team=outreach_world(w).cy_team, description="八名劳模工匠")


@scenario("gonghui.training.outreach.services.speaker_add")
def _(w, call):
    o = outreach_world(w)
    call(actor=w.users.cy, team=o.cy_team, person=o.craftsman, topics="航天焊接")


@scenario("gonghui.training.outreach.services.speaker_remove")
def _(w, call):
    call(actor=w.users.cy, speaker=outreach_world(w).cy_speaker)


@scenario("gonghui.training.outreach.services.talk_book")
def _(w, call):
    o = outreach_world(w)
    call(
        actor=w.users.cy_grass,
        team=o.cy_team,
        org_unit=w.tree.cy_grass,
        on=date(2025, 10, 9),
        topic="劳模精神进企业",
        place="礼堂",
        expected=100,
    )


@scenario("gonghui.training.outreach.services.talk_confirm")
def _(w, call):
    o = outreach_world(w)
    call(actor=w.users.cy, talk=outreach_talk(w, o), speaker=o.cy_speaker)


@scenario("gonghui.training.outreach.services.talk_cancel")
def _(w, call):
    call(actor=w.users.cy, talk=outreach_talk(w, outreach_world(w)), reason="场地冲突")


@scenario("gonghui.training.outreach.services.talk_report")
def _(w, call):
    talk = outreach_talk(w, outreach_world(w), confirmed=True)
    call(actor=w.users.cy_grass, talk=talk, attendance=96)


@scenario("gonghui.training.outreach.services.visit_create")
def _(w, call):
    o = outreach_world(w)
    call(
        actor=w.users.cy,
        org_unit=w.tree.chaoyang,
        enterprise=o.company,
        on=date(2025, 9, 22),
        participants="区总工会主席",
    )


@scenario("gonghui.training.outreach.services.visit_advance")
def _(w, call):
    call(actor=w.users.cy, visit=outreach_world(w).visit, to="forum", notes="座谈会")


@scenario("gonghui.training.outreach.services.problem_raise")
def _(w, call):
    o = outreach_world(w)
    call(actor=w.users.cy, visit=o.visit, text="食堂拥挤", assignee=w.tree.cy_grass)


@scenario("gonghui.training.outreach.services.problem_answer")
def _(w, call):
    problem = outreach_problem(w, outreach_world(w))
    call(actor=w.users.cy_grass, problem=problem, answer="错峰就餐")


@scenario("gonghui.training.outreach.services.problem_close")
def _(w, call):
    problem = outreach_problem(w, outreach_world(w), answered=True)
    call(actor=w.users.cy, problem=problem, told_how="电话告知")


@scenario("gonghui.training.outreach.services.problem_assign")
def _(w, call):
    problem = outreach_problem(w, outreach_world(w), answered=True)
    call(actor=w.users.cy, problem=problem, assignee=w.tree.cy_street, days=5)


@scenario("gonghui.training.outreach.services.alliance_create")
def _(w, call):
    call(
        actor=w.users.cy,
        org_unit=w.tree.chaoyang,
        name="朝阳区重点企业工会联谊会",
        kind="enterprises",
        founded_on=date(2021, 12, 1),
    )


@scenario("gonghui.training.outreach.services.alliance_update")
def _(w, call):
    call(actor=w.users.cy, alliance=outreach_alliance(w), description="劳模交流平台")


@scenario("gonghui.training.outreach.services.alliance_member_add")
def _(w, call):
    o = outreach_world(w)
    call(actor=w.users.cy, alliance=outreach_alliance(w), person=o.model_worker)


@scenario("gonghui.training.outreach.services.alliance_member_remove")
def _(w, call):
    from gonghui.training.outreach.services import alliance_member_add

    o = outreach_world(w)
    member = alliance_member_add(
        actor=w.users.cy, alliance=outreach_alliance(w), person=o.model_worker
    )
    call(actor=w.users.cy, member=member)


@scenario("gonghui.training.outreach.services.alliance_activity_add")
def _(w, call):
    call(
        actor=w.users.cy,
        alliance=outreach_alliance(w),
        on=date(2025, 9, 19),
        title="劳模座谈会",
        kind="座谈",
        participants=25,
    )


# --- web: a list's export ---


@scenario("gonghui.web.services.list_export")
def _(w, call):
    call(
        actor=w.users.cy,
        list_name="web:person_list",
        filters={"q": "张"},
        title="人员会籍",
        headers=["姓名", "身份证号"],
        rows=[["张三", "11**************2X"]],
    )


# --- backup: a set written, restored, drilled (the sets themselves: tests/backup) ---


def backup_set(w):
    from gonghui.backup import sets

    path = Path(w.settings.MEDIA_ROOT).parent / "backups" / "20250922-100000"
    path.mkdir(parents=True)
    data = {
        "parts": [{"path": "database.sqlite3", "kind": "database", "size": 1, "sha256": ""}],
        "missing": [],
    }
    (path / sets.MANIFEST).write_text(json.dumps(data))
    return sets.Manifest(data, path)


@scenario("gonghui.backup.services.backup_record")
def _(w, call):
    call(manifest=backup_set(w))


@scenario("gonghui.backup.services.restore_record")
def _(w, call):
    call(manifest=backup_set(w), files=0)


@scenario("gonghui.backup.services.drill_record")
def _(w, call):
    from gonghui.backup.drill import DrillReport

    call(report=DrillReport(backup_set(w).path))


# --- factors · the second factor ---


def _factor_code(user) -> str:
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).latest("pk")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


@scenario("gonghui.factors.services.totp_confirm")
def _(w, call):
    from gonghui.factors.services import totp_start

    device = totp_start(actor=w.users.hd)
    call(actor=w.users.hd, device_id=device.pk, code=_factor_code(w.users.hd), name="手机")


@scenario("gonghui.factors.services.passkey_registered")
def _(w, call):
    call(actor=w.users.hd, device=SimpleNamespace(name="笔记本指纹"))


def _factor_app(user) -> list[str]:
    """An enrolled authenticator app (and the first recovery codes), before the call."""
    from gonghui.factors.services import totp_confirm, totp_start

    device = totp_start(actor=user)
    codes = totp_confirm(actor=user, device_id=device.pk, code=_factor_code(user))
    device.last_t = -1  # the scenario's own code may fall in the same 30 s step
    device.save(update_fields=["last_t"])
    return codes


@scenario("gonghui.factors.services.factor_check")
def _(w, call):
    _factor_app(w.users.hd)
    call(actor=w.users.hd, code=_factor_code(w.users.hd))


@scenario("gonghui.factors.services.factor_check[recovery]")
def _(w, call):
    codes = _factor_app(w.users.hd)
    call(actor=w.users.hd, code=codes[0])


@scenario("gonghui.factors.services.factor_check[wrong]")
def _(w, call):
    from gonghui.common.errors import ValidationFailed

    _factor_app(w.users.hd)
    with pytest.raises(ValidationFailed):
        call(actor=w.users.hd, code="000000" if _factor_code(w.users.hd) != "000000" else "111111")


@scenario("gonghui.factors.services.passkey_verified")
def _(w, call):
    from django_otp_webauthn.models import WebAuthnCredential

    device = WebAuthnCredential(user=w.users.hd, name="手机通行密钥")  # as the library found it
    call(actor=w.users.hd, device=device)


@scenario("gonghui.factors.services.recovery_codes_generate")
def _(w, call):
    _factor_app(w.users.hd)
    call(actor=w.users.hd)


@scenario("gonghui.factors.services.factor_remove")
def _(w, call):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _factor_app(w.users.cy_street)  # optional for a street post: the last one may go
    device = TOTPDevice.objects.get(user=w.users.cy_street)
    call(actor=w.users.cy_street, kind="totp", pk=device.pk)


@scenario("gonghui.factors.services.factors_reset")
def _(w, call):
    _factor_app(w.users.hd)
    sec_admin = make_user("sec_t", w.tree.city, "sec_admin")  # the security administrator's
    call(actor=sec_admin, username="hd_staff", reason="手机丢失，本人到场核实")
