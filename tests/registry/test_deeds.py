"""Demo deeds (registry.deeds): the same seed writes the same text, texts vary, and each
names its holder, trade, honour and year — or, for a nomination, leaves the honour out."""

import random
from datetime import date

from gonghui.registry.deeds import collective_deeds, person_deeds

WORKER = {
    "name": "王小明",
    "male": True,
    "born": date(1975, 3, 1),
    "trade": "焊工",
    "employer": "北京城建集团有限公司",
    "honour": "北京市劳动模范",
    "level": "city",
    "is_title": False,
    "year": 2020,
}


def test_the_same_seed_writes_the_same_deeds():
    assert person_deeds(random.Random(7), **WORKER) == person_deeds(random.Random(7), **WORKER)
    assert person_deeds(random.Random(7), **WORKER) != person_deeds(random.Random(8), **WORKER)


def test_deeds_name_the_holder_trade_honour_and_year_and_vary():
    rng = random.Random(1)
    texts = [person_deeds(rng, **WORKER) for _ in range(300)]
    for text in texts:
        assert (
            "王小明" in text
            and "焊工" in text
            and text.endswith("2020年，他荣获“北京市劳动模范”。")
        )
    assert len(set(texts)) == len(texts)
    title = person_deeds(rng, **WORKER | {"honour": "北京大工匠", "is_title": True, "male": False})
    assert title.endswith("她经过层层选拔和现场比拼，获得“北京大工匠”称号。")


def test_a_nomination_under_review_is_not_said_to_be_given():
    text = person_deeds(random.Random(1), **WORKER, given=False)
    assert "王小明" in text and "北京市劳动模范" not in text and "2020年" not in text


def test_collective_deeds():
    rng = random.Random(1)
    texts = [
        collective_deeds(
            rng, unit="地铁运营公司检修班", honour="北京市工人先锋号", level="city", year=2021
        )
        for _ in range(100)
    ]
    for text in texts:
        assert text.startswith("地铁运营公司检修班")
        assert text.endswith(("“北京市工人先锋号”。", "“北京市工人先锋号”荣誉。"))
    assert len(set(texts)) == len(texts)
