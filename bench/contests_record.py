"""The notarised record's figures (issue #17): an edition of 10 trades and 3,000 entrants
(full scale; 300 at small), each entrant marked in full by a panel of five judges on four
aspects (60,000 marks at full scale), every mark with its ``contests.mark`` event in its
competition's stream (recorded through ``events.event``, as the judging feature records
them), each stage's results locked (``contests.results_lock``) and a milestone signed and
countersigned per trade.

- **recompute**: every stage's results from its raw marks (``records.stage_record`` +
  ``engine.stage_results``) against reading those marks from the database (the same rows,
  one query), interleaved; target within 5x;
- **verifier**: ``verify_contest.verify`` (the stand-alone verifier, in this process, on one
  trade's bundle as ``gonghui contests export-bundle`` writes it; the bundle is one
  competition's) against reading the bundle's files (unzip every member and parse its JSON),
  interleaved; target within 10x. The ratio is per bundle; all ten bundles are verified once
  and their total time is printed as a comparison.
"""

import json
import statistics
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from measure import comparison, figure, interleaved, make_user, note

from gonghui.audit.services import key_fingerprints
from gonghui.audit.verifier import fingerprint, read_jsonl
from gonghui.contests import engine, events
from gonghui.contests.models import (
    Competition,
    Entrant,
    Judge,
    Mark,
    Match,
    Programme,
    Result,
    Seat,
    Stage,
    StageEntry,
)
from gonghui.contests.notary import selectors, services, verify_contest
from gonghui.contests.records import entrant_key, judge_key, stage_record
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person, Trade, Unit


@dataclass(frozen=True)
class Scale:
    trades: int
    entrants: int  # per trade
    reps: int


SCALES = {"small": Scale(10, 30, 5), "full": Scale(10, 300, 5)}
JUDGES = 5
SCHEME = {
    "aspects": [
        {"code": "M1", "name": "尺寸精度", "kind": "measurement", "max": "40"},
        {"code": "M2", "name": "表面质量", "kind": "measurement", "max": "20"},
        {
            "code": "J1",
            "name": "工艺规范",
            "kind": "judgement",
            "max": "25",
            "trim": {"5": 1},
            "spread": "10",
        },
        {"code": "J2", "name": "安全文明", "kind": "judgement", "max": "15", "method": "mean"},
    ],
    "tie_chain": [["score", "desc"], ["M1", "desc"], ["J1", "desc"]],
}


def run(scale_name: str) -> Iterator[str]:
    scale = SCALES[scale_name]
    note(f"scale: {scale}")
    # A witness of its own: the database is new each run, a witness file of an earlier run
    # would contradict it (and rightly refuse every checkpoint).
    settings.AUDIT_WITNESS = [Path(tempfile.mkdtemp(prefix="contests-record-")) / "heads.jsonl"]
    city = OrgUnit.objects.get(parent__isnull=True)
    admin = make_user("bench-contests-admin", city, "city_admin")
    started = time.perf_counter()
    programme, competitions, notary_key = build(admin, city, scale)
    note(f"built {Mark.objects.count()} marks in {time.perf_counter() - started:.1f} s")
    yield recompute(programme, scale)
    yield from verifier(competitions, notary_key, scale)


# --- The edition -------------------------------------------------------------------------------


def build(admin, city, scale: Scale):
    now = timezone.now()
    trades = list(Trade.objects.order_by("id")[: scale.trades])
    programme = Programme.objects.create(
        name="北京大工匠（基准）", year=2026, org_unit=city, created_by=admin
    )
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    notary_user = make_user("bench-notary", city, "judge")
    competitions = []
    for t, trade in enumerate(trades):
        competitions.append(build_trade(admin, city, programme, trade, t, scale, now))
    services.notary_register(
        actor=admin,
        programme=programme,
        user=notary_user,
        name="公证员",
        office="方圆公证处",
        public_key=public,
    )
    for competition in competitions:
        milestone = services.milestone_sign(competition_id=competition.pk, name="实操比拼结束")
        services.milestone_countersign(
            actor=notary_user,
            milestone=milestone,
            signature=private.sign(selectors.message(milestone)).hex(),
        )
    return programme, competitions, public


def build_trade(admin, city, programme, trade, t, scale: Scale, now) -> Competition:
    competition = Competition.objects.create(
        programme=programme,
        org_unit=city,
        trade=trade,
        name=f"{trade.name}（基准）",
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=10),
    )
    stage = Stage.objects.create(
        competition=competition,
        order=1,
        kind="contest",
        name="实操比拼",
        scheme=SCHEME,
        rule={"kind": "top", "n": max(1, scale.entrants // 10)},
        status="locked",
    )
    match = Match.objects.create(stage=stage, code="A", panel_size=JUDGES)
    employers = Unit.objects.bulk_create(
        [Unit(name=f"单位{t}-{i}", org_unit=city) for i in range(JUDGES + 10)]
    )
    people = Person.objects.bulk_create(
        [
            Person(
                name=f"选手{t}-{n}",
                org_unit=city,
                no_id_reason="基准数据",
                birth_date=date(1985, 1, 1),
            )
            for n in range(scale.entrants)
        ]
    )
    entrants = Entrant.objects.bulk_create(
        [
            Entrant(
                competition=competition,
                person=person,
                number=n + 1,
                age=40,
                employer=employers[JUDGES + n % 10],
                route="self",
            )
            for n, person in enumerate(people)
        ]
    )
    StageEntry.objects.bulk_create(
        [StageEntry(stage=stage, entrant=e, match=match) for e in entrants]
    )
    judges = Judge.objects.bulk_create(
        [
            Judge(programme=programme, kind="expert", name=f"裁判{t}-{j}", employer=employers[j])
            for j in range(JUDGES)
        ]
    )
    Seat.objects.bulk_create(
        [Seat(match=match, judge=j, position=p) for p, j in enumerate(judges, start=1)]
    )
    marks = []
    for e in entrants:
        for j, judge in enumerate(judges):
            n = e.number
            for aspect, value in (
                ("M1", f"{20 + (n * 7 + j) % 20}.{(n + j) % 10}"),
                ("M2", f"{10 + (n * 3 + j) % 10}"),
                ("J1", f"{15 + (n + j * 2) % 8}"),
                ("J2", f"{8 + (n * 5 + j) % 6}.5"),
            ):
                marks.append(
                    Mark(
                        stage=stage,
                        entrant=e,
                        judge=judge,
                        aspect=aspect,
                        value=value,
                        key=uuid.uuid4().hex,
                        created_at=now,
                    )
                )
    with transaction.atomic():
        Mark.objects.bulk_create(marks, batch_size=2000)
        for mark in marks:  # its event, as the judging feature records one
            events.event(
                admin,
                competition,
                "contests.mark",
                obj=mark,
                changes={
                    "stage": [None, stage.pk],
                    "entrant": [None, entrant_key(mark.entrant.number)],
                    "judge": [None, judge_key(mark.judge_id)],
                    "aspect": [None, mark.aspect],
                    "value": [None, mark.value],
                    "replaces": [None, None],
                    "reason": [None, ""],
                    "batch": [None, None],
                },
            )
        results = engine.stage_results(stage_record(stage))
        by_key = {entrant_key(e.number): e for e in entrants}
        Result.objects.bulk_create(
            [
                Result(
                    stage=stage,
                    entrant=by_key[r["entrant"]],
                    score=r["score"],
                    parts=r["parts"],
                    place=r["place"],
                    advanced=r["advanced"],
                    scheme_version=stage.scheme_version,
                    computed_at=now,
                    locked_at=now,
                    revealed_at=now,
                )
                for r in results
            ]
        )
        events.event(
            admin,
            competition,
            "contests.results_lock",
            obj=stage,
            changes={
                "stage": [None, stage.pk],
                "scheme_version": [None, stage.scheme_version],
                "results": [
                    None,
                    [[r["entrant"], r["score"], r["place"], r["advanced"]] for r in results],
                ],
            },
        )
    return competition


# --- (1) Recomputing every result from the raw marks ---------------------------------------------


def recompute(programme, scale: Scale) -> str:
    stages = list(Stage.objects.filter(competition__programme=programme).order_by("id"))

    def read_marks():
        return list(
            Mark.objects.filter(stage__competition__programme=programme)
            .order_by("id")
            .values_list("id", "stage_id", "entrant__number", "judge_id", "aspect", "value")
        )

    def recompute_all():
        return [engine.stage_results(stage_record(stage)) for stage in stages]

    times = interleaved({"read": read_marks, "recompute": recompute_all}, scale.reps, warmup=1)
    read, again = statistics.median(times["read"]), statistics.median(times["recompute"])
    note(
        f"recompute: {len(stages)} stages, {len(read_marks())} marks; read {read * 1000:.0f} ms, "
        f"records + engine {again * 1000:.0f} ms"
    )
    return figure("contests_record.recompute", again * 1000, "ms", "ratio_to_read", again / read, 5)


# --- (2) The stand-alone verifier on the bundle -------------------------------------------------


def read_bundle(path: Path) -> int:
    """What any reader of the bundle does: every member unzipped, its JSON parsed."""
    count = 0
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            data = z.read(name)
            if name.endswith(".jsonl"):
                count += len(read_jsonl(data))
            elif name.endswith(".json"):
                json.loads(data)
                count += 1
    return count


def verifier(competitions, notary_key, scale: Scale) -> Iterator[str]:
    audit = key_fingerprints()[0][1]
    notary_fp = fingerprint(notary_key)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for competition in competitions:
            path = Path(tmp) / f"contest-{competition.pk}.zip"
            with path.open("wb") as fh:
                services.record_export(actor=None, competition=competition, out=fh)
            paths.append(path)
        path = paths[0]

        def check():
            report = verify_contest.verify(path, [audit], [notary_fp])
            assert not report.problems, report.problems
            return report

        report = check()
        note(
            f"bundle: {path.stat().st_size / 1e6:.1f} MB, {report.summary}; "
            f"{sum(p.stat().st_size for p in paths) / 1e6:.1f} MB in all {len(paths)} bundles"
        )
        times = interleaved(
            {"read": lambda: read_bundle(path), "verify": check}, scale.reps, warmup=1
        )
        read, verify = statistics.median(times["read"]), statistics.median(times["verify"])
        note(f"verifier: read {read * 1000:.0f} ms, verify {verify * 1000:.0f} ms (one trade)")
        yield figure(
            "contests_record.verifier", verify * 1000, "ms", "ratio_to_read", verify / read, 10
        )
        started = time.perf_counter()
        for p in paths:
            assert not verify_contest.verify(p, [audit], [notary_fp]).problems
        total = time.perf_counter() - started
        started = time.perf_counter()
        for p in paths:
            read_bundle(p)
        reading = time.perf_counter() - started
        yield comparison(
            "contests_record.verifier_edition", total * 1000, "ms", "ratio_to_read", total / reading
        )
