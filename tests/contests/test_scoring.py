"""The scoring rules against examples worked by hand (issue #17: trimmed mean by panel size,
the spread rule, weighting, standardisation, the tie chain)."""

from decimal import Decimal

import pytest

from gonghui.contests import scoring
from gonghui.contests.scoring import (
    SchemeError,
    advancing,
    aggregate,
    counted_jurors,
    mark,
    rank,
    shown,
    spread_ok,
    standardise,
    trim_count,
    weighted,
)
from tests.contests import top_level_imports

# Panel size -> how many of the highest and of the lowest marks are dropped.
TRIM = {3: 0, 5: 1, 7: 1, 9: 2}


def test_the_rules_need_nothing_but_the_standard_library():
    """The verifier in a notary's bundle runs this very file with a bare Python."""
    assert top_level_imports(scoring) <= {"__future__", "collections", "decimal", "functools"}


def test_a_mark_is_exact_decimal_and_never_a_float():
    assert mark("9.5") == Decimal("9.5") and mark(10) == Decimal(10) and mark(" 7.25 ") == 7.25
    for bad in (9.5, True, "九", "", "NaN", "Infinity"):
        with pytest.raises(SchemeError):
            mark(bad)


def test_trimmed_mean_drops_by_panel_size():
    # 5 judges: drop 1 high (9.8) and 1 low (8.1): (8.6 + 9.0 + 9.2) / 3 = 8.9333...
    five = ["9.0", "8.6", "9.8", "8.1", "9.2"]
    assert shown(aggregate(five, "trimmed_mean", TRIM)) == Decimal("8.93")
    # 3 judges: nothing dropped: (7 + 8 + 9) / 3 = 8
    assert aggregate(["7", "8", "9"], "trimmed_mean", TRIM) == 8
    # 9 judges: 2 each side: 1, 2 | 3, 4, 5, 6, 7 | 8, 9 -> 25 / 5 = 5
    assert aggregate(range(1, 10), "trimmed_mean", TRIM) == 5
    # 8 judges fall under the entry for 7: 1 each side.
    assert trim_count(8, TRIM) == 1 and trim_count(2, TRIM) == 0


def test_a_trim_that_would_leave_no_mark_is_refused():
    with pytest.raises(SchemeError, match="没有分数"):
        trim_count(2, {2: 1})


def test_sum_and_mean():
    assert aggregate(["30", "25.5", "9.75"], "sum") == Decimal("65.25")
    assert shown(aggregate(["9", "8", "8"], "mean")) == Decimal("8.33")
    with pytest.raises(SchemeError, match="未知的汇总方式"):
        aggregate(["1"], "median")
    with pytest.raises(SchemeError, match="没有分数"):
        aggregate([], "mean")


def test_the_spread_rule():
    # 8.0 to 9.5 is 1.5: allowed 1.5 passes, 1.0 sends the sheet back for re-scoring.
    assert spread_ok(["8.0", "9.5", "9.0"], "1.5")
    assert not spread_ok(["8.0", "9.5", "9.0"], "1.0")


def test_weighting_experts_and_public_jurors():
    # (70 × 88 + 30 × 92) / 100 = 89.2
    assert weighted([("88", 70), ("92", 30)]) == Decimal("89.2")
    # Experts, jurors and the oral defence 60/20/20: (60·80 + 20·90 + 20·70) / 100 = 80
    assert weighted([("80", 60), ("90", 20), ("70", 20)]) == 80
    with pytest.raises(SchemeError, match="权重之和为零"):
        weighted([("80", 0)])
    with pytest.raises(SchemeError, match="权重"):
        weighted([("80", 0.7)])


def test_standardisation_puts_trades_on_one_scale():
    # Scores 60, 70, 80: mean 70, σ = sqrt(200/3) = 8.1650 -> T = 37.75, 50, 62.25
    t = standardise({"a": "60", "b": "70", "c": "80"})
    assert {k: shown(v) for k, v in t.items()} == {
        "a": Decimal("37.75"),
        "b": Decimal("50.00"),
        "c": Decimal("62.25"),
    }
    # A trade scored 6, 7, 8 stands exactly like one scored 60, 70, 80.
    assert standardise({"a": "6", "b": "7", "c": "8"}) == t
    assert standardise({"x": "5", "y": "5"}) == {"x": 50, "y": 50}
    assert standardise({}) == {}


def test_public_jurors_count_only_when_they_voted_on_every_entrant():
    votes = {
        "j1": {"e1": 8, "e2": 9, "e3": 7},
        "j2": {"e1": 8, "e2": 9},
        "j3": {"e1": 8, "e2": 9, "e3": 7, "e9": 1},  # e9 is not of this session
    }
    assert counted_jurors(votes, ["e1", "e2", "e3"]) == {"j1", "j3"}
    assert counted_jurors(votes, ["e1", "e2", "e3"], minimum=2) == {"j1", "j2", "j3"}


def test_ties_follow_the_chain_then_share_a_place():
    scores = {
        "甲": {"total": "90", "practical": "60", "theory": "30"},
        "乙": {"total": "92", "practical": "55", "theory": "37"},
        "丙": {"total": "90", "practical": "62", "theory": "28"},
        "丁": {"total": "90", "practical": "60", "theory": "30"},
        "戊": {"total": "85", "practical": "50", "theory": "35"},
    }
    chain = [("total", "desc"), ("practical", "desc")]
    # 乙 first; 丙 beats 甲 and 丁 on the practical mark; 甲 and 丁 equal on every key share
    # third place, and the next place is fifth.
    assert rank(scores, chain) == [("乙", 1), ("丙", 2), ("甲", 3), ("丁", 3), ("戊", 5)]
    # "asc": a smaller value ranks first (e.g. an error measured in millimetres).
    assert [e for e, _ in rank(scores, [("theory", "asc")])][:2] == ["丙", "甲"]
    with pytest.raises(SchemeError):
        rank(scores, [("total", "down")])


PLACES = [("乙", 1), ("丙", 2), ("甲", 3), ("丁", 3), ("戊", 5)]
TOTALS = {"乙": "92", "丙": "90", "甲": "90", "丁": "90", "戊": "85"}


def test_top_n_takes_everyone_sharing_the_place_at_the_cut():
    assert advancing(PLACES, TOTALS, {"kind": "top", "n": 2}) == ["乙", "丙"]
    assert advancing(PLACES, TOTALS, {"kind": "top", "n": 3}) == ["乙", "丙", "甲", "丁"]
    for n in (0, "2", True):
        with pytest.raises(SchemeError, match="晋级人数"):
            advancing(PLACES, TOTALS, {"kind": "top", "n": n})


def test_a_threshold_takes_every_score_at_or_above_it():
    assert advancing(PLACES, TOTALS, {"kind": "threshold", "min": "90"}) == ["乙", "丙", "甲", "丁"]


def test_a_challenger_must_beat_the_seed_outright():
    # 乙 (92) beats seed 戊 (85); 丙 (90) only ties seed 甲 (90): the seed keeps its place.
    rule = {"kind": "challenge", "pairs": {"乙": "戊", "丙": "甲"}}
    assert advancing(PLACES, TOTALS, rule) == ["乙", "甲"]
    with pytest.raises(SchemeError, match="未知的晋级规则"):
        advancing(PLACES, TOTALS, {"kind": "lottery"})
