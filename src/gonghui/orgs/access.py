"""THE data-scope check (数据权限). Every page, fragment, API operation, export, download
and write path asks here, and nowhere else, what an actor may see or touch.

A user's posts each grant a role's permissions over a scope: a node and its subtree (the
default), the node only, or the user's own person record only. What a user may do with a
permission is the union over their posts; a user with no post may do nothing. A subtree is
one range on the materialised path — ``path >= p AND path < p_next`` — which both SQLite
and PostgreSQL answer from the B-tree index (``startswith`` would become ``LIKE`` and scan).

Records outside scope are reported as absent (``NotFound``), never as "forbidden", so that
nobody learns what exists outside their scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from gonghui.common.errors import Forbidden, NotFound
from gonghui.orgs.models import (
    SEGMENT,
    OrgUnit,
    Post,
    path_contains,
    path_next,
    path_prefixes,
)

NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Grant:
    """One post, flattened: its permissions and where they apply."""

    post_id: int
    unit_id: int
    path: str
    scope: str
    permissions: frozenset[str]
    level: str  # the post's unit's level in the tree (city, district, street ...)
    role: str = ""  # the post's role's code (who must pass a second factor: factors app)

    def covers(self, unit: OrgUnit) -> bool:
        if self.scope == Post.Scope.SUBTREE:
            return path_contains(self.path, unit.path)
        if self.scope == Post.Scope.NODE:
            return unit.pk == self.unit_id
        return False


def grants(actor) -> list[Grant]:
    """The actor's active posts, read once per request (cached on the user object) as the
    seven values a grant needs: no Post, OrgUnit or Role instances are built for them."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    cached = getattr(actor, "_gonghui_grants", None)
    if cached is None:
        cached = [
            Grant(post, unit, path, scope, frozenset(permissions), level, role)
            for post, unit, path, scope, permissions, level, role in Post.objects.filter(
                user=actor, is_active=True, org_unit__is_active=True
            )
            .order_by("org_unit__path")
            .values_list(
                "pk",
                "org_unit_id",
                "org_unit__path",
                "scope",
                "role__permissions",
                "org_unit__level",
                "role__code",
            )
        ]
        actor._gonghui_grants = cached
    return cached


def forget(actor) -> None:
    """Drop the cached grants (after the actor's posts change)."""
    actor.__dict__.pop("_gonghui_grants", None)


def can(actor, perm: str) -> bool:
    """Whether any post of the actor holds ``perm`` (anywhere): for menus and buttons."""
    return any(perm in g.permissions for g in grants(actor))


def require(actor, perm: str) -> None:
    """A page or endpoint offered only to holders of ``perm`` (anywhere): NotFound for the
    rest (a member, a merchant's counter account find no such page)."""
    if not can(actor, perm):
        raise NotFound()


def post_levels(actor, perm: str) -> set[str]:
    """The tree levels (city, district ...) of the actor's posts holding ``perm``: which
    stage of a multi-level review is the actor's."""
    return {g.level for g in grants(actor) if perm in g.permissions}


def subtree_paths(actor, perm: str) -> list[str]:
    """The nodes of the actor's posts holding ``perm`` over their whole subtree: what sees
    the figures, counts and children below a node (a post on its node only does not)."""
    return [
        g.path for g in grants(actor) if perm in g.permissions and g.scope == Post.Scope.SUBTREE
    ]


def post_ancestors(actor, perm: str) -> set[str]:
    """The paths of the nodes at and above each post holding ``perm``: what a post sits
    under (a grassroots union takes part in its district's campaign), not what it may see."""
    return {
        prefix for g in grants(actor) if perm in g.permissions for prefix in path_prefixes(g.path)
    }


def can_citywide(actor, perm: str) -> bool:
    """Whether the actor holds ``perm`` over the whole tree (a subtree post at the root):
    for what belongs to no unit (logins, exports) and the city-only admin site."""
    return any(
        perm in g.permissions and g.scope == Post.Scope.SUBTREE and len(g.path) == SEGMENT
        for g in grants(actor)
    )


def home_grant(actor, perm: str) -> Grant | None:
    """The first of the actor's posts holding ``perm``: the post a write with no unit of its
    own (an import, an export, a look-up) acts from and files its events under."""
    return next((g for g in grants(actor) if perm in g.permissions), None)


def grant_at(actor, perm: str, unit: OrgUnit) -> Grant | None:
    """The first post that grants ``perm`` at ``unit`` (recorded as the acting post)."""
    return next((g for g in grants(actor) if perm in g.permissions and g.covers(unit)), None)


def can_at(actor, perm: str, unit: OrgUnit) -> bool:
    return grant_at(actor, perm, unit) is not None


def scope_q(actor, perm: str, *, via: str = "org_unit", self_via: str | None = None) -> Q:
    """A filter for rows the actor may ``perm``.

    ``via`` is the lookup from the queried model to what carries the union node's ``path``:
    its ``OrgUnit``, or a copy of the path such as the search keys' ("" when querying
    OrgUnit itself); ``self_via`` the lookup to the owning user, for "self only" posts.
    """
    prefix = f"{via}__" if via else ""
    q = NOTHING
    for g in grants(actor):
        if perm not in g.permissions:
            continue
        if g.scope == Post.Scope.SUBTREE:
            q |= _range(g.path, prefix)
        elif g.scope == Post.Scope.NODE:
            q |= Q(**{f"{prefix}path": g.path})
        elif self_via:
            q |= Q(**{self_via: actor.pk})
    return q


def below_q(actor, perm: str, *, via: str = "") -> Q:
    """Rows strictly below the node of a subtree post holding ``perm`` (a post's own node
    excluded): a unit's children are in scope exactly when they match this, so the tree
    panel lists children with one filter on the children themselves, no join."""
    prefix = f"{via}__" if via else ""
    q = NOTHING
    for path in subtree_paths(actor, perm):
        q |= Q(**{f"{prefix}path__gt": path, f"{prefix}path__lt": path_next(path)})
    return q


def _range(path: str, prefix: str) -> Q:
    return Q(**{f"{prefix}path__gte": path, f"{prefix}path__lt": path_next(path)})


def subtree_q(root: OrgUnit, *, via: str = "") -> Q:
    """Rows at ``root`` or below it (a filter, not a permission): one index range."""
    return _range(root.path, f"{via}__" if via else "")


def restrict(qs: QuerySet, actor, perm: str, **kwargs) -> QuerySet:
    """``qs`` limited to what ``actor`` may ``perm`` (see ``scope_q``)."""
    return qs.filter(scope_q(actor, perm, **kwargs))


def get_or_404(
    qs: QuerySet, actor, perm: str, *, via: str = "org_unit", self_via: str | None = None, **lookup
):
    """One record in scope, or ``NotFound`` for absent and forbidden alike."""
    try:
        return restrict(qs, actor, perm, via=via, self_via=self_via).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def require_at(actor, perm: str, unit: OrgUnit, *, view_perm: str | None = None) -> Grant:
    """The post that allows ``perm`` at ``unit``; else ``NotFound`` if the actor cannot
    even see it there, ``Forbidden`` if they can see it but not ``perm`` it."""
    grant = grant_at(actor, perm, unit)
    if grant is not None:
        return grant
    if view_perm and can_at(actor, view_perm, unit):
        raise Forbidden()
    raise NotFound()


def require_move(actor, perm: str, old: OrgUnit, new: OrgUnit) -> None:
    """A move needs ``perm`` at both ends: nobody moves a record out of their own scope,
    nor into someone else's."""
    require_at(actor, perm, old)
    if not can_at(actor, perm, new):
        raise Forbidden("目标组织不在您的管理范围内，不能移入或移出")


def holds_post_within(actor, unit: OrgUnit) -> bool:
    """Whether one of the actor's own posts sits at ``unit`` or below it: switching such a
    unit off or moving it would cut the branch the actor stands on."""
    return any(path_contains(unit.path, g.path) for g in grants(actor))


def visible_units(actor, perm: str = "orgs.view") -> QuerySet:
    return restrict(OrgUnit.objects.all(), actor, perm, via="")


# --- The anonymous audience (public pages: honour wall, public notices) -----------------


def public_q(*, consent_field: str = "is_public") -> Q:
    """Rows shown to the public: only those whose person consented."""
    return Q(**{consent_field: True})


def consented(record, allowed) -> list[str]:
    """Which of ``allowed`` the record's owner agreed to show the public, in that order."""
    given = set(getattr(record, "public_fields", None) or [])
    return [f for f in allowed if f in given]
