"""Issue 20: every label a user sees is Chinese — the consent fields a person agreed to, the
audit log's object types (never ``people.person``), the models' names (Django's admin, the
audit log) — and nothing shows its code instead."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from gonghui.audit import services
from gonghui.audit.actions import FAMILY_LABELS, OBJECT_LABELS, Action, object_label
from gonghui.people.models import PUBLIC_FIELDS
from tests.factories import make_member, make_person, make_user

CHINESE = re.compile(r"[\u4e00-\u9fff]")
SRC = Path(__file__).resolve().parents[2] / "src" / "gonghui"


def platform_models():
    return [m for m in apps.get_models() if m.__module__.startswith("gonghui.")]


def test_every_model_of_the_platform_has_a_chinese_name():
    english = [
        m._meta.label_lower
        for m in [*platform_models(), apps.get_model("auth.user")]
        if not (CHINESE.search(str(m._meta.verbose_name)))
        or not CHINESE.search(str(m._meta.verbose_name_plural))
    ]
    assert english == []


def test_every_field_of_the_platform_has_a_chinese_name():
    """What the admin's columns, filters and forms show: every field a model declares,
    relations and time stamps included (not the automatic ``id``, not the reverse side of a
    relation, not a generic relation, which is no column)."""
    english = [
        f"{model._meta.label}.{field.name}"
        for model in platform_models()
        for field in model._meta.get_fields()
        if not (field.auto_created and not field.concrete)  # the reverse side of a relation
        and not (field.auto_created and field.primary_key)  # the automatic id
        and (field.concrete or field.many_to_many)  # a generic relation is no column
        and not CHINESE.search(str(field.verbose_name))
    ]
    assert english == []


def test_every_object_type_an_event_names_has_a_chinese_label():
    """The object types written as literals (``object_type="audit.stream"``, a seal's
    ``kind``) and every model an event may name by its ``_meta.label_lower``."""
    literal = re.compile(r'(?:object_type|kind)="([a-z_]+(?:\.[a-z_]+)?)"')
    written = {
        code
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts
        for code in literal.findall(path.read_text("utf-8"))
        if "." in code or code in OBJECT_LABELS
    }
    written = {c for c in written if c in OBJECT_LABELS or _is_model(c)}
    assert {"audit.stream", "people.person", "perks.claim"} <= written
    codes = written | {m._meta.label_lower for m in platform_models()} | {"auth.user"}
    assert sorted(c for c in codes if not CHINESE.search(object_label(c))) == []
    assert object_label("people.person") == "人员" and object_label("demo") == "演示数据"
    assert object_label("no.such") == "no.such"  # shown as stored rather than failing
    # Every object type a service writes as a literal is named, model or not ("web.list").
    named = re.compile(r'object_type="([a-z_]+\.[a-z_]+)"')
    objects = {
        code
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts
        for code in named.findall(path.read_text("utf-8"))
    }
    assert "web.list" in objects
    assert sorted(c for c in objects if not CHINESE.search(object_label(c))) == []


def _is_model(code: str) -> bool:
    try:
        apps.get_model(code)
    except (LookupError, ValueError):
        return False
    return True


@pytest.mark.django_db
def test_the_audit_page_names_object_types_in_chinese(client, users, tree):
    services.record(
        actor=users.cy,
        action="people.update",
        object_type="people.person",
        object_id="17",
        org_unit_id=tree.cy_grass.pk,
    )
    client.force_login(users.auditor)
    page = client.get("/audit/").content.decode()
    assert '<td title="people.person">人员 17</td>' in page
    assert ">people.person" not in page  # the code only as the cell's tooltip


@pytest.mark.django_db
def test_the_person_page_names_the_consented_fields_in_chinese(client, users, tree):
    person = make_person(
        tree.cy_grass, "钱红", is_public=True, public_fields=["deeds", "name", "employer"]
    )
    client.force_login(users.cy)
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "同意公开：姓名、工作单位、事迹" in page  # in the form's order
    assert not [code for code in PUBLIC_FIELDS if f"：{code}" in page or f"、{code}" in page]


def test_every_family_of_actions_has_a_chinese_name():
    families = {code.split(".", 1)[0] for code in Action.values}
    assert sorted(families - set(FAMILY_LABELS)) == []
    assert all(CHINESE.search(label) for label in FAMILY_LABELS.values())
    assert not set(FAMILY_LABELS) - families  # no name for a family that is gone


def platform_admins():
    """The platform's own admin pages (Django's users and groups pages stay closed to the
    city admin, who is no superuser)."""
    found = [(m, a) for m, a in admin.site._registry.items() if m.__module__.startswith("gonghui.")]
    assert len(found) >= 7  # units, roles, posts, people, memberships, events, checkpoints
    return found


HEADER = re.compile(r'<th scope="col"[^>]*>.*?<div class="text">(.*?)</div>', re.S)
FILTER = re.compile(r'data-filter-title="([^"]*)"')
TAG = re.compile(r"<[^>]+>")


def _admin_rows(tree, users) -> None:
    """A row for each model the admin lists: Django draws a changelist's header only over
    rows (units, roles and posts come with the fixtures)."""
    make_member(tree.cy_grass, "孙立")
    services.record(actor=users.cy, action="people.update", org_unit_id=tree.cy_grass.pk)
    assert services.checkpoint_all().checkpoints


@pytest.mark.django_db
def test_every_admin_column_and_filter_is_headed_in_chinese(client, users, tree):
    _admin_rows(tree, users)
    # Each table as the administrator it is shown to (the system administrator's, the audit
    # administrator's, people to the city's): no one account holds them all (三权分立).
    readers = {
        "system.config": make_user("sys_t", tree.city, "sys_admin"),
        "audit.view": make_user("audit_t", tree.city, "audit_admin"),
        "people.view": users.admin,
    }
    english, undrawn = [], []
    for model, model_admin in platform_admins():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        client.force_login(readers[model_admin.perm])
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        headers = [TAG.sub("", h).strip() for h in HEADER.findall(html)]
        headers = [h for h in headers if h]  # the select-all box has no words
        filters = FILTER.findall(html)
        # a header the pattern missed would pass for no reason: each column and filter is found
        if len(headers) < len(model_admin.list_display) or len(filters) < len(
            model_admin.list_filter
        ):
            undrawn.append(meta.label)
        english += [(meta.label, h) for h in headers + filters if not CHINESE.search(h)]
    assert english == []
    assert undrawn == []
