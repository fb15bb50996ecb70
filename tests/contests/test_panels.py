"""The judging panel's draw: reproducible from the revealed seed, recusal by employer and by
declared relationship, at most one judge per employer, never seated short."""

import hashlib

import pytest

from gonghui.contests import panels
from gonghui.contests.panels import DrawError, commitment, draw_panel, rank_key
from tests.contests import top_level_imports

SEED = "0f" * 32
POOL = {
    "J01": "首钢",
    "J02": "首钢",
    "J03": "北汽",
    "J04": "京东方",
    "J05": "燕山石化",
    "J06": "北汽",
    "J07": "中建一局",
    "J08": "地铁公司",
}


def test_the_draw_needs_nothing_but_the_standard_library():
    assert top_level_imports(panels) <= {"__future__", "collections", "hashlib", "re"}


def test_the_commitment_and_keys_are_plain_sha256_of_the_text():
    assert commitment(SEED) == hashlib.sha256(SEED.encode()).hexdigest()
    assert rank_key(SEED, "M1", "J01") == hashlib.sha256(f"{SEED}:M1:J01".encode()).hexdigest()


def test_the_panel_is_taken_in_key_order_and_anyone_can_rerun_it():
    order = sorted(POOL, key=lambda j: rank_key(SEED, "M1", j))
    panel = draw_panel(seed=SEED, match="M1", pool=POOL, size=3)
    expected, employers = [], set()
    for judge in order:  # the rule, by hand: key order, one judge per employer
        if POOL[judge] not in employers and len(expected) < 3:
            expected.append(judge)
            employers.add(POOL[judge])
    assert panel == expected
    assert draw_panel(seed=SEED, match="M1", pool=dict(reversed(POOL.items())), size=3) == panel
    assert draw_panel(seed="1e" * 32, match="M1", pool=POOL, size=5) != draw_panel(
        seed=SEED, match="M1", pool=POOL, size=5
    )


def test_one_judge_per_employer():
    panel = draw_panel(seed=SEED, match="M2", pool=POOL, size=6)
    assert len({POOL[j] for j in panel}) == len(panel) == 6


def test_recused_judges_are_never_seated():
    panel = draw_panel(
        seed=SEED,
        match="M3",
        pool=POOL,
        size=3,
        entrant_employers={"首钢", "北汽"},
        declared={"J07"},
    )
    # 首钢 and 北汽 employ an entrant (J01, J02, J03, J06 stand down), J07 declared a
    # relationship: the three left are the panel.
    assert sorted(panel) == ["J04", "J05", "J08"]


def test_a_pool_too_small_for_the_panel_is_refused():
    with pytest.raises(DrawError, match="不足 4 人（只有 3 人）"):
        draw_panel(
            seed=SEED, match="M3", pool=POOL, size=4, entrant_employers={"首钢", "北汽", "中建一局"}
        )
    for seed in ("0F" * 32, "abc", ""):
        with pytest.raises(DrawError, match="随机种子"):
            draw_panel(seed=seed, match="M1", pool=POOL, size=3)
        with pytest.raises(DrawError, match="随机种子"):
            commitment(seed)
    with pytest.raises(DrawError, match="人数"):
        draw_panel(seed=SEED, match="M1", pool=POOL, size=0)
