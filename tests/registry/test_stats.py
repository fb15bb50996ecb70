import json
from dataclasses import dataclass
from io import BytesIO

import pytest
from openpyxl import load_workbook

from gonghui.registry import selectors, stats
from gonghui.registry.models import Award, Category, Honour
from tests.factories import make_person


def award(honour, holder, year, *, batch="", categories=(), collective=None, **extra):
    made = Award.objects.create(
        honour=honour,
        person=None if collective else holder,
        unit=collective,
        org_unit=(collective or holder).org_unit,
        year=year,
        batch=batch,
        **extra,
    )
    made.categories.set(categories)
    return made


@pytest.fixture
def cats(db):
    return {c.code: c for c in Category.objects.all()}


@dataclass
class Data:
    """The statistics tests' city honour and its 科技创新 category."""

    city: Honour
    tech: Category


@pytest.fixture
def data(registry, tree, honours, cats) -> Data:
    """City model workers of two campaigns (2015: 1 of 4 in 科技创新; 2020: 2 of 5), a
    craftsman title in between, a collective award, a revoked award; Chaoyang, Haidian and
    the city federation itself."""
    city, tech, front = honours["beijing-model-worker"], cats["tech-innovation"], cats["front-line"]
    cy = [make_person(tree.cy_grass, f"朝阳{i}") for i in range(5)]
    hd = [make_person(tree.hd_grass, f"海淀{i}") for i in range(3)]
    root = make_person(tree.city, "市直一")
    award(city, cy[0], 2015, batch="第13批", categories=[tech, front])
    award(city, cy[1], 2015, batch="第13批", categories=[front])
    award(city, hd[0], 2015, batch="第13批")
    award(city, hd[1], 2015, batch="第13批")
    award(city, cy[2], 2020, batch="第14批", categories=[tech])
    award(city, cy[3], 2020, batch="第14批", categories=[tech, front])
    award(city, cy[4], 2020, batch="第14批")
    award(city, hd[2], 2020, batch="第14批")
    award(city, root, 2020, batch="第14批")
    award(city, hd[0], 2000, batch="第2批")  # sorts before 第13批 though "第1" < "第2"
    # 2018 is not a campaign of the city honour: it must not count as "previous".
    award(honours["beijing-master-craftsman"], cy[0], 2018, categories=[tech])
    award(honours["beijing-pioneer-team"], None, 2019, collective=registry.employer)
    award(
        city,
        registry.people["钱学"],
        2020,
        batch="第14批",
        categories=[tech],
        status=Award.Status.REVOKED,
        revoked_reason="撤销",
    )
    return Data(city=city, tech=tech)


def counts(breakdown):
    return {r.label: r.count for r in breakdown.rows}


def test_counts_by_honour_year_batch(data):
    everything = Award.objects.all()
    assert counts(stats.by_honour(awards_qs=everything)) == {
        "北京市劳动模范": 10,
        "北京市工人先锋号": 1,
        "北京大工匠": 1,
    }
    assert counts(stats.by_year(awards_qs=everything)) == {
        "2000年": 1,
        "2015年": 4,
        "2018年": 1,
        "2019年": 1,
        "2020年": 5,
    }
    batches = stats.by_batch(awards_qs=everything)
    assert [r.label for r in batches.rows][:3] == [
        "北京市劳动模范 第2批",
        "北京市劳动模范 第13批",
        "北京市劳动模范 第14批",
    ]
    assert counts(batches)["北京市劳动模范 第14批"] == 5  # the revoked one is not counted
    assert counts(batches)["北京市工人先锋号 （未分批次）"] == 1
    assert batches.total == 12


def test_counts_by_district_and_category(data, tree):
    everything = Award.objects.all()
    districts = stats.by_district(awards_qs=everything)
    assert counts(districts) == {
        tree.city.name: 1,  # a holder attached to the city federation itself
        tree.chaoyang.name: 7,  # five people (one twice) and the collective
        tree.haidian.name: 4,  # three people (one twice)
    }
    categories = stats.by_category(awards_qs=everything)
    assert counts(categories)["科技创新人员"] == 4
    assert counts(categories)["一线职工"] == 3
    assert counts(categories)["农民工"] == 0
    assert counts(categories)["（未标注类别）"] == 7
    assert categories.total == 12  # an award with two tags counts once in the total
    table = categories.table()
    assert table["columns"] == ["人员类别", "授予数", "占比"]
    assert ["科技创新人员", 4, "33.3%"] in table["rows"]


def test_statistics_follow_the_callers_scope(data, users, tree):
    scoped = selectors.award_list(actor=users.hd)
    assert counts(stats.by_district(awards_qs=scoped)) == {tree.haidian.name: 4}
    assert stats.by_honour(awards_qs=scoped).total == 4
    assert stats.by_year(awards_qs=Award.objects.none()).rows == []


def test_category_share_and_change_against_the_previous_campaign(data):
    share = stats.category_share(
        awards_qs=Award.objects.filter(honour=data.city), category="科技创新人员", year=2020
    )
    assert (share.count, share.total, share.previous_year) == (2, 5, 2015)
    assert (share.previous_count, share.previous_total) == (1, 4)
    assert share.share == pytest.approx(0.4) and share.previous_share == pytest.approx(0.25)
    assert share.change_points == 15.0
    assert (
        share.summary == "2020年 科技创新人员 2 人，占 5 人的 40.0%，比 2015年 上升 15.0 个百分点"
    )
    # The honour may be named instead of pre-filtering, and the category by its code.
    same = stats.category_share(
        awards_qs=Award.objects.all(), category="tech-innovation", year=2020, honour=data.city
    )
    assert same == share
    assert same.as_dict()["change_points"] == 15.0
    first = stats.category_share(
        awards_qs=Award.objects.filter(honour=data.city), category=data.tech, year=2000
    )
    assert (first.count, first.total, first.previous_year, first.change_points) == (
        0,
        1,
        None,
        None,
    )
    assert "无上一届" in first.summary
    fallen = stats.category_share(
        awards_qs=Award.objects.filter(honour=data.city), category="一线职工", year=2020
    )
    assert fallen.change_points == -30.0 and "下降 30.0 个百分点" in fallen.summary


def test_echarts_options_are_json_for_json_script(data):
    for breakdown in stats.breakdowns(awards_qs=Award.objects.all()):
        option = stats.echarts_option(breakdown)
        json.dumps(option)
        series = option["series"][0]
        if series["type"] == "pie":
            assert [d["name"] for d in series["data"]] == [r.label for r in breakdown.rows]
        else:
            assert option["xAxis"]["data"] == [r.label for r in breakdown.rows]
            assert series["data"] == [r.count for r in breakdown.rows]
        assert option["tooltip"]["renderMode"] == "richText"  # no inline-styled HTML


def test_workbook_has_a_sheet_per_breakdown(data):
    share = stats.category_share(
        awards_qs=Award.objects.filter(honour=data.city), category="科技创新人员", year=2020
    )
    book = load_workbook(
        BytesIO(stats.stats_workbook(awards_qs=Award.objects.all(), shares=[share]))
    )
    assert book.sheetnames == ["按荣誉", "按年份", "按批次", "按区", "按类别", "类别占比"]
    rows = list(book["按荣誉"].iter_rows(values_only=True))
    assert rows[0] == ("荣誉", "授予数", "占比")
    assert rows[1][:2] == ("北京市劳动模范", 10)
    assert rows[-1][:2] == ("合计", 12)
    shares = list(book["类别占比"].iter_rows(values_only=True))
    assert shares[1][:4] == ("科技创新人员", 2020, 2, 5) and shares[1][7] == 15.0


def test_workbook_labels_never_become_formulas(db):
    table = stats.Breakdown(
        code="batch",
        title="按批次统计",
        header="荣誉批次",
        rows=[stats.Row("x", '=HYPERLINK("http://x")', 1)],
        total=1,
    )
    sheet = load_workbook(BytesIO(stats.stats_workbook(tables=[table])))["按批次"]
    assert sheet["A2"].value == '=HYPERLINK("http://x")' and sheet["A2"].data_type == "s"
