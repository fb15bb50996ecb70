"""The union organisation tree, roles and posts (who may do what, where)."""

import hashlib
import secrets
from collections import Counter, defaultdict

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat, Substr

from gonghui.orgs.permissions import PERMISSIONS

# Paths are fixed-width decimal segments: digits compare the same under every collation
# (PostgreSQL's en_US as well as SQLite's BINARY), so a subtree is the range
# [path, path_next) on a plain B-tree index.
SEGMENT = 6


def path_next(path: str) -> str:
    """The smallest path after every descendant of ``path`` (segments never hold 999999)."""
    return str(int(path) + 1).zfill(len(path))


def path_prefixes(path: str) -> list[str]:
    """The paths of the node's ancestors from the root down, then its own."""
    return [path[:end] for end in range(SEGMENT, len(path) + 1, SEGMENT)]


def path_contains(root: str, path: str) -> bool:
    """Whether ``path`` is ``root`` or below it."""
    return root <= path < path_next(root)


def rerooted(old_path: str, new_path: str, field: str = "path"):
    """A database expression for ``field`` (a path under ``old_path``) moved under
    ``new_path``: the new prefix and the old path's tail, for one UPDATE of a subtree."""
    return Concat(Value(new_path), Substr(field, len(old_path) + 1))


def recount_descendants(model=None) -> int:
    """Set every unit's ``descendants`` from the paths (after a bulk load that bypassed the
    services, and in the migration that added the count): one read of all paths, then one
    UPDATE per distinct count. Returns how many units changed."""
    model = model or OrgUnit
    paths = list(model.objects.values_list("path", "descendants"))
    below = Counter(prefix for path, _ in paths for prefix in path_prefixes(path)[:-1])
    by_count = defaultdict(list)
    for path, stored in paths:
        if below[path] != stored:
            by_count[below[path]].append(path)
    for count, changed in by_count.items():
        for start in range(0, len(changed), 500):
            model.objects.filter(path__in=changed[start : start + 500]).update(descendants=count)
    return sum(len(changed) for changed in by_count.values())


def add_descendants(path: str, n: int, model=None) -> None:
    """``n`` units were added under ``path`` (removed, if negative): count them in each
    unit at or above it, in one UPDATE."""
    model = model or OrgUnit
    model.objects.filter(path__in=path_prefixes(path)).update(
        descendants=models.F("descendants") + n
    )


def segment(n: int) -> str:
    if not 0 < n < 10**SEGMENT - 1:
        raise ValueError(f"child number {n} out of range")
    return str(n).zfill(SEGMENT)


class OrgUnit(models.Model):
    """A union in the tree (工会组织): city federation, district/industry, street, grassroots."""

    class Level(models.TextChoices):
        CITY = "city", "市总工会"
        DISTRICT = "district", "区总工会"
        INDUSTRY = "industry", "产业工会"
        STREET = "street", "街乡镇总工会"
        GRASSROOTS = "grassroots", "基层工会"

    code = models.CharField("组织编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=120)
    level = models.CharField("级别", max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField("路径", max_length=SEGMENT * 12, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField("层级深度", editable=False)
    # The next segment number for a child.
    child_count = models.PositiveIntegerField("已分配下级编号数", default=0, editable=False)
    # How many units lie below this one (the tree panel's count, read in O(1)): kept by
    # every write that adds or moves units (orgunit_create, orgunit_move, the tree import;
    # ``recount_descendants`` after a bulk load).
    descendants = models.PositiveIntegerField("下级组织数", default=0, editable=False)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "工会组织"
        ordering = ["path"]
        # A node's children in path order, a page at a time: one range on this index
        # (the path index alone would read the node's whole subtree).
        indexes = [models.Index(fields=["parent", "path"], name="orgunit_parent_path")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True) | ~models.Q(level="city"),
                name="orgunit_city_is_root",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def contains(self, unit: "OrgUnit") -> bool:
        """Whether ``unit`` is this node or one of its descendants."""
        return path_contains(self.path, unit.path)


class Role(models.Model):
    """A named set of permissions (角色). Built-in roles are seeded; staff may add more."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=60)
    permissions = models.JSONField("权限", default=list)

    class Meta:
        verbose_name = verbose_name_plural = "角色"

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        unknown = [p for p in self.permissions if p not in PERMISSIONS]
        if unknown:
            raise ValidationError({"permissions": f"未知权限：{', '.join(unknown)}"})


class Post(models.Model):
    """A user's post (岗位): a role at a node, with its data scope (数据权限)."""

    class Scope(models.TextChoices):
        SUBTREE = "subtree", "本级及下级"
        NODE = "node", "仅本级"
        SELF = "self", "仅本人"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="posts",
        verbose_name="用户",
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name="所在组织", on_delete=models.PROTECT, related_name="posts"
    )
    role = models.ForeignKey(Role, verbose_name="角色", on_delete=models.PROTECT)
    scope = models.CharField(
        "数据范围", max_length=10, choices=Scope.choices, default=Scope.SUBTREE
    )
    title = models.CharField("职务", max_length=60, blank=True)
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "岗位"
        constraints = [
            models.UniqueConstraint(fields=["user", "org_unit", "role"], name="post_unique")
        ]

    def __str__(self) -> str:
        return f"{self.org_unit.name} · {self.role.name}"


def token_digest(raw: str) -> str:
    """What a token table stores of a raw token (API tokens, display tokens): its SHA-256."""
    return hashlib.sha256(raw.encode()).hexdigest()


def password_fingerprint(password_hash: str) -> str:
    """What binds a token to its owner's password: a digest of the stored password hash
    (never of the password). Any change of the password (the owner's page, the admin, a
    reset, ``changepassword``, even a direct UPDATE) changes it, and the token stops."""
    return hashlib.sha256(f"gonghui.apitoken:{password_hash}".encode()).hexdigest()


class ApiToken(models.Model):
    """A machine client's bearer token. Only its SHA-256 is stored (the token is random,
    256 bits, so an unkeyed hash is safe here); the raw token is shown once. It works
    while it is not revoked, its owner is active and has the password they had when it
    was made (``password_fingerprint``)."""

    class State(models.TextChoices):
        ACTIVE = "active", "有效"
        REVOKED = "revoked", "已吊销"
        PASSWORD_CHANGED = "password_changed", "已失效（账号密码已更改）"
        USER_INACTIVE = "user_inactive", "已失效（账号已停用）"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name="用户",
    )
    name = models.CharField("用途", max_length=60)
    token_hash = models.CharField("令牌摘要", max_length=64, unique=True, editable=False)
    prefix = models.CharField("令牌前缀", max_length=8, editable=False)
    password_fingerprint = models.CharField("密码指纹", max_length=64, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用时间", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_raw() -> str:
        return "gh_" + secrets.token_urlsafe(32)

    @staticmethod
    def hash(raw: str) -> str:
        return token_digest(raw)

    @property
    def state(self) -> str:
        """Whether the token still works, and if not why (reads ``user``)."""
        if self.revoked_at is not None:
            return self.State.REVOKED
        if not self.user.is_active:
            return self.State.USER_INACTIVE
        if self.password_fingerprint != password_fingerprint(self.user.password):
            return self.State.PASSWORD_CHANGED
        return self.State.ACTIVE

    def get_state_display(self) -> str:
        return self.State(self.state).label


class DemoAccount(models.Model):
    """An account ``gonghui demo`` made with the demo's published password, and the hash it
    set. Outside debug, ``serve`` and ``worker`` refuse to start while one of them is active
    with that hash still (``orgs.demo.refuse_demo_passwords``): one string compare per demo
    account, no password hashing at start-up. A re-hash of the same password at sign-in
    follows here (``orgs.demo.demo_password_follows_rehash``); any other account is kept
    from the demo's password by ``common.passwords.DemoPasswordValidator``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name="用户",
    )
    password_hash = models.CharField("演示密码的哈希", max_length=128, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "演示账号"

    def __str__(self) -> str:
        return str(self.user)
