"""Every write to the union tree, posts and tokens: one transaction, one audit event each."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import diff, record
from gonghui.common import lockout
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.orgs import access, selectors, signals
from gonghui.orgs.models import (
    ApiToken,
    OrgUnit,
    Post,
    Role,
    add_descendants,
    password_fingerprint,
    rerooted,
    segment,
)
from gonghui.orgs.permissions import ADMIN_KINDS, DUTY_LABELS, PERMISSIONS, duties

# Which level may sit under which: the tree's shape, as data.
ALLOWED_CHILDREN = {
    OrgUnit.Level.CITY: {OrgUnit.Level.DISTRICT, OrgUnit.Level.INDUSTRY, OrgUnit.Level.GRASSROOTS},
    OrgUnit.Level.DISTRICT: {
        OrgUnit.Level.STREET,
        OrgUnit.Level.INDUSTRY,
        OrgUnit.Level.GRASSROOTS,
    },
    OrgUnit.Level.INDUSTRY: {OrgUnit.Level.INDUSTRY, OrgUnit.Level.GRASSROOTS},
    OrgUnit.Level.STREET: {OrgUnit.Level.GRASSROOTS},
    OrgUnit.Level.GRASSROOTS: {OrgUnit.Level.GRASSROOTS},  # e.g. branch unions (分会)
}


# A post may not switch off or move the unit it is anchored at, nor one above it.
OWN_BRANCH = "不能{verb}您本人岗位所在的组织或其上级组织，请由上级工会办理"


def check_placement(level: str, parent_level: str | None, *, field: str = "parent") -> None:
    if parent_level is None:
        if level != OrgUnit.Level.CITY:
            raise ValidationFailed({field: "只有市总工会可以没有上级组织"})
        return
    if level not in ALLOWED_CHILDREN[parent_level]:
        raise ValidationFailed(
            {field: f"{OrgUnit.Level(parent_level).label}下不能设{OrgUnit.Level(level).label}"}
        )


def check_code_name(code: str, name: str) -> tuple[str, str]:
    code, name = (code or "").strip(), (name or "").strip()
    errors = {}
    if not code:
        errors["code"] = "组织编码不能为空"
    elif len(code) > 32 or not code.replace("-", "").isalnum():
        errors["code"] = "组织编码只能包含字母、数字和短横线，最长32位"
    if not name:
        errors["name"] = "名称不能为空"
    elif len(name) > 120:
        errors["name"] = "名称最长120字"
    if errors:
        raise ValidationFailed(errors)
    return code, name


def _claim_segments(parent: OrgUnit, count: int) -> int:
    """Reserve ``count`` child numbers under ``parent``; returns the first. A conditional
    update on the parent row, so concurrent inserts never share a number."""
    OrgUnit.objects.filter(pk=parent.pk).update(child_count=F("child_count") + count)
    parent.refresh_from_db(fields=["child_count"])
    return parent.child_count - count + 1


def _snapshot(unit: OrgUnit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "parent": unit.parent_id,
        "is_active": unit.is_active,
    }


def _record_unit(actor, action: Action, unit: OrgUnit, grant, before: dict) -> None:
    # A unit's own events belong to it, so that its auditors see them.
    record(
        actor=actor,
        action=action,
        obj=unit,
        org_unit_id=unit.pk,
        post_id=grant.post_id,
        changes=diff(before, _snapshot(unit)),
    )


@transaction.atomic
def orgunit_create(*, actor, parent: OrgUnit, code: str, name: str, level: str) -> OrgUnit:
    grant = access.require_at(actor, "orgs.change", parent, view_perm="orgs.view")
    code, name = check_code_name(code, name)
    if level not in OrgUnit.Level.values:
        raise ValidationFailed({"level": f"未知级别：{level}"})
    check_placement(level, parent.level)
    if OrgUnit.objects.filter(code=code).exists():
        raise ValidationFailed({"code": f"组织编码 {code} 已存在"})
    parent = OrgUnit.objects.get(pk=parent.pk)
    n = _claim_segments(parent, 1)
    try:
        with transaction.atomic():
            unit = OrgUnit.objects.create(
                code=code,
                name=name,
                level=level,
                parent=parent,
                path=parent.path + segment(n),
                depth=parent.depth + 1,
            )
    except IntegrityError:
        raise ValidationFailed({"code": f"组织编码 {code} 已存在"}) from None
    add_descendants(parent.path, 1)
    _record_unit(actor, Action.ORGS_CREATE, unit, grant, {})
    return unit


@transaction.atomic
def orgunit_update(*, actor, unit: OrgUnit, name: str, is_active: bool | None = None) -> OrgUnit:
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    grant = access.require_at(actor, "orgs.change", unit, view_perm="orgs.view")
    _, name = check_code_name(unit.code, name)
    before = _snapshot(unit)
    unit.name = name
    if is_active is not None:
        if unit.parent_id is None and not is_active:
            raise ValidationFailed({"is_active": "不能停用市总工会"})
        if unit.is_active and not is_active and access.holds_post_within(actor, unit):
            raise ValidationFailed({"is_active": OWN_BRANCH.format(verb="停用")})
        unit.is_active = is_active
    unit.save(update_fields=["name", "is_active"])
    _record_unit(actor, Action.ORGS_UPDATE, unit, grant, before)
    return unit


@transaction.atomic
def orgunit_move(*, actor, unit: OrgUnit, new_parent: OrgUnit) -> OrgUnit:
    """Move a node with its whole subtree. Both the old and new place must be in the
    actor's scope (re-checked on the locked rows, inside the transaction)."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    new_parent = OrgUnit.objects.select_for_update().get(pk=new_parent.pk)
    if unit.parent_id is None:
        raise ValidationFailed({"parent": "市总工会不能移动"})
    grant = access.require_at(actor, "orgs.change", unit, view_perm="orgs.view")
    access.require_move(actor, "orgs.change", unit, new_parent)
    if access.holds_post_within(actor, unit):
        raise ValidationFailed({"parent": OWN_BRANCH.format(verb="移动")})
    if unit.contains(new_parent):
        raise ValidationFailed({"parent": "不能移到自身或其下级组织之下"})
    check_placement(unit.level, new_parent.level)
    before = _snapshot(unit)
    old_path, depth_delta = unit.path, new_parent.depth + 1 - unit.depth
    new_path = new_parent.path + segment(_claim_segments(new_parent, 1))
    moved = unit.descendants + 1
    add_descendants(old_path[: -len(segment(1))], -moved)
    add_descendants(new_parent.path, moved)
    OrgUnit.objects.filter(access.subtree_q(unit)).update(
        path=rerooted(old_path, new_path), depth=F("depth") + depth_delta
    )
    OrgUnit.objects.filter(pk=unit.pk).update(parent=new_parent)
    signals.subtree_moved.send(OrgUnit, old_path=old_path, new_path=new_path)
    unit.refresh_from_db()
    _record_unit(actor, Action.ORGS_MOVE, unit, grant, before)
    return unit


# --- Accounts and posts --------------------------------------------------------------------


@transaction.atomic
def user_create(*, actor, username: str, password: str, full_name: str = ""):
    """A new account (the system administrator's). ``actor`` None is an operator at the
    server's console (``gonghui createadmin``)."""
    if actor is not None and not access.can(actor, "accounts.manage"):
        raise Forbidden()
    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise ValidationFailed({"username": "用户名不能为空"})
    if User.objects.filter(username=username).exists():
        raise ValidationFailed({"username": f"用户名 {username} 已存在"})
    user = User(username=username, first_name=full_name[:150])
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed({"password": "；".join(exc.messages)}) from None
    user.set_password(password)
    user.save()
    record(
        actor=actor,
        action=Action.ACCOUNTS_USER_CREATE,
        obj=user,
        changes={"username": [None, username]},
    )
    return user


@transaction.atomic
def password_change(*, actor, old_password: str, new_password: str) -> None:
    """A user changes their own password (Django's validators: length, common, mixed)."""
    if not actor.check_password(old_password):
        raise ValidationFailed({"old_password": "原密码不正确"})
    try:
        validate_password(new_password, actor)
    except DjangoValidationError as exc:
        raise ValidationFailed({"new_password": "；".join(exc.messages)}) from None
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    record(actor=actor, action=Action.ACCOUNTS_PASSWORD_CHANGE, obj=actor)


@transaction.atomic
def account_unlock(*, actor, username: str):
    """End every sign-in lock of the account, from every client, at once (the account-wide
    lock included): for the owner's new device, locked out by someone guessing. ``actor``
    None is an operator at the console (``gonghui unlock``)."""
    user = get_user_model().objects.filter(username__iexact=(username or "").strip()).first()
    if user is None:
        raise NotFound(f"没有名为 {username} 的账号")
    lockout.unlock(user.get_username())
    record(actor=actor, action=Action.ACCOUNTS_UNLOCK, obj=user)
    return user


# --- 三权分立: the separated classes of one account -----------------------------------------

SEPARATION = (
    "三权分立：系统管理员、安全管理员、审计管理员须由不同账号担任，且管理员账号不能查看完整个人信息"
)


def _labels(classes) -> str:
    return "、".join(DUTY_LABELS[c] for c in sorted(classes))


def check_role_separation(permissions) -> None:
    """A role's permissions fall in one separated class at most."""
    found = duties(permissions)
    if len(found) > 1:
        raise ValidationFailed(
            {"permissions": f"一个角色不能同时含有{_labels(found)}的权限（{SEPARATION}）"}
        )


def _second_class(held: set, adding: set) -> set:
    """The classes ``adding`` would put beside an account's ``held`` ones against the
    separation of duties (empty: none)."""
    if adding and held and len(held | adding) > 1:
        return adding - held or adding
    return set()


def check_separation(user, permissions) -> None:
    """Whether ``user`` may hold a post granting ``permissions`` beside their other active
    posts: the classes together are one at most. The database's triggers hold the same
    rule (orgs/separation.py); this says why, in Chinese, before anything is written."""
    held = selectors.account_duties(Post.objects.filter(user=user, is_active=True)).get(
        user.get_username(), set()
    )
    if second := _second_class(held, duties(permissions)):
        raise ValidationFailed(
            {
                "role": f"账号 {user.get_username()} 已担任{_labels(held)}的岗位，"
                f"不能再担任{_labels(second)}的岗位（{SEPARATION}）。请为其另设账号"
            }
        )


@transaction.atomic
def post_assign(
    *, actor, user, org_unit: OrgUnit, role: Role, scope: str = Post.Scope.SUBTREE, title: str = ""
) -> Post:
    """Give ``user`` a post (the security administrator's). ``actor`` None is an operator at
    the server's console (``gonghui createadmin``) or the demo's builder."""
    grant = (
        access.require_at(actor, "security.posts", org_unit, view_perm="orgs.view")
        if actor is not None
        else None
    )
    if scope not in Post.Scope.values:
        raise ValidationFailed({"scope": f"未知数据范围：{scope}"})
    # The account's row locked first: two grants to one account are checked in turn.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    check_separation(user, role.permissions)
    try:
        with transaction.atomic():
            post, created = Post.objects.get_or_create(
                user=user,
                org_unit=org_unit,
                role=role,
                defaults={"scope": scope, "title": title},
            )
    except IntegrityError:  # the database's separation trigger (a grant in parallel)
        raise ValidationFailed({"role": SEPARATION}) from None
    if not created:
        raise Conflict(f"{user.username} 已在 {org_unit.name} 担任 {role.name}")
    record(
        actor=actor,
        action=Action.ACCOUNTS_POST_ASSIGN,
        obj=post,
        org_unit_id=org_unit.pk,
        post_id=grant.post_id if grant else None,
        changes={"user": [None, user.username], "role": [None, role.code], "scope": [None, scope]},
    )
    access.forget(user)
    return post


@transaction.atomic
def role_update(*, actor, role: Role, name: str, permissions: list[str]) -> Role:
    """Change a role's name and permissions (the security administrator's, over the whole
    tree). Refused, nothing changed, when the role is or would become an administrator's
    (those are the platform's: the security administrator may not reshape the other two),
    would mix separated classes, or would give an account holding it a second class beside
    its other posts."""
    if not access.can_citywide(actor, "security.roles"):
        raise NotFound()
    role = Role.objects.select_for_update().get(pk=role.pk)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": "名称不能为空"})
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown:
        raise ValidationFailed({"permissions": f"未知权限：{', '.join(unknown)}"})
    permissions = sorted(set(permissions))
    if (duties(role.permissions) | duties(permissions)) & ADMIN_KINDS.keys():
        raise ValidationFailed(
            {"permissions": f"三类管理员的权限由平台设定，不能在角色中增删（{SEPARATION}）"}
        )
    check_role_separation(permissions)
    # The holders' rows locked first, as a grant locks its account's: a grant to one of them
    # in parallel is checked after this edit, or this edit after it.
    holders = (
        get_user_model()
        .objects.select_for_update()
        .filter(pk__in=Post.objects.filter(role=role, is_active=True).values("user"))
    )
    others = Post.objects.filter(user__in=list(holders), is_active=True).exclude(role=role)
    adding = duties(permissions)
    for username, held in sorted(selectors.account_duties(others).items()):
        if second := _second_class(held, adding):
            raise ValidationFailed(
                {
                    "permissions": f"账号 {username} 已担任{_labels(held)}的岗位，本角色不能"
                    f"含有{_labels(second)}的权限（{SEPARATION}）"
                }
            )
    before = {"name": role.name, "permissions": role.permissions}
    role.name, role.permissions = name, permissions
    try:
        with transaction.atomic():
            role.save(update_fields=["name", "permissions"])
    except IntegrityError:  # the database's separation trigger
        raise ValidationFailed({"permissions": SEPARATION}) from None
    record(
        actor=actor,
        action=Action.ACCOUNTS_ROLE_UPDATE,
        obj=role,
        changes=diff(before, {"name": name, "permissions": permissions}),
    )
    access.forget(actor)
    return role


@transaction.atomic
def token_create(*, actor, name: str) -> tuple[ApiToken, str]:
    """A token for the actor's own machine client; the raw value is returned once."""
    if not access.grants(actor):
        raise NotFound()
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": "请填写令牌用途"})
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(
        user=actor,
        name=name[:60],
        token_hash=ApiToken.hash(raw),
        prefix=raw[:8],
        password_fingerprint=password_fingerprint(actor.password),
    )
    record(
        actor=actor, action=Action.ACCOUNTS_TOKEN_CREATE, obj=token, changes={"name": [None, name]}
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor, token_id: int) -> ApiToken:
    """Revoke a token: the actor's own, or anyone's for the city's security administrator.
    ``actor`` None is an operator at the server's console (``gonghui token --revoke``),
    who holds the machine anyway."""
    tokens = ApiToken.objects.select_for_update().select_related("user")
    if actor is not None and not access.can_citywide(actor, "security.tokens"):
        tokens = tokens.filter(user=actor)
    token = tokens.filter(pk=token_id).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is not None:
        raise Conflict(f"令牌 {token.prefix}… 已于之前吊销")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(
        actor=actor,
        action=Action.ACCOUNTS_TOKEN_REVOKE,
        obj=token,
        changes={"user": [token.user.username, None], "name": [token.name, None]},
    )
    return token


@transaction.atomic
def tokens_end_with_account(*, actor, user) -> int:
    """The account was switched off: its live tokens are revoked for good, so that turning
    it on again does not bring them back (the state was worked out from ``is_active`` at
    each request, and a reactivated account's old tokens worked again). Called whenever a
    save leaves an account inactive (orgs.receivers: the shell, the admin, any service),
    and when a token of an inactive account is presented (a hand-made UPDATE). Returns how
    many were revoked; none, no event."""
    now = timezone.now()
    tokens = list(
        ApiToken.objects.select_for_update()
        .filter(user=user, revoked_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "prefix")
    )
    if not tokens:
        return 0
    ApiToken.objects.filter(pk__in=[pk for pk, _ in tokens]).update(revoked_at=now)
    record(
        actor=actor,
        action=Action.ACCOUNTS_TOKENS_END,
        obj=user,
        changes={"tokens": [[f"{prefix}…" for _, prefix in tokens], None]},
    )
    return len(tokens)


def tokens_follow_rehash(*, user, old_hash: str) -> None:
    """Django re-hashes a password with a stronger hasher when its owner signs in with it:
    the same password, a new hash. The owner's tokens follow it, so that only a real change
    of the password stops them. (Not an event: nothing anyone did changed.)"""
    if user.password != old_hash:
        ApiToken.objects.filter(
            user=user, password_fingerprint=password_fingerprint(old_hash)
        ).update(password_fingerprint=password_fingerprint(user.password))


LAST_USED_EVERY = 60  # seconds: a token's last use is written at most once a minute


def token_authenticate(*, raw: str):
    """The user a bearer token acts for, or None: the token must be unrevoked, its owner
    active and holding the password the token was made under. Its last use is noted at
    most once a minute (a busy client costs no write per request)."""
    token = ApiToken.objects.select_related("user").filter(token_hash=ApiToken.hash(raw)).first()
    if token is None or token.state != ApiToken.State.ACTIVE:
        if token is not None and token.state == ApiToken.State.USER_INACTIVE:
            tokens_end_with_account(actor=None, user=token.user)  # switched off by hand
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
