"""The programmes' figures (nominations, quotas, contests, giveaways, training, quizzes,
studios) equal direct counts over their own tables: in two districts and two years, for
the city, a district (its children), a district post's own view, a year range, the Fact
rows, the leadership's headline and a chart's workbook.

The expected figures are counted here in Python over the rows themselves, not with the
metrics' queries: each table's rows become ``(unit, year, key, value)`` records, and a
node's figure is the sum of the records of its subtree in the years asked for."""

from __future__ import annotations

import functools
import io
import itertools
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db.models import Sum
from django.utils import timezone

from gonghui.contests.models import Competition, Entrant, Programme
from gonghui.dashboards import charts, selectors
from gonghui.dashboards.metrics import METRICS
from gonghui.dashboards.models import Fact
from gonghui.dashboards.refresh import due, refresh, refresh_due
from gonghui.nominations import services as nominations
from gonghui.nominations.models import Nomination, Quota
from gonghui.orgs.models import path_next
from gonghui.people.models import Trade, Unit
from gonghui.perks.giveaways.services import claims_housekeeping
from gonghui.perks.models import Card, Claim, Giveaway
from gonghui.registry.models import Studio
from gonghui.training.models import (
    Attendance,
    Course,
    Enrolment,
    Quiz,
    StudioReport,
    Submission,
)
from tests.factories import make_person, open_campaign
from tests.nominations.conftest import campaign, clock, hd_grass_user, nominate  # noqa: F401
from tests.perks.conftest import giveaway_for, make_member, venue  # noqa: F401
from tests.training.conftest import make_session

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGES = ("nominations", "contests", "perks", "training")
CODES = sorted({s.metric for p in PAGES for s in charts.PAGES[p]})
SPANS = [(None, None), (2026, None), (None, 2025), (2025, 2025)]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# --- The world: every programme's rows in Chaoyang and Haidian, 2025 and 2026 ------------


def _nominations(users, tree, honours, campaign_2025):  # noqa: F811
    """2025: Chaoyang two submitted, one withdrawn, one draft; Haidian one. 2026 (a second
    honour): Chaoyang one, and Haidian one that is approved (its state set directly: the whole review
    walk belongs to the nominations' tests; the figure counts the state, however reached)."""
    nominate(users, tree, campaign_2025, "赵郁")
    nominate(users, tree, campaign_2025, "孙明")
    gone = nominate(users, tree, campaign_2025, "武润泽")
    nominations.nomination_withdraw(actor=users.cy_grass, nomination=gone, reason="本人放弃")
    nominate(users, tree, campaign_2025, "周草稿", submit=False)
    nominate(users, tree, campaign_2025, "钱学", unit=tree.hd_grass)
    later = open_campaign(
        users.admin,
        honours["beijing-model-worker"],
        2026,
        {tree.chaoyang: 3, tree.haidian: 5},
        nominate_from=date(2025, 9, 1),
        nominate_until=date(2025, 10, 31),
    )
    nominate(users, tree, later, "吴明天")
    done = nominate(users, tree, later, "郑海", unit=tree.hd_grass)
    Nomination.objects.filter(pk=done.pk).update(state="approved")


def _contests(users, tree):
    trade = Trade.objects.create(code="DB-01", name="钳工（看板）")
    cy_employer = Unit.objects.create(name="朝阳某公司", org_unit=tree.cy_grass)
    hd_employer = Unit.objects.create(name="海淀某所", org_unit=tree.hd_grass)
    statuses = ["registered", "competing", "titled", "nominee", "withdrawn", "out"]
    n = 0
    for year, unit, employer, count in [
        (2025, tree.chaoyang, cy_employer, 4),
        (2026, tree.cy_street, cy_employer, 6),
        (2026, tree.haidian, hd_employer, 3),
        (2026, tree.city, cy_employer, 2),
    ]:
        programme = Programme.objects.create(
            name=f"{unit.name}{year}工匠", year=year, org_unit=unit, created_by=users.admin
        )
        competition = Competition.objects.create(
            programme=programme,
            org_unit=unit,
            trade=trade,
            name=f"{programme.name} · 钳工",
            registration_opens_at=at(year, 3, 1),
            registration_closes_at=at(year, 3, 31),
        )
        for i in range(count):
            n += 1
            Entrant.objects.create(
                competition=competition,
                person=make_person(employer.org_unit, f"选手{n}"),
                number=i + 1,
                age=30,
                employer=employer,
                route="self",
                status=statuses[i % len(statuses)],
            )


def _perks(users, tree, venue):  # noqa: F811
    """Giveaways of 2025 and 2026 (one opening at 06:00 on New Year's Day in Beijing, still
    2025 in UTC: a 2026 giveaway), a draft and a cancelled one (not counted), and claims of
    every status."""
    cy_member = [make_member(tree.cy_grass, f"朝阳会员{i}", i) for i in range(4)]
    hd_member = [make_member(tree.hd_grass, f"海淀会员{i}", 100 + i) for i in range(3)]
    statuses = ["registered", "won", "waiting", "picked_up", "cancelled", "released"]
    n = 0
    for unit, opens, stock, status, people in [
        (tree.chaoyang, at(2026, 4, 30, 10), 3, "published", cy_member),
        (tree.cy_grass, at(2026, 1, 1, 6), 7, "published", cy_member),
        (tree.haidian, at(2025, 5, 1, 9), 5, "published", hd_member),
        (tree.haidian, at(2026, 5, 1, 9), 9, "draft", hd_member),
        (tree.chaoyang, at(2026, 6, 1, 9), 4, "cancelled", cy_member),
    ]:
        giveaway = giveaway_for(
            users,
            venue,
            unit,
            stock=stock,
            status=status,
            opens_at=opens,
            closes_at=opens + timedelta(days=2),
            pickup_from=opens + timedelta(days=3),
            pickup_until=opens + timedelta(days=5),
        )
        for person_id in people:
            n += 1
            Claim.objects.create(
                giveaway=giveaway,
                person_id=person_id,
                card=Card.objects.get(person_id=person_id),
                status=statuses[n % len(statuses)],
                quantity=1 + n % 2,
                idem_key=f"k{n}",
                request_hash=f"h{n}",
                created_at=opens,
            )


def _training(users, tree):
    people = [make_person(tree.cy_grass, f"学员{i}") for i in range(4)]
    people += [make_person(tree.hd_grass, f"海淀学员{i}") for i in range(2)]
    enrolment = ["seated", "seated", "waitlisted", "cancelled"]
    for unit, start in [
        (tree.chaoyang, at(2025, 11, 3, 9)),
        (tree.cy_street, at(2026, 1, 1, 0, 30)),  # 2026 in Beijing, 2025 in UTC
        (tree.haidian, at(2026, 3, 9, 14)),
    ]:
        course = Course.objects.create(
            name="工匠讲堂", org_unit=unit, status="published", created_by=users.admin
        )
        session = make_session(
            course,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            enrol_opens_at=start - timedelta(days=9),
            enrol_closes_at=start - timedelta(days=1),
        )
        for i, person in enumerate(people):
            Enrolment.objects.create(
                session=session, person=person, status=enrolment[i % len(enrolment)]
            )
            if i % 2 == 0:
                Attendance.objects.create(session=session, person=person, method="staff")
        quiz = Quiz.objects.create(
            session=session, org_unit=unit, title="随堂答题", created_by=users.admin
        )
        for i, person in enumerate(people[: 2 + len(people) % 3]):
            Submission.objects.create(
                quiz=quiz, person=person, score=60 + 7 * i, submitted_at=start + timedelta(hours=1)
            )
    for unit, name, reports in [
        (tree.cy_grass, "朝阳李工作室", [(2025, "approved", 1), (2026, "approved", 2)]),
        (tree.hd_grass, "海淀王工作室", [(2025, "approved", 3), (2026, "approved", 4)]),
        (tree.cy_street, "建外张工作室", [(2025, "returned", 5), (2026, "submitted", 6)]),
    ]:
        studio = Studio.objects.create(
            name=name,
            org_unit=unit,
            employer=Unit.objects.create(name=f"{name}单位", org_unit=unit),
        )
        for year, status, k in reports:
            StudioReport.objects.create(
                studio=studio,
                org_unit=unit,
                year=year,
                status=status,
                patent_count=k,
                innovations=2 * k,
                apprentices=3 * k,
                trained=10 * k,
                benefit_fen=100_000 * k,
                saved_fen=50_000 * k,
                submitted_by=users.admin,
                submitted_at=at(year, 12, 1),
            )


@pytest.fixture
def world(clock, campaign, users, tree, honours, hd_grass_user, venue):  # noqa: F811
    users.hd_grass = hd_grass_user
    _nominations(users, tree, honours, campaign)
    _contests(users, tree)
    _perks(users, tree, venue)
    _training(users, tree)
    refresh()
    records.cache_clear()
    yield
    records.cache_clear()


# --- The figures as counted here -----------------------------------------------------------


def _year(moment) -> int:
    return timezone.localtime(moment, SHANGHAI).year


IN_PROGRESS = {
    "nominated",
    "first_notice",
    "first_passed",
    "second_notice",
    "second_passed",
    "final_notice",
}
NOMINATION_KEY = {
    **dict.fromkeys(IN_PROGRESS, "in_progress"),
    "approved": "approved",
    **dict.fromkeys(("rejected", "removed", "withdrawn"), "ended"),
}


@functools.cache
def records(metric: str) -> list[tuple[str, int, str, int]]:
    """(unit path, year, key, value) for each row of the metric's tables (read once per test:
    the world is built, then only read; ``world`` clears the cache)."""
    out = []
    if metric == "nominations.progress":
        for n in Nomination.objects.select_related("org_unit", "campaign"):
            if n.state in NOMINATION_KEY:
                out.append((n.org_unit.path, n.campaign.year, NOMINATION_KEY[n.state], 1))
    elif metric == "nominations.quota":
        for q in Quota.objects.select_related("org_unit", "campaign"):
            out += [
                (q.org_unit.path, q.campaign.year, "allowed", q.allowed),
                (q.org_unit.path, q.campaign.year, "used", q.used),
            ]
    elif metric == "contests":
        for c in Competition.objects.select_related("org_unit", "programme"):
            out.append((c.org_unit.path, c.programme.year, "competitions", 1))
            for e in Entrant.objects.filter(competition=c).exclude(status="withdrawn"):
                out.append((c.org_unit.path, c.programme.year, "entrants", 1))
                if e.status in ("titled", "nominee"):
                    out.append((c.org_unit.path, c.programme.year, "titled", 1))
    elif metric == "perks.giveaways":
        for g in Giveaway.objects.select_related("org_unit").exclude(
            status__in=["draft", "cancelled"]
        ):
            year, path = _year(g.opens_at), g.org_unit.path
            out.append((path, year, "stock", g.stock))
            for c in Claim.objects.filter(giveaway=g):
                out.append((path, year, "claims", 1))
                if c.status in ("won", "picked_up", "released"):
                    out.append((path, year, "won", c.quantity))
                if c.status == "picked_up":
                    out.append((path, year, "picked_up", c.quantity))
    elif metric == "training.attendance":
        for e in Enrolment.objects.select_related("session__org_unit").filter(status="seated"):
            out.append((e.session.org_unit.path, _year(e.session.starts_at), "enrolled", 1))
        for a in Attendance.objects.select_related("session__org_unit"):
            out.append((a.session.org_unit.path, _year(a.session.starts_at), "attended", 1))
    elif metric == "training.quiz":
        for s in Submission.objects.select_related("quiz__org_unit"):
            year = _year(s.submitted_at)
            out += [
                (s.quiz.org_unit.path, year, "submissions", 1),
                (s.quiz.org_unit.path, year, "score_sum", s.score),
            ]
    elif metric == "training.studio":
        for r in StudioReport.objects.select_related("org_unit").filter(status="approved"):
            path = r.org_unit.path
            out += [
                (path, r.year, "reports", 1),
                (path, r.year, "patents", r.patent_count),
                (path, r.year, "innovations", r.innovations),
                (path, r.year, "apprentices", r.apprentices),
                (path, r.year, "trained", r.trained),
                (path, r.year, "benefit_fen", r.benefit_fen),
                (path, r.year, "saved_fen", r.saved_fen),
            ]
    return out


def direct(metric, node, years=(None, None), *, own=False) -> dict[str, int]:
    """key -> the node's figure (its subtree, or ``own``: the node itself) in the years."""
    first, last = years
    got = Counter()
    for path, year, key, value in records(metric):
        inside = path == node.path if own else node.path <= path < path_next(node.path)
        if inside and (first is None or year >= first) and (last is None or year <= last):
            got[key] += value
    return {k: v for k, v in got.items() if v}


def as_shown(spec, figures: dict[str, int]) -> dict[str, int]:
    """A chart row as the table shows it: the spec's keys (all when none), labelled."""
    metric = METRICS[spec.metric]
    keys = spec.keys or list(figures)
    return {metric.label(k): figures[k] for k in keys if figures.get(k)}


def table_rows(table: dict) -> dict[str, dict]:
    return {
        row[0]: {c: v for c, v in zip(table["columns"][1:], row[1:], strict=True) if v}
        for row in table["rows"]
    }


def check_chart(spec, table: dict, node, years) -> None:
    rows = table_rows(table)
    if spec.kind == "year":
        first, last = years
        expected = {}
        for year in {y for _, y, _, _ in records(spec.metric)}:
            if (first is None or year >= first) and (last is None or year <= last):
                shown = as_shown(spec, direct(spec.metric, node, (year, year)))
                if direct(spec.metric, node, (year, year)):
                    expected[f"{year}年"] = shown
        assert rows == expected, (spec.id, node.name, years)
    else:
        expected = {}
        for kid in selectors.children(node):
            if direct(spec.metric, kid, years):
                expected[kid.name] = as_shown(spec, direct(spec.metric, kid, years))
        here = direct(spec.metric, node, years, own=True)
        if here:
            expected[charts.HERE] = as_shown(spec, here)
        assert rows == expected, (spec.id, node.name, years)


# --- The tests -----------------------------------------------------------------------------


def test_the_world_has_figures_of_every_kind(world, tree):
    """The data reach every key of every metric tested here in both districts (else the
    equalities below would prove little)."""
    for code in (
        "nominations.progress",
        "nominations.quota",
        "contests",
        "perks.giveaways",
        "training.attendance",
        "training.quiz",
        "training.studio",
    ):
        for district in (tree.chaoyang, tree.haidian):
            assert direct(code, district), (code, district.name)
        assert set(direct(code, tree.city)) == set(METRICS[code].labels), code
        years = {y for _, y, _, _ in records(code)}
        assert years == {2025, 2026}, code


def places(tree):
    """Each node and year range the figures are checked at (one world for them all)."""
    for node in (tree.city, tree.chaoyang, tree.haidian, tree.cy_street):
        for years in SPANS:
            yield node, years


def test_the_facts_equal_direct_counts(world, tree):
    for (node, years), code in itertools.product(places(tree), CODES):
        span = selectors.Years(*years)
        facts = Counter()
        for key, value in Fact.objects.filter(metric=code, node=node, **span.q()).values_list(
            "key", "value"
        ):
            facts[key] += value
        assert dict(facts) == direct(code, node, years), (code, node.name, years)


def test_every_programme_chart_equals_direct_counts(world, tree):
    for (node, years), page in itertools.product(places(tree), PAGES):
        for spec in charts.PAGES[page]:
            check_chart(spec, charts.chart(spec, node, selectors.Years(*years)), node, years)


def tiles_expected(node, years=(None, None)) -> dict[str, tuple[str, str]]:
    nom, quota = (
        direct("nominations.progress", node, years),
        direct("nominations.quota", node, years),
    )
    con, perks = direct("contests", node, years), direct("perks.giveaways", node, years)
    att, quiz = direct("training.attendance", node, years), direct("training.quiz", node, years)
    studio = direct("training.studio", node, years)
    rate = f"{perks['picked_up'] / perks['won']:.1%}" if perks.get("won") else "—"
    return {
        "评选中": (
            f"{nom.get('in_progress', 0):,} 人",
            f"名额已用 {quota.get('used', 0):,} / {quota.get('allowed', 0):,}",
        ),
        "竞赛参赛": (
            f"{con.get('entrants', 0):,} 人",
            f"工种竞赛 {con.get('competitions', 0):,} 项",
        ),
        "普惠领取率": (
            rate,
            f"投放 {perks.get('stock', 0):,} 份，获得 {perks.get('won', 0):,}，"
            f"已领取 {perks.get('picked_up', 0):,}",
        ),
        "培训签到": (f"{att.get('attended', 0):,} 人次", None),
        "工作室成果": (
            f"{studio.get('patents', 0):,} 项专利",
            f"创新成果采纳 {studio.get('innovations', 0):,}，"
            f"带徒 {studio.get('apprentices', 0):,} 人",
        ),
    }, (att, quiz)


def test_the_leaderships_headline_equals_direct_counts(world, tree):
    for node, years in itertools.product(
        (tree.city, tree.chaoyang, tree.haidian), [(None, None), (2026, 2026)]
    ):
        shown, _ = charts.page_charts(charts.LEADER, node, selectors.Years(*years))
        tiles = {t["label"]: (t["value"], t["note"]) for t in shown}
        expected, (att, quiz) = tiles_expected(node, years)
        for label, (value, note) in expected.items():
            assert tiles[label][0] == value, label
            if note is not None:
                assert tiles[label][1] == note, label
        mean = quiz["score_sum"] / quiz["submissions"] if quiz.get("submissions") else 0
        assert f"报名 {att.get('enrolled', 0):,}" in tiles["培训签到"][1]
        assert (
            f"答题 {quiz.get('submissions', 0):,} 人次，平均 {mean:.1f} 分" in tiles["培训签到"][1]
        )


def test_a_district_posts_pages_show_its_subtree_only(world, client, users, tree):
    """Chaoyang's staff: each programme page starts at Chaoyang, its charts equal the direct
    counts of Chaoyang's subtree (with a year range too), and Haidian is not theirs."""
    client.force_login(users.cy)
    for page in PAGES:
        for years in [(None, None), (2026, 2026)]:
            query = "&".join(
                f"{name}={value}"
                for name, value in zip(("year_from", "year_to"), years, strict=True)
                if value
            )
            response = client.get(f"/dashboards/{page}/?{query}")
            assert response.status_code == 200
            assert response.context["node"] == tree.chaoyang
            for spec, table in zip(charts.PAGES[page], response.context["charts"], strict=True):
                check_chart(spec, table, tree.chaoyang, years)
                names = [row[0] for row in table["rows"]]
                assert "海淀区总工会" not in names
        assert client.get(f"/dashboards/{page}/?node={tree.haidian.pk}").status_code == 404


def test_each_charts_workbook_equals_direct_counts(world, client, users, tree):
    """The city's export of every chart of the programmes' pages, over a year range: the
    sheet's rows are the direct counts."""
    client.force_login(users.admin)
    for page, spec in ((p, s) for p in PAGES for s in charts.PAGES[p]):
        response = client.get(
            f"/dashboards/{page}/{spec.id}.xlsx?node={tree.city.pk}&year_from=2025&year_to=2026"
        )
        assert response.status_code == 200, spec.id
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        lines = [list(r) for r in sheet.iter_rows(values_only=True)]
        rows = list(itertools.takewhile(lambda r: r[0] is not None, lines[1:]))  # to the blank
        table = {"columns": lines[0], "rows": rows}
        check_chart(spec, table, tree.city, (2025, 2026))


def test_the_programmes_writes_are_in_the_figures_after_the_workers_minute(world, users, tree):
    """A withdrawal (its own event) makes the nominations' figures due; new claims (sealed
    in batches by the worker, not one event each) make the giveaways' due once sealed."""
    assert due()[0] == []
    live = Nomination.objects.filter(state="nominated", org_unit=tree.cy_grass).first()
    nominations.nomination_withdraw(actor=users.cy_grass, nomination=live, reason="本人放弃")
    assert set(due()[0]) == {"nominations.progress", "nominations.quota"}
    giveaway = Giveaway.objects.filter(status="published", org_unit=tree.haidian).get()
    card = Card.objects.get(person_id=make_member(tree.hd_grass, "海淀新会员", 300))
    Claim.objects.create(
        giveaway=giveaway,
        person_id=card.person_id,
        card=card,
        status="picked_up",
        quantity=2,
        idem_key="late",
        request_hash="late",
        created_at=giveaway.opens_at,
    )
    assert claims_housekeeping() > 0
    assert set(due()[0]) == {"nominations.progress", "nominations.quota", "perks.giveaways"}
    refresh_due()
    records.cache_clear()
    for code, node in itertools.product(CODES, (tree.city, tree.chaoyang, tree.haidian)):
        got = dict(
            Fact.objects.filter(metric=code, node=node)
            .values_list("key")
            .annotate(Sum("value"))
            .order_by()
        )
        assert got == direct(code, node), (code, node.name)
    assert due()[0] == []
