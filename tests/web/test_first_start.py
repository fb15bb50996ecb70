"""The first start in production: `gonghui createadmin`, `gonghui demo` refused outside debug,
and no start while a demo account keeps the published password."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from gonghui.audit.models import AuditEvent
from gonghui.common.config import ConfigError
from gonghui.common.demo import DEMO_PASSWORD
from gonghui.common.errors import ValidationFailed
from gonghui.orgs.demo import (
    demo_password_follows_rehash,
    demo_passwords_in_use,
    demo_user,
    refuse_demo_passwords,
)
from gonghui.orgs.models import DemoAccount, Post
from gonghui.orgs.services import password_change, user_create
from gonghui.people.models import Person
from tests.factories import PASSWORD, make_user

User = get_user_model()
GOOD = "Wang-gong-2026x"


@pytest.fixture
def typed(monkeypatch):
    """What the operator types: the username, then the password twice."""

    def answer(username: str, first: str, second: str | None = None):
        monkeypatch.setattr("builtins.input", lambda prompt: username)
        answers = iter([first, first if second is None else second])
        monkeypatch.setattr(
            "gonghui.web.management.commands.createadmin.getpass", lambda prompt: next(answers)
        )

    return answer


def createadmin(*args, **options) -> str:
    out = StringIO()
    call_command("createadmin", *args, stdout=out, **options)
    return out.getvalue()


# --- createadmin -----------------------------------------------------------------------------


def test_createadmin_asks_and_makes_the_city_administrator_printing_no_secret(tree, typed):
    typed("wanggong", GOOD)
    printed = createadmin()
    user = User.objects.get(username="wanggong")
    assert user.check_password(GOOD) and GOOD not in printed
    post = Post.objects.get(user=user)
    assert (post.role.code, post.org_unit, post.scope) == ("city_admin", tree.city, "subtree")
    assert "已新建市总工会管理员 wanggong" in printed
    made = AuditEvent.objects.filter(actor_id=None, action__startswith="accounts.").order_by("pk")
    assert [(e.action, e.object_id) for e in made] == [
        ("accounts.user_create", str(user.pk)),
        ("accounts.post_assign", str(post.pk)),
    ]


@pytest.mark.parametrize(
    ("kind", "code"), [("sys", "sys_admin"), ("sec", "sec_admin"), ("audit", "audit_admin")]
)
def test_createadmin_makes_each_of_the_three_administrators(tree, typed, kind, code):
    typed(f"{kind}man", GOOD)
    createadmin("--kind", kind)
    assert Post.objects.get(user__username=f"{kind}man").role.code == code


def test_createadmin_from_the_environment_reads_the_password_file(tree, settings, tmp_path):
    secret = tmp_path / "admin-password"
    secret.write_text(GOOD + "\n", encoding="utf-8")
    settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD_FILE = "robot", str(secret)
    printed = createadmin("--no-input", "--kind", "sys")
    assert User.objects.get(username="robot").check_password(GOOD) and GOOD not in printed


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"ADMIN_USERNAME": "robot", "ADMIN_PASSWORD_FILE": None}, "GONGHUI_ADMIN_PASSWORD_FILE"),
        ({"ADMIN_USERNAME": "robot", "ADMIN_PASSWORD_FILE": "/nonexistent/pw"}, "无法读取"),
        ({"ADMIN_USERNAME": None, "ADMIN_PASSWORD_FILE": "/nonexistent/pw"}, "请给出用户名"),
    ],
)
def test_createadmin_without_input_refuses_what_it_lacks(tree, settings, setup, message):
    for name, value in setup.items():
        setattr(settings, name, value)
    users = User.objects.count()
    with pytest.raises(CommandError, match=message):
        createadmin("--no-input")
    assert User.objects.count() == users


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (GOOD, "Wang-gong-2026y", "两次输入的密码不一致"),
        ("short1", None, "密码太短"),
        (DEMO_PASSWORD, None, "不能使用演示数据的公开密码"),
    ],
)
def test_createadmin_refuses_a_bad_password_and_writes_nothing(tree, typed, first, second, message):
    typed("wanggong", first, second)
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError, match=message) as refused:
        createadmin()
    assert first not in str(refused.value)
    assert not User.objects.filter(username="wanggong").exists()
    assert AuditEvent.objects.count() == events


def test_createadmin_refuses_a_username_that_exists(tree, users, typed):
    typed(users.admin.username, GOOD)
    posts = Post.objects.count()
    with pytest.raises(CommandError, match="已存在"):
        createadmin("--kind", "sec")
    assert Post.objects.count() == posts and users.admin.check_password(PASSWORD)


# --- The demo --------------------------------------------------------------------------------


def test_the_demo_is_refused_outside_debug_and_the_demo_site(db, settings):
    settings.DEMO_SITE = False
    people, err = Person.objects.count(), StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("demo", people=5, stdout=StringIO(), stderr=err)
    assert stopped.value.code == 2
    assert "--i-know-this-is-not-production" in err.getvalue()
    assert Person.objects.count() == people and not User.objects.exists()


def test_the_demo_goes_on_when_told_it_is_not_production(db, settings):
    settings.DEMO_SITE = False
    demo_user("admin", "市总管理员")  # a half-made demo: the command's next check answers
    err = StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command(
            "demo", "--i-know-this-is-not-production", people=5, stdout=StringIO(), stderr=err
        )
    assert stopped.value.code == 1 and err.getvalue().startswith("演示数据不完整")


# --- Start-up and the demo's password --------------------------------------------------------


def test_start_up_refuses_while_a_demo_account_keeps_the_password(tree, settings):
    settings.DEMO_SITE = False
    make_user("real", tree.city, "city_admin")
    demo_user("admin", "市总管理员")
    assert demo_passwords_in_use() == ["admin"]
    with pytest.raises(ConfigError, match="账号 admin 仍使用演示数据的公开密码") as refused:
        refuse_demo_passwords()
    assert DEMO_PASSWORD not in str(refused.value)
    with pytest.raises(ConfigError, match="仍使用演示数据的公开密码"):
        call_command("worker")
    settings.DEMO_SITE = True  # `make run`: the demo installation
    refuse_demo_passwords()


def test_start_up_goes_on_once_each_demo_account_is_changed_or_off(tree, settings):
    settings.DEMO_SITE = False
    changed, off = demo_user("changed", "甲"), demo_user("off", "乙")
    changed.set_password(GOOD)
    changed.save()
    off.is_active = False
    off.save()
    refuse_demo_passwords()
    assert DemoAccount.objects.count() == 2


def test_a_rehash_of_the_demo_password_is_still_the_demo_password(tree, settings):
    settings.DEMO_SITE = False
    user = demo_user("admin", "市总管理员")
    old = user.password
    user.set_password(DEMO_PASSWORD)  # what Django does at sign-in with a stronger hasher
    user.save()
    demo_password_follows_rehash(user=user, old_hash=old)
    assert demo_passwords_in_use() == ["admin"]


def test_no_account_may_take_the_demo_password(users):
    for given in (DEMO_PASSWORD, f" {DEMO_PASSWORD.upper()} "):
        with pytest.raises(ValidationFailed, match="不能使用演示数据的公开密码"):
            password_change(actor=users.cy, old_password=PASSWORD, new_password=given)
    with pytest.raises(ValidationFailed, match="不能使用演示数据的公开密码"):
        user_create(actor=None, username="newbie", password=DEMO_PASSWORD)
    assert users.cy.check_password(PASSWORD) and not User.objects.filter(username="newbie")


def test_a_database_the_demo_was_built_in_earlier_has_its_accounts_recorded(tree, settings):
    """orgs 0008: demo accounts made before they were recorded are found by the published
    password (only where the demo was built), so a production start refuses them too."""
    from importlib import import_module

    from django.apps import apps
    from django.contrib.auth import get_user_model

    from gonghui.audit.services import record
    from gonghui.common.demo import DEMO_PASSWORD
    from gonghui.orgs.models import DemoAccount

    migration = import_module("gonghui.orgs.migrations.0008_demo_accounts")
    User = get_user_model()
    old = User.objects.create_user("old_demo", password=DEMO_PASSWORD)
    User.objects.create_user("real_staff", password="Another-passw0rd-2026")
    migration.record_earlier_demo_accounts(apps, None)
    assert not DemoAccount.objects.exists()  # no demo was built here: nothing checked
    record(actor=None, action="demo.people", object_type="demo", object_id="people")
    migration.record_earlier_demo_accounts(apps, None)
    assert list(DemoAccount.objects.values_list("user__username", flat=True)) == ["old_demo"]
    assert DemoAccount.objects.get().password_hash == old.password
