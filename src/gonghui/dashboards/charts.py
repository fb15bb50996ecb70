"""The dashboards' pages as data: which charts each page shows, its headline figures, and
each chart's ECharts option, table and workbook, built from the selectors' fact reads.

A chart over a node's children carries each child's id in its data (``node``): a click
opens the child (drill-down, dashboards.js); the node's own rows, counted at the node
itself and not under a child, are the bar 本级. Money is fen, shown in 元."""

from __future__ import annotations

from dataclasses import dataclass

from gonghui.common import sheets
from gonghui.common.sheets import Number
from gonghui.dashboards import selectors
from gonghui.dashboards.metrics import METRICS, PROGRAMMES
from gonghui.orgs.models import OrgUnit

LEADER = "leader"
HERE = "本级"


@dataclass(frozen=True)
class Spec:
    """A chart: its id (unique over the pages), title, metric, kind (``year``: the node's
    figures by year; ``child``: by child node, for drill-down; ``share``: by key), and the
    metric's keys it shows (all when empty)."""

    id: str
    title: str
    metric: str
    kind: str
    keys: tuple[str, ...] = ()
    total: str = ""  # the label of the keys summed into one series (a headline chart)


PAGES: dict[str, list[Spec]] = {
    "registry": [
        Spec("awards_year", "历年荣誉授予", "awards.honour", "year"),
        Spec("awards_child", "各单位荣誉授予", "awards.honour", "child"),
        Spec("awards_category", "荣誉授予人员类别", "awards.category", "share"),
    ],
    "nominations": [
        Spec("nominations_child", "各单位被推荐人", "nominations.progress", "child"),
        Spec("quota_child", "各单位名额使用", "nominations.quota", "child"),
        Spec("nominations_year", "历年被推荐人", "nominations.progress", "year"),
    ],
    "contests": [
        Spec("contests_year", "历年竞赛与参赛", "contests", "year"),
        Spec("contests_child", "各单位竞赛与参赛", "contests", "child"),
    ],
    "funds": [
        Spec("funds_child", "各单位预算、承诺与支付", "funds.money", "child"),
        Spec("funds_year", "历年预算、承诺与支付", "funds.money", "year"),
    ],
    "perks": [
        Spec("perks_child", "各单位普惠活动投放与领取", "perks.giveaways", "child"),
        Spec("perks_year", "历年普惠活动", "perks.giveaways", "year"),
    ],
    "training": [
        Spec("attendance_child", "各单位课程讲座报名与签到", "training.attendance", "child"),
        Spec("quiz_child", "各单位现场答题", "training.quiz", "child", ("submissions",)),
        Spec(
            "studio_child",
            "各单位创新工作室成果",
            "training.studio",
            "child",
            ("patents", "innovations", "apprentices"),
        ),
        Spec("attendance_year", "历年课程讲座报名与签到", "training.attendance", "year"),
    ],
    LEADER: [
        Spec("leader_awards_year", "历年荣誉授予", "awards.honour", "year", total="授予人次"),
        Spec("leader_awards_child", "各单位荣誉授予", "awards.honour", "child", total="授予人次"),
        Spec("leader_funds_child", "各单位资金预算与支付", "funds.money", "child"),
    ],
}
TITLES = {LEADER: "全市概览", **PROGRAMMES}


def spec_get(page: str, chart: str) -> Spec | None:
    return next((s for s in PAGES.get(page, ()) if s.id == chart), None)


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


def _shown(metric, value: int):
    return _yuan(value) if metric.money else value


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "—"


# --- The headline figures (one read for them all) -----------------------------------------


def _tile(label: str, value: str, note: str = "", programme: str = "") -> dict:
    return {"label": label, "value": value, "note": note, "programme": programme}


def _money(fen: int) -> str:
    return f"{fen / 100 / 10000:,.2f} 万元" if abs(fen) >= 1_000_000 else f"{fen / 100:,.2f} 元"


def headline(totals: dict[str, dict[str, int]]) -> list[dict]:
    """Each programme's headline figures from the node's totals (``selectors.totals``)."""
    t = totals
    awards = sum(t["awards.honour"].values())
    nom, quota = t["nominations.progress"], t["nominations.quota"]
    contests, money = t["contests"], t["funds.money"]
    perks, att = t["perks.giveaways"], t["training.attendance"]
    quiz, studio = t["training.quiz"], t["training.studio"]
    return [
        _tile("荣誉授予", f"{awards:,} 人次", "", "registry"),
        _tile(
            "评选中",
            f"{nom.get('in_progress', 0):,} 人",
            f"名额已用 {quota.get('used', 0):,} / {quota.get('allowed', 0):,}",
            "nominations",
        ),
        _tile(
            "竞赛参赛",
            f"{contests.get('entrants', 0):,} 人",
            f"工种竞赛 {contests.get('competitions', 0):,} 项",
            "contests",
        ),
        _tile(
            "资金已支付",
            _money(money.get("paid", 0)),
            f"预算 {_money(money.get('budget', 0))}，已承诺 {_money(money.get('committed', 0))}"
            f"，支付率 {_ratio(money.get('paid', 0), money.get('budget', 0))}",
            "funds",
        ),
        _tile(
            "普惠领取率",
            _ratio(perks.get("picked_up", 0), perks.get("won", 0)),
            f"投放 {perks.get('stock', 0):,} 份，获得 {perks.get('won', 0):,}，"
            f"已领取 {perks.get('picked_up', 0):,}",
            "perks",
        ),
        _tile(
            "培训签到",
            f"{att.get('attended', 0):,} 人次",
            f"报名 {att.get('enrolled', 0):,}，签到率 "
            f"{_ratio(att.get('attended', 0), att.get('enrolled', 0))}；答题 "
            f"{quiz.get('submissions', 0):,} 人次，平均 "
            f"{(quiz.get('score_sum', 0) / quiz['submissions']) if quiz.get('submissions') else 0:.1f} 分",
            "training",
        ),
        _tile(
            "工作室成果",
            f"{studio.get('patents', 0):,} 项专利",
            f"创新成果采纳 {studio.get('innovations', 0):,}，带徒 {studio.get('apprentices', 0):,} 人",
            "training",
        ),
    ]


# --- One chart --------------------------------------------------------------------------------


def _keys(spec: Spec, rows: dict) -> list[str]:
    if spec.keys:
        return list(spec.keys)
    seen: dict[str, int] = {}
    for figures in rows.values():
        for key, value in figures.items():
            seen[key] = seen.get(key, 0) + value
    metric = METRICS[spec.metric]
    ordered = list(metric.labels)  # a metric's named figures all, in their order
    return ordered + sorted((k for k in seen if k not in metric.labels), key=lambda k: -seen[k])


def chart(
    spec: Spec,
    node: OrgUnit,
    years: selectors.Years,
    own=None,
    kids: list[OrgUnit] | None = None,
    *,
    dark: bool = False,
) -> dict:
    """The chart's table (``columns``, ``rows`` of labels and figures, as shown) and its
    ECharts option; ``own`` and ``kids``: the node's totals (``selectors.totals``) and
    children if read already."""
    metric = METRICS[spec.metric]
    total = bool(spec.total)
    if own is None:
        own = selectors.totals(metrics=[spec.metric], node=node, years=years)
    figures_here = own[spec.metric]
    if total:
        figures_here = {selectors.TOTAL: sum(figures_here.values())}
    if spec.kind == "year":
        data = selectors.by_year(metric=spec.metric, node=node, years=years, total=total)
        points = [(f"{year}年", None, figures) for year, figures in sorted(data.items())]
        header = "年份"
    elif spec.kind == "child":
        data = selectors.by_child(metric=spec.metric, node=node, years=years, total=total)
        kids = selectors.children(node) if kids is None else kids
        points = [(kid.name, kid.pk, data[kid.pk]) for kid in kids if kid.pk in data]
        here = {k: v - sum(f.get(k, 0) for f in data.values()) for k, v in figures_here.items()}
        if any(here.values()):
            points.append((HERE, None, here))
        header = "单位"
    else:  # share
        figures = figures_here
        points = [
            (metric.label(k), None, {"n": v})
            for k, v in sorted(figures.items(), key=lambda kv: -kv[1])
        ]
        header = "类别"
    if spec.kind == "share":
        keys = ["n"]
    elif total:
        keys = [selectors.TOTAL]
    else:
        keys = _keys(spec, {i: p[2] for i, p in enumerate(points)})
    labels = (
        [spec.total or "人次"]
        if spec.kind == "share" or total
        else [metric.label(k) + ("（元）" if metric.money else "") for k in keys]
    )
    rows = [
        [name, *(_shown(metric, figures.get(k, 0)) for k in keys)] for name, _, figures in points
    ]
    return {
        "id": spec.id,
        "title": spec.title,
        "kind": spec.kind,
        "drill": spec.kind == "child",
        "columns": [header, *labels],
        "rows": rows,
        "option": _option(spec, points, keys, labels, metric, dark=dark),
    }


def _option(spec, points, keys, labels, metric, *, dark: bool) -> dict:
    text = "#e8eefc" if dark else "#333"
    base = {
        "backgroundColor": "transparent",
        "textStyle": {"color": text, "fontSize": 18 if dark else 12},
        # richText: ECharts' HTML tooltips carry inline styles, which the CSP refuses.
        "tooltip": {
            "renderMode": "richText",
            "trigger": "item" if spec.kind == "share" else "axis",
        },
        "toolbox": {
            "showTitle": False,  # its hover titles are HTML with inline styles (CSP)
            "feature": {
                "saveAsImage": {"title": "保存为图片", "name": spec.title, "pixelRatio": 2}
            },
            "iconStyle": {"borderColor": text},
        },
    }
    if spec.kind == "share":
        return {
            **base,
            "legend": {"type": "scroll", "bottom": 0, "textStyle": {"color": text}},
            "series": [
                {
                    "type": "pie",
                    "radius": ["35%", "65%"],
                    "data": [{"name": name, "value": f["n"]} for name, _, f in points],
                }
            ],
        }
    names = [name for name, _, _ in points]
    series = []
    for key, label in zip(keys, labels, strict=True):
        data = []
        for _, node_id, figures in points:
            value = _shown(metric, figures.get(key, 0))
            data.append({"value": value, "node": node_id} if node_id else value)
        series.append(
            {
                "name": label,
                "type": "line" if spec.kind == "year" and len(names) > 12 else "bar",
                "data": data,
            }
        )
    return {
        **base,
        "legend": {"top": 0, "textStyle": {"color": text}},
        "grid": {"left": 60, "right": 30, "top": 50, "bottom": 80},
        "xAxis": {
            "type": "category",
            "data": names,
            "axisLabel": {
                "rotate": 30 if len(names) > 8 else 0,
                "color": text,
                "fontSize": 16 if dark else 12,
            },
        },
        "yAxis": {"type": "value", "axisLabel": {"color": text, "fontSize": 16 if dark else 12}},
        "dataZoom": [{"type": "inside"}] if len(names) > 20 else [],
        "series": series,
    }


def page_metrics(page: str) -> set[str]:
    return set(METRICS) if page == LEADER else {s.metric for s in PAGES[page]}


def page_charts(
    page: str, node: OrgUnit, years: selectors.Years, *, dark: bool = False
) -> tuple[list[dict], list[dict]]:
    """The page's headline figures (the overview's) and charts; the node's totals of every
    metric shown are one read, shared by both."""
    specs = PAGES[page]
    own = selectors.totals(metrics=page_metrics(page), node=node, years=years)
    kids = selectors.children(node) if any(s.kind == "child" for s in specs) else None
    tiles = headline(own) if page == LEADER else []
    return tiles, [chart(spec, node, years, own, kids, dark=dark) for spec in specs]


def workbook(spec: Spec, table: dict, node: OrgUnit, years: selectors.Years) -> bytes:
    """The chart's data as an Excel workbook (aggregates only: no personal data)."""
    span = f"{years.first or '最早'}—{years.last or '最近'}年"
    book, ws = sheets.write_only_book(spec.title[:31], table["columns"], {1: 24})
    for row in table["rows"]:
        name, *values = row
        sheets.append(ws, [name, *(Number(v, "#,##0.##") for v in values)])
    sheets.append(ws, [])
    sheets.append(ws, [f"范围：{node.name}（含下级），{span}"])
    return sheets.book_bytes(book)
