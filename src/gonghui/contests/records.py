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
    """Everything ``engine.stage_results`` needs for ``stage``, read in four queries. Marks
    and votes are read without a join (their entrant's key comes from the stage's entries):
    at an edition's scale they are most of what is read."""
    entries = list(
        StageEntry.objects.filter(stage=stage)
        .order_by("entrant__number")
        .values_list("entrant_id", "entrant__number", "match_id")
    )
    keys = _Keys({entrant_id: entrant_key(number) for entrant_id, number, _ in entries})
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
    for entrant_id, _, match_id in entries:
        matches[match_id]["entrants"].append(keys[entrant_id])
    judges: dict[int, str] = {}
    marks = [
        {
            "id": pk,
            "entrant": keys[entrant],
            "judge": judges.get(judge) or judges.setdefault(judge, judge_key(judge)),
            "aspect": aspect,
            "value": value,
            "replaces": replaces,
        }
        for pk, entrant, judge, aspect, value, replaces in Mark.objects.filter(stage=stage)
        .order_by("id")
        .values_list("id", "entrant_id", "judge_id", "aspect", "value", "replaces_id")
        .iterator(chunk_size=5000)
    ]
    jurors: dict[int, str] = {}
    votes = [
        {
            "juror": jurors.get(juror) or jurors.setdefault(juror, juror_key(juror)),
            "entrant": keys[entrant],
            "value": value,
            "late": late,
        }
        for juror, entrant, value, late in Vote.objects.filter(stage=stage)
        .order_by("id")
        .values_list("juror_id", "entrant_id", "value", "late")
        .iterator(chunk_size=5000)
    ]
    return {
        "stage": stage.pk,
        "order": stage.order,
        "kind": stage.kind,
        "scheme": stage.scheme,
        "scheme_version": stage.scheme_version,
        "rule": stage.rule,
        "entrants": [keys[entrant_id] for entrant_id, _, _ in entries],
        "matches": list(matches.values()),
        "marks": marks,
        "votes": votes,
    }


class _Keys(dict):
    """Entrant id -> key, from the stage's entries; an entrant with a mark or a vote in the
    stage but no entry in it (the triggers refuse such a mark; the vote service checks) is
    read when met, so the record shows it rather than failing."""

    def __missing__(self, pk: int) -> str:
        self[pk] = entrant_key(Entrant.objects.values_list("number", flat=True).get(pk=pk))
        return self[pk]


def entrants_by_key(competition_id: int) -> dict[str, Entrant]:
    return {entrant_key(e.number): e for e in Entrant.objects.filter(competition_id=competition_id)}
