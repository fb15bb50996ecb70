"""Navigation by the union tree: the stored subtree counts stay right after every write
that adds or moves units, the panel's selectors keep to the viewer's scope, and labels
name the whole path, so that two units of one name are told apart."""

import pytest

from gonghui.common.errors import NotFound
from gonghui.orgs import selectors, services
from gonghui.orgs.models import OrgUnit, Post, Role, path_next, recount_descendants
from gonghui.treeimport.services import tree_import
from tests.factories import make_unit, make_user

pytestmark = pytest.mark.django_db


def counts_are_right():
    """Every unit's stored count equals the units counted below it directly."""
    for unit in OrgUnit.objects.all():
        below = OrgUnit.objects.filter(path__gt=unit.path, path__lt=path_next(unit.path)).count()
        assert unit.descendants == below, (unit.code, unit.descendants, below)


def test_counts_are_right_after_the_seed_and_create(tree):
    counts_are_right()
    assert OrgUnit.objects.get(pk=tree.city.pk).descendants == OrgUnit.objects.count() - 1
    assert OrgUnit.objects.get(pk=tree.chaoyang.pk).descendants == 2


def test_counts_follow_a_move(tree, users):
    extra = make_unit(tree.cy_grass, "grassroots", "CY-G1-1", "朝阳某公司分会")
    services.orgunit_move(actor=users.admin, unit=tree.cy_street, new_parent=tree.haidian)
    counts_are_right()
    assert OrgUnit.objects.get(pk=tree.chaoyang.pk).descendants == 0
    assert OrgUnit.objects.get(pk=tree.haidian.pk).descendants == 5
    assert OrgUnit.objects.get(pk=extra.pk).descendants == 0


def test_counts_follow_an_import(tree, users):
    data = "\n".join(
        [
            "组织编码,组织名称,级别,上级编码",
            "CY-G2,朝阳某厂工会,基层工会,CY-S2",  # a child before its parent
            "CY-S2,三里屯街道总工会,街乡镇总工会,110105",
            "CY-G3,朝阳某店工会,基层工会,CY-S2",
            "CY-G4,朝阳某站工会,基层工会,CY-S1",
        ]
    ).encode()
    assert tree_import(actor=users.cy, data=data, filename="t.csv") == 4
    counts_are_right()
    assert OrgUnit.objects.get(code="CY-S2").descendants == 2
    assert OrgUnit.objects.get(pk=tree.chaoyang.pk).descendants == 6


def test_a_recount_mends_counts_after_a_bulk_load(tree):
    OrgUnit.objects.update(descendants=0)
    assert recount_descendants() > 0
    counts_are_right()
    assert recount_descendants() == 0


def test_top_nodes_are_the_posts_without_nesting(tree, users):
    assert [n.pk for n in selectors.tree_tops(actor=users.admin)] == [tree.city.pk]
    both = make_user("both", tree.chaoyang, "district_staff")
    for unit, role, scope in (
        (tree.cy_street, "street_staff", "subtree"),
        (tree.haidian, "district_staff", "node"),
    ):
        Post.objects.create(user=both, org_unit=unit, role=Role.objects.get(code=role), scope=scope)
    tops = selectors.tree_tops(actor=both)
    assert [n.pk for n in tops] == [tree.chaoyang.pk, tree.haidian.pk]
    chaoyang, haidian = tops
    assert (chaoyang.count, chaoyang.has_children) == (3, True)
    # A post on the node only: nothing below it is in scope, so nothing to open or count.
    assert (haidian.count, haidian.has_children) == (1, False)
    assert selectors.tree_children(actor=both, parent_id=tree.haidian.pk)[0] == []
    assert selectors.tree_tops(actor=users.nopost) == []


def test_children_are_in_scope_with_counts(tree, users):
    children, more = selectors.tree_children(actor=users.cy, parent_id=tree.chaoyang.pk)
    assert [(n.name, n.count, n.has_children) for n in children] == [("建外街道总工会", 2, True)]
    assert more is False
    for forged in (tree.haidian.pk, tree.city.pk, 999999):
        with pytest.raises(NotFound):
            selectors.tree_node_get(actor=users.cy, pk=forged)
        # Not even the district's own unit, under a parent out of scope.
        assert selectors.tree_children(actor=users.cy, parent_id=forged) == ([], False)
    assert selectors.tree_node_get(actor=users.cy, pk=tree.cy_grass.pk) == tree.cy_grass


def test_wide_nodes_come_a_page_at_a_time(tree, users, monkeypatch):
    monkeypatch.setattr(selectors, "TREE_PAGE", 2)
    for i in range(3):
        make_unit(tree.cy_street, "grassroots", f"CY-W{i}", f"宽节点工会{i}")
    first, more = selectors.tree_children(actor=users.cy, parent_id=tree.cy_street.pk)
    assert len(first) == 2 and more
    rest, more = selectors.tree_children(
        actor=users.cy, parent_id=tree.cy_street.pk, after=first[-1].path
    )
    assert len(rest) == 2 and not more
    assert {n.code for n in first + rest} == {"CY-G1", "CY-W0", "CY-W1", "CY-W2"}


def test_search_stays_in_scope_and_names_the_whole_path(tree, users):
    hits = selectors.tree_search(actor=users.cy, query="某公司工会")
    assert [n.label for n in hits] == [
        "北京市总工会 / 朝阳区总工会 / 建外街道总工会 / 朝阳某公司工会"
    ]
    assert len(selectors.tree_search(actor=users.admin, query="某公司工会")) == 2
    assert [n.pk for n in selectors.tree_search(actor=users.cy, query="HD-G1")] == []
    assert [n.pk for n in selectors.tree_search(actor=users.admin, query="HD-G1")] == [
        tree.hd_grass.pk
    ]
    assert selectors.tree_search(actor=users.cy, query="   ") == []
    assert selectors.tree_search(actor=users.nopost, query="工会") == []


def test_labels_are_read_in_one_query_and_tell_same_names_apart(
    tree, users, django_assert_num_queries
):
    a = make_unit(tree.cy_street, "grassroots", "SAME-1", "同名公司工会")
    b = make_unit(tree.hd_street, "grassroots", "SAME-2", "同名公司工会")
    with django_assert_num_queries(1):
        labels = selectors.path_labels([a.path, b.path, tree.city.path])
    assert labels[a.path] == "北京市总工会 / 朝阳区总工会 / 建外街道总工会 / 同名公司工会"
    assert labels[b.path] == "北京市总工会 / 海淀区总工会 / 中关村街道总工会 / 同名公司工会"
    assert labels[tree.city.path] == "北京市总工会"
