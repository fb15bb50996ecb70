"""Arbitration (仲裁): appeals within the window (merged when identical), the final ruling,
the re-scoring batch previewed then applied (old results kept, superseded) or cancelled;
pages and API, and another district's staff kept out."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Conflict, NotFound, ValidationFailed
from gonghui.contests import signals
from gonghui.contests.appeals import selectors
from gonghui.contests.appeals.services import (
    appeal_file,
    appeal_rule,
    rescore_apply,
    rescore_cancel,
    rescore_preview,
)
from gonghui.contests.models import Appeal, Competition, Mark, RescoreBatch, Result, Stage
from gonghui.contests.results.selectors import appeal_window_ends
from tests.contests.test_jury_world import build_contest, lock_results
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def contest(tree, users):
    c = build_contest(tree, users.cy)
    lock_results(c)
    return c


def file(contest, n=1, text="第二位裁判的实操评分有误，请复核。"):
    return appeal_file(
        actor=contest.users[n], stage=contest.stage, entrant=contest.entrants[n], text=text
    )


def upheld(contest, users, n=1):
    appeal = file(contest, n)
    return appeal_rule(actor=users.cy, appeal=appeal, upheld=True, ruling="复核录像，评分有误")


def raise_second(contest, value="95"):
    """Both experts' marks of entrant 002 corrected to ``value``."""
    return [
        {"judge": j.pk, "entrant": contest.entrants[1].pk, "aspect": "M1", "value": value}
        for j in contest.experts
    ]


# --- Appeals -----------------------------------------------------------------------------


def test_an_appeal_is_filed_with_its_event(contest):
    appeal = file(contest)
    assert appeal.status == "open" and appeal.copies == 0 and len(appeal.digest) == 64
    event = AuditEvent.objects.get(action="contests.appeal_file")
    assert event.stream == contest.competition.stream
    assert json.loads(event.body)["changes"]["entrant"] == [None, "002"]


def test_identical_appeals_merge(contest):
    first = file(contest, text="第二位裁判评分有误。")
    again = file(contest, text="  第二位裁判评分有误。 ")
    assert again.pk == first.pk and again.merged is True
    assert Appeal.objects.count() == 1 and Appeal.objects.get().copies == 1
    assert AuditEvent.objects.filter(action="contests.appeal_merge").count() == 1
    file(contest, text="另一件事。")
    assert Appeal.objects.count() == 2


def test_an_appeal_after_the_window_is_refused_nothing_written(contest):
    events = AuditEvent.objects.count()
    end = contest.stage.results_at + timedelta(minutes=contest.stage.appeal_minutes)
    with time_machine.travel(end), pytest.raises(ValidationFailed) as refused:
        file(contest)
    assert "申诉期已过" in refused.value.fields["stage"]
    assert "120 分钟" in refused.value.fields["stage"]
    assert Appeal.objects.count() == 0 and AuditEvent.objects.count() == events


def test_only_the_entrant_appeals(contest, users):
    with pytest.raises(NotFound):
        appeal_file(
            actor=contest.users[0],
            stage=contest.stage,
            entrant=contest.entrants[1],
            text="冒名申诉",
        )
    with pytest.raises(ValidationFailed) as refused:
        file(contest, text="   ")
    assert "text" in refused.value.fields
    assert Appeal.objects.count() == 0


def test_the_ruling_is_final(contest, users):
    appeal = file(contest)
    appeal_rule(actor=users.cy, appeal=appeal, upheld=False, ruling="评分无误")
    with pytest.raises(Conflict):
        appeal_rule(actor=users.cy, appeal=appeal, upheld=True, ruling="改判")
    appeal.refresh_from_db()
    assert appeal.status == "dismissed" and appeal.ruling == "评分无误"
    assert AuditEvent.objects.filter(action="contests.appeal_rule").count() == 1


def test_a_ruling_needs_arbitration_and_reasons(contest, users):
    appeal = file(contest)
    with pytest.raises(ValidationFailed) as refused:
        appeal_rule(actor=users.cy, appeal=appeal, upheld=True, ruling=" ")
    assert "ruling" in refused.value.fields
    with pytest.raises(NotFound):
        appeal_rule(actor=users.hd, appeal=appeal, upheld=True, ruling="x")
    appeal.refresh_from_db()
    assert appeal.status == "open"


# --- Re-scoring --------------------------------------------------------------------------


def test_a_rescore_without_an_upheld_ruling_is_refused(contest, users):
    appeal = file(contest)
    with pytest.raises(ValidationFailed) as refused:
        rescore_preview(actor=users.cy, appeal=appeal, changes=raise_second(contest))
    assert "appeal" in refused.value.fields and "仲裁裁决" in refused.value.fields["appeal"]
    appeal_rule(actor=users.cy, appeal=appeal, upheld=False, ruling="评分无误")
    with pytest.raises(ValidationFailed):
        rescore_preview(actor=users.cy, appeal=appeal, changes=raise_second(contest))
    assert RescoreBatch.objects.count() == 0


def test_the_preview_reads_the_ruling_afresh(contest, users):
    appeal = file(contest)
    appeal_rule(actor=users.cy, appeal=appeal, upheld=True, ruling="评分有误")
    batch = rescore_preview(actor=users.cy, appeal=appeal, changes=raise_second(contest))
    assert batch.status == "preview"


def test_the_preview_shows_the_rank_change(contest, users):
    appeal = upheld(contest, users)
    batch = rescore_preview(actor=users.cy, appeal=appeal, changes=raise_second(contest))
    rows = {r["entrant"]: r for r in batch.preview["rows"]}
    assert (rows["002"]["before_place"], rows["002"]["after_place"]) == (2, 1)
    assert (rows["001"]["before_place"], rows["001"]["after_place"]) == (1, 2)
    assert rows["002"]["after_score"] == "66.5" and rows["002"]["after_advanced"] is True
    assert batch.status == "preview"
    # Nothing took effect yet.
    assert (
        Mark.objects.count() == 6 and Result.objects.filter(superseded_by__isnull=True).count() == 3
    )


@pytest.mark.parametrize(
    "change, field",
    [
        ({"value": "101"}, "changes.1.value"),
        ({"value": "x"}, "changes.1.value"),
        ({"aspect": "Z9"}, "changes.1.aspect"),
        ({"judge": 999999}, "changes.1.judge"),
        ({"value": "70"}, "changes.1.value"),  # the same as the mark it would replace
    ],
)
def test_bad_corrections_are_refused_naming_the_line(contest, users, change, field):
    appeal = upheld(contest, users)
    line = raise_second(contest)[0] | change
    with pytest.raises(ValidationFailed) as refused:
        rescore_preview(actor=users.cy, appeal=appeal, changes=[line])
    assert field in refused.value.fields
    assert RescoreBatch.objects.count() == 0


def test_apply_supersedes_the_old_results_and_writes_new_ones(contest, users):
    appeal = upheld(contest, users)
    batch = rescore_preview(actor=users.cy, appeal=appeal, changes=raise_second(contest))
    old = set(Result.objects.values_list("pk", flat=True))
    rescore_apply(actor=users.cy, batch=batch)
    batch.refresh_from_db()
    assert batch.status == "applied" and batch.decided_at
    assert set(Result.objects.filter(superseded_by=batch).values_list("pk", flat=True)) == old
    current = Result.objects.filter(superseded_by__isnull=True).order_by("place")
    assert [(r.entrant.number, r.place, r.score) for r in current] == [
        (2, 1, "66.5"),
        (1, 2, "56"),
        (3, 3, "42"),
    ]
    assert all(r.revealed_at and r.locked_at for r in current)
    new_marks = Mark.objects.filter(batch=batch)
    assert new_marks.count() == 2 and all(m.reason.startswith("仲裁裁决：") for m in new_marks)
    assert all(m.replaces.value == "70" for m in new_marks)
    assert Mark.objects.count() == 8  # the first marks are kept
    marks = AuditEvent.objects.filter(action="contests.mark").order_by("seq")
    changes = json.loads(marks.first().body)["changes"]
    assert changes["batch"] == [None, batch.pk] and changes["entrant"] == [None, "002"]
    relocks = AuditEvent.objects.filter(action="contests.results_lock").order_by("seq")
    assert relocks.count() == 2  # the lock, and the re-scoring's new results
    lock = json.loads(relocks.last().body)["changes"]
    assert lock["results"][1][0] == ["002", "66.5", 1, True] and lock["results"][1][1][0] == "001"
    with pytest.raises(Conflict):
        rescore_apply(actor=users.cy, batch=batch)
    with pytest.raises(Conflict):
        rescore_cancel(actor=users.cy, batch=batch)


def test_a_frozen_board_keeps_the_new_results_back(contest, users):
    Competition.objects.filter(pk=contest.competition.pk).update(frozen_at=timezone.now())
    appeal = upheld(contest, users)
    batch = rescore_preview(actor=users.cy, appeal=appeal, changes=raise_second(contest))
    rescore_apply(actor=users.cy, batch=batch)
    assert not Result.objects.filter(superseded_by__isnull=True, revealed_at__isnull=False)


def test_cancel_drops_the_batch(contest, users):
    appeal = upheld(contest, users)
    batch = rescore_preview(actor=users.cy, appeal=appeal, changes=raise_second(contest))
    rescore_cancel(actor=users.cy, batch=batch)
    batch.refresh_from_db()
    assert batch.status == "cancelled"
    assert Mark.objects.count() == 6 and not Result.objects.filter(superseded_by__isnull=False)
    with pytest.raises(Conflict):
        rescore_cancel(actor=users.cy, batch=batch)
    with pytest.raises(Conflict):
        rescore_apply(actor=users.cy, batch=batch)


def test_a_stale_preview_is_not_applied(contest, users):
    appeal = upheld(contest, users)
    first = rescore_preview(actor=users.cy, appeal=appeal, changes=raise_second(contest))
    second = rescore_preview(actor=users.cy, appeal=appeal, changes=raise_second(contest, "90"))
    rescore_apply(actor=users.cy, batch=first)
    with pytest.raises(Conflict) as refused:
        rescore_apply(actor=users.cy, batch=second)
    assert "重新预览" in refused.value.message
    assert Mark.objects.count() == 8


# --- Pages and API -----------------------------------------------------------------------


def test_the_entrant_page_and_api(contest, client):
    client.force_login(contest.users[1])
    url = f"/m/contests/appeal/{contest.stage.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and "截至" in page.content.decode()
    sent = client.post(url, {"text": "请复核实操评分"})
    assert sent.status_code == 302 and Appeal.objects.count() == 1
    api = client.post(
        "/api/v1/contests/appeals",
        json.dumps({"stage": contest.stage.pk, "text": "请复核实操评分"}),
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json()["merged"] is True
    other = client.post(
        "/api/v1/contests/appeals",
        json.dumps({"stage": contest.stage.pk, "text": "另一条申诉"}),
        content_type="application/json",
    )
    assert other.status_code == 201 and other.json()["entrant"] == "002"


def test_someone_not_in_the_stage_gets_404(contest, client):
    client.force_login(make_user("stranger", None, None))
    assert client.get(f"/m/contests/appeal/{contest.stage.pk}/").status_code == 404
    api = client.post(
        "/api/v1/contests/appeals",
        json.dumps({"stage": contest.stage.pk, "text": "x"}),
        content_type="application/json",
    )
    assert api.status_code == 404 and Appeal.objects.count() == 0


def test_an_appeal_after_the_window_through_the_page(contest, client):
    contest.stage.results_at = timezone.now() - timedelta(minutes=121)
    contest.stage.save(update_fields=["results_at"])
    client.force_login(contest.users[1])
    assert "已截止" in client.get(f"/m/contests/appeal/{contest.stage.pk}/").content.decode()
    api = client.post(
        "/api/v1/contests/appeals",
        json.dumps({"stage": contest.stage.pk, "text": "迟到的申诉"}),
        content_type="application/json",
    )
    assert api.status_code == 422 and "申诉期已过" in api.json()["fields"]["stage"]
    assert Appeal.objects.count() == 0


def test_staff_rule_preview_and_apply_through_the_pages(contest, users, client):
    appeal = file(contest)
    client.force_login(users.cy)
    assert (
        client.get(f"/contests/c/{contest.competition.pk}/appeals/?sort=-copies").status_code == 200
    )
    assert client.get(f"/contests/appeals/{appeal.pk}/").status_code == 200
    ruled = client.post(
        f"/contests/appeals/{appeal.pk}/rule/",
        {"upheld": "yes", "ruling": "评分有误", "rescore": "on"},
    )
    assert ruled.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == "upheld"
    marks = Mark.objects.filter(entrant=contest.entrants[1]).order_by("judge_id")
    bad = client.post(f"/contests/appeals/{appeal.pk}/rescore/", {f"mark_{marks[0].pk}": "300"})
    assert bad.status_code == 200 and "0–100" in bad.content.decode()
    assert RescoreBatch.objects.count() == 0
    previewed = client.post(
        f"/contests/appeals/{appeal.pk}/rescore/",
        {f"mark_{marks[0].pk}": "95", f"mark_{marks[1].pk}": "95"},
    )
    assert previewed.status_code == 302
    batch = RescoreBatch.objects.get()
    html = client.get(f"/contests/appeals/{appeal.pk}/").content.decode()
    assert "66.5" in html and "确认生效" in html
    assert client.post(f"/contests/rescores/{batch.pk}/apply/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == "applied"


def test_staff_api(contest, users, client):
    appeal = file(contest)
    client.force_login(users.cy)
    ruled = client.post(
        f"/api/v1/contests/appeals/{appeal.pk}/ruling",
        json.dumps({"upheld": True, "ruling": "评分有误"}),
        content_type="application/json",
    )
    assert ruled.status_code == 200 and ruled.json()["status"] == "upheld"
    preview = client.post(
        f"/api/v1/contests/appeals/{appeal.pk}/rescore",
        json.dumps({"changes": raise_second(contest)}),
        content_type="application/json",
    )
    assert preview.status_code == 200, preview.content
    batch = preview.json()["id"]
    cancelled = client.post(f"/api/v1/contests/rescores/{batch}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/contests/rescores/{batch}/apply")
    assert again.status_code == 409


def test_another_district_gets_404_on_pages_and_api(contest, users, client):
    appeal = upheld(contest, users)
    batch = rescore_preview(actor=users.cy, appeal=appeal, changes=raise_second(contest))
    client.force_login(users.hd)
    for url in [
        f"/contests/c/{contest.competition.pk}/appeals/",
        f"/contests/appeals/{appeal.pk}/",
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        f"/contests/appeals/{appeal.pk}/rule/",
        f"/contests/appeals/{appeal.pk}/rescore/",
        f"/contests/rescores/{batch.pk}/apply/",
        f"/contests/rescores/{batch.pk}/cancel/",
        f"/api/v1/contests/rescores/{batch.pk}/apply",
        f"/api/v1/contests/rescores/{batch.pk}/cancel",
    ]:
        assert client.post(url).status_code == 404, url
    api = client.post(
        f"/api/v1/contests/appeals/{appeal.pk}/rescore",
        json.dumps({"changes": raise_second(contest)}),
        content_type="application/json",
    )
    assert api.status_code == 404
    batch.refresh_from_db()
    assert batch.status == "preview" and RescoreBatch.objects.count() == 1


# --- Review findings (issue #17) ---------------------------------------------------------


def test_no_appeal_while_a_freeze_holds_the_results_back(tree, users, client):
    contest = build_contest(tree, users.cy)
    Competition.objects.filter(pk=contest.competition.pk).update(frozen_at=timezone.now())
    lock_results(contest)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        file(contest)
    assert "尚未公布" in refused.value.fields["stage"]
    assert Appeal.objects.count() == 0 and AuditEvent.objects.count() == events
    client.force_login(contest.users[1])
    page = client.get(f"/m/contests/appeal/{contest.stage.pk}/").content.decode()
    assert "成绩尚未公布" in page and "提交申诉" not in page
    # Revealed (the board sets results_at then): the window runs from the reveal.
    revealed = timezone.now() + timedelta(hours=3)
    Result.objects.filter(stage=contest.stage).update(revealed_at=revealed)
    Stage.objects.filter(pk=contest.stage.pk).update(results_at=revealed)
    contest.stage.refresh_from_db()
    with time_machine.travel(revealed + timedelta(minutes=1)):
        assert file(contest).status == "open"
        entrant = selectors.entrant_stage(contest.users[1], contest.stage.pk)
        assert entrant.window_end == appeal_window_ends(contest.stage) and entrant.open
    assert not hasattr(selectors, "window_end")  # one rule of the window: results'


def test_an_upheld_ruling_says_whether_it_orders_a_rescoring(contest, users, client):
    closed = file(contest)
    appeal_rule(actor=users.cy, appeal=closed, upheld=True, ruling="口头说明即可", rescore=False)
    closed.refresh_from_db()
    assert closed.status == "upheld" and closed.rescore is False
    event = AuditEvent.objects.filter(action="contests.appeal_rule").last()
    assert json.loads(event.body)["changes"]["rescore"] == [False, False]
    with pytest.raises(ValidationFailed) as refused:
        rescore_preview(actor=users.cy, appeal=closed, changes=raise_second(contest))
    assert "结案" in refused.value.fields["appeal"] and RescoreBatch.objects.count() == 0
    dismissed = file(contest, text="另一件事")
    with pytest.raises(ValidationFailed) as refused:
        appeal_rule(actor=users.cy, appeal=dismissed, upheld=False, ruling="x", rescore=True)
    assert "rescore" in refused.value.fields
    assert Appeal.objects.get(pk=dismissed.pk).status == "open"
    ordered = upheld(contest, users, 2)  # by default an upheld ruling orders it
    assert ordered.rescore is True
    client.force_login(users.cy)
    api = client.post(
        f"/api/v1/contests/appeals/{dismissed.pk}/ruling",
        json.dumps({"upheld": True, "ruling": "成立，无需重评", "rescore": False}),
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json()["rescore"] is False
    html = client.get(f"/contests/appeals/{dismissed.pk}/").content.decode()
    assert "无需重评，已结案" in html and "预览名次变化" not in html


def test_a_preview_against_results_since_replaced_is_not_applied(contest, users):
    first = upheld(contest, users, 0)
    lower_first = [
        {"judge": j.pk, "entrant": contest.entrants[0].pk, "aspect": "M1", "value": "50"}
        for j in contest.experts
    ]
    a = rescore_preview(actor=users.cy, appeal=first, changes=lower_first)
    b = rescore_preview(
        actor=users.cy, appeal=upheld(contest, users), changes=raise_second(contest)
    )
    assert b.preview["results"] == sorted(Result.objects.values_list("pk", flat=True))
    rescore_apply(actor=users.cy, batch=a)
    marks = Mark.objects.count()
    with pytest.raises(Conflict) as refused:
        rescore_apply(actor=users.cy, batch=b)
    assert "重新预览" in refused.value.message
    assert Mark.objects.count() == marks and RescoreBatch.objects.get(pk=b.pk).status == "preview"


def test_apply_locks_competition_then_stage_then_batch(contest, users):
    if not connection.features.has_select_for_update:
        pytest.skip("no row locks on this database (the PostgreSQL leg checks the order)")
    batch = rescore_preview(
        actor=users.cy, appeal=upheld(contest, users), changes=raise_second(contest)
    )
    with CaptureQueriesContext(connection) as queries:
        rescore_apply(actor=users.cy, batch=batch)
    locked = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    tables = [sql.split(" FROM ")[1].split()[0].strip('"') for sql in locked]
    assert tables[:3] == ["contests_competition", "contests_stage", "contests_rescorebatch"]


def test_ids_no_row_can_have_are_404_not_500(contest, users, client):
    huge = 10**20
    client.force_login(contest.users[1])
    assert client.get(f"/m/contests/appeal/{huge}/").status_code == 404
    client.force_login(users.cy)
    for url in (f"/contests/appeals/{huge}/", f"/contests/c/{huge}/appeals/"):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/contests/rescores/{huge}/apply/",
        f"/contests/rescores/{huge}/cancel/",
        f"/contests/appeals/{huge}/rule/",
    ):
        assert client.post(url).status_code == 404, url
    assert client.post(f"/api/v1/contests/rescores/{huge}/apply").status_code in (404, 422)


def test_the_preview_event_names_the_entrant_by_number(contest, users):
    rescore_preview(actor=users.cy, appeal=upheld(contest, users), changes=raise_second(contest))
    event = AuditEvent.objects.get(action="contests.rescore_preview")
    changes = json.loads(event.body)["changes"]["changes"][1]
    assert {c["entrant"] for c in changes} == {"002"}


def test_only_the_appellants_marks_are_corrected(contest, users, client):
    appeal = upheld(contest, users)
    other = {
        "judge": contest.experts[0].pk,
        "entrant": contest.entrants[0].pk,
        "aspect": "M1",
        "value": "10",
    }
    with pytest.raises(ValidationFailed) as refused:
        rescore_preview(actor=users.cy, appeal=appeal, changes=[other])
    assert "申诉人" in refused.value.fields["changes.1.entrant"]
    client.force_login(users.cy)
    api = client.post(
        f"/api/v1/contests/appeals/{appeal.pk}/rescore",
        json.dumps({"changes": [other]}),
        content_type="application/json",
    )
    assert api.status_code == 422 and "changes.1.entrant" in api.json()["fields"]
    assert RescoreBatch.objects.count() == 0


def test_apply_reaches_a_milestone(contest, users, django_capture_on_commit_callbacks):
    reached = []

    def receiver(sender, competition_id, name, **kw):
        reached.append((competition_id, name))

    signals.milestone_reached.connect(receiver)
    try:
        batch = rescore_preview(
            actor=users.cy, appeal=upheld(contest, users), changes=raise_second(contest)
        )
        with django_capture_on_commit_callbacks(execute=True):
            rescore_apply(actor=users.cy, batch=batch)
    finally:
        signals.milestone_reached.disconnect(receiver)
    assert (contest.competition.pk, "综合评审重评生效") in reached
