"""What reaches the log from the web (sign-in, sign-out, unmasked views), and who reads it."""

import json
import re
from pathlib import Path

import pytest

from gonghui.audit import services
from gonghui.audit.actions import ACTION_LABELS, Action
from gonghui.audit.models import AuditEvent
from gonghui.nominations.workflow import TRANSITIONS
from gonghui.orgs.models import Post
from gonghui.perks.cards.services import MOVES
from tests.factories import PASSWORD, VALID_IDS, make_person, make_user

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


# --- Sign-in, sign-out ------------------------------------------------------------------------


def test_login_and_logout_are_recorded(client, users):
    response = client.post("/login/", {"username": "cy_staff", "password": PASSWORD})
    assert response.status_code == 302
    response = client.post("/logout/")
    assert response.status_code == 302

    login, logout = AuditEvent.objects.order_by("seq")
    for event, action in ((login, "auth.login"), (logout, "auth.logout")):
        assert event.action == action
        assert (event.actor_id, event.actor_name) == (users.cy.pk, "cy_staff")
        assert (event.object_type, event.object_id) == ("auth.user", str(users.cy.pk))
        assert event.ip == "127.0.0.1"
    assert services.verify_stream().ok


def test_test_client_login_is_recorded_too(client, users):
    assert client.login(username="auditor_t", password=PASSWORD)
    client.logout()

    assert actions() == ["auth.login", "auth.logout"]


def test_a_failed_login_is_recorded_without_the_password(client, users):
    wrong = "Wrong-passw0rd-xyz"
    response = client.post(
        "/login/", {"username": "cy_staff", "password": wrong}, REMOTE_ADDR="10.2.3.4"
    )
    assert response.status_code == 200  # the form again, with its error

    event = AuditEvent.objects.get()
    assert event.action == "auth.login_failed"
    assert (event.actor_id, event.actor_name) == (None, "")
    assert (event.object_type, event.object_id, event.ip) == ("auth.user", "cy_staff", "10.2.3.4")
    assert wrong not in event.body
    assert json.loads(event.body)["ip"] == "10.2.3.4"


def test_a_failed_login_for_an_unknown_name_is_recorded(client, db):
    client.post("/login/", {"username": "ghost", "password": "whatever-1A"})

    assert AuditEvent.objects.get().object_id == "ghost"


# --- Unmasked personal data -------------------------------------------------------------------


@pytest.fixture
def person(tree):
    return make_person(tree.cy_grass, name="钱红", id_number=VALID_IDS[3], phone="13611112222")


def test_revealing_an_id_number_is_recorded(client, users, tree, person):
    client.force_login(users.cy)  # district staff: people.view_pii in Chaoyang
    response = client.post(f"/people/{person.pk}/reveal/id_number/", REMOTE_ADDR="10.0.0.7")

    assert response.status_code == 200
    assert VALID_IDS[3] in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="pii.reveal")
    assert (event.actor_id, event.actor_name) == (users.cy.pk, "cy_staff")
    assert event.post_id == Post.objects.get(user=users.cy).pk
    assert (event.object_type, event.object_id) == ("people.person", str(person.pk))
    assert (event.org_unit_id, event.ip) == (tree.cy_grass.pk, "10.0.0.7")
    assert json.loads(event.body)["changes"] == {"field": [None, "id_number"]}
    assert VALID_IDS[3] not in event.body


def test_revealing_through_the_api_is_recorded(client, users, person):
    client.force_login(users.cy)
    response = client.post(
        f"/api/v1/people/{person.pk}/reveal",
        {"field": "phone"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert "13611112222" in response.content.decode()
    event = AuditEvent.objects.get(action="pii.reveal")
    assert json.loads(event.body)["changes"] == {"field": [None, "phone"]}


def test_a_refused_reveal_records_nothing(client, users, person):
    client.force_login(users.cy_street)  # street staff: no people.view_pii
    assert client.post(f"/people/{person.pk}/reveal/id_number/").status_code == 403
    client.force_login(users.hd)  # Haidian: cannot even see a Chaoyang person
    assert client.post(f"/people/{person.pk}/reveal/id_number/").status_code == 404
    client.force_login(users.cy)
    assert client.get(f"/people/{person.pk}/reveal/id_number/").status_code == 405

    assert "pii.reveal" not in actions()


# --- Reading the log ----------------------------------------------------------------------------


@pytest.fixture
def log(users, tree):
    """Events in Chaoyang, in Haidian and in no unit, by several actors."""
    services.record(actor=users.cy, action="people.create", org_unit_id=tree.cy_grass.pk)
    services.record(
        actor=users.cy,
        action="people.update",
        object_type="people.person",
        object_id="17",
        org_unit_id=tree.cy_grass.pk,
    )
    services.record(
        actor=users.hd, action="orgs.update", obj=tree.hd_street, org_unit_id=tree.hd_street.pk
    )
    services.record(actor=None, action="auth.login_failed", object_type="auth.user", object_id="x")
    services.record(
        actor=users.admin, action="pii.reveal", obj=tree.chaoyang, org_unit_id=tree.chaoyang.pk
    )


def page_seqs(client, query: str = "") -> list[int]:
    response = client.get(f"/audit/{query}")
    assert response.status_code == 200
    return [event.seq for event in response.context["page"]]


def api_seqs(client, query: str = "") -> list[int]:
    response = client.get(f"/api/v1/audit/events{query}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == len(data["items"])
    return [item["seq"] for item in data["items"]]


@pytest.mark.parametrize("read", [page_seqs, api_seqs], ids=["page", "api"])
def test_the_auditor_reads_and_filters_the_log(client, users, log, read):
    client.force_login(users.auditor)  # recorded too: seq 6

    assert read(client) == [6, 5, 4, 3, 2, 1]
    assert read(client, "?actor_name=auditor_t&action=auth.") == [6]
    assert read(client, "?actor_name=cy_staff") == [2, 1]
    assert read(client, "?action=people.") == [2, 1]  # a prefix: a whole family of actions
    assert read(client, "?action=pii.reveal") == [5]
    assert read(client, "?object_type=people.person&object_id=17") == [2]
    assert read(client, "?object_type=orgs.orgunit") == [5, 3]
    assert read(client, "?actor_name=nobody") == []


def test_the_page_shows_the_events(client, users, log):
    client.force_login(users.auditor)
    page = client.get("/audit/?actor_name=hd_staff").content.decode()

    assert 'title="orgs.update"' in page and "hd_staff" in page  # a row's action code
    assert 'title="people.create"' not in page


def test_the_api_gives_each_event_with_its_hash(client, users, tree, log):
    client.force_login(users.auditor)
    [item] = client.get("/api/v1/audit/events?action=orgs.update").json()["items"]

    assert item["hash"] == AuditEvent.objects.get(seq=3).hash
    assert item["stream"] == "platform"
    assert (item["actor_name"], item["action"]) == ("hd_staff", "orgs.update")
    assert (item["object_type"], item["object_id"]) == ("orgs.orgunit", str(tree.hd_street.pk))
    assert item["org_unit_id"] == tree.hd_street.pk


def test_a_district_auditor_reads_only_the_district(client, tree, log):
    make_user("cy_auditor", tree.chaoyang, "auditor")
    client.login(username="cy_auditor", password=PASSWORD)  # itself recorded (seq 6)

    expected = [5, 2, 1]  # Chaoyang's events; not Haidian's, nor those of no unit
    assert page_seqs(client) == expected
    assert api_seqs(client) == expected


@pytest.mark.parametrize("who", ["cy", "cy_street", "nopost"])
def test_staff_without_audit_view_get_not_found(client, users, log, who):
    client.force_login(getattr(users, who))

    assert client.get("/audit/").status_code == 404
    response = client.get("/api/v1/audit/events")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_anonymous_visitors_are_sent_to_sign_in(client, log):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert client.get("/api/v1/audit/events").status_code == 401


def test_the_audit_page_names_actions_in_chinese(client, users, log):
    client.force_login(users.auditor)
    page = client.get("/audit/").content.decode()
    assert "查看完整个人信息" in page and 'title="pii.reveal"' in page
    # The filter offers the actions and the object types by their Chinese names.
    assert '<option value="people.">人员会籍（全部）</option>' in page
    assert '<option value="pii.reveal">查看完整个人信息</option>' in page
    assert '<option value="people.person">人员</option>' in page
    assert not re.search(r'<option value="[^"]+">[a-z_.]+</option>', page)
    # A code that names no action is a message next to the filter, never every event.
    response = client.get("/audit/?action=no.such")
    assert response.status_code == 200 and list(response.context["page"]) == []


def test_every_recorded_action_has_a_chinese_name():
    """Actions come from one typed registry (``Action``, each with its Chinese name): no
    source passes a code as a bare string, and the codes built at run time name members."""
    src = Path(__file__).resolve().parents[2] / "src" / "gonghui"
    pattern = re.compile(r'(?:action=|_record_unit\(actor, )f?"([a-z_{}]+\.[a-z_.{}]+)"')
    literal = {
        f"{path.relative_to(src)}: {code}"
        for path in src.rglob("*.py")
        for code in pattern.findall(path.read_text("utf-8"))
    }
    assert sorted(literal) == [], "name these as Action members (gonghui/audit/actions.py)"
    built = {f"nominations.{action}" for action in TRANSITIONS}  # recorded by name
    built |= {f"perks.card_{name}" for name in MOVES} | {"perks.claim.seal"}
    assert sorted(built - set(ACTION_LABELS)) == []
    # A member declared without a label gets an English one made from its name: each label
    # must be Chinese.
    assert [
        c for c, label in ACTION_LABELS.items() if not re.search(r"[\u4e00-\u9fff]", label)
    ] == []
    assert {Action.ORGS_CREATE, Action.PII_REVEAL, Action.AUTH_LOGIN} <= set(ACTION_LABELS)


def test_only_city_wide_auditors_verify_the_whole_chain(client, tree, users, log):
    make_user("cy_auditor", tree.chaoyang, "auditor")  # audit.export, in Chaoyang only
    client.login(username="cy_auditor", password=PASSWORD)

    assert "校验审计链" not in client.get("/audit/").content.decode()
    assert client.post("/audit/verify/").status_code == 404
    client.force_login(users.auditor)
    assert "校验审计链" in client.get("/audit/").content.decode()
    assert "校验通过" in client.post("/audit/verify/").content.decode()


def test_the_audit_page_shows_the_signing_key_fingerprint(client, tree, users, log):
    """What an outsider compares on paper and passes to verifier.py --key."""
    make_user("cy_auditor", tree.chaoyang, "auditor")
    (kid, printed), *_ = services.key_fingerprints()
    for who in ("cy_auditor", "auditor_t"):
        client.login(username=who, password=PASSWORD)
        page = client.get("/audit/").content.decode()
        assert f"{kid} <code>{printed}</code>（当前）" in page
    assert len(printed) == 39 and printed.count(" ") == 7
