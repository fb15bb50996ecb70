"""Setting a contest up: programmes, one competition per trade with its default stages, the
rules document and its lock, a stage's scheme and rule, the judge pool, declared recusals;
the pages and the API, and their scope (a district's staff cannot reach another's)."""

import copy
import hashlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.contests import engine
from gonghui.contests.models import (
    Competition,
    Entrant,
    Judge,
    Mark,
    Match,
    Programme,
    Recusal,
    Seat,
    Stage,
    StageEntry,
)
from gonghui.contests.setup import defaults, selectors
from gonghui.contests.setup.services import (
    competition_create,
    competition_open,
    competition_rules_upload,
    judge_add,
    programme_create,
    recusal_declare,
    stage_update,
)
from gonghui.files.models import Attachment
from gonghui.people.models import Trade, Unit
from tests.factories import PASSWORD, make_person, make_user

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n% rules of the contest\n"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def trade(code="6-18-01") -> Trade:
    return Trade.objects.get(code=code)


def make_programme(actor, org_unit, kind="contest", **extra) -> Programme:
    return programme_create(
        actor=actor, org_unit=org_unit, name=extra.pop("name", "朝阳区钳工技能竞赛"),
        year=2027, kind=kind, **extra,
    )  # fmt: skip


def make_competition(actor, programme, code="6-18-01", **extra) -> Competition:
    return competition_create(
        actor=actor,
        programme=programme,
        trade=trade(code),
        registration_opens_at=at(2027, 3, 1, 9),
        registration_closes_at=at(2027, 4, 1, 17),
        **extra,
    )


@pytest.fixture
def cy(users, tree):
    """A Chaoyang district contest with one competition."""
    programme = make_programme(users.cy, tree.chaoyang)
    return make_competition(users.cy, programme)


def employer(tree, name="北京精密机械厂") -> Unit:
    return Unit.objects.create(name=name, org_unit=tree.cy_grass)


def make_entrant(competition, tree, number=7, name="李铁") -> Entrant:
    person = make_person(tree.cy_grass, name)
    return Entrant.objects.create(
        competition=competition,
        person=person,
        number=number,
        age=35,
        employer=employer(tree, f"{name}的单位"),
        route=Entrant.Route.SELF,
    )


def seat_and_mark(stage, entrant, judge, value="30") -> Mark:
    """The judge seated on the entrant's match, and one mark (as the judging feature
    records it)."""
    match = Match.objects.create(stage=stage, code="A1", panel_size=3)
    StageEntry.objects.create(stage=stage, entrant=entrant, match=match)
    Seat.objects.create(match=match, judge=judge, position=1)
    return Mark.objects.create(
        stage=stage,
        entrant=entrant,
        judge=judge,
        aspect="M1",
        value=value,
        key=f"k-{judge.pk}-{entrant.pk}",
        created_at=timezone.now(),
    )


def changes(event) -> dict:
    return json.loads(event.body)["changes"]


def events(action):
    return AuditEvent.objects.filter(action=action)


# --- Default stages, schemes and rules ------------------------------------------------------


@pytest.mark.parametrize("kind", ["title", "contest"])
def test_every_default_scheme_and_rule_validates_and_scores(kind):
    stages = defaults.stages_for(kind, titles=1, nominee_awards=2)
    assert stages, kind
    for stage in stages:
        assert engine.scheme_problems(stage["scheme"]) == {}, stage["name"]
        assert engine.rule_problems(stage["rule"]) == {}, stage["name"]
        kinds = {a["kind"] for a in stage["scheme"]["aspects"]}
        assert kinds == {"measurement", "judgement"}, stage["name"]
        for aspect in stage["scheme"]["aspects"]:
            if aspect["kind"] == "judgement":
                assert aspect["method"] == "trimmed_mean"
                assert aspect["trim"] == {"5": 1, "7": 2} and "spread" in aspect
        # And the engine scores a stage of five judges with them.
        record = {
            "scheme": stage["scheme"],
            "scheme_version": 1,
            "rule": stage["rule"] if stage["rule"]["kind"] != "challenge" else {"kind": "none"},
            "entrants": ["001", "002"],
            "marks": [
                {
                    "id": n,
                    "entrant": e,
                    "judge": f"j{j}",
                    "aspect": a["code"],
                    "value": str(int(a["max"]) - j - (e == "002")),
                    "replaces": None,
                }
                for n, (e, a, j) in enumerate(
                    (e, a, j)
                    for e in ("001", "002")
                    for a in stage["scheme"]["aspects"]
                    for j in range(5)
                )
            ],
            "votes": [
                {"juror": "p1", "entrant": e, "value": v, "late": False}
                for e, v in (("001", "90"), ("002", "80"))
            ],
        }
        results = engine.stage_results(record)
        assert [r["entrant"] for r in results] == ["001", "002"]


def test_title_programme_gets_five_stages_and_a_contest_two(users, tree):
    title = make_programme(users.cy, tree.chaoyang, kind="title", name="朝阳工匠 2027")
    c = make_competition(users.cy, title, titles=2, nominee_awards=3)
    assert list(c.stages.values_list("kind", "name")) == [
        ("selection", "挑战者选拔赛"),
        ("seeding", "种子选手评定"),
        ("challenge", "挑战赛"),
        ("final", "终极挑战赛"),
        ("review", "综合评审"),
    ]
    final, review = c.stages.get(kind="final"), c.stages.get(kind="review")
    assert final.rule == {"kind": "top", "n": 5}
    assert review.scheme["weights"] == {"practical": 60, "defence": 10, "public": 30}
    assert {a["part"] for a in review.scheme["aspects"]} == {"practical", "defence"}
    assert c.stages.get(kind="challenge").rule == {"kind": "challenge"}

    contest = make_programme(users.cy, tree.chaoyang)
    d = make_competition(users.cy, contest)
    assert list(d.stages.values_list("kind", flat=True)) == ["contest", "review"]
    assert "defence" in d.stages.get(kind="review").scheme["weights"]
    assert all(s.scheme_version == 1 and s.status == "planned" for s in d.stages.all())
    event = events("contests.competition_create").get(stream=d.stream)
    assert [s["kind"] for s in changes(event)["stages"][1]] == ["contest", "review"]
    assert [s["id"] for s in changes(event)["stages"][1]] == list(
        d.stages.order_by("order").values_list("pk", flat=True)
    )


# --- Programmes and competitions ------------------------------------------------------------


def test_programme_create_checks_its_fields_and_honours(users, tree, honours):
    with pytest.raises(ValidationFailed) as refused:
        programme_create(
            actor=users.cy,
            org_unit=tree.chaoyang,
            name=" ",
            year=1800,
            kind="other",
            title_honour=honours["beijing-master-craftsman"],
        )
    assert set(refused.value.fields) == {"name", "year", "kind", "title_honour"}
    assert "不由" in refused.value.fields["title_honour"]
    assert not Programme.objects.exists()
    assert not events("contests.programme_create").exists()

    p = make_programme(
        users.cy, tree.chaoyang, kind="title", title_honour=honours["chaoyang-craftsman"]
    )
    event = events("contests.programme_create").get()
    assert event.stream == "platform" and event.org_unit_id == tree.chaoyang.pk
    assert event.object_id == str(p.pk)
    assert changes(event)["title_honour"] == [None, "chaoyang-craftsman"]


def test_one_competition_per_trade(users, tree, cy):
    programme = cy.programme
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        make_competition(users.cy, programme)
    assert "钳工" in refused.value.fields["trade"]
    assert Competition.objects.filter(programme=programme).count() == 1
    assert Stage.objects.filter(competition__programme=programme).count() == 2
    assert AuditEvent.objects.count() == before
    # Another trade is another competition.
    other = make_competition(users.cy, programme, code="6-22-01")
    assert other.name == "朝阳区钳工技能竞赛·汽车装调工"


def test_competition_create_refuses_a_backwards_window(users, tree):
    programme = make_programme(users.cy, tree.chaoyang)
    with pytest.raises(ValidationFailed) as refused:
        competition_create(
            actor=users.cy,
            programme=programme,
            trade=trade(),
            registration_opens_at=at(2027, 4, 1),
            registration_closes_at=at(2027, 3, 1),
            titles=-1,
        )
    assert set(refused.value.fields) == {"registration_closes_at", "titles"}
    assert not Competition.objects.exists() and not Stage.objects.exists()


def with_rules(competition) -> Competition:
    Competition.objects.filter(pk=competition.pk).update(
        rules_sha256="ab" * 32, rules_name="规程.pdf"
    )
    competition.refresh_from_db()
    return competition


def test_competition_open_once(users, cy):
    with_rules(cy)
    competition_open(actor=users.cy, competition=cy)
    cy.refresh_from_db()
    assert cy.status == "open"
    assert events("contests.competition_open").get().stream == f"contest:{cy.pk}"
    with pytest.raises(Conflict):
        competition_open(actor=users.cy, competition=cy)
    assert events("contests.competition_open").count() == 1


# --- The rules document ---------------------------------------------------------------------


def test_rules_upload_keeps_the_sha256_and_is_refused_after_the_lock(users, cy, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    competition_rules_upload(
        actor=users.cy, competition=cy, upload=SimpleUploadedFile("钳工竞赛规程.pdf", PDF)
    )
    cy.refresh_from_db()
    digest = hashlib.sha256(PDF).hexdigest()
    assert cy.rules_sha256 == digest and cy.rules_name == "钳工竞赛规程.pdf"
    attachment = Attachment.objects.get(sha256=digest)
    assert attachment.owner == cy and attachment.org_unit_id == cy.org_unit_id
    event = events("contests.rules_upload").get()
    assert event.stream == cy.stream and changes(event)["rules_sha256"] == [None, digest]

    # Registration closed (the entry feature sets the lock): no other file replaces it.
    Competition.objects.filter(pk=cy.pk).update(rules_locked_at=timezone.now())
    with pytest.raises(Conflict) as refused:
        competition_rules_upload(
            actor=users.cy, competition=cy, upload=SimpleUploadedFile("新规程.pdf", PDF + b"x")
        )
    assert digest in refused.value.message
    cy.refresh_from_db()
    assert cy.rules_sha256 == digest and Attachment.objects.count() == 1
    assert events("contests.rules_upload").count() == 1


def test_rules_upload_refuses_a_file_that_is_not_a_document(users, cy, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationFailed) as refused:
        competition_rules_upload(
            actor=users.cy, competition=cy, upload=SimpleUploadedFile("规程.pdf", b"MZ\x90\x00")
        )
    assert "file" in refused.value.fields
    cy.refresh_from_db()
    assert cy.rules_sha256 == "" and not Attachment.objects.exists()


def test_the_dashboard_shows_the_rules_sha256_and_its_lock(client, users, cy, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.login(username="cy_staff", password=PASSWORD)
    response = client.post(
        f"/contests/c/{cy.pk}/rules/", {"file": SimpleUploadedFile("规程.pdf", PDF)}
    )
    assert response.status_code == 302
    digest = hashlib.sha256(PDF).hexdigest()
    page = client.get(f"/contests/c/{cy.pk}/").content.decode()
    assert digest in page and "规程.pdf" in page and "未锁定" in page
    Competition.objects.filter(pk=cy.pk).update(rules_locked_at=timezone.now())
    page = client.get(f"/contests/c/{cy.pk}/").content.decode()
    assert "已锁定" in page and "更换规程" not in page
    refused = client.post(
        f"/contests/c/{cy.pk}/rules/", {"file": SimpleUploadedFile("b.pdf", PDF + b"2")}
    )
    assert refused.status_code == 200 and digest in refused.content.decode()
    assert Attachment.objects.count() == 1


# --- A stage's scheme and rule --------------------------------------------------------------


def stage_args(stage, **changes):
    return {
        "name": stage.name,
        "scheme": copy.deepcopy(stage.scheme),
        "rule": dict(stage.rule),
        "appeal_minutes": stage.appeal_minutes,
    } | changes


def test_stage_update_names_each_bad_field_and_writes_nothing(users, cy):
    stage = cy.stages.get(order=1)
    scheme = copy.deepcopy(stage.scheme)
    del scheme["aspects"][0]["max"]
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        stage_update(
            actor=users.cy,
            stage=stage,
            **stage_args(
                stage,
                name="",
                scheme=scheme,
                rule={"kind": "top", "n": 0},
                appeal_minutes=0,
                votes_open_at=at(2027, 5, 1, 10),
            ),
        )
    fields = refused.value.fields
    assert set(fields) == {"name", "scheme", "rule", "appeal_minutes", "votes_close_at"}
    assert "aspects.1.max" in fields["scheme"] and "满分" in fields["scheme"]
    assert "rule.n" in fields["rule"] and "正整数" in fields["rule"]
    stage.refresh_from_db()
    assert stage.scheme_version == 1 and "max" in stage.scheme["aspects"][0]
    assert AuditEvent.objects.count() == before


def test_a_votes_window_needs_public_jurors_and_its_order(users, cy):
    practical, review = cy.stages.get(order=1), cy.stages.get(order=2)
    with pytest.raises(ValidationFailed) as refused:
        stage_update(
            actor=users.cy,
            stage=practical,
            **stage_args(
                practical, votes_open_at=at(2027, 5, 1, 10), votes_close_at=at(2027, 5, 1, 11)
            ),
        )
    assert "大众评委" in refused.value.fields["votes_open_at"]
    with pytest.raises(ValidationFailed) as refused:
        stage_update(
            actor=users.cy,
            stage=review,
            **stage_args(
                review, votes_open_at=at(2027, 5, 1, 10), votes_close_at=at(2027, 5, 1, 9)
            ),
        )
    assert "晚于" in refused.value.fields["votes_close_at"]


def test_stage_update_bumps_the_version_only_when_the_scheme_or_rule_changes(users, cy):
    stage = cy.stages.get(order=1)
    stage = stage_update(actor=users.cy, stage=stage, **stage_args(stage, name="实操比拼（初赛）"))
    assert stage.scheme_version == 1 and stage.name == "实操比拼（初赛）"
    stage = stage_update(
        actor=users.cy, stage=stage, **stage_args(stage, rule={"kind": "threshold", "min": "80"})
    )
    assert stage.scheme_version == 2
    scheme = copy.deepcopy(stage.scheme)
    scheme["aspects"][0]["max"] = "50"
    stage = stage_update(actor=users.cy, stage=stage, **stage_args(stage, scheme=scheme))
    stage.refresh_from_db()
    assert stage.scheme_version == 3 and stage.scheme["aspects"][0]["max"] == "50"
    last = events("contests.stage_update").order_by("-id").first()
    assert last.stream == cy.stream and changes(last)["scheme_version"] == [2, 3]
    assert changes(last)["scheme"][1]["aspects"][0]["max"] == "50"


def test_the_scheme_is_fixed_once_marking_starts(users, tree, cy):
    stage = cy.stages.get(order=1)
    Stage.objects.filter(pk=stage.pk).update(status=Stage.Status.MARKING)
    with pytest.raises(Conflict) as refused:
        stage_update(actor=users.cy, stage=stage, **stage_args(stage, rule={"kind": "none"}))
    assert "固定" in refused.value.message
    stage.refresh_from_db()
    assert stage.rule["kind"] == "top" and stage.scheme_version == 1
    # A mark recorded while the status still says planned fixes it all the same.
    other = cy.stages.get(order=2)
    judge = judge_add(actor=users.cy, programme=cy.programme, kind="expert", name="王工")
    seat_and_mark(other, make_entrant(cy, tree), judge)
    with pytest.raises(Conflict):
        stage_update(actor=users.cy, stage=other, **stage_args(other, rule={"kind": "none"}))


def test_the_stage_page_shows_the_engines_problems_next_to_the_field(client, users, cy):
    stage = cy.stages.get(order=1)
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get(f"/contests/stages/{stage.pk}/edit/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "尺寸精度" in text and "去掉最高最低后平均" in text and "前 10 名晋级" in text
    bad = client.post(
        f"/contests/stages/{stage.pk}/edit/",
        {
            "name": stage.name,
            "scheme": '{"aspects": []}',
            "rule": '{"kind": "top"',
            "appeal_minutes": 120,
        },
    )
    assert bad.status_code == 200
    assert "不是有效的 JSON" in bad.context["form"].errors["rule"][0]
    bad = client.post(
        f"/contests/stages/{stage.pk}/edit/",
        {"name": stage.name, "scheme": '{"aspects": []}', "rule": '{"kind": "none"}',
         "appeal_minutes": 120},
    )  # fmt: skip
    assert "至少设置一个评分项" in bad.context["form"].errors["scheme"][0]
    stage.refresh_from_db()
    assert stage.scheme_version == 1
    good = client.post(
        f"/contests/stages/{stage.pk}/edit/",
        {"name": stage.name, "scheme": page.context["form"]["scheme"].value(),
         "rule": '{"kind": "top", "n": 6}', "appeal_minutes": 90},
    )  # fmt: skip
    assert good.status_code == 302
    stage.refresh_from_db()
    assert stage.rule == {"kind": "top", "n": 6} and stage.scheme_version == 2


# --- Judges and recusals --------------------------------------------------------------------


def test_judge_add_links_one_account_once(users, tree, cy):
    account = make_user("judge_wang", None, None)
    works = employer(tree)
    judge = judge_add(
        actor=users.cy,
        programme=cy.programme,
        kind="expert",
        name="王工",
        employer=works,
        trade=trade(),
        user=account,
    )
    event = events("contests.judge_add").get()
    assert event.stream == "platform" and event.org_unit_id == tree.chaoyang.pk
    assert changes(event)["judge"] == [None, f"j{judge.pk}"]
    assert changes(event)["employer"] == [None, f"u{works.pk}"]
    with pytest.raises(ValidationFailed) as refused:
        judge_add(actor=users.cy, programme=cy.programme, kind="chief", name="王工", user=account)
    assert "已是本项目的评委" in refused.value.fields["user"]
    with pytest.raises(ValidationFailed) as refused:
        judge_add(actor=users.cy, programme=cy.programme, kind="public", name="市民")
    assert "kind" in refused.value.fields
    assert Judge.objects.count() == 1 and events("contests.judge_add").count() == 1


def test_the_judge_form_names_an_unknown_account(client, users, cy):
    client.login(username="cy_staff", password=PASSWORD)
    response = client.post(
        f"/contests/{cy.programme.pk}/judges/new/",
        {"kind": "expert", "name": "王工", "user": "nobody-here"},
    )
    assert response.status_code == 200
    assert "没有这个账号" in response.context["form"].errors["user"][0]
    assert not Judge.objects.exists()
    ok = client.post(
        f"/contests/{cy.programme.pk}/judges/new/",
        {"kind": "arbiter", "name": "赵仲裁", "user": "nopost"},
    )
    assert ok.status_code == 302
    assert Judge.objects.get().user == users.nopost
    assert "赵仲裁" in client.get(f"/contests/{cy.programme.pk}/").content.decode()


def test_recusal_declared_by_staff_or_the_judge_themself(users, tree, cy):
    account = make_user("judge_li", None, None)
    judge = judge_add(
        actor=users.cy, programme=cy.programme, kind="expert", name="李工", user=account
    )
    a, b = make_entrant(cy, tree, 7, "甲"), make_entrant(cy, tree, 12, "乙")
    recusal = recusal_declare(actor=users.cy, judge=judge, entrant=a, note="师徒关系")
    assert recusal.reason == Recusal.Reason.DECLARED
    event = events("contests.recusal").get(object_id=str(recusal.pk))
    assert event.stream == cy.stream
    assert changes(event) == {
        "judge": [None, f"j{judge.pk}"],
        "entrant": [None, "007"],
        "reason": [None, "declared"],
    }
    # The judge themself, with no post at all.
    recusal_declare(actor=account, judge=judge, entrant=b, note="亲属")
    assert Recusal.objects.filter(judge=judge).count() == 2
    with pytest.raises(Conflict):
        recusal_declare(actor=account, judge=judge, entrant=b, note="亲属")
    # Another judge's account cannot declare for this one.
    other = make_user("judge_zhao", None, None)
    with pytest.raises(NotFound):
        recusal_declare(actor=other, judge=judge, entrant=b, note="x")


def test_recusal_refused_once_the_judge_has_marked_the_entrant(users, tree, cy):
    judge = judge_add(actor=users.cy, programme=cy.programme, kind="expert", name="王工")
    entrant = make_entrant(cy, tree)
    seat_and_mark(cy.stages.get(order=1), entrant, judge)
    with pytest.raises(Conflict) as refused:
        recusal_declare(actor=users.cy, judge=judge, entrant=entrant, note="亲属")
    assert "已对该参赛人评分" in refused.value.message
    assert not Recusal.objects.exists() and not events("contests.recusal").exists()
    with pytest.raises(ValidationFailed) as refused:
        recusal_declare(actor=users.cy, judge=judge, entrant=entrant, note=" ")
    assert "note" in refused.value.fields


def test_the_recusal_form(client, users, tree, cy):
    judge = judge_add(actor=users.cy, programme=cy.programme, kind="expert", name="王工")
    entrant = make_entrant(cy, tree)
    client.login(username="cy_staff", password=PASSWORD)
    url = f"/contests/c/{cy.pk}/recusals/new/"
    assert "007 李铁" in client.get(url).content.decode()
    missing = client.post(url, {"judge": judge.pk, "entrant": entrant.pk, "note": ""})
    assert missing.status_code == 200 and missing.context["form"].errors["note"]
    done = client.post(url, {"judge": judge.pk, "entrant": entrant.pk, "note": "同村亲属"})
    assert done.status_code == 302 and Recusal.objects.get().note == "同村亲属"


# --- Pages, API, scope ----------------------------------------------------------------------


def test_staff_set_up_a_programme_and_competition_through_the_pages(client, users, tree):
    client.login(username="cy_staff", password=PASSWORD)
    form = client.get("/contests/new/")
    assert form.status_code == 200
    units = list(form.context["form"].fields["org_unit"].queryset)
    assert tree.chaoyang in units and tree.haidian not in units
    bad = client.post("/contests/new/", {"org_unit": tree.chaoyang.pk, "kind": "contest"})
    assert bad.status_code == 200 and {"name", "year"} <= set(bad.context["form"].errors)
    made = client.post(
        "/contests/new/",
        {"org_unit": tree.chaoyang.pk, "name": "朝阳区数控技能竞赛", "kind": "contest",
         "year": 2027, "edition": 1},
    )  # fmt: skip
    assert made.status_code == 302
    programme = Programme.objects.get()
    made = client.post(
        f"/contests/{programme.pk}/competitions/new/",
        {"trade": trade("6-18-02").pk, "registration_opens_at": "2027-03-01T09:00",
         "registration_closes_at": "2027-04-01T17:00", "titles": 1, "nominee_awards": 0,
         "venue": "朝阳区职业技能实训基地"},
    )  # fmt: skip
    assert made.status_code == 302
    competition = Competition.objects.get()
    page = client.get(made["Location"]).content.decode()
    assert "实操比拼" in page and "综合评审" in page and "比赛环节" in page
    assert "朝阳区职业技能实训基地" in page
    assert "上传规程后才能开放报名" in page and "/open/" not in page
    client.post(f"/contests/c/{competition.pk}/open/")
    competition.refresh_from_db()
    assert competition.status == "draft"  # no rules yet
    with_rules(competition)
    assert f"/contests/c/{competition.pk}/open/" in client.get(made["Location"]).content.decode()
    opened = client.post(f"/contests/c/{competition.pk}/open/")
    assert opened.status_code == 302
    competition.refresh_from_db()
    assert competition.status == "open"
    listing = client.get("/contests/?sort=-name&year=2027&q=数控").content.decode()
    assert "朝阳区数控技能竞赛" in listing


def test_the_programme_list_filters_and_sorts(users, tree):
    make_programme(users.cy, tree.chaoyang, name="乙项目")
    make_programme(users.cy, tree.chaoyang, name="甲项目", kind="title")
    make_programme(users.hd, tree.haidian, name="海淀项目")
    names = [p.name for p in selectors.programme_list(users.cy, sort="name")]
    assert names == sorted(["乙项目", "甲项目"])
    assert [p.name for p in selectors.programme_list(users.cy, kind="title")] == ["甲项目"]
    assert {p.name for p in selectors.programme_list(users.admin)} == {
        "乙项目",
        "甲项目",
        "海淀项目",
    }
    assert selectors.programme_list(users.cy, year=2026).count() == 0


def test_the_api_lists_and_reads_in_scope(client, users, tree, cy):
    judge_add(actor=users.cy, programme=cy.programme, kind="expert", name="王工")
    client.login(username="cy_staff", password=PASSWORD)
    listing = client.get("/api/v1/contests/programmes?sort=-year").json()
    assert listing["count"] == 1 and listing["items"][0]["competition_count"] == 1
    detail = client.get(f"/api/v1/contests/programmes/{cy.programme.pk}").json()
    assert detail["programme"]["name"] == "朝阳区钳工技能竞赛"
    assert [c["trade"] for c in detail["competitions"]] == ["钳工"]
    assert detail["judges"][0]["key"].startswith("j") and detail["judges"][0]["name"] == "王工"
    competition = client.get(f"/api/v1/contests/competitions/{cy.pk}").json()
    assert [s["kind"] for s in competition["stages"]] == ["contest", "review"]
    assert competition["stages"][0]["scheme"]["aspects"][0]["code"] == "M1"
    assert competition["judges"]["专家裁判"] == 1 and competition["entrant_total"] == 0
    assert client.get("/api/v1/contests/programmes?sort=bogus").status_code == 422


def test_a_district_cannot_see_or_change_another_districts_contest(client, users, tree, cy):
    """Haidian's staff: every page and operation of Chaoyang's contest answers 404, and
    nothing is written."""
    stage = cy.stages.get(order=1)
    entrant = make_entrant(cy, tree)
    judge = judge_add(actor=users.cy, programme=cy.programme, kind="expert", name="王工")
    client.login(username="hd_staff", password=PASSWORD)
    before = AuditEvent.objects.count()
    p, c = cy.programme.pk, cy.pk
    for url in [
        f"/contests/{p}/",
        f"/contests/{p}/competitions/new/",
        f"/contests/{p}/judges/new/",
        f"/contests/c/{c}/",
        f"/contests/c/{c}/rules/",
        f"/contests/c/{c}/recusals/new/",
        f"/contests/stages/{stage.pk}/edit/",
        f"/api/v1/contests/programmes/{p}",
        f"/api/v1/contests/competitions/{c}",
    ]:
        assert client.get(url).status_code == 404, url
    for url, data in [
        (f"/contests/{p}/competitions/new/", {"trade": trade("6-22-01").pk}),
        (f"/contests/{p}/judges/new/", {"kind": "expert", "name": "越权"}),
        (f"/contests/c/{c}/open/", {}),
        (f"/contests/c/{c}/rules/", {"file": SimpleUploadedFile("x.pdf", PDF)}),
        (f"/contests/c/{c}/recusals/new/", {"judge": judge.pk, "entrant": entrant.pk}),
        (f"/contests/stages/{stage.pk}/edit/", {"name": "越权"}),
    ]:
        assert client.post(url, data).status_code == 404, url
    assert client.get("/api/v1/contests/programmes").json()["count"] == 0
    assert "朝阳区钳工技能竞赛" not in client.get("/contests/").content.decode()
    # And through the services.
    with pytest.raises(NotFound):
        stage_update(actor=users.hd, stage=stage, **stage_args(stage, name="越权"))
    with pytest.raises(NotFound):
        judge_add(actor=users.hd, programme=cy.programme, kind="expert", name="越权")
    with pytest.raises(NotFound):
        recusal_declare(actor=users.hd, judge=judge, entrant=entrant, note="越权")
    assert AuditEvent.objects.count() == before
    cy.refresh_from_db()
    assert cy.status == "draft" and Judge.objects.count() == 1


def test_viewers_without_manage_see_but_cannot_change(client, users, tree, cy):
    """A post at Chaoyang with the grassroots role holds contests.view only."""
    viewer = make_user("cy_viewer", tree.chaoyang, "grassroots_staff")
    client.login(username="cy_viewer", password=PASSWORD)
    assert client.get(f"/contests/c/{cy.pk}/").status_code == 200
    assert client.get(f"/contests/c/{cy.pk}/rules/").status_code == 404
    stage = cy.stages.get(order=1)
    with pytest.raises(Forbidden):
        stage_update(actor=viewer, stage=stage, **stage_args(stage, name="x"))
    stage.refresh_from_db()
    assert stage.name == "实操比拼"


def test_the_nav_shows_the_entry_to_holders_of_contests_view(client, users):
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get("/contests/").content.decode()
    assert 'href="/contests/"' in page and "工匠竞赛" in page
    client.login(username="cy_street", password=PASSWORD)  # no contests.view
    assert "工匠竞赛" not in client.get("/").content.decode()
    assert client.get("/contests/").status_code == 404


# --- Review fixes (issue #17 review) ---------------------------------------------------------


@pytest.mark.parametrize("year", ["²²²²", "٢٠٢٧", "2027x", "20 27"])
def test_the_programme_list_ignores_a_year_that_is_not_four_ascii_digits(client, users, cy, year):
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get("/contests/", {"year": year})
    assert page.status_code == 200
    assert page.context["year"] == ""


@pytest.mark.parametrize(
    "rule, says",
    [
        ("[" * 5000 + "]" * 5000, "嵌套"),
        ('{"kind": "top", "n": 1' + "0" * 5000 + "}", "数字过长"),
        ('{"kind": "top", "n": NaN}', "NaN"),
        ('{"kind": "top", "n": Infinity}', "NaN"),
        ('{"kind": "top", "n": -Infinity}', "NaN"),
        ('{"kind": "top\\u0000", "n": 6}', "空字符"),
        ('{"kind": "top", "n": 6, "x": "' + "a" * 30_000 + '"}', "字"),
    ],
)
def test_the_stage_form_refuses_json_that_would_break_the_server(client, users, cy, rule, says):
    stage = cy.stages.get(order=1)
    client.login(username="cy_staff", password=PASSWORD)
    bad = client.post(
        f"/contests/stages/{stage.pk}/edit/",
        {"name": stage.name, "scheme": json.dumps(stage.scheme), "rule": rule,
         "appeal_minutes": 120},
    )  # fmt: skip
    assert bad.status_code == 200
    assert says in bad.context["form"].errors["rule"][0]
    stage.refresh_from_db()
    assert stage.scheme_version == 1


def test_competition_open_refuses_without_rules_or_after_the_close(users, cy):
    with pytest.raises(Conflict, match="尚未上传竞赛规程"):
        competition_open(actor=users.cy, competition=cy)
    with_rules(cy)
    Competition.objects.filter(pk=cy.pk).update(
        registration_opens_at=at(2025, 3, 1, 9), registration_closes_at=at(2025, 4, 1, 17)
    )
    with pytest.raises(Conflict, match="报名截止时间已过"):
        competition_open(actor=users.cy, competition=cy)
    cy.refresh_from_db()
    assert cy.status == "draft"
    assert not events("contests.competition_open").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_recusal_waits_for_a_mark_in_flight_and_then_refuses(postgres, users, tree):
    """judging's mark_submit locks the entrant's StageEntry, then writes the mark; a
    recusal declared meanwhile waits for that lock and then sees the mark."""
    import threading
    import time

    from django.db import connection, transaction

    programme = make_programme(users.cy, tree.chaoyang)
    competition = make_competition(users.cy, programme)
    stage = competition.stages.get(order=1)
    entrant = make_entrant(competition, tree)
    judge = judge_add(actor=users.cy, programme=programme, kind="expert", name="王工")
    match = Match.objects.create(stage=stage, code="A1", panel_size=3)
    StageEntry.objects.create(stage=stage, entrant=entrant, match=match)
    Seat.objects.create(match=match, judge=judge, position=1)
    locked, errors = threading.Event(), []

    def mark():
        try:
            with transaction.atomic():
                StageEntry.objects.select_for_update().get(stage=stage, entrant=entrant)
                locked.set()
                Mark.objects.create(stage=stage, entrant=entrant, judge=judge, aspect="M1",
                                    value="30", key="k-race", created_at=timezone.now())  # fmt: skip
                time.sleep(0.5)
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(repr(exc))
        finally:
            connection.close()

    thread = threading.Thread(target=mark)
    thread.start()
    assert locked.wait(5)
    try:
        with pytest.raises(Conflict, match="已对该参赛人评分"):
            recusal_declare(actor=users.cy, judge=judge, entrant=entrant, note="亲属")
    finally:
        thread.join()
    assert errors == []
    assert Mark.objects.filter(judge=judge, entrant=entrant).count() == 1
    assert not Recusal.objects.filter(judge=judge, entrant=entrant).exists()


def test_a_programme_submitted_twice_is_made_once(client, users, tree):
    make_programme(users.cy, tree.chaoyang, name="朝阳区数控技能竞赛")
    before = (Programme.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as refused:
        make_programme(users.cy, tree.chaoyang, name="朝阳区数控技能竞赛")
    assert "已有同名项目" in refused.value.fields["name"]
    assert (Programme.objects.count(), AuditEvent.objects.count()) == before
    client.login(username="cy_staff", password=PASSWORD)
    again = client.post(
        "/contests/new/",
        {"org_unit": tree.chaoyang.pk, "name": "朝阳区数控技能竞赛", "kind": "contest",
         "year": 2027, "edition": 1},
    )  # fmt: skip
    assert again.status_code == 200 and "已有同名项目" in again.context["form"].errors["name"][0]
    assert Programme.objects.count() == before[0]
    # Another edition, year or union may share the name.
    make_programme(users.cy, tree.chaoyang, name="朝阳区数控技能竞赛", edition=2)
    make_programme(users.hd, tree.haidian, name="朝阳区数控技能竞赛")


def test_a_judge_without_an_account_added_twice_is_added_once(users, tree, cy):
    works = employer(tree)
    judge_add(actor=users.cy, programme=cy.programme, kind="arbiter", name="周律", employer=works)
    before = (Judge.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as refused:
        judge_add(
            actor=users.cy, programme=cy.programme, kind="arbiter", name="周律", employer=works
        )
    assert "请勿重复登记" in refused.value.fields["name"]
    assert (Judge.objects.count(), AuditEvent.objects.count()) == before
    # The same name elsewhere (another employer, another kind) is another person.
    judge_add(actor=users.cy, programme=cy.programme, kind="arbiter", name="周律")
    judge_add(actor=users.cy, programme=cy.programme, kind="expert", name="周律", employer=works)


def test_judge_add_refuses_an_account_that_is_an_entrant_of_the_programme(users, tree, cy):
    account = make_user("entrant_li", None, None)
    entrant = make_entrant(cy, tree)
    from gonghui.people.models import Person

    Person.objects.filter(pk=entrant.person_id).update(user=account)
    before = (Judge.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as refused:
        judge_add(actor=users.cy, programme=cy.programme, kind="expert", name="李铁", user=account)
    assert "参赛人" in refused.value.fields["user"]
    assert (Judge.objects.count(), AuditEvent.objects.count()) == before


def test_a_judge_declares_their_own_recusal_on_their_page(client, users, tree, cy):
    account = make_user("judge_zhou", None, None)
    judge = judge_add(
        actor=users.cy, programme=cy.programme, kind="expert", name="周工", user=account
    )
    Competition.objects.filter(pk=cy.pk).update(status="open")
    entrant = make_entrant(cy, tree, number=7, name="李铁")
    other = make_entrant(cy, tree, number=8, name="张钢")
    url = "/contests/recusals/declare/"
    assert client.get(url).status_code == 302  # login first
    make_user("not_a_judge", None, None)
    client.login(username="not_a_judge", password=PASSWORD)
    assert client.get(url).status_code == 404
    client.login(username="judge_zhou", password=PASSWORD)
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "007" in text and "008" in text
    assert "李铁" not in text and "张钢" not in text  # by number only
    bad = client.post(url, {"entrant": entrant.pk, "note": ""})
    assert bad.status_code == 200 and "note" in bad.context["form"].errors
    bad = client.post(url, {"entrant": 999_999, "note": "亲属"})
    assert bad.status_code == 200 and "请从列表中选择" in bad.context["form"].errors["entrant"][0]
    assert not Recusal.objects.exists()
    done = client.post(url, {"entrant": entrant.pk, "note": "亲属"})
    assert done.status_code == 302
    recusal = Recusal.objects.get()
    assert (recusal.judge, recusal.entrant, recusal.reason) == (judge, entrant, "declared")
    event = events("contests.recusal").get()
    assert event.actor_id == account.pk and changes(event)["judge"] == [None, f"j{judge.pk}"]
    page = client.get(url)
    assert [pk for pk, _ in page.context["form"].fields["entrant"].choices][1:] == [other.pk]
    # Another programme's judge does not see these entrants.
    other_programme = make_programme(users.cy, tree.chaoyang, name="另一项目")
    stranger = make_user("judge_wu", None, None)
    judge_add(actor=users.cy, programme=other_programme, kind="expert", name="吴工", user=stranger)
    client.login(username="judge_wu", password=PASSWORD)
    assert "007" not in client.get(url).content.decode()
    assert client.post(url, {"entrant": other.pk, "note": "亲属"}).status_code == 200
    assert Recusal.objects.count() == 1


def test_the_dashboard_links_every_page_the_user_may_use(client, users, tree, cy):
    import re

    with_rules(cy)
    competition_open(actor=users.cy, competition=cy)
    stage = cy.stages.get(order=1)
    client.login(username="cy_staff", password=PASSWORD)
    text = client.get(f"/contests/c/{cy.pk}/").content.decode()
    expected = [
        f"/contests/c/{cy.pk}/entrants/",
        f"/contests/c/{cy.pk}/nominate/",
        f"/contests/c/{cy.pk}/join/",
        f"/contests/c/{cy.pk}/titles/",
        f"/contests/c/{cy.pk}/appeals/",
        f"/contests/{cy.programme_id}/jurors/",
        f"/contests/c/{cy.pk}/board/",
        f"/live/{cy.pk}/",
        f"/live/{cy.pk}/overlay/",
        f"/contests/c/{cy.pk}/record/",
        f"/contests/stages/{stage.pk}/marking/",
        f"/contests/stages/{stage.pk}/matches/new/",
        f"/contests/stages/{stage.pk}/results/",
        f"/contests/c/{cy.pk}/close/",
    ]
    for url in expected:
        assert f'"{url}"' in text, url
    for url in re.findall(r'<a class="btn secondary" href="(/[^"]+)"', text):
        assert client.get(url).status_code == 200, url
    # A viewer (grassroots staff: view and nominate) sees the pages, not the controls.
    make_user("cy_viewer", tree.chaoyang, "grassroots_staff")
    client.login(username="cy_viewer", password=PASSWORD)
    text = client.get(f"/contests/c/{cy.pk}/").content.decode()
    assert f"/contests/c/{cy.pk}/entrants/" in text and f"/contests/c/{cy.pk}/nominate/" in text
    assert f"/contests/c/{cy.pk}/close/" not in text
    assert f"/contests/stages/{stage.pk}/matches/new/" not in text
    assert f"/contests/stages/{stage.pk}/edit/" not in text


def test_the_menu_offers_my_entries_to_members_and_marking_to_judges(client, users, tree, cy):
    member = make_user("member_zhao", None, None)
    person = make_person(tree.cy_grass, "赵工")
    from gonghui.people.models import Person

    Person.objects.filter(pk=person.pk).update(user=member)
    client.login(username="member_zhao", password=PASSWORD)
    page = client.get("/m/contests/").content.decode()
    assert 'href="/m/contests/"' in page and "我的参赛" in page
    assert 'href="/judge/"' not in page
    judge = make_user("judge_qian", None, None)
    judge_add(actor=users.cy, programme=cy.programme, kind="expert", name="钱工", user=judge)
    client.login(username="judge_qian", password=PASSWORD)
    page = client.get("/contests/recusals/declare/").content.decode()
    assert 'href="/judge/"' in page and "评分" in page and "我的参赛" not in page


def test_judge_keys_on_the_programme_page_and_api_are_the_records_keys(client, users, cy):
    judge = judge_add(actor=users.cy, programme=cy.programme, kind="expert", name="孙工")
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get(f"/contests/{cy.programme_id}/")
    assert [j.key for j in page.context["judges"]] == [f"j{judge.pk}"]
    api = client.get(f"/api/v1/contests/programmes/{cy.programme_id}").json()
    assert [j["key"] for j in api["judges"]] == [f"j{judge.pk}"]
