"""Writes of the dashboards: the wall screen's display tokens, made and revoked by the
city's staff (each recorded). The facts' rebuild is ``refresh`` (derived figures)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common.errors import Conflict, NotFound, ValidationFailed
from gonghui.dashboards.models import DisplayToken
from gonghui.dashboards.selectors import SCREENS_PERM, may_manage_screens
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit


@transaction.atomic
def display_token_create(
    *, actor, name: str, org_unit: OrgUnit, expires_at: datetime | None = None
) -> tuple[DisplayToken, str]:
    """A display token for the wall screen of ``org_unit``'s subtree; the raw value is
    returned once (only its hash is kept)."""
    grant = access.home_grant(actor, SCREENS_PERM)
    if grant is None or not may_manage_screens(actor):
        raise NotFound()
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "请填写令牌用途，如“市总工会一楼大厅大屏”"
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "有效期须晚于现在"
    if not org_unit.is_active:
        errors["org_unit"] = "该组织已停用"
    if errors:
        raise ValidationFailed(errors)
    raw = DisplayToken.new_raw()
    token = DisplayToken.objects.create(
        name=name[:60],
        org_unit=org_unit,
        token_hash=DisplayToken.hash(raw),
        prefix=raw[:8],
        created_by=actor,
        expires_at=expires_at,
    )
    record(
        actor=actor,
        action=Action.DASHBOARDS_SCREEN_CREATE,
        obj=token,
        post_id=grant.post_id,
        changes={"name": [None, token.name], "expires_at": [None, str(expires_at or "")]},
    )
    return token, raw


@transaction.atomic
def display_token_revoke(*, actor, token_id: int) -> DisplayToken:
    """Revoke a display token: the screen stops at its next refresh."""
    grant = access.home_grant(actor, SCREENS_PERM)
    if grant is None or not may_manage_screens(actor):
        raise NotFound()
    token = DisplayToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is not None:
        raise Conflict(f"展示令牌 {token.prefix}… 已于之前吊销")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(
        actor=actor,
        action=Action.DASHBOARDS_SCREEN_REVOKE,
        obj=token,
        post_id=grant.post_id,
        changes={"name": [token.name, None]},
    )
    return token
