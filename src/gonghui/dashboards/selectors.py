"""Reads of the dashboards: the viewer's nodes and the figures of a node and its children,
each one indexed read of ``Fact`` (never the programmes' tables).

Scope: the figures of a node count its whole subtree, so a viewer sees a node only under a
post holding ``dashboards.view`` over a subtree that contains it (a post limited to its own
node sees no aggregate of what lies below it). Outside that, a node is absent (NotFound)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Sum
from django.utils import timezone

from gonghui.common.errors import NotFound
from gonghui.dashboards.models import DisplayToken, Fact, MetricState
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit, path_contains, path_prefixes
from gonghui.people.selectors import public_profile
from gonghui.registry.models import Award

PERM = "dashboards.view"
SCREENS_PERM = "dashboards.screens"


@dataclass(frozen=True)
class Years:
    """A year range; either end open (None)."""

    first: int | None = None
    last: int | None = None

    def q(self) -> dict:
        bounds = {}
        if self.first is not None:
            bounds["year__gte"] = self.first
        if self.last is not None:
            bounds["year__lte"] = self.last
        return bounds


ALL_YEARS = Years()


def _roots(actor) -> list[str]:
    return access.subtree_paths(actor, PERM)


def may_view(actor) -> bool:
    return bool(_roots(actor))


def may_view_page(actor, programme: str | None) -> bool:
    """A programme's dashboard is for those who may see that programme (``registry.view``
    for the registry's, ...); the leadership's overview (``None``) for every viewer."""
    return may_view(actor) and (programme is None or access.can(actor, f"{programme}.view"))


def node_get(*, actor, pk=None) -> OrgUnit:
    """The node asked for if the viewer sees its subtree, else NotFound; none asked for:
    the viewer's first (highest) node."""
    roots = _roots(actor)
    if not roots:
        raise NotFound()
    if pk is None:
        return OrgUnit.objects.get(path=min(roots, key=len))
    unit = OrgUnit.objects.filter(pk=pk, is_active=True).first()
    if unit is None or not any(path_contains(root, unit.path) for root in roots):
        raise NotFound()
    return unit


def trail(*, actor, node: OrgUnit) -> list[OrgUnit]:
    """The node's ancestors the viewer may open, from the highest, then the node."""
    roots = _roots(actor)
    paths = [p for p in path_prefixes(node.path) if any(path_contains(r, p) for r in roots)]
    return list(OrgUnit.objects.filter(path__in=paths).order_by("path"))


def children(node: OrgUnit) -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(parent=node, is_active=True).order_by("path"))


def totals(*, metrics, node: OrgUnit, years: Years = ALL_YEARS) -> dict[str, dict[str, int]]:
    """metric -> key -> the node's subtree figure over the years (one read)."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for metric, key, value in (
        Fact.objects.filter(metric__in=list(metrics), node=node, **years.q())
        .values_list("metric", "key")
        .annotate(Sum("value"))
        .order_by()
    ):
        out[metric][key] = value
    return out


TOTAL = "total"  # the key of a metric's keys summed (a headline's one series)


def _grouped(qs, by: str, total: bool) -> dict:
    out: dict = defaultdict(dict)
    if total:
        for group, value in qs.values_list(by).annotate(Sum("value")).order_by():
            out[group][TOTAL] = value
    else:
        for group, key, value in qs.values_list(by, "key").annotate(Sum("value")).order_by():
            out[group][key] = value
    return out


def by_year(
    *, metric: str, node: OrgUnit, years: Years = ALL_YEARS, total: bool = False
) -> dict[int, dict[str, int]]:
    """year -> key -> the node's subtree figure (one read); ``total``: the keys summed."""
    return _grouped(Fact.objects.filter(metric=metric, node=node, **years.q()), "year", total)


def by_child(
    *, metric: str, node: OrgUnit, years: Years = ALL_YEARS, total: bool = False
) -> dict[int, dict[str, int]]:
    """child node id -> key -> its subtree figure over the years (one read); ``total``: the
    keys summed."""
    return _grouped(Fact.objects.filter(metric=metric, parent=node, **years.q()), "node_id", total)


def refreshed_at(metrics) -> dict[str, object]:
    """metric -> when its facts were last rebuilt (absent: never)."""
    return dict(
        MetricState.objects.filter(metric__in=list(metrics)).values_list("metric", "refreshed_at")
    )


# --- Display tokens --------------------------------------------------------------------------


def may_manage_screens(actor) -> bool:
    """Display tokens are made and revoked by the city's staff (over the whole tree)."""
    return access.can_citywide(actor, SCREENS_PERM)


def display_token_list(*, actor):
    """Every display token, for the city's staff who make and revoke them."""
    if not may_manage_screens(actor):
        raise NotFound()
    return DisplayToken.objects.select_related("org_unit", "created_by").order_by("-id")


def screen_units(*, actor):
    """The nodes a display token may be bound to: the city and the districts. A hall's
    screen is public: below a district, a union's children are companies, where a figure
    (an illness aid paid, a nominee in progress) can point at one worker."""
    if not may_manage_screens(actor):
        raise NotFound()
    return OrgUnit.objects.filter(is_active=True, depth__lte=1).order_by("path")


def display_token_node(raw) -> tuple[DisplayToken, OrgUnit]:
    """The token's node when ``raw`` is a display token that still works, else NotFound
    (unknown, revoked, expired and malformed alike)."""
    if not isinstance(raw, str) or not raw.startswith("gd_") or len(raw) > 100:
        raise NotFound("展示令牌无效、已吊销或已过期")
    token = (
        DisplayToken.objects.select_related("org_unit")
        .filter(token_hash=DisplayToken.hash(raw), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        raise NotFound("展示令牌无效、已吊销或已过期")
    if not token.org_unit.is_active:
        raise NotFound("展示令牌无效、已吊销或已过期")
    return token, token.org_unit


def wall_people(*, node: OrgUnit, limit: int = 8) -> list[dict]:
    """The latest honoured people of the node's subtree who consented to the public wall:
    their consented name and honour, and whether a consented portrait can be shown."""
    awards = (
        Award.objects.filter(
            access.subtree_q(node, via="org_unit"),
            access.public_q(consent_field="person__is_public"),
            status=Award.Status.ACTIVE,
            person__merged_into__isnull=True,
        )
        .select_related("person__org_unit", "person__employer", "person__trade", "honour")
        .order_by("-year", "-pk")[: limit * 4]
    )
    people, seen = [], set()
    for award in awards:
        person = award.person
        if person.pk in seen:
            continue
        profile = public_profile(person)
        if "name" not in profile:
            continue
        seen.add(person.pk)
        people.append(
            {
                "pk": person.pk,
                "name": profile["name"],
                "honour": f"{award.year}年 {award.honour.name}",
                "portrait": "portrait" in profile and person.portrait_id is not None,
            }
        )
        if len(people) == limit:
            break
    return people
