"""The stages a new competition starts with, and their default marking schemes and
advancing rules (data, checked by ``engine.scheme_problems`` / ``rule_problems``; staff
edit them per stage before marking starts).

A **title programme** (工匠选树, e.g. 北京大工匠) runs five stages:

====  ===========  =================  ==============================================
 no.  kind         name               scheme / rule
====  ===========  =================  ==============================================
 1    selection    挑战者选拔赛       practical (100) / top ``SELECTION_TOP``
 2    seeding      种子选手评定       expert review (100) / top ``SEEDS``
 3    challenge    挑战赛             practical (100) / challenge (beat the seed)
 4    final        终极挑战赛         practical (100) / top titles + nominee awards
 5    review       综合评审           practical 60 · defence 10 · public 30 / none
====  ===========  =================  ==============================================

A **district contest** (技能竞赛, one round) runs two: 实操比拼 (practical, top
``CONTEST_TOP``) → 综合评审 (practical 70 · 现场答辩 30, no public jurors; rule none).

Every scheme mixes measurement aspects (objective, a mark up to the maximum) and judgement
aspects (each judge scores against written descriptors), aggregated by a trimmed mean that
drops the highest and lowest 1 of 5 judges, 2 of 7 (``TRIM``; 3 or 4 judges: none), with an
allowed spread between judges (``spread``) beyond which the sheet cannot be locked until
re-scored, and a tie chain (score, then the practical part, then the first measurement
aspect). Parts are on a 100-point scale so that weights read as percentages.
"""

from __future__ import annotations

import copy

TRIM = {"5": 1, "7": 2}
SELECTION_TOP = 10
SEEDS = 3
CONTEST_TOP = 10


def judgement(code, name, maximum, *, part="practical", spread="5", descriptors=""):
    return {
        "code": code,
        "name": name,
        "kind": "judgement",
        "max": maximum,
        "method": "trimmed_mean",
        "trim": dict(TRIM),
        "spread": spread,
        "min_judges": 3,
        "part": part,
        "descriptors": descriptors,
    }


def measurement(code, name, maximum, *, part="practical"):
    return {
        "code": code,
        "name": name,
        "kind": "measurement",
        "max": maximum,
        "method": "mean",
        "part": part,
    }


PRACTICAL = {
    "aspects": [
        measurement("M1", "尺寸精度", "40"),
        measurement("M2", "表面质量", "20"),
        judgement(
            "J1",
            "工艺规范",
            "25",
            descriptors="21–25 工艺路线合理、操作规范熟练；13–20 基本规范；0–12 有明显错误",
        ),
        judgement(
            "J2",
            "安全文明生产",
            "15",
            spread="4",
            descriptors="13–15 全程规范无隐患；8–12 偶有不当；0–7 有安全隐患",
        ),
    ],
    "tie_chain": [["score", "desc"], ["M1", "desc"], ["J1", "desc"]],
}

SEEDING = {
    "aspects": [
        measurement("M1", "技能等级与竞赛成绩", "20"),
        judgement(
            "J1",
            "业绩贡献",
            "40",
            spread="8",
            descriptors="33–40 行业领先、贡献突出；20–32 贡献显著；0–19 一般",
        ),
        judgement(
            "J2",
            "创新与传承",
            "40",
            spread="8",
            descriptors="33–40 有重大创新或带徒成效突出；20–32 有创新成果；0–19 一般",
        ),
    ],
    "tie_chain": [["score", "desc"], ["J1", "desc"], ["M1", "desc"]],
}


def _review(*, public: bool) -> dict:
    aspects = [
        measurement("M1", "理论知识", "20"),
        judgement("J1", "技艺水平", "40", spread="8", descriptors="按技艺展示与作品评定"),
        judgement("J2", "业绩与创新", "40", spread="8", descriptors="按业绩材料与创新成果评定"),
        judgement(
            "D1",
            "现场答辩",
            "100",
            part="defence",
            spread="15",
            descriptors="85–100 回答准确、见解深入；60–84 基本准确；0–59 回答有误",
        ),
    ]
    if public:
        return {
            "aspects": aspects,
            "weights": {"practical": 60, "defence": 10, "public": 30},
            "public": {"max": "100"},
            "tie_chain": [
                ["score", "desc"],
                ["practical", "desc"],
                ["defence", "desc"],
                ["public", "desc"],
            ],
        }
    return {
        "aspects": aspects,
        "weights": {"practical": 70, "defence": 30},
        "tie_chain": [["score", "desc"], ["practical", "desc"], ["defence", "desc"]],
    }


def stages_for(kind: str, *, titles: int, nominee_awards: int) -> list[dict]:
    """The stages of a new competition of a programme of ``kind`` ("title" or "contest"):
    ``[{"order", "kind", "name", "scheme", "rule"}]``, each scheme a fresh copy."""
    if kind == "title":
        plan = [
            ("selection", "挑战者选拔赛", PRACTICAL, {"kind": "top", "n": SELECTION_TOP}),
            ("seeding", "种子选手评定", SEEDING, {"kind": "top", "n": SEEDS}),
            ("challenge", "挑战赛", PRACTICAL, {"kind": "challenge"}),
            (
                "final",
                "终极挑战赛",
                PRACTICAL,
                {"kind": "top", "n": max(titles + nominee_awards, 1)},
            ),
            ("review", "综合评审", _review(public=True), {"kind": "none"}),
        ]
    else:
        plan = [
            ("contest", "实操比拼", PRACTICAL, {"kind": "top", "n": CONTEST_TOP}),
            ("review", "综合评审", _review(public=False), {"kind": "none"}),
        ]
    return [
        {"order": n, "kind": k, "name": name, "scheme": copy.deepcopy(scheme), "rule": dict(rule)}
        for n, (k, name, scheme, rule) in enumerate(plan, start=1)
    ]
