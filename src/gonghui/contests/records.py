"""A stage's record as plain data (``engine.py`` describes it): what the platform scores,
what the notary's bundle carries and what its verifier re-scores. One reader for all three,
so they cannot disagree on what the record is.

Keys are the public ones: an entrant is its number as three digits ("007"), an expert judge
``j<id>``, a public juror ``p<id>`` (never a name: the bundle is public)."""

from __future__ import annotations

from gonghui.contests.models import Entrant, Mark, Match, Stage, StageEntry, Vote


def entrant_key(number: int) -> str:
    return f"{number:03d}"


def judge_key(judge_id: int) -> str:
    return f"j{judge_id}"


def juror_key(judge_id: int) -> str:
    return f"p{judge_id}"


def stage_record(stage: Stage) -> dict:
    """Everything ``engine.stage_results`` needs for ``stage``, read in four queries."""
    entries = list(
        StageEntry.objects.filter(stage=stage)
        .order_by("entrant__number")
        .values_list("entrant__number", "match_id")
    )
    seeds = {
        m["id"]: m for m in Match.objects.filter(stage=stage).values("id", "code", "seed__number")
    }
    matches: dict[int, dict] = {
        pk: {
            "code": m["code"],
            "seed": entrant_key(m["seed__number"]) if m["seed__number"] is not None else None,
            "entrants": [],
        }
        for pk, m in sorted(seeds.items(), key=lambda kv: kv[1]["code"])
    }
    for number, match_id in entries:
        matches[match_id]["entrants"].append(entrant_key(number))
    marks = [
        {
            "id": pk,
            "entrant": entrant_key(number),
            "judge": judge_key(judge),
            "aspect": aspect,
            "value": value,
            "replaces": replaces,
        }
        for pk, number, judge, aspect, value, replaces in Mark.objects.filter(stage=stage)
        .order_by("id")
        .values_list("id", "entrant__number", "judge_id", "aspect", "value", "replaces_id")
    ]
    votes = [
        {"juror": juror_key(juror), "entrant": entrant_key(number), "value": value, "late": late}
        for juror, number, value, late in Vote.objects.filter(stage=stage)
        .order_by("id")
        .values_list("juror_id", "entrant__number", "value", "late")
    ]
    return {
        "stage": stage.pk,
        "order": stage.order,
        "kind": stage.kind,
        "scheme": stage.scheme,
        "scheme_version": stage.scheme_version,
        "rule": stage.rule,
        "entrants": [entrant_key(number) for number, _ in entries],
        "matches": list(matches.values()),
        "marks": marks,
        "votes": votes,
    }


def entrants_by_key(competition_id: int) -> dict[str, Entrant]:
    return {entrant_key(e.number): e for e in Entrant.objects.filter(competition_id=competition_id)}
