"""Reads of the union tree, already limited to the actor's scope."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from gonghui.orgs import access
from gonghui.orgs.models import ApiToken, OrgUnit, Post, path_prefixes

ORG_UNIT_SORTS = {
    "path": "path",
    "code": "code",
    "-code": "-code",
    "name": "name",
    "-name": "-name",
    "level": "level",
    "-level": "-level",
}


def org_unit_list(
    *,
    actor,
    root: OrgUnit | None = None,
    parent: OrgUnit | None = None,
    query: str = "",
    level: str = "",
    sort: str = "path",
    perm: str = "orgs.view",
) -> QuerySet[OrgUnit]:
    """Units the actor may see (or where they hold ``perm``); ``root`` limits to its
    subtree (one path range), ``parent`` to its direct children."""
    qs = access.visible_units(actor, perm).select_related("parent")
    if root is not None:
        qs = qs.filter(access.subtree_q(root))
    if parent is not None:
        qs = qs.filter(parent=parent)
    if query:
        query = query.strip()[:60]
        qs = qs.filter(name__contains=query) | qs.filter(code=query)
    if level:
        qs = qs.filter(level=level)
    return qs.order_by(ORG_UNIT_SORTS.get(sort, "path"), "pk")


def org_unit_get(*, actor, pk) -> OrgUnit:
    return access.get_or_404(
        OrgUnit.objects.select_related("parent"), actor, "orgs.view", via="", pk=pk
    )


def org_unit_ancestors(unit: OrgUnit, *, actor) -> list[OrgUnit]:
    """The breadcrumb: visible ancestors from the top down (prefixes of the path)."""
    prefixes = path_prefixes(unit.path)[:-1]
    return list(access.visible_units(actor).filter(path__in=prefixes).order_by("path"))


def posts_held(*, actor) -> QuerySet[Post]:
    """The posts the actor holds, with their unit and role."""
    held = [grant.post_id for grant in access.grants(actor)]
    return Post.objects.filter(pk__in=held).select_related("org_unit", "role")


def token_list(*, actor) -> QuerySet[ApiToken]:
    """The actor's own API tokens; every token for the city's account administrator."""
    tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-pk")
    if access.can_citywide(actor, "accounts.manage"):
        return tokens
    return tokens.filter(user_id=actor.pk)


def tokens_matching(ref: str) -> list[ApiToken]:
    """For the server's console only (no scope): tokens named by id, by the prefix shown
    in lists (``gh_AbCdE``), or by the whole raw token."""
    ref = (ref or "").strip()
    tokens = ApiToken.objects.select_related("user").order_by("pk")
    if ref.isdigit():
        return list(tokens.filter(pk=int(ref)))
    if len(ref) > 8:
        return list(tokens.filter(token_hash=ApiToken.hash(ref)))
    return list(tokens.filter(prefix=ref)) if len(ref) == 8 else []


def password_hash_of(username: str) -> str | None:
    """The stored password hash of an account (for noticing a re-hash at sign-in)."""
    return (
        get_user_model()
        .objects.filter(username=username)
        .values_list("password", flat=True)
        .first()
    )


def post_levels(*, actor, perm: str) -> set[str]:
    """The tree levels (city, district ...) of the actor's posts holding ``perm``: which
    stage of a multi-level review is the actor's (one query, on the grants' units)."""
    levels = getattr(actor, "_gonghui_post_levels", None)
    if levels is None:  # the levels of all the actor's posts' units, read once per request
        units = {g.unit_id for g in access.grants(actor)}
        levels = dict(OrgUnit.objects.filter(pk__in=units).values_list("pk", "level"))
        actor._gonghui_post_levels = levels
    return {levels[g.unit_id] for g in access.grants(actor) if perm in g.permissions}
