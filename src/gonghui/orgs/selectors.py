"""Reads of the union tree, already limited to the actor's scope."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from gonghui.orgs import access
from gonghui.orgs.models import (
    ApiToken,
    OrgUnit,
    Post,
    path_contains,
    path_prefixes,
)
from gonghui.orgs.permissions import DUTY_LABELS, duties

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


def account_duties(posts) -> dict[str, set[str]]:
    """The separated classes (``permissions.duties``) each account's ``posts`` (a queryset of
    posts) fall in, by user name; one query."""
    classes: dict[str, set[str]] = {}
    for username, perms in posts.values_list("user__username", "role__permissions"):
        classes.setdefault(username, set()).update(duties(perms))
    return classes


def separation_breaches() -> dict[str, list[str]]:
    """Accounts whose active posts fall in more than one separated class (三权分立), with
    the classes' names: posts granted before the rule existed (an upgrade); none since, the
    services and the database refuse them (docs/admin-roles.md). Named by a system check
    (``orgs.W001``) at every start and ``gonghui check``."""
    classes = account_duties(Post.objects.filter(is_active=True))
    return {
        name: sorted(DUTY_LABELS[c] for c in found)
        for name, found in sorted(classes.items())
        if len(found) > 1
    }


def token_list(*, actor) -> QuerySet[ApiToken]:
    """The actor's own API tokens; every token for the city's security administrator."""
    tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-pk")
    if access.can_citywide(actor, "security.tokens"):
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


# --- Navigation by the union tree (the tree panel, the organisation pickers) ----------------

TREE_PAGE = 100  # children shown at once; the rest behind "更多"
SEARCH_HITS = 50
PATH_SEPARATOR = " / "
_NODE_FIELDS = ("pk", "code", "name", "level", "path", "descendants", "is_active")


@dataclass(slots=True)  # not frozen: a frozen dataclass is slow to build, 100 a request
class TreeNode:
    """A node as the panel shows it: ``count`` is the number of units in its subtree the
    viewer sees (itself included), read from the stored count, never counted per request."""

    pk: int
    code: str
    name: str
    level: str
    path: str
    count: int
    has_children: bool
    is_active: bool = True
    label: str = ""  # the full path, for search hits


def _tree_nodes(actor, perm: str, rows, labels: dict[str, str] | None = None) -> list[TreeNode]:
    # A unit inside a subtree post's range has everything below it in scope, so its stored
    # count is the viewer's; seen through a post on that node only, nothing below is.
    roots = access.subtree_paths(actor, perm)
    labels = labels or {}
    nodes = []
    for pk, code, name, level, path, descendants, is_active in rows:
        below = descendants if any(path_contains(root, path) for root in roots) else 0
        nodes.append(
            TreeNode(
                pk, code, name, level, path, below + 1, below > 0, is_active, labels.get(path, "")
            )
        )
    return nodes


def tree_tops(*, actor, perm: str = "orgs.view") -> list[TreeNode]:
    """The viewer's top nodes: the units of their posts holding ``perm``, without those that
    lie inside another of them (no node is shown twice)."""
    held = [g for g in access.grants(actor) if perm in g.permissions and g.scope != Post.Scope.SELF]
    tops = {
        g.path
        for g in held
        if not any(
            o.scope == Post.Scope.SUBTREE and o.path != g.path and path_contains(o.path, g.path)
            for o in held
        )
    }
    rows = OrgUnit.objects.filter(path__in=tops).order_by("path").values_list(*_NODE_FIELDS)
    return _tree_nodes(actor, perm, rows)


def tree_node_get(*, actor, pk, perm: str = "orgs.view") -> OrgUnit:
    """A node of the viewer's tree, or ``NotFound`` (absent and out of scope alike)."""
    return access.get_or_404(OrgUnit.objects.all(), actor, perm, via="", pk=pk)


def tree_children(
    *, actor, parent_id: int, perm: str = "orgs.view", after: str = ""
) -> tuple[list[TreeNode], bool]:
    """A page of the node ``parent_id``'s children, in path order after the path ``after``,
    and whether more follow. Children are in scope exactly when they lie below a subtree
    post's node (``access.below_q``); a node out of scope, or seen through a post on that
    node only, shows none. One range on the (parent, path) index, however wide the node."""
    children = OrgUnit.objects.filter(parent_id=parent_id).filter(access.below_q(actor, perm))
    if after:
        children = children.filter(path__gt=after)
    rows = list(children.order_by("path").values_list(*_NODE_FIELDS)[: TREE_PAGE + 1])
    return _tree_nodes(actor, perm, rows[:TREE_PAGE]), len(rows) > TREE_PAGE


def tree_search(*, actor, query: str, perm: str = "orgs.view") -> list[TreeNode]:
    """Units in scope whose name contains ``query`` or whose code is ``query`` (the first
    ``SEARCH_HITS`` in tree order), each with its full path, so that two units of one name
    are told apart."""
    query = (query or "").strip()[:60]
    if not query:
        return []
    rows = list(
        access.visible_units(actor, perm)
        .filter(Q(name__contains=query) | Q(code=query))
        .order_by("path")
        .values_list(*_NODE_FIELDS)[:SEARCH_HITS]
    )
    labels = path_labels(row[4] for row in rows)
    return _tree_nodes(actor, perm, rows, labels)


def path_labels(paths: Iterable[str]) -> dict[str, str]:
    """Each path's full label ("北京市总工会 / 朝阳区总工会 / 某街道总工会 / 某公司工会"),
    read in ONE query over all their prefixes.

    The whole chain is named, not only the part the viewer's scope covers: the unions above
    a unit are the bodies it belongs to, whose names are public (the federation publishes
    its districts and streets) and known to every post below them; naming them is what
    tells two grassroots unions of one name apart. Nothing below or beside is revealed."""
    paths = set(paths)
    prefixes = {prefix for path in paths for prefix in path_prefixes(path)}
    names = dict(OrgUnit.objects.filter(path__in=prefixes).values_list("path", "name"))
    return {
        path: PATH_SEPARATOR.join(names.get(p, "?") for p in path_prefixes(path)) for path in paths
    }


def labelled_units(units: Iterable[OrgUnit]) -> list[tuple[OrgUnit, str]]:
    """(unit, full path) of each unit, in order, labelled in one query: for a choice of
    units (by id) and a sheet's list of them (by code)."""
    units = list(units)
    labels = path_labels(unit.path for unit in units)
    return [(unit, labels[unit.path]) for unit in units]


def org_label(unit: OrgUnit) -> str:
    """One unit's full path (see ``path_labels``)."""
    return path_labels([unit.path])[unit.path]


def units_by_reference(refs: Iterable[str], *, active_only: bool = True) -> dict[str, OrgUnit]:
    """The units a sheet names, by code or by full path ("北京市总工会 / 朝阳区总工会 / …",
    spaces around the slashes optional): reference -> unit, for those that exist (the
    caller checks scope). Codes in one query per 500; paths by their last name, then the
    candidates' labels in one query."""
    refs = {ref.strip() for ref in refs if ref and ref.strip()}
    units = OrgUnit.objects.filter(is_active=True) if active_only else OrgUnit.objects.all()
    codes = sorted(ref for ref in refs if not _is_path(ref))
    found = {
        unit.code: unit
        for start in range(0, len(codes), 500)
        for unit in units.filter(code__in=codes[start : start + 500])
    }
    wanted = {_normal(ref): ref for ref in refs if _is_path(ref)}
    last = sorted({key.rsplit(PATH_SEPARATOR, 1)[-1] for key in wanted})
    candidates = [
        unit
        for start in range(0, len(last), 500)
        for unit in units.filter(name__in=last[start : start + 500])
    ]
    labels = path_labels(unit.path for unit in candidates)
    for unit in candidates:
        ref = wanted.get(labels[unit.path])
        if ref is not None:
            found[ref] = unit
    return found


def _is_path(ref: str) -> bool:
    return "/" in ref or "／" in ref  # a full-width slash, as Chinese input methods type it


def _normal(path_text: str) -> str:
    parts = path_text.replace("／", "/").split("/")
    return PATH_SEPARATOR.join(part.strip() for part in parts)
