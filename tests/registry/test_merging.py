"""A merge of two records of one person carries everything of the loser to the survivor,
refuses (naming what to resolve) what one person cannot hold twice, and is undone whole."""

import json
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.audit.selectors import event_list
from gonghui.common.errors import Conflict, NotFound
from gonghui.files.models import Attachment
from gonghui.files.services import attachment_add, attachment_download
from gonghui.nominations.models import Campaign, Nomination, Quota
from gonghui.people.models import Membership, Person, TransferRequest
from gonghui.people.selectors import transfer_requests_to_decide
from gonghui.people.services import transfer_request_submit
from gonghui.perks.giveaways.selectors import member_of
from gonghui.perks.models import Card, Claim, Giveaway, Location, Merchant, Message
from gonghui.registry import merging, services
from gonghui.registry.models import Award, Merge
from tests.factories import PASSWORD, make_person, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def references_to_person() -> set[str]:
    """Every field of every model that can refer to a person: foreign keys and one-to-ones
    to Person, and generic references (which may name any record)."""
    found = set()
    for model in apps.get_models():
        for f in model._meta.get_fields():
            to_person = f.concrete and f.is_relation and f.related_model is Person
            if to_person or isinstance(f, GenericForeignKey):
                found.add(f"{model._meta.label}.{f.name}")
    return found


def test_every_reference_to_a_person_is_carried_by_a_merge():
    """A model added later with a foreign key to Person fails here until a carrier takes
    its rows (or NOT_CARRIED says why they stay)."""
    carried = {f for c in merging.CARRIERS.values() for f in c.fields}
    missing = references_to_person() - carried - set(merging.NOT_CARRIED)
    assert not missing, f"a merge does not carry: {sorted(missing)}"
    # and every field named exists (a renamed field would hide a gap here)
    for name in carried | set(merging.NOT_CARRIED):
        label, field = name.rsplit(".", 1)
        apps.get_model(label)._meta.get_field(field)
    assert not (carried & set(merging.NOT_CARRIED))


def _giveaway(tree, users, title: str, **extra) -> Giveaway:
    merchant = Merchant.objects.get_or_create(
        name="玫瑰情园",
        defaults=dict(
            category="shopping",
            discount="八折",
            valid_from=date(2025, 1, 1),
            valid_until=date(2035, 12, 31),
            org_unit=tree.chaoyang,
        ),
    )[0]
    venue = Location.objects.get_or_create(
        merchant=merchant, name="南门", defaults=dict(address="朝阳", district=tree.chaoyang)
    )[0]
    opening = datetime(2025, 9, 1, 10, tzinfo=SHANGHAI)
    return Giveaway.objects.create(
        title=title,
        item="套票",
        org_unit=tree.chaoyang,
        mode="fcfs",
        status="published",
        stock=10,
        opens_at=opening,
        closes_at=opening + timedelta(days=2),
        pickup_from=opening + timedelta(days=3),
        pickup_until=opening + timedelta(days=5),
        pickup_location=venue,
        created_by=users.cy,
        **extra,
    )


def _claim(giveaway, person, card, status="picked_up", n=[0]) -> Claim:  # noqa: B006
    n[0] += 1
    return Claim.objects.create(
        giveaway=giveaway,
        person=person,
        card=card,
        status=status,
        idem_key=f"k{n[0]}",
        request_hash="h",
        created_at=timezone.now(),
    )


def _campaign(tree, users, honours, year: int) -> tuple[Campaign, Quota]:
    campaign = Campaign.objects.create(
        honour=honours["capital-labour-medal"],
        year=year,
        name=f"{year}年首都劳动奖章评选",
        org_unit=tree.city,
        nominate_from=date(year, 1, 1),
        nominate_until=date(year, 2, 1),
    )
    return campaign, Quota.objects.create(campaign=campaign, org_unit=tree.chaoyang, allowed=5)


def _nominate(campaign, quota, person, tree, *, live=True) -> Nomination:
    return Nomination.objects.create(
        campaign=campaign,
        person=person,
        org_unit=tree.cy_grass,
        quota=quota,
        state="nominated" if live else "withdrawn",
        live=live,
    )


def _upload(actor, owner, unit, name="身份证.png"):
    return attachment_add(
        actor=actor, owner=owner, org_unit=unit, upload=SimpleUploadedFile(name, PNG)
    )


@pytest.fixture
def twin(tree):
    """A second record of 赵郁 (no ID number, an old file), in Haidian."""
    return make_person(tree.hd_grass, "赵郁", id_number=None)


@pytest.fixture
def loaded(registry, tree, users, honours, twin, settings, tmp_path):
    """The twin holds one of everything a person can hold; 赵郁 (the survivor) a little."""
    settings.MEDIA_ROOT = tmp_path
    zhao = registry.people["赵郁"]
    Membership.objects.create(person=zhao, org_unit=tree.cy_grass, joined_on=date(2015, 1, 1))
    old = Membership.objects.create(
        person=twin,
        org_unit=tree.hd_grass,
        joined_on=date(2001, 1, 1),
        left_on=date(2009, 1, 1),
        status="left",
    )
    current = Membership.objects.create(
        person=twin, org_unit=tree.hd_grass, joined_on=date(2010, 1, 1)
    )
    card = Card.objects.create(number="8610000000000099", person=twin, org_unit=tree.hd_grass)
    spring = _giveaway(tree, users, "春节游园")
    claim = _claim(spring, twin, card, status="won")
    message = Message.objects.create(person=twin, text="候补成功")
    campaign, quota = _campaign(tree, users, honours, 2024)
    nomination = _nominate(campaign, quota, twin, tree)
    award = services.award_create(
        actor=users.admin, honour=honours["capital-labour-medal"], person=twin, year=2001
    )
    scan = _upload(users.hd, twin, tree.hd_grass)
    services.person_media_set(
        actor=users.hd, person=twin, portrait=SimpleUploadedFile("照片.png", PNG)
    )
    member = make_user("twin_member", None, None)
    Person.objects.filter(pk=twin.pk).update(user=member)
    earlier = make_person(tree.hd_grass, "赵郁", id_number=None)
    services.person_merge(actor=users.admin, survivor=twin, loser=earlier)
    twin.refresh_from_db()
    return type(
        "Loaded",
        (),
        {
            "zhao": zhao,
            "twin": twin,
            "old": old,
            "current": current,
            "card": card,
            "claim": claim,
            "message": message,
            "nomination": nomination,
            "award": award,
            "scan": scan,
            "portrait": twin.portrait,
            "member": member,
            "earlier": earlier,
        },
    )


def _holdings(*people) -> dict:
    """Every row that refers to ``people``, as (model, pk) -> the referring values; and the
    people's own account, portrait and redirect; and their attachments' owner and unit."""
    ids = [p.pk for p in people]
    rows = {}
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if f.concrete and f.is_relation and f.related_model is Person:
                if model._meta.label in ("people.SearchKey", "registry.Merge"):
                    continue
                for pk, ref in model.objects.filter(**{f"{f.name}__in": ids}).values_list(
                    "pk", f.attname
                ):
                    rows[(model._meta.label, f.name, pk)] = ref
    for p in Person.objects.filter(pk__in=ids):
        rows[("person", p.pk)] = (p.user_id, p.portrait_id, p.merged_into_id)
    kind = ContentType.objects.get_for_model(Person)
    for a in Attachment.objects.filter(content_type=kind, object_id__in=[str(i) for i in ids]):
        rows[("attachment", a.pk)] = (a.object_id, a.org_unit_id)
    for m in Membership.objects.filter(person_id__in=ids):
        rows[("membership", m.pk)] = (m.status, m.left_on)
    return rows


def test_a_merge_carries_everything_and_its_undo_restores_it_whole(loaded, users, tree):
    zhao, twin = loaded.zhao, loaded.twin
    before = _holdings(zhao, twin, loaded.earlier)
    merge = services.person_merge(actor=users.admin, survivor=zhao, loser=twin)
    # Nothing refers to the loser any more (but its own merge records and the account kept).
    after = _holdings(twin)
    assert {k: v for k, v in after.items() if k[0] != "person"} == {}
    for row in (loaded.card, loaded.claim, loaded.message, loaded.nomination, loaded.award):
        row.refresh_from_db()
        assert row.person_id == zhao.pk, row
    assert set(Membership.objects.filter(person=zhao).values_list("status", flat=True)) == {
        "active",
        "left",
    }
    loaded.current.refresh_from_db()  # both were members: the survivor's stays
    assert (loaded.current.status, loaded.current.left_on) == ("left", timezone.localdate())
    assert Membership.objects.filter(person=zhao, status="active").count() == 1
    # The ID scan and the portrait are the survivor's now, filed where the survivor is.
    loaded.scan.refresh_from_db()
    assert (loaded.scan.owner, loaded.scan.org_unit) == (zhao, tree.cy_grass)
    zhao.refresh_from_db()
    assert zhao.portrait == loaded.portrait
    assert attachment_download(actor=users.cy, pk=loaded.scan.pk) == loaded.scan
    with pytest.raises(NotFound):
        attachment_download(actor=users.hd, pk=loaded.scan.pk)
    # The member's account and the record merged into the twin earlier follow.
    assert zhao.user == loaded.member
    loaded.earlier.refresh_from_db()
    assert loaded.earlier.merged_into == zhao
    # One audit event names the merge and each kind's count.
    event = AuditEvent.objects.filter(stream="platform", action="registry.merge").latest("id")
    changes = json.loads(event.body)["changes"]
    assert changes["memberships"] == [None, 2] and changes["loser"] == [None, twin.pk]
    assert {"cards", "claims", "messages", "nominations", "awards", "attachments"} <= set(changes)
    # The change of hands is written into the giveaway's stream, filed at its union.
    note = AuditEvent.objects.get(stream=loaded.claim.giveaway.stream, action="registry.merge")
    assert note.org_unit_id == loaded.claim.giveaway.org_unit_id == tree.chaoyang.pk

    services.merge_reverse(actor=users.admin, merge=merge)
    assert _holdings(zhao, twin, loaded.earlier) == before
    assert AuditEvent.objects.filter(action="registry.merge_reverse").exists()


def test_both_with_memberships_merge_through_the_page_and_undo(client, registry, tree, users, twin):
    """The 500 of the issue (UNIQUE people_membership.person_id): now merged, with the
    survivor's membership current and the loser's kept as ended history."""
    zhao = registry.people["赵郁"]
    mine = Membership.objects.create(
        person=zhao, org_unit=tree.cy_grass, joined_on=date(2015, 1, 1)
    )
    theirs = Membership.objects.create(
        person=twin, org_unit=tree.hd_grass, joined_on=date(2010, 1, 1)
    )
    client.login(username=users.admin.username, password=PASSWORD)
    response = client.post(f"/registry/people/{zhao.pk}/merge/", {"loser": twin.pk}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"已将档案 {twin.pk} 合并到本档案" in page
    assert "被合并档案的会籍记为于合并当日离会" in page
    assert "已并入的档案" in page and "撤销合并" in page
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.person, mine.status) == (zhao, "active")
    assert (theirs.person, theirs.status, theirs.left_on) == (zhao, "left", timezone.localdate())
    merge = Merge.objects.get(survivor=zhao, loser=twin)
    response = client.post(f"/registry/merges/{merge.pk}/reverse/", follow=True)
    assert response.status_code == 200 and "已撤销合并" in response.content.decode()
    theirs.refresh_from_db()
    assert (theirs.person, theirs.status, theirs.left_on) == (twin, "active", None)
    mine.refresh_from_db()
    assert (mine.person, mine.status) == (zhao, "active")


def test_two_live_cards_are_refused_naming_what_to_resolve(registry, tree, users, twin):
    zhao = registry.people["赵郁"]
    Card.objects.create(number="8610000000000001", person=zhao, org_unit=tree.cy_grass)
    twins = Card.objects.create(number="8610000000000002", person=twin, org_unit=tree.hd_grass)
    with pytest.raises(Conflict) as err:
        services.person_merge(actor=users.admin, survivor=zhao, loser=twin)
    assert "都持有在用的服务卡" in err.value.message and "注销" in err.value.message
    twin.refresh_from_db()
    assert twin.merged_into is None and Card.objects.get(pk=twins.pk).person == twin
    twins.status = "cancelled"
    twins.save()
    services.person_merge(actor=users.admin, survivor=zhao, loser=twin)
    assert Card.objects.get(pk=twins.pk).person == zhao


def test_claims_on_one_giveaway_the_survivor_keeps_its_own(registry, tree, users, twin):
    """One member, one claim a giveaway: an open claim of the loser on a giveaway the
    survivor also claimed holds the merge until it closes; a closed one stays on the
    redirect record, named in the merge's record."""
    zhao = registry.people["赵郁"]
    card = Card.objects.create(number="8610000000000003", person=zhao, org_unit=tree.cy_grass)
    old_card = Card.objects.create(
        number="8610000000000004", person=twin, org_unit=tree.hd_grass, status="cancelled"
    )
    both = _giveaway(tree, users, "中秋游园")
    mine = _claim(both, zhao, card, status="won")
    theirs = _claim(both, twin, old_card, status="waiting")
    with pytest.raises(Conflict) as err:
        services.person_merge(actor=users.admin, survivor=zhao, loser=twin)
    assert "中秋游园" in err.value.message and "候补" in err.value.message
    Claim.objects.filter(pk=theirs.pk).update(status="cancelled")
    merge = services.person_merge(actor=users.admin, survivor=zhao, loser=twin)
    assert Claim.objects.get(pk=mine.pk).person == zhao
    assert Claim.objects.get(pk=theirs.pk).person == twin  # the closed duplicate stays
    assert merge.moved["claims"]["kept"] == [theirs.pk]
    assert any("留在原档案" in line for line in merging.summary(merge.moved))
    services.merge_reverse(actor=users.admin, merge=merge)
    assert Claim.objects.get(pk=theirs.pk).person == twin


def test_two_live_nominations_in_one_campaign_are_refused(registry, tree, users, honours, twin):
    zhao = registry.people["赵郁"]
    campaign, quota = _campaign(tree, users, honours, 2024)
    _nominate(campaign, quota, zhao, tree)
    theirs = _nominate(campaign, quota, twin, tree)
    with pytest.raises(Conflict) as err:
        services.person_merge(actor=users.admin, survivor=zhao, loser=twin)
    assert "2024年首都劳动奖章评选" in err.value.message and "撤回" in err.value.message
    Nomination.objects.filter(pk=theirs.pk).update(live=False, state="withdrawn")
    services.person_merge(actor=users.admin, survivor=zhao, loser=twin)
    assert Nomination.objects.get(pk=theirs.pk).person == zhao


def test_the_same_honour_twice_is_refused(registry, users, honours, twin):
    zhao = registry.people["赵郁"]
    for person in (zhao, twin):
        services.award_create(
            actor=users.admin, honour=honours["capital-labour-medal"], person=person, year=2001
        )
    with pytest.raises(Conflict) as err:
        services.person_merge(actor=users.admin, survivor=zhao, loser=twin)
    assert "2001年“首都劳动奖章”" in err.value.message
    assert Award.objects.filter(person=twin).count() == 1


def test_a_loser_with_its_own_account_keeps_it_and_the_member_pages_follow(registry, users, twin):
    zhao = registry.people["赵郁"]
    mine, theirs = make_user("zhao_m", None, None), make_user("twin_m", None, None)
    Person.objects.filter(pk=zhao.pk).update(user=mine)
    Person.objects.filter(pk=twin.pk).update(user=theirs)
    merge = services.person_merge(actor=users.admin, survivor=zhao, loser=twin)
    assert any("各绑定了一个平台账号" in line for line in merging.summary(merge.moved))
    theirs.refresh_from_db()
    assert member_of(theirs) == zhao
    services.merge_reverse(actor=users.admin, merge=merge)
    theirs.refresh_from_db()
    assert member_of(theirs) == twin


def test_a_merge_is_undone_only_after_the_merges_made_on_top_of_it(registry, tree, users, twin):
    zhao = registry.people["赵郁"]
    first = services.person_merge(
        actor=users.admin, survivor=twin, loser=make_person(tree.hd_grass)
    )
    services.person_merge(actor=users.admin, survivor=zhao, loser=twin)
    with pytest.raises(Conflict) as err:
        services.merge_reverse(actor=users.admin, merge=first)
    assert f"又被合并到档案 {zhao.pk}" in err.value.message


def test_a_merge_recorded_before_carriers_is_still_undone(registry, tree, users, honours, twin):
    """Merges made before this change kept bare id lists of awards and memberships."""
    zhao = registry.people["赵郁"]
    award = services.award_create(
        actor=users.admin, honour=honours["capital-labour-medal"], person=twin, year=2001
    )
    joined = Membership.objects.create(
        person=twin, org_unit=tree.hd_grass, joined_on=date(2010, 1, 1)
    )
    Award.objects.filter(pk=award.pk).update(person=zhao)
    Membership.objects.filter(pk=joined.pk).update(person=zhao)
    Person.objects.filter(pk=twin.pk).update(merged_into=zhao)
    merge = Merge.objects.create(
        survivor=zhao,
        loser=twin,
        moved={"awards": [award.pk], "memberships": [joined.pk]},
        merged_by=users.admin,
    )
    assert merging.summary(merge.moved) == ["荣誉授予记录（含证书） 1 条", "会籍 1 条"]
    services.merge_reverse(actor=users.admin, merge=merge)
    assert Award.objects.get(pk=award.pk).person == twin
    assert Membership.objects.get(pk=joined.pk).person == twin


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_merges_of_one_pair_at_once_one_wins(registry, tree, users, twin):
    """Staff in two offices merge the same pair, each keeping their own record, at the same
    moment: one merge happens, the other is refused (no deadlock, no half of each)."""
    zhao = registry.people["赵郁"]
    for person, unit in ((zhao, tree.cy_grass), (twin, tree.hd_grass)):
        Membership.objects.create(person=person, org_unit=unit, joined_on=date(2010, 1, 1))
    start = threading.Barrier(2)
    done, refused, failed = [], [], []

    def merge(survivor, loser):
        try:
            start.wait()
            done.append(services.person_merge(actor=users.admin, survivor=survivor, loser=loser))
        except Conflict:
            refused.append(loser.pk)
        except BaseException as exc:
            failed.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=merge, args=pair) for pair in ((zhao, twin), (twin, zhao))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failed == [] and len(done) == len(refused) == 1
    (merge,) = done
    assert Membership.objects.filter(person=merge.survivor).count() == 2
    assert not Membership.objects.filter(person=merge.loser).exists()
    assert Merge.objects.count() == 1


def _transfer(person, to_unit, actor) -> TransferRequest:
    return transfer_request_submit(
        actor=actor, person=person, to_unit=to_unit, name=person.name, reason="登记人员"
    )


def test_two_requests_into_one_union_become_one_and_come_apart_on_undo(
    client, registry, tree, users
):
    """Both records asked into Haidian (申请转入): the merge answered 500 (UNIQUE
    transfer_one_pending). Now the loser's request joins the survivor's, which stays the one
    to decide; the undo makes the loser's pending again, where it was."""
    zhao = registry.people["赵郁"]
    loser = make_person(tree.cy_grass, "赵郁", id_number=None)
    kept = _transfer(zhao, tree.hd_grass, users.hd)
    joined = _transfer(loser, tree.hd_grass, users.hd)
    client.raise_request_exception = False
    client.login(username=users.cy.username, password=PASSWORD)
    response = client.post(f"/registry/people/{zhao.pk}/merge/", {"loser": loser.pk}, follow=True)
    assert response.status_code == 200
    assert "并入本档案的申请" in response.content.decode()
    joined.refresh_from_db()
    assert (joined.person, joined.status, joined.decided_by) == (zhao, "joined", users.cy)
    assert str(kept.pk) in joined.note
    kept.refresh_from_db()
    assert (kept.person, kept.status) == (zhao, "pending")
    decider = make_user("city_decider", tree.city, "city_admin")
    assert list(transfer_requests_to_decide(actor=decider)) == [kept]
    # The requester sees its request joined, not refused.
    client.login(username=users.hd.username, password=PASSWORD)
    assert "已并入同一人的另一申请" in client.get("/people/transfers/").content.decode()

    services.merge_reverse(actor=users.admin, merge=Merge.objects.get(loser=loser))
    joined.refresh_from_db()
    assert (joined.person, joined.status, joined.note, joined.decided_by) == (
        loser,
        "pending",
        "",
        None,
    )
    assert set(transfer_requests_to_decide(actor=decider)) == {kept, joined}


def test_a_carried_request_is_decided_above_the_survivor_and_back_on_undo(registry, tree, users):
    """A request for the Haidian record into a Chaoyang street is decided by the city (the
    lowest union above both); carried to the Chaoyang record kept, by Chaoyang."""
    zhao = registry.people["赵郁"]
    loser = make_person(tree.hd_grass, "赵郁", id_number=None)
    request = _transfer(loser, tree.cy_street, users.cy)
    assert request.decider == tree.city
    assert not transfer_requests_to_decide(actor=users.cy).exists()
    merge = services.person_merge(actor=users.admin, survivor=zhao, loser=loser)
    request.refresh_from_db()
    assert (request.person, request.decider) == (zhao, tree.cy_street)
    assert list(transfer_requests_to_decide(actor=users.cy)) == [request]
    services.merge_reverse(actor=users.admin, merge=merge)
    request.refresh_from_db()
    assert (request.person, request.decider, request.status) == (loser, tree.city, "pending")


def test_a_merge_and_its_undo_are_seen_by_the_losers_district(registry, tree, users, twin):
    """The city merges Haidian's record into Chaoyang's: both events were filed at the
    survivor's union only (Haidian's auditors saw their record vanish), the undo's with no
    acting post."""
    zhao = registry.people["赵郁"]
    hd_auditor = make_user("hd_auditor", tree.haidian, "auditor")
    cy_auditor = make_user("cy_auditor", tree.chaoyang, "auditor")
    merge = services.person_merge(actor=users.admin, survivor=zhao, loser=twin)
    (out,) = event_list(actor=hd_auditor, action="registry.merge_out")
    assert (out.object_id, out.org_unit_id) == (str(twin.pk), tree.hd_grass.pk)
    assert json.loads(out.body)["changes"] == {
        "merged_into": [None, zhao.pk],
        "merge": [None, merge.pk],
    }
    assert event_list(actor=cy_auditor, action="registry.merge").exists()
    assert not event_list(actor=cy_auditor, action="registry.merge_out").exists()

    services.merge_reverse(actor=users.admin, merge=merge)
    (back,) = event_list(actor=hd_auditor, action="registry.merge_out_reverse")
    assert json.loads(back.body)["changes"]["merged_into"] == [zhao.pk, None]
    undo = AuditEvent.objects.get(action="registry.merge_reverse")
    city_post = users.admin.posts.get()
    assert json.loads(undo.body)["actor"]["post"] == city_post.pk
    assert json.loads(back.body)["actor"]["post"] == city_post.pk
