"""The password policy as configuration (GONGHUI_PASSWORD_*): each rule refused with its
reason in Chinese next to the field and nothing changed; the history written by every way
of setting a password and refusing the newest ones; a staff password past its age sends
every page to the change-password page until changed (members keep their sign-in)."""

from datetime import datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from gonghui.common.config import ConfigError, read_env
from gonghui.common.errors import ValidationFailed
from gonghui.common.models import PasswordHistory
from gonghui.orgs.services import password_change
from tests.factories import PASSWORD, make_member, make_user
from tests.nominations.conftest import SHANGHAI

pytestmark = pytest.mark.django_db

User = get_user_model()
JANUARY = datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI)


def change(client, new, old=PASSWORD):
    return client.post("/password/", {"old_password": old, "new_password": new, "confirm": new})


def field_error(response) -> str:
    return " ".join(response.context["form"].errors.get("new_password", []))


@pytest.mark.parametrize(
    "new, reason",
    [
        ("Ab1!xyz", "密码太短，至少需要 10 个字符。"),
        ("abcdefgh1234", "密码须包含大写字母、小写字母、数字、符号这四类字符中的至少 3 类。"),
        ("12345678901234", "密码只包含数字。"),
        (PASSWORD, "不能与最近 5 次使用过的密码相同。"),
    ],
)
def test_each_rule_is_refused_with_its_reason_next_to_the_field(client, users, new, reason):
    client.force_login(users.cy)
    before = list(PasswordHistory.objects.values_list("pk", flat=True))
    response = change(client, new)
    assert response.status_code == 200 and reason in field_error(response)
    assert reason in response.content.decode()
    users.cy.refresh_from_db()
    assert users.cy.check_password(PASSWORD)
    assert list(PasswordHistory.objects.values_list("pk", flat=True)) == before


def test_the_field_says_the_rules_and_a_good_password_is_taken(client, users):
    client.force_login(users.cy)
    page = client.get("/password/").content.decode()
    assert "密码至少需要 10 个字符。" in page and "至少 3 类" in page and "最近 5 次" in page
    assert change(client, "Nine-lives-2026")["Location"] == "/"
    users.cy.refresh_from_db()
    assert users.cy.check_password("Nine-lives-2026")


def test_the_configured_numbers_are_the_rules(users, settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "gonghui.common.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 14}},
        {"NAME": "gonghui.common.passwords.CharacterClassesValidator", "OPTIONS": {"classes": 4}},
    ]
    with pytest.raises(ValidationFailed) as refused:
        password_change(actor=users.cy, old_password=PASSWORD, new_password="Abcdefgh12345")
    reason = refused.value.fields["new_password"]
    assert "至少需要 14 个字符" in reason and "至少 4 类" in reason
    password_change(actor=users.cy, old_password=PASSWORD, new_password="Abcdefgh-12345")


def test_the_newest_five_passwords_may_not_come_back(users):
    passwords = [PASSWORD, *(f"Rotate-{n}-passw0rd" for n in range(1, 5))]
    for old, new in zip(passwords, passwords[1:], strict=False):
        password_change(actor=users.cy, old_password=old, new_password=new)
    # The current password and the four before it are refused...
    for old in passwords:
        with pytest.raises(ValidationFailed, match="最近 5 次"):
            password_change(actor=users.cy, old_password=passwords[-1], new_password=old)
    password_change(actor=users.cy, old_password=passwords[-1], new_password="Rotate-5-passw0rd")
    # ...and the sixth back is allowed again; five rows are kept, hashes only.
    password_change(actor=users.cy, old_password="Rotate-5-passw0rd", new_password=PASSWORD)
    rows = PasswordHistory.objects.filter(user=users.cy)
    assert rows.count() == 5
    assert not rows.filter(password__contains="passw0rd").exists()


def test_every_way_of_setting_a_password_is_recorded(users):
    cy = users.cy

    def newest():
        return PasswordHistory.objects.filter(user=cy).order_by("-set_at", "-pk").first().password

    assert PasswordHistory.objects.filter(user=cy).count() == 1  # create_user
    # The shell's set_password.
    cy.set_password("From-the-shell-2026")
    cy.save()
    assert newest() == cy.password
    # `changepassword`.
    with mock.patch("getpass.getpass", return_value="From-the-console-2026"):
        call_command("changepassword", "cy_staff", stdout=mock.Mock())
    cy.refresh_from_db()
    assert cy.check_password("From-the-console-2026") and newest() == cy.password
    # The admin site's own form (a city administrator's), where the rules hold too.
    admin = Client()
    admin.force_login(users.admin)
    url = "/admin/password_change/"

    def post(new):
        return admin.post(
            url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
        )

    refused = post(PASSWORD)
    assert refused.status_code == 200 and "最近 5 次" in refused.content.decode()
    assert post("From-the-admin-2026").status_code == 302
    users.admin.refresh_from_db()
    newest_admin = PasswordHistory.objects.filter(user=users.admin).order_by("-set_at", "-pk")
    assert newest_admin.first().password == users.admin.password
    assert users.admin.check_password("From-the-admin-2026")
    # A new account made by createsuperuser (its password hashed in, no set_password).
    with mock.patch.dict("os.environ", {"DJANGO_SUPERUSER_PASSWORD": "Root-passw0rd-2026"}):
        call_command("createsuperuser", "--noinput", username="root_t", email="r@example.cn")
    root = User.objects.get(username="root_t")
    assert PasswordHistory.objects.filter(user=root).get().password == root.password
    # Django re-hashing a password at sign-in is no new password.
    rows = PasswordHistory.objects.count()
    root.check_password("Root-passw0rd-2026")
    assert PasswordHistory.objects.count() == rows


def test_a_staff_password_past_its_age_must_be_changed_first(tree, settings):
    assert settings.PASSWORD_MAX_AGE_DAYS == 90
    with time_machine.travel(JANUARY, tick=False):
        staff = make_user("old_staff", tree.chaoyang, "district_staff")
    client = Client()
    with time_machine.travel(JANUARY + timedelta(days=89), tick=False):
        client.force_login(staff)
        assert client.get("/people/").status_code == 200
    with time_machine.travel(JANUARY + timedelta(days=91), tick=False):
        client.force_login(staff)
        for page in ("/", "/people/", "/admin/"):
            answer = client.get(page)
            assert answer.status_code == 302 and answer["Location"] == "/password/"
        htmx = client.get("/tree/search/?q=a", HTTP_HX_REQUEST="true")
        assert htmx["HX-Redirect"] == "/password/"
        shown = client.get("/password/").content.decode()
        assert "您的密码已使用超过 90 天，请先修改密码再继续使用。" in shown
        # A poll's page is sent there too (the header is the client's own: it opens nothing),
        # and so is a session's API call.
        poll = client.get("/people/", HTTP_X_GONGHUI_POLL="1")
        assert poll.status_code == 403 and poll.json()["redirect"] == "/password/"
        api = client.get("/api/v1/people/")
        assert api.status_code == 403 and api.json()["code"] == "password_expired"
        assert change(client, "Renewed-passw0rd-2026")["Location"] == "/"
        assert client.get("/people/").status_code == 200


def test_members_keep_their_sign_in_and_zero_days_is_never(tree, settings):
    with time_machine.travel(JANUARY, tick=False):
        member = make_member(tree.cy_grass, "周全", username="zhouquan")
        staff = make_user("old_staff", tree.chaoyang, "district_staff")
    with time_machine.travel(JANUARY + timedelta(days=200), tick=False):
        client = Client()
        client.force_login(member.user)
        assert client.get("/me/").status_code == 200
        settings.PASSWORD_MAX_AGE_DAYS = 0
        client.force_login(staff)
        assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("GONGHUI_PASSWORD_MIN_LENGTH", "6", "from 8 to 128"),
        ("GONGHUI_PASSWORD_MIN_LENGTH", "ten", "expected a whole number"),
        ("GONGHUI_PASSWORD_CLASSES", "5", "from 1 to 4"),
        ("GONGHUI_PASSWORD_CLASSES", "0", "from 1 to 4"),
        ("GONGHUI_PASSWORD_HISTORY", "-1", "must not be negative"),
        ("GONGHUI_PASSWORD_MAX_AGE_DAYS", "90d", "expected a whole number"),
        ("GONGHUI_SESSION_MINUTES", "0", "from 1 to 1440"),
    ],
)
def test_a_malformed_policy_is_named(name, value, words):
    with pytest.raises(ConfigError) as err:
        read_env({name: value})
    assert str(err.value).startswith(name) and words in str(err.value)


def test_the_defaults_pass_an_assessment():
    env = read_env({})
    assert env["GONGHUI_PASSWORD_MIN_LENGTH"] >= 8 and env["GONGHUI_PASSWORD_CLASSES"] >= 3
    assert env["GONGHUI_PASSWORD_HISTORY"] == 5 and env["GONGHUI_PASSWORD_MAX_AGE_DAYS"] == 90
    assert timedelta(minutes=env["GONGHUI_SESSION_MINUTES"]) <= timedelta(minutes=30)
