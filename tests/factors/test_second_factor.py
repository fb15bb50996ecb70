"""The second factor (issue #21 point 3): who must pass it, the sign-in with each factor,
refusals (wrong, replayed, expired, used, too many), enrolment, removal, reset, and the one
gate in front of the pages, the admin and the session's API calls."""

import json
import re
import time

import pytest
import time_machine
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from gonghui.audit.models import AuditEvent
from gonghui.factors import services
from gonghui.factors.models import RecoveryCode, RecoveryDevice
from gonghui.factors.selectors import need
from gonghui.orgs.models import Post, Role
from gonghui.orgs.services import token_create
from gonghui.people.models import Person
from tests.factories import PASSWORD, make_person, make_user

pytestmark = pytest.mark.django_db


def now_code(device, shift: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + shift * device.step
    return f"{totp.token():0{device.digits}d}"


def password_step(username: str, next_url: str = "") -> tuple[Client, object]:
    """A fresh browser that gave the right password on the login page."""
    client = Client()
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post("/login/", data)
    assert response.status_code == 302, response.content.decode()[:500]
    return client, response


def app_of(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="手机", confirmed=True)


def unthrottle(device) -> None:
    """django-otp's wait after a wrong code (1 s, then 2, 4 ...) passed."""
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)


def events(action: str, **kw):
    return AuditEvent.objects.filter(action=action, **kw)


# --- Who ------------------------------------------------------------------------------------


def test_required_for_city_district_personal_data_and_the_three_admins(tree, users):
    assert need(users.admin).required  # a city post
    assert need(users.cy).required  # a district post (also people.view_pii)
    assert need(users.auditor).required  # a city post
    assert need(users.cy_street).staff and not need(users.cy_street).required
    assert need(users.cy_grass).staff and not need(users.cy_grass).required
    # A street post whose role may reveal personal data: required.
    revealing = Role.objects.create(
        code="street_pii", name="街道个人信息", permissions=["people.view_pii"]
    )
    street_pii = make_user("street_pii", tree.cy_street, "street_staff")
    Post.objects.filter(user=street_pii).update(role=revealing)
    assert need(street_pii).required
    # A staff-made role holding an administrator's power, wherever it sits: required.
    accounts = Role.objects.create(
        code="street_acc", name="街道账号", permissions=["accounts.manage"]
    )
    street_acc = make_user("street_acc", tree.cy_street, "street_staff")
    Post.objects.filter(user=street_acc).update(role=accounts)
    assert need(street_acc).required
    # The three administrators' role codes: required wherever the post sits.
    for code in ("sys_admin", "sec_admin", "audit_admin"):
        Role.objects.get_or_create(code=code, defaults={"name": code, "permissions": []})
        admin = make_user(f"u_{code}", tree.cy_grass, "grassroots_staff")
        Post.objects.filter(user=admin).update(role=Role.objects.get(code=code))
        assert need(admin).required, code
    # Members, judges, accounts without a post (counter accounts): not staff at all.
    member = make_user("member_x", tree.cy_grass, "member")
    assert not need(member).staff and not need(users.nopost).staff


def test_a_required_account_can_open_nothing_but_enrolment_and_sign_out(users):
    client, response = password_step("hd_staff", "/people/")
    assert response["Location"] == "/factors/?next=%2Fpeople%2F"
    for url in ("/", "/people/", "/orgs/", "/audit/", "/tokens/", "/factors/verify/"):
        assert client.get(url)["Location"].startswith("/factors/"), url
    assert client.get("/factors/").status_code == 200
    assert client.get("/factors/totp/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_optional_staff_and_members_keep_the_simpler_sign_in(tree, users):
    client, response = password_step("cy_street")
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    member = make_user("member_m", None, None)
    Person.objects.filter(pk=make_person(tree.cy_grass, "会员甲").pk).update(user=member)
    client, response = password_step("member_m")
    assert client.get("/me/").status_code == 200
    assert client.get("/factors/").status_code == 404  # nothing to enrol
    assert not TOTPDevice.objects.filter(user=member).exists()


# --- Enrolment ------------------------------------------------------------------------------


def test_enrol_an_app_then_recovery_codes_shown_once_and_stored_hashed(users):
    client, _ = password_step("hd_staff")
    page = client.get("/factors/totp/").content.decode()
    assert "<svg" in page and 'id="totp-secret"' in page
    device = TOTPDevice.objects.get(user=users.hd, confirmed=False)

    wrong = client.post("/factors/totp/", {"code": "000000", "name": "我的手机"})
    assert "验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=users.hd, confirmed=True).exists()
    assert not events("factors.enrol").exists()

    unthrottle(device)
    done = client.post("/factors/totp/", {"code": now_code(device), "name": "我的手机"})
    assert done["Location"] == "/factors/recovery/"
    shown = client.get("/factors/recovery/").content.decode()
    codes = re.findall(r"<code>([A-Z0-9-]{19})</code>", shown)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & stored
    assert client.get("/factors/recovery/")["Location"] == "/factors/"  # once only
    assert client.get("/").status_code == 200  # enrolled and verified in this session
    enrol = events("factors.enrol", object_id=str(users.hd.pk)).get()
    assert json.loads(enrol.body)["changes"] == {"方式": [None, "验证器应用：我的手机"]}
    assert events("factors.recovery_codes").count() == 1


# --- Sign-in with each factor ----------------------------------------------------------------


def test_sign_in_with_an_app_code_and_refusals(users):
    device = app_of(users.hd)
    client, response = password_step("hd_staff", "/people/")
    assert response["Location"] == "/factors/verify/?next=%2Fpeople%2F"
    assert client.get("/people/")["Location"].startswith("/factors/verify/")

    wrong = client.post("/factors/verify/", {"code": "123456", "next": "/people/"})
    assert "验证码不正确" in wrong.content.decode()
    unthrottle(device)
    expired = client.post("/factors/verify/", {"code": now_code(device, -4), "next": "/people/"})
    assert "验证码已过期" in expired.content.decode()
    assert client.get("/people/").status_code == 302  # still not through
    assert events("factors.failed").count() == 2

    unthrottle(device)
    code = now_code(device)
    ok = client.post("/factors/verify/", {"code": code, "next": "/people/"})
    assert ok["Location"] == "/people/"
    assert client.get("/people/").status_code == 200
    assert events("factors.verified", actor_id=users.hd.pk).count() == 1

    # The same code again (another browser, the same 30 seconds): replayed.
    other, _ = password_step("hd_staff")
    replay = other.post("/factors/verify/", {"code": code})
    assert "已经用过" in replay.content.decode()
    assert other.get("/").status_code == 302


def test_an_expired_code_under_a_moving_clock(users):
    device = app_of(users.hd)
    with time_machine.travel("2026-03-02 09:00:00 +0800", tick=False) as clock:
        code = now_code(device)
        client, _ = password_step("hd_staff")
        clock.shift(120)  # four steps later
        response = client.post("/factors/verify/", {"code": code})
        assert "验证码已过期" in response.content.decode()
        assert client.get("/").status_code == 302


def test_sign_in_with_a_recovery_code_once(users):
    codes = services.totp_confirm(
        actor=users.hd,
        device_id=services.totp_start(actor=users.hd).pk,
        code=now_code(TOTPDevice.objects.get(user=users.hd)),
    )
    client, _ = password_step("hd_staff")
    ok = client.post("/factors/verify/", {"code": codes[3].lower()})
    assert ok["Location"] == "/"
    assert client.get("/").status_code == 200
    assert events("factors.recovery_used").count() == 1
    assert RecoveryDevice.objects.get(user=users.hd).unused() == 9

    again, _ = password_step("hd_staff")
    used = again.post("/factors/verify/", {"code": codes[3]})
    assert "恢复码已经用过" in used.content.decode()
    assert again.get("/").status_code == 302
    assert RecoveryDevice.objects.get(user=users.hd).unused() == 9


def test_wrong_codes_lock_the_second_step(users, settings):
    device = app_of(users.hd)
    client, _ = password_step("hd_staff")
    for _ in range(settings.LOGIN_MAX_FAILURES):
        client.post("/factors/verify/", {"code": "000000"})
    unthrottle(device)  # django-otp's own wait aside: the account's lock-out holds
    locked = client.post("/factors/verify/", {"code": now_code(device)})
    assert "失败次数过多" in locked.content.decode()
    assert client.get("/").status_code == 302


def test_django_otp_throttling_makes_each_device_wait(users):
    device = app_of(users.hd)
    client, _ = password_step("hd_staff")
    client.post("/factors/verify/", {"code": "000000"})
    client.post("/factors/verify/", {"code": "000000"})
    response = client.post("/factors/verify/", {"code": now_code(device)})
    assert "秒后再试" in response.content.decode()


# --- The admin site and the API -------------------------------------------------------------


def test_the_admin_and_session_api_calls_need_the_second_factor(users):
    app_of(users.admin)
    client, _ = password_step("admin_t")
    assert client.get("/admin/")["Location"].startswith("/factors/verify/")
    api = client.get("/api/v1/orgs/")
    assert api.status_code == 403 and api.json()["code"] == "second_factor"
    # A bearer token is a machine's credential: unaffected.
    raw = token_create(actor=users.admin, name="对接")[1]
    machine = Client().get("/api/v1/orgs/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert machine.status_code == 200


# --- Removal and reset ----------------------------------------------------------------------


def test_the_last_factor_of_a_required_account_cannot_be_removed(users):
    client = Client()
    client.force_login(users.hd)  # verified by its one factor, the test device
    device = TOTPDevice.objects.get(user=users.hd)
    response = client.post("/factors/remove/", {"kind": "totp", "pk": device.pk}, follow=True)
    assert "不能删除最后一个" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not events("factors.remove").exists()
    other = TOTPDevice.objects.create(user=users.cy, name="别人的", confirmed=True)
    assert client.post("/factors/remove/", {"kind": "totp", "pk": other.pk}).status_code == 302
    assert TOTPDevice.objects.filter(pk=other.pk).exists()  # not one's own: nothing happens


def test_optional_staff_remove_a_factor(users):
    client = Client()
    client.force_login(users.cy_street)  # holds the test device
    device = TOTPDevice.objects.get(user=users.cy_street)
    services.recovery_codes_generate(actor=users.cy_street)
    client.post("/factors/remove/", {"kind": "totp", "pk": device.pk})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert events("factors.remove", object_id=str(users.cy_street.pk)).count() == 1
    # The last factor gone, its recovery codes go too: none passes the second step alone.
    assert not RecoveryDevice.objects.filter(user=users.cy_street).exists()


def test_a_security_administrator_resets_an_account_with_a_reason(users):
    services.totp_confirm(
        actor=users.hd,
        device_id=services.totp_start(actor=users.hd).pk,
        code=now_code(TOTPDevice.objects.get(user=users.hd)),
    )
    security = make_user("sec_admin_t", users.admin.posts.get().org_unit, "sec_admin")
    admin = Client()
    admin.force_login(security)  # the security administrator's (三权分立)
    own = admin.get("/factors/").content.decode()  # the way there: the header, own page
    assert 'href="/factors/">二次验证</a>' in own and 'href="/factors/reset/"' in own
    assert admin.get("/factors/reset/").status_code == 200
    no_reason = admin.post("/factors/reset/", {"username": "hd_staff", "reason": ""})
    assert no_reason.status_code == 200 and TOTPDevice.objects.filter(user=users.hd).exists()
    done = admin.post(
        "/factors/reset/", {"username": "hd_staff", "reason": "手机丢失，本人到场核实"}
    )
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=users.hd).exists()
    assert not RecoveryDevice.objects.filter(user=users.hd).exists()
    event = events("factors.reset").get()
    assert event.actor_id == security.pk and event.object_id == str(users.hd.pk)
    assert json.loads(event.body)["changes"]["原因"] == [None, "手机丢失，本人到场核实"]
    # At the next sign-in the account must enrol again.
    _, response = password_step("hd_staff")
    assert response["Location"].startswith("/factors/?")


def test_who_may_not_reset_finds_no_page_and_changes_nothing(users):
    device = app_of(users.hd)
    for user in (users.admin, users.cy, users.cy_street, users.auditor):
        client = Client()
        client.force_login(user)
        assert client.get("/factors/reset/").status_code == 404
        assert 'href="/factors/reset/"' not in client.get("/factors/").content.decode()
        response = client.post("/factors/reset/", {"username": "hd_staff", "reason": "无理由重置"})
        assert response.status_code == 404
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not events("factors.reset").exists()


def test_an_operator_resets_at_the_console(users):
    from django.core.management import CommandError, call_command

    app_of(users.admin)
    with pytest.raises(CommandError, match="重置原因"):
        call_command("resetfactors", "admin_t", reason="")
    assert TOTPDevice.objects.filter(user=users.admin).exists()
    call_command("resetfactors", "admin_t", reason="唯一的安全管理员手机丢失")
    assert not TOTPDevice.objects.filter(user=users.admin).exists()
    assert events("factors.reset", actor_id=None).count() == 1


def test_a_failing_token_never_falls_back_to_a_session_short_of_its_factor(users):
    """A session that gave only the password, with any Authorization header: the API signs
    in by the token alone (a bad one is 401), never by that session."""
    app_of(users.admin)
    client, _ = password_step("admin_t")
    for header in ("Bearer gh_not-a-token", "Basic YWRtaW5fdDp4", "garbage"):
        answer = client.get("/api/v1/orgs/", HTTP_AUTHORIZATION=header)
        assert answer.status_code == 401, (header, answer.status_code)


def test_an_expired_password_waits_for_the_second_factor_then_is_changed(tree, settings):
    """Enrolment first (the password page is behind the second factor), then the change:
    no loop between the two gates."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    january = datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(january, tick=False):
        staff = make_user("old_district", tree.chaoyang, "district_staff")
    with time_machine.travel(january + timedelta(days=91), tick=False):
        client, response = password_step("old_district")
        assert response["Location"].startswith("/factors/")
        assert client.get("/password/")["Location"].startswith("/factors/")  # factor first
        assert client.get("/factors/").status_code == 200
        assert client.get("/factors/totp/").status_code == 200
        device = TOTPDevice.objects.get(user=staff, confirmed=False)
        done = client.post("/factors/totp/", {"device": device.pk, "code": now_code(device)})
        assert done.status_code == 302
        assert client.get("/people/")["Location"] == "/password/"  # now the password


def test_who_is_not_staff_registers_no_passkey(users, tree):
    """The passkey ceremonies are staff's: an account without a post (a counter's) and a
    member get 404 at both steps, and nothing is stored or recorded."""
    from django_otp_webauthn.models import WebAuthnCredential

    member = make_user("member_pk", tree.cy_grass, "member")
    for user in (users.nopost, member):
        client = Client()
        client.force_login(user)
        for step in ("begin", "complete"):
            answer = client.post(
                f"/factors/passkey/registration/{step}/", "{}", content_type="application/json"
            )
            assert answer.status_code == 404, (user.username, step, answer.status_code)
    assert not WebAuthnCredential.objects.exists()
    assert not events("factors.enrol").exists()
