"""三权分立: the system, security and audit administrators are separate accounts, at every
grant path (the services, the database under them, the admin site, the API, the commands),
and none of them reads personal data by its role."""

import json

import pytest
from django.db import IntegrityError, connection, transaction

from gonghui.api import api
from gonghui.audit.models import AuditEvent
from gonghui.common.errors import NotFound, ValidationFailed
from gonghui.orgs import separation, services
from gonghui.orgs.models import Post, Role
from gonghui.orgs.permissions import (
    ADMIN_KINDS,
    BUILTIN_ROLES,
    PERMISSIONS,
    PII_PERMISSIONS,
    duties,
)
from tests.factories import make_user

ADMIN_ROLES = ("sys_admin", "sec_admin", "audit_admin")


@pytest.fixture
def admins(tree):
    """The three administrators, each at the root, each its own account."""
    return {code: make_user(f"{code}_t", tree.city, code) for code in ADMIN_ROLES}


def role(code: str) -> Role:
    return Role.objects.get(code=code)


def state():
    """What a refused grant must leave as it was."""
    return (
        sorted(Post.objects.values_list("user_id", "role_id", "is_active")),
        sorted(Role.objects.values_list("code", "permissions")),
        AuditEvent.objects.count(),
    )


# --- The catalogue -------------------------------------------------------------------------


def test_each_builtin_role_falls_in_one_separated_class_at_most(db):
    for code, _, perms in BUILTIN_ROLES:
        assert len(duties(perms)) <= 1, code
    stored = {r.code: r.permissions for r in Role.objects.all()}
    assert duties(stored["sys_admin"]) == {"sys"}
    assert duties(stored["sec_admin"]) == {"sec"}
    assert duties(stored["audit_admin"]) == {"audit"}


def test_no_administrator_reads_personal_data_by_its_role(db):
    stored = {r.code: set(r.permissions) for r in Role.objects.all()}
    for code in ADMIN_ROLES:
        assert not stored[code] & PII_PERMISSIONS, code


def test_the_city_administrator_no_longer_holds_the_administrators_powers(db):
    held = set(role("city_admin").permissions)
    for _, perms in ADMIN_KINDS.values():
        assert not held & perms
    assert "people.view_pii" in held  # still the union's business administrator
    assert set(PERMISSIONS) - held == {p for _, ps in ADMIN_KINDS.values() for p in ps}


def test_the_otp_reset_permission_is_the_security_administrators():
    assert "security.reset_factor" in ADMIN_KINDS["sec"][1]


# --- post_assign ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("held", "adding"),
    [
        ("sys_admin", "sec_admin"),
        ("sec_admin", "audit_admin"),
        ("audit_admin", "sys_admin"),
        ("sys_admin", "city_admin"),  # an administrator with personal data
        ("district_staff", "audit_admin"),  # personal data, then an administrator
        ("auditor", "sec_admin"),  # the district auditor reads audit streams: audit's kind
    ],
)
def test_a_second_class_is_refused_and_nothing_changes(tree, admins, held, adding):
    user = make_user("both", tree.city, held)
    before = state()
    with pytest.raises(ValidationFailed) as refused:
        services.post_assign(
            actor=admins["sec_admin"], user=user, org_unit=tree.city, role=role(adding)
        )
    assert "三权分立" in refused.value.fields["role"] and "both" in refused.value.fields["role"]
    assert state() == before


def test_the_same_class_twice_and_business_without_personal_data_are_granted(tree, admins):
    user = make_user("two_units", tree.city, "audit_admin")
    services.post_assign(
        actor=admins["sec_admin"], user=user, org_unit=tree.chaoyang, role=role("auditor")
    )
    street = make_user("street_and_sys", tree.cy_street, "street_staff")  # no personal data
    services.post_assign(
        actor=admins["sec_admin"], user=street, org_unit=tree.city, role=role("sys_admin")
    )
    assert Post.objects.filter(user__in=[user, street]).count() == 4
    assert AuditEvent.objects.filter(action="accounts.post_assign").count() == 2


def test_an_inactive_post_does_not_count(tree, admins):
    user = make_user("former", tree.city, "sys_admin")
    Post.objects.filter(user=user).update(is_active=False)
    services.post_assign(
        actor=admins["sec_admin"], user=user, org_unit=tree.city, role=role("sec_admin")
    )
    # ... but it cannot come back beside the new one (the database's trigger).
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.filter(user=user, role=role("sys_admin")).update(is_active=True)


def test_only_the_security_administrator_grants_posts(tree, users, admins):
    newcomer = make_user("newcomer", None, None)
    for actor in (users.admin, admins["sys_admin"], admins["audit_admin"], users.cy):
        with pytest.raises(Exception) as refused:
            services.post_assign(
                actor=actor, user=newcomer, org_unit=tree.chaoyang, role=role("street_staff")
            )
        assert refused.type.__name__ in ("Forbidden", "NotFound")
    assert not Post.objects.filter(user=newcomer).exists()


# --- role_update ---------------------------------------------------------------------------


def test_a_role_edited_to_mix_two_kinds_is_refused(admins):
    sec = role("sec_admin")
    before = state()
    for extra in ("audit.view", "accounts.manage", "people.view_pii"):
        with pytest.raises(ValidationFailed) as refused:
            services.role_update(
                actor=admins["sec_admin"],
                role=sec,
                name=sec.name,
                permissions=[*sec.permissions, extra],
            )
        assert "三权分立" in refused.value.fields["permissions"]
    assert state() == before


def test_the_security_administrator_cannot_reshape_an_administrators_role(admins):
    """Neither strip the audit administrator of its powers nor give a role an
    administrator's: the three kinds are the platform's."""
    audit, street = role("audit_admin"), role("street_staff")
    before = state()
    for edited, permissions in (
        (audit, ["orgs.view"]),
        (street, [*street.permissions, "audit.view"]),
    ):
        with pytest.raises(ValidationFailed) as refused:
            services.role_update(
                actor=admins["sec_admin"], role=edited, name=edited.name, permissions=permissions
            )
        assert "三类管理员的权限由平台设定" in refused.value.fields["permissions"]
    assert state() == before


def test_a_role_edit_that_gives_a_holder_a_second_class_is_refused(tree, admins):
    user = make_user("street_auditor", tree.cy_street, "street_staff")
    services.post_assign(
        actor=admins["sec_admin"], user=user, org_unit=tree.city, role=role("audit_admin")
    )
    street = role("street_staff")
    before = state()
    with pytest.raises(ValidationFailed) as refused:
        services.role_update(
            actor=admins["sec_admin"],
            role=street,
            name=street.name,
            permissions=[*street.permissions, "people.view_pii"],
        )
    assert "street_auditor" in refused.value.fields["permissions"]
    assert state() == before


def test_a_role_edit_is_recorded_and_only_the_security_administrators(users, admins):
    street = role("street_staff")
    for actor in (users.admin, admins["sys_admin"], admins["audit_admin"]):
        with pytest.raises(NotFound):
            services.role_update(actor=actor, role=street, name="x", permissions=[])
    services.role_update(
        actor=admins["sec_admin"],
        role=street,
        name="街道工作人员",
        permissions=[p for p in street.permissions if p != "perks.cards"],
    )
    event = AuditEvent.objects.get(action="accounts.role_update")
    assert event.actor_name == "sec_admin_t"
    before, after = json.loads(event.body)["changes"]["permissions"]
    assert "perks.cards" in before and "perks.cards" not in after
    with pytest.raises(ValidationFailed, match="未知权限"):
        services.role_update(
            actor=admins["sec_admin"], role=street, name="x", permissions=["nope.x"]
        )


# --- The database under the services ------------------------------------------------------


def test_the_database_refuses_a_second_class_written_past_the_services(tree, admins):
    user = admins["sys_admin"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.create(user=user, org_unit=tree.chaoyang, role=role("audit_admin"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.create(user=user, org_unit=tree.chaoyang, role=role("district_staff"))
    other = make_user("other", tree.chaoyang, "street_staff")
    post = Post.objects.get(user=other)
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.filter(pk=post.pk).update(user=user, role=role("sec_admin"))
    assert Post.objects.filter(user=user).count() == 1


def test_posts_from_before_the_rule_are_listed_for_the_operator(tree, admins):
    from gonghui.orgs.selectors import separation_breaches

    assert separation_breaches() == {}
    separation.drop(connection)  # as an upgrade finds them: made before the triggers
    Post.objects.create(user=admins["sys_admin"], org_unit=tree.city, role=role("sec_admin"))
    separation.install(connection)
    assert separation_breaches() == {"sys_admin_t": ["安全管理员", "系统管理员"]}
    # Named at every start (a system check), and an upgrade's unchanged role rewrite passes.
    (warning,) = separation.breaches_check()
    assert warning.id == "orgs.W001" and "sys_admin_t" in warning.msg
    from django.apps import apps

    from gonghui.orgs.permissions import sync_builtin_roles

    sync_builtin_roles(apps)
    sys_role = role("sys_admin")
    sys_role.save(update_fields=["permissions"])  # the same permissions saved again


def test_the_database_refuses_a_role_that_mixes_or_would_give_a_holder_two(tree, admins):
    with pytest.raises(IntegrityError), transaction.atomic():
        Role.objects.create(code="mixed", name="混合", permissions=["audit.view", "security.posts"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Role.objects.filter(code="sys_admin").update(
            permissions=["accounts.manage", "people.view_pii"]
        )
    make_user("street_sys", tree.cy_street, "street_staff")
    Post.objects.create(
        user=Post.objects.get(role__code="street_staff", user__username="street_sys").user,
        org_unit=tree.city,
        role=role("sys_admin"),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Role.objects.filter(code="street_staff").update(
            permissions=["orgs.view", "people.view_pii"]
        )
    assert "people.view_pii" not in role("street_staff").permissions


# --- The other paths: admin site, API --------------------------------------------------------


def test_the_admin_site_shows_each_administrator_its_own_tables_only(client, users, admins):
    client.force_login(admins["sys_admin"])
    assert client.get("/admin/orgs/role/").status_code == 200
    assert client.get("/admin/audit/auditevent/").status_code == 403
    assert client.get("/admin/orgs/role/add/").status_code == 403  # read-only
    client.force_login(admins["audit_admin"])
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get("/admin/orgs/post/").status_code == 403
    assert client.get("/admin/people/person/").status_code == 403
    client.force_login(admins["sec_admin"])
    assert client.get("/admin/").status_code == 302  # to the admin's sign-in: nothing for it
    client.force_login(users.admin)  # the business administrator: people, masked
    assert client.get("/admin/orgs/post/").status_code == 403


def test_no_api_operation_writes_accounts_posts_or_roles(db):
    schema = api.get_openapi_schema()
    writes = [
        path
        for path, operations in schema["paths"].items()
        if set(operations) & {"post", "put", "patch", "delete"}
        and any(part in path for part in ("/posts", "/roles", "/users", "/accounts"))
    ]
    assert writes == []
