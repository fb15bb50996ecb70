"""The union tree panel: opening a node (its children with their counts) at 50,000 units,
against a primary-key fetch of one unit, measured interleaved on the same data.

The tree is the seeded city federation and its 17 districts, with streets under each
district, grassroots unions under the streets and branch unions (分会) under some of them
(depths 0 to 4), plus one street far wider than the rest (the widest node). It is built
through the tree import, so the import's upkeep of the stored counts is checked as well.
A sample of nodes at every depth, the root and the widest node included, is opened in turn:
by the selector the panel's endpoint runs (a page of the node's children in scope, one
query), with the actor's posts read afresh each time as a request reads them,
and, for comparison, through the endpoint itself with Django's test client.
"""

import csv
import io
import random
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.test import Client
from measure import comparison, figure, interleaved, make_user, note, p95

from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit, path_next
from gonghui.orgs.selectors import TREE_PAGE, tree_children
from gonghui.treeimport.services import COLUMNS, tree_import


@dataclass(frozen=True)
class Scale:
    nodes: int  # units in the tree, the seeded 18 included
    widest: int  # children of the widest street
    per_depth: int  # nodes sampled at each depth
    reps: int  # rounds over the sample


SCALES = {
    "small": Scale(nodes=5_000, widest=1_000, per_depth=10, reps=20),
    "full": Scale(nodes=50_000, widest=5_000, per_depth=20, reps=25),
}
STREET_SIZE = 150  # grassroots unions per street, roughly
BRANCH_EVERY = 10  # one grassroots union in so many has branch unions (depth 4)
BRANCHES = 3
TARGET = 5
SEED = 20


def run(scale_name: str) -> Iterator[str]:
    scale = SCALES[scale_name]
    note(f"database: {connection.vendor}; {scale}")
    city = OrgUnit.objects.get(parent__isnull=True)
    admin = make_user("bench-tree-admin", city, "city_admin")
    build_tree(admin, city, scale)
    check_counts()
    sample = sample_nodes(city, scale.per_depth)
    widest = OrgUnit.objects.get(code="W-S001")
    yield from node_opening(admin, "city", sample, widest, scale.reps)
    district = OrgUnit.objects.get(code="110105")
    staff = make_user("bench-tree-district", district, "district_staff")
    in_district = sample_nodes(district, scale.per_depth)
    yield from node_opening(staff, "district", in_district, None, scale.reps)
    yield endpoint(admin, sample, scale.reps)


# --- The tree ------------------------------------------------------------------------------


def tree_rows(districts: list[OrgUnit], nodes: int, widest: int) -> list[tuple]:
    """(code, name, level, parent code) rows: the widest street first (under the first
    district), then streets, grassroots and branch unions spread over the districts."""
    rows = [("W-S001", "宽街道总工会", "街乡镇总工会", districts[0].code)]
    rows += [(f"W-G{g:05d}", f"宽街道第{g}基层工会", "基层工会", "W-S001") for g in range(widest)]
    left = nodes - len(rows)
    share, extra = divmod(left, len(districts))
    for i, district in enumerate(districts):
        count = share + (i < extra)
        area = district.name.removesuffix("总工会")
        streets = max(1, count // (STREET_SIZE + 1 + STREET_SIZE // BRANCH_EVERY * BRANCHES))
        codes = [f"{district.code}-S{s:03d}" for s in range(1, streets + 1)]
        rows += [
            (c, f"{area}第{s}街道总工会", "街乡镇总工会", district.code)
            for s, c in enumerate(codes, 1)
        ]
        made, g = streets, 0
        while made < count:
            g += 1
            code = f"{district.code}-G{g:05d}"
            rows.append((code, f"{area}第{g}基层工会", "基层工会", codes[g % streets]))
            made += 1
            for b in range(1, BRANCHES + 1 if g % BRANCH_EVERY == 0 else 1):
                if made < count:
                    rows.append((f"{code}-B{b}", f"{area}第{g}基层工会第{b}分会", "基层工会", code))
                    made += 1
    return rows


def build_tree(admin, city: OrgUnit, scale: Scale) -> None:
    districts = list(OrgUnit.objects.filter(parent=city).order_by("path"))
    rows = tree_rows(districts, scale.nodes - OrgUnit.objects.count(), scale.widest)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS.values())
    writer.writerows(rows)
    start = time.perf_counter()
    created = tree_import(actor=admin, data=text.getvalue().encode(), filename="tree.csv")
    note(f"built the tree: {created} units imported in {time.perf_counter() - start:.1f} s")


def check_counts() -> None:
    """The stored counts the panel shows equal the units below, counted directly (a sample
    of nodes at every depth)."""
    for unit in OrgUnit.objects.order_by("?")[:50]:
        below = OrgUnit.objects.filter(path__gt=unit.path, path__lt=path_next(unit.path)).count()
        if below != unit.descendants:
            raise RuntimeError(f"{unit.code}: stored count {unit.descendants}, below {below}")
    city = OrgUnit.objects.get(parent__isnull=True)
    if city.descendants != OrgUnit.objects.count() - 1:
        raise RuntimeError(f"the root counts {city.descendants}")


def sample_nodes(root: OrgUnit, per_depth: int) -> list[OrgUnit]:
    """Up to ``per_depth`` nodes at every depth of ``root``'s subtree (``root`` itself)."""
    rng = random.Random(SEED)
    subtree = OrgUnit.objects.filter(path__gte=root.path, path__lt=path_next(root.path))
    sample = []
    for depth in range(
        root.depth, subtree.order_by("-depth").values_list("depth", flat=True)[0] + 1
    ):
        ids = list(subtree.filter(depth=depth).values_list("pk", flat=True))
        sample += subtree.filter(pk__in=rng.sample(ids, min(per_depth, len(ids))))
    note(
        f"sample under {root.name}: {len(sample)} nodes over depths {root.depth}-{sample[-1].depth}"
    )
    return sample


# --- Opening a node --------------------------------------------------------------------------


def node_opening(actor, who: str, sample: list[OrgUnit], widest, reps: int) -> Iterator[str]:
    """Open each node of the sample in turn (the widest one often): the selector as a
    request runs it, its actor's posts already read by the page's frame (the menu reads them
    on every page); and, beside it for comparison, with the posts read afresh for each call.
    Both against a primary-key fetch of the same unit."""
    nodes = [*sample, *([widest] * (len(sample) // 5) if widest else [])]
    turn = {"open": 0, "fresh": 0, "pk": 0}

    def next_node(side: str) -> OrgUnit:
        turn[side] += 1
        return nodes[(turn[side] - 1) % len(nodes)]

    def open_node() -> None:
        unit = next_node("open")
        children, _ = tree_children(actor=actor, parent_id=unit.pk)
        if unit.descendants and not children:
            raise RuntimeError(f"{unit.code}: no children shown")

    def open_fresh() -> None:
        access.forget(actor)
        tree_children(actor=actor, parent_id=next_node("fresh").pk)

    def by_pk() -> None:
        OrgUnit.objects.get(pk=next_node("pk").pk)

    access.grants(actor)
    times = interleaved(
        {"open": open_node, "fresh": open_fresh, "pk": by_pk},
        reps * len(nodes),
        warmup=len(nodes),
    )
    opened, fresh, pk = times["open"], times["fresh"], times["pk"]
    ms = {name: (statistics.median(t) * 1000, p95(t) * 1000) for name, t in times.items()}
    note(
        f"{who} post, {len(nodes)} nodes x {reps}: "
        + "; ".join(f"{name} p50 {a:.3f} ms p95 {b:.3f} ms" for name, (a, b) in ms.items())
        + f" (at most {TREE_PAGE} children a page)"
    )
    p50_ratio = statistics.median(opened) / statistics.median(pk)
    yield figure(f"tree.open_node_{who}_p50", ms["open"][0], "ms", "ratio_to_pk", p50_ratio, TARGET)
    yield figure(
        f"tree.open_node_{who}_p95",
        ms["open"][1],
        "ms",
        "ratio_to_pk",
        p95(opened) / p95(pk),
        TARGET,
    )
    if widest is not None:
        wide = [t for i, t in enumerate(opened) if nodes[i % len(nodes)] == widest]
        wide_pk = [t for i, t in enumerate(pk) if nodes[i % len(nodes)] == widest]
        yield figure(
            f"tree.open_widest_{who}_p95",
            p95(wide) * 1000,
            "ms",
            "ratio_to_pk",
            p95(wide) / p95(wide_pk),
            TARGET,
        )
    yield comparison(
        f"tree.open_node_{who}_fresh_posts_p50",
        ms["fresh"][0],
        "ms",
        "ratio_to_pk",
        statistics.median(fresh) / statistics.median(pk),
    )


def endpoint(actor, sample: list[OrgUnit], reps: int) -> str:
    """The panel's children endpoint through Django's test client (session, middleware, the
    fragment's template): a comparison beside the selectors' figure, against a pk fetch."""
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    client.force_login(actor)
    urls = [f"/tree/{unit.pk}/?perm=orgs.view&param=org" for unit in sample]
    position = {"get": 0, "pk": 0}

    def get() -> None:
        response = client.get(urls[position["get"] % len(urls)])
        position["get"] += 1
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code} from the tree endpoint")

    def by_pk() -> None:
        OrgUnit.objects.get(pk=sample[position["pk"] % len(sample)].pk)
        position["pk"] += 1

    times = interleaved({"get": get, "pk": by_pk}, reps * len(urls) // 5, warmup=len(urls))
    note(
        f"endpoint p50 {statistics.median(times['get']) * 1000:.2f} ms, p95 {p95(times['get']) * 1000:.2f} ms"
    )
    return comparison(
        "tree.endpoint_p95",
        p95(times["get"]) * 1000,
        "ms",
        "ratio_to_pk",
        p95(times["get"]) / p95(times["pk"]),
    )
