"""A stage's results from its record (engine.py), against examples worked by hand: the
aggregation per aspect by panel size (a judge absent), parts and the 70/30 weighting with
the public jurors, the tie chain with shared places, corrections (only the latest mark of a
chain counts), late votes and jurors who skipped an entrant, and each advancing rule."""

from decimal import Decimal

import pytest

from gonghui.contests import engine
from gonghui.contests.scoring import SchemeError
from tests.contests import top_level_imports

SCHEME = {
    "aspects": [
        {"code": "M1", "name": "尺寸精度", "kind": "measurement", "max": "40"},
        {
            "code": "J1",
            "name": "工艺规范",
            "kind": "judgement",
            "max": "60",
            "spread": "6",
            "trim": {"5": 1},
        },
    ],
    "tie_chain": [["score", "desc"], ["M1", "desc"]],
}


def record(marks: dict, *, scheme=SCHEME, rule=None, votes=(), matches=None) -> dict:
    """marks: entrant -> (M1 value, [J1 values by judge j1..jn])."""
    rows, n = [], 0
    for entrant, (m1, j1) in marks.items():
        n += 1
        rows.append({"id": n, "entrant": entrant, "judge": "j0", "aspect": "M1", "value": m1})
        for k, value in enumerate(j1, start=1):
            n += 1
            rows.append(
                {"id": n, "entrant": entrant, "judge": f"j{k}", "aspect": "J1", "value": value}
            )
    return {
        "scheme": scheme,
        "rule": rule or {"kind": "top", "n": 1},
        "entrants": list(marks),
        "matches": matches or [],
        "marks": rows,
        "votes": list(votes),
    }


def by_entrant(results):
    return {r["entrant"]: r for r in results}


def test_the_engine_needs_nothing_but_the_standard_library_and_the_rules():
    assert top_level_imports(engine) <= {"__future__", "collections", "gonghui"}


def test_trimmed_mean_by_the_panel_that_marked_and_the_parts_summed():
    # 001: five judges 50 52 51 49 55: drop 55 and 49 -> (50+52+51)/3 = 51; + M1 38 = 89.
    # 002: one judge absent, four marks 50 50 54 52: the table's entry for 5 does not apply
    # to 4, nothing dropped -> 51.5; + 39 = 90.5.
    results = engine.stage_results(
        record(
            {"001": ("38", ["50", "52", "51", "49", "55"]), "002": ("39", ["50", "50", "54", "52"])}
        )
    )
    got = by_entrant(results)
    assert got["001"]["parts"]["J1"] == "51" and got["001"]["score"] == "89"
    assert got["001"]["parts"]["judges:J1"] == "5" and got["002"]["parts"]["judges:J1"] == "4"
    assert got["002"]["parts"]["J1"] == "51.5" and got["002"]["score"] == "90.5"
    assert [(r["entrant"], r["place"], r["advanced"]) for r in results] == [
        ("002", 1, True),
        ("001", 2, False),
    ]


def test_weights_with_the_public_jurors_seventy_thirty():
    scheme = {**SCHEME, "weights": {"practical": 70, "public": 30}, "public": {"max": "100"}}
    votes = [
        {"juror": "p1", "entrant": "001", "value": "90"},
        {"juror": "p1", "entrant": "002", "value": "60"},
        {"juror": "p2", "entrant": "001", "value": "80"},
        {"juror": "p2", "entrant": "002", "value": "70"},
        # p3 skipped 002: not counted at all (the scheme sets no minimum)
        {"juror": "p3", "entrant": "001", "value": "0"},
        # a late vote is recorded, never counted
        {"juror": "p2", "entrant": "002", "value": "100", "late": True},
    ]
    results = engine.stage_results(
        record({"001": ("38", ["51"] * 3), "002": ("40", ["55"] * 3)}, scheme=scheme, votes=votes)
    )
    got = by_entrant(results)
    # 001: practical 89, public (90+80)/2 = 85: 0.7*89 + 0.3*85 = 62.3 + 25.5 = 87.8
    # 002: practical 95, public (60+70)/2 = 65: 66.5 + 19.5 = 86
    assert got["001"]["parts"]["public"] == "85" and got["001"]["score"] == "87.8"
    assert got["002"]["parts"]["public"] == "65" and got["002"]["score"] == "86"
    assert results[0]["entrant"] == "001"


def test_the_tie_chain_then_a_shared_place():
    # 001 and 002 both 90; the chain's next key M1 puts 002 (40) before 001 (30);
    # 003 equals 002 on every key: they share place 1, and 001 is third.
    results = engine.stage_results(
        record(
            {
                "001": ("30", ["60", "60", "60"]),
                "002": ("40", ["50", "50", "50"]),
                "003": ("40", ["50", "50", "50"]),
            },
            rule={"kind": "top", "n": 1},
        )
    )
    assert [(r["entrant"], r["place"], r["advanced"]) for r in results] == [
        ("002", 1, True),
        ("003", 1, True),
        ("001", 3, False),
    ]


def test_only_the_latest_mark_of_a_correction_counts():
    rec = record({"001": ("38", ["50", "50", "50"])})
    rec["marks"].append(
        {"id": 99, "entrant": "001", "judge": "j0", "aspect": "M1", "value": "20", "replaces": 1}
    )
    (result,) = engine.stage_results(rec)
    assert result["parts"]["M1"] == "20" and result["score"] == "70"


def test_the_spread_rule_and_too_few_judges_block_the_lock():
    marks = record({"001": ("38", ["50", "57", "51"]), "002": ("38", ["50", "51"])})["marks"]
    problems = engine.spread_problems(SCHEME, marks)
    assert [(e, a) for e, a, _ in problems] == [("001", "J1"), ("002", "J1")]
    assert "相差超过 6 分" in problems[0][2] and "至少 3 名" in problems[1][2]


def test_challenge_the_challenger_must_beat_the_seed():
    matches = [
        {"code": "C1", "seed": "001", "entrants": ["001", "002"]},
        {"code": "C2", "seed": "003", "entrants": ["003", "004"]},
    ]
    results = engine.stage_results(
        record(
            {
                "001": ("30", ["50"] * 3),  # seed 80
                "002": ("31", ["50"] * 3),  # challenger 81: beats the seed
                "003": ("30", ["50"] * 3),  # seed 80
                "004": ("30", ["50"] * 3),  # challenger 80: a tie keeps the seed
            },
            rule={"kind": "challenge"},
            matches=matches,
        )
    )
    assert sorted(r["entrant"] for r in results if r["advanced"]) == ["002", "003"]


def test_an_entrant_without_every_aspect_is_not_scored():
    rec = record({"001": ("38", ["50", "50", "50"])})
    rec["marks"] = [m for m in rec["marks"] if m["aspect"] != "M1"]
    with pytest.raises(SchemeError, match="M1"):
        engine.stage_results(rec)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"aspects": []}, "aspects"),
        ({"weights": {"nowhere": 10}}, "weights"),
        ({"tie_chain": [["score", "up"]]}, "tie_chain"),
    ],
)
def test_a_scheme_that_cannot_score_names_its_field(change, field):
    assert field in engine.scheme_problems({**SCHEME, **change})


def test_marks_outside_the_aspect_are_refused_with_the_range():
    aspect = SCHEME["aspects"][0]
    assert engine.mark_problem(aspect, "40") is None
    assert engine.mark_problem(aspect, "40.5") == "分数应在 0–40 之间"
    assert engine.mark_problem(aspect, "九") == "分数应为数字"
    assert engine.mark_problem(aspect, "1.2345") == "分数最多保留三位小数"


@pytest.mark.parametrize("value", ["٣", "1_0", "1e1", "３８", "+5", ".5", "5.", "1234567", "0x1"])
def test_only_ascii_digits_with_three_decimals_at_most_are_a_mark(value):
    """Decimal takes "٣" (an Arabic-Indic three), "1_0" and "1e1": a judge types none of
    them, and the stored text must be the one the judge typed."""
    aspect = {"code": "X", "kind": "measurement", "max": "9999999"}
    assert engine.mark_problem(aspect, value) is not None


@pytest.mark.parametrize("value", ["0", "7", "38.5", "38.50", "0.125", "999999.999", " 12 "])
def test_ordinary_marks_pass(value):
    assert (
        engine.mark_problem({"code": "X", "kind": "measurement", "max": "999999.999"}, value)
        is None
    )


def test_canonical_number_is_the_stored_and_published_text():
    assert engine.canonical_number("38.50") == "38.5"
    assert engine.canonical_number("0.000") == "0"
    assert engine.canonical_number("100") == "100"
    assert engine.canonical_number(Decimal("1E+2")) == "100"


def test_standardised_scores_compare_trades():
    t = engine.standardised(
        {"lathe": [{"entrant": "001", "score": "90"}, {"entrant": "002", "score": "70"}]}
    )
    assert t == {("lathe", "001"): "60", ("lathe", "002"): "40"}
