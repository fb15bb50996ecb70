"""API tokens: they stop with their owner's password or account, their last use is kept
cheaply, and they are listed, made and revoked on a page and from the command line."""

import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.orgs import services
from gonghui.orgs.models import ApiToken
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


def works(client, raw) -> bool:
    """Whether the token signs in (from a client of its own: no session to fall back on)."""
    response = Client().get("/api/v1/orgs/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code in (200, 401)
    return response.status_code == 200


# --- When a token stops ------------------------------------------------------------------------


def test_a_password_change_ends_the_owners_tokens(client, users):
    _, raw = services.token_create(actor=users.cy, name="对接")
    _, other = services.token_create(actor=users.hd, name="对接")
    assert works(client, raw)

    services.password_change(
        actor=users.cy, old_password=PASSWORD, new_password="Another-passw0rd-2026"
    )

    assert not works(client, raw) and works(client, other)
    token = ApiToken.objects.get(user=users.cy)
    assert token.state == ApiToken.State.PASSWORD_CHANGED and token.revoked_at is None


def test_any_way_of_setting_the_password_ends_them(client, users):
    _, raw = services.token_create(actor=users.cy, name="对接")
    # The admin's or `changepassword`'s way, then a hand-made UPDATE.
    users.cy.set_password("Reset-by-admin-2026")
    users.cy.save()
    assert not works(client, raw)
    _, raw = services.token_create(actor=users.cy, name="第二个")
    User.objects.filter(pk=users.cy.pk).update(password=make_password("Direct-update-2026"))
    assert not works(client, raw)


def test_deactivating_the_account_ends_them(client, users):
    _, raw = services.token_create(actor=users.cy, name="对接")
    User.objects.filter(pk=users.cy.pk).update(is_active=False)
    assert ApiToken.objects.get().get_state_display() == "已失效（账号已停用）"
    assert not works(client, raw)


def reactivated(user) -> None:
    user.refresh_from_db()
    user.is_active = True
    user.save()


def test_reactivating_the_account_does_not_bring_its_tokens_back(client, users):
    """The token's state was worked out from is_active at each request: switching the
    account off and on again made its old tokens work again."""
    _, raw = services.token_create(actor=users.cy, name="对接")
    _, raw2 = services.token_create(actor=users.cy, name="报表")
    _, other = services.token_create(actor=users.hd, name="对接")
    users.cy.is_active = False
    users.cy.save()  # the shell's way, the admin site's, any service's

    assert ApiToken.objects.filter(user=users.cy, revoked_at__isnull=True).count() == 0
    event = AuditEvent.objects.get(action="accounts.tokens_end")
    revoked = json.loads(event.body)["changes"]["tokens"][0]
    assert event.object_id == str(users.cy.pk) and len(revoked) == 2

    reactivated(users.cy)
    assert not works(client, raw) and not works(client, raw2) and works(client, other)
    assert {t.state for t in ApiToken.objects.filter(user=users.cy)} == {ApiToken.State.REVOKED}
    # Saving the account again (a sign-in's last_login) revokes nothing more.
    users.cy.save(update_fields=["last_login"])
    assert AuditEvent.objects.filter(action="accounts.tokens_end").count() == 1


def test_a_token_presented_while_its_account_is_off_by_hand_is_revoked(client, users):
    """A hand-made UPDATE passes no signal; the first use of a token meanwhile revokes it."""
    _, raw = services.token_create(actor=users.cy, name="对接")
    User.objects.filter(pk=users.cy.pk).update(is_active=False)
    assert not works(client, raw)
    reactivated(users.cy)
    assert not works(client, raw)
    assert ApiToken.objects.get().state == ApiToken.State.REVOKED


def test_last_use_is_written_at_most_once_a_minute(client, users):
    token, raw = services.token_create(actor=users.cy, name="对接")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert works(client, raw)
        token.refresh_from_db()
        assert token.last_used_at == start

        clock.move_to(start + timedelta(seconds=59))
        with CaptureQueriesContext(connection) as queries:
            assert works(client, raw)
        assert not [q for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
        token.refresh_from_db()
        assert token.last_used_at == start

        clock.move_to(start + timedelta(seconds=61))
        assert works(client, raw)
        token.refresh_from_db()
        assert token.last_used_at == start + timedelta(seconds=61)


# --- The page ------------------------------------------------------------------------------------


def test_staff_make_a_token_on_the_page_and_see_it_once(client, users):
    client.force_login(users.cy)
    response = client.post("/tokens/", {"name": "区工会数据对接"})

    page = response.content.decode()
    raw = page.split('<code id="new-token">')[1].split("</code>")[0]
    assert response["Cache-Control"] == "no-store"
    assert works(client, raw)
    again = client.get("/tokens/").content.decode()
    assert "区工会数据对接" in again and raw[:8] in again and raw not in again
    assert AuditEvent.objects.filter(action="accounts.token_create", actor_name="cy_staff").exists()


def test_a_token_needs_a_name_saying_what_it_is_for(client, users):
    client.force_login(users.cy)
    client.post("/tokens/", {"name": "区工会数据对接"})

    blank = client.post("/tokens/", {"name": " "}).content.decode()
    assert "这个字段是必填项" in blank or "请填写令牌用途" in blank
    assert ApiToken.objects.count() == 1


@pytest.fixture
def two_tokens(users):
    """Chaoyang's token and Haidian's: (token, raw value) each."""
    return (
        services.token_create(actor=users.cy, name="朝阳对接"),
        services.token_create(actor=users.hd, name="海淀对接"),
    )


def test_the_page_lists_own_tokens_with_last_use(client, users, two_tokens):
    (mine, raw), (theirs, their_raw) = two_tokens
    works(client, raw)
    client.force_login(users.cy)

    page = client.get("/tokens/").content.decode()
    assert "朝阳对接" in page and "海淀对接" not in page and theirs.prefix not in page
    assert "从未使用" not in page  # used once: its time is shown


def test_another_districts_token_cannot_be_revoked_from_the_page(client, users, two_tokens):
    (mine, raw), (theirs, their_raw) = two_tokens
    client.force_login(users.cy)

    # Another district's token cannot be revoked from here, even by its number.
    client.post(f"/tokens/{theirs.pk}/revoke/")
    theirs.refresh_from_db()
    assert theirs.revoked_at is None and works(client, their_raw)


def test_the_page_revokes_an_own_token_and_records_it(client, users, two_tokens):
    (mine, raw), (theirs, their_raw) = two_tokens
    client.force_login(users.cy)

    response = client.post(f"/tokens/{mine.pk}/revoke/", follow=True)
    assert "已吊销令牌" in response.content.decode()
    assert not works(client, raw)
    event = AuditEvent.objects.get(action="accounts.token_revoke")
    assert (event.actor_name, event.object_id) == ("cy_staff", str(mine.pk))
    assert "已吊销" in client.get("/tokens/").content.decode()


def test_the_security_administrator_sees_and_revokes_every_token(client, users, tree):
    theirs, their_raw = services.token_create(actor=users.hd, name="海淀对接")
    client.force_login(make_user("sec_t", tree.city, "sec_admin"))

    page = client.get("/tokens/").content.decode()
    assert "海淀对接" in page and "hd_staff" in page
    client.post(f"/tokens/{theirs.pk}/revoke/")
    assert not works(client, their_raw)


def test_the_city_administrator_sees_and_revokes_only_its_own_tokens(client, users):
    theirs, their_raw = services.token_create(actor=users.hd, name="海淀对接")
    client.force_login(users.admin)

    assert "海淀对接" not in client.get("/tokens/").content.decode()
    client.post(f"/tokens/{theirs.pk}/revoke/")
    assert works(client, their_raw)


def test_a_member_without_a_post_cannot_make_one(client, users):
    client.force_login(users.nopost)
    page = client.get("/tokens/").content.decode()
    assert "创建令牌" not in page
    client.post("/tokens/", {"name": "x"})
    assert not ApiToken.objects.exists()


# --- The command line ----------------------------------------------------------------------------


@pytest.fixture
def command_tokens(users):
    """Two tokens for the command line: (token, raw value) each."""
    return (
        services.token_create(actor=users.cy, name="对接一"),
        services.token_create(actor=users.hd, name="对接二"),
    )


def test_operators_list_tokens_from_the_command_line(command_tokens):
    (first, raw), (second, raw2) = command_tokens

    out = StringIO()
    call_command("token", "--list", stdout=out)
    assert [line.split("\t")[:3] for line in out.getvalue().splitlines()] == [
        [str(first.pk), f"{first.prefix}…", "cy_staff"],
        [str(second.pk), f"{second.prefix}…", "hd_staff"],
    ]


def test_operators_revoke_a_token_by_its_prefix_and_it_is_recorded(client, command_tokens):
    (first, raw), (second, raw2) = command_tokens

    call_command("token", "--revoke", first.prefix, stdout=StringIO())
    assert not works(client, raw) and works(client, raw2)
    event = AuditEvent.objects.get(action="accounts.token_revoke")
    assert event.actor_id is None and event.object_id == str(first.pk)


def test_operators_revoke_a_token_by_its_number_once(client, command_tokens):
    (first, raw), (second, raw2) = command_tokens

    call_command("token", "--revoke", str(second.pk), stdout=StringIO())
    assert not works(client, raw2)
    with pytest.raises(CommandError, match="已于之前吊销"):
        call_command("token", "--revoke", str(second.pk))
    with pytest.raises(CommandError, match="没有编号或前缀"):
        call_command("token", "--revoke", "gh_zzzzz")


class FastPBKDF2(PBKDF2PasswordHasher):
    """A stronger hasher than the tests' MD5, cheap enough for a test."""

    iterations = 1000


def test_a_rehash_at_sign_in_is_no_password_change(client, users, settings):
    """After an upgrade Django re-hashes a password at its owner's next sign-in: the same
    password, so the owner's tokens go on working."""
    _, raw = services.token_create(actor=users.cy, name="对接")
    settings.PASSWORD_HASHERS = [
        "tests.orgs.test_tokens.FastPBKDF2",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert client.post("/login/", {"username": "cy_staff", "password": PASSWORD}).status_code == 302

    users.cy.refresh_from_db()
    assert users.cy.password.startswith("pbkdf2_sha256$1000$")  # it was re-hashed
    assert works(client, raw)
