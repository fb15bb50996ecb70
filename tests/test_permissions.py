"""Data scope through every route: Chaoyang's staff cannot read, list, export, change or
move Haidian's records through any page or API operation. The last test enumerates every
URL route and API operation and fails when one has no deny case here."""

import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from gonghui.api import api
from gonghui.audit.models import AuditEvent
from gonghui.common.models import CalendarYear
from gonghui.contests.appeals.services import appeal_file, appeal_rule, rescore_preview
from gonghui.contests.board import snapshots as board_snapshots
from gonghui.contests.board.services import snapshot_refresh
from gonghui.contests.entry.services import entrant_nominate
from gonghui.contests.judging.services import (
    draw_commit,
    mark_submit,
    match_create,
    panel_draw,
    sheet_lock,
    stage_start,
)
from gonghui.contests.jury import passes as juror_passes
from gonghui.contests.jury.services import juror_register, juror_seat
from gonghui.contests.jury.views import vote_url
from gonghui.contests.models import Mark
from gonghui.contests.notary.services import milestone_sign, notary_register
from gonghui.contests.results.services import results_lock
from gonghui.contests.setup.services import (
    competition_create,
    competition_open,
    competition_rules_upload,
    judge_add,
    programme_create,
    stage_update,
)
from gonghui.files.models import Attachment
from gonghui.files.services import attachment_add
from gonghui.jobs.models import Job
from gonghui.nominations.models import Campaign, Nomination, Notice, Objection, Quota
from gonghui.nominations.services import (
    campaign_create,
    campaign_open,
    nomination_create,
    nomination_submit,
    notice_publish,
    objection_file,
    quota_set,
)
from gonghui.orgs.models import ApiToken, OrgUnit, Post, Role
from gonghui.orgs.services import token_create
from gonghui.people.models import Membership, Person, Trade, TransferRequest, Unit
from gonghui.people.services import transfer_request_submit
from gonghui.perks.cards.services import card_issue
from gonghui.perks.giveaways import claims
from gonghui.perks.giveaways.services import giveaway_create, giveaway_publish
from gonghui.perks.models import Card, Giveaway, Location, Merchant, Offer
from gonghui.perks.passes import card_token
from gonghui.registry.models import Award, Honour, Merge, Studio
from gonghui.registry.services import award_create, person_merge, unit_create
from gonghui.training.courses.checkin import checkin_token
from tests.factories import (
    PASSWORD,
    VALID_IDS,
    Tree,
    Users,
    make_location,
    make_merchant,
    make_offer,
    make_person,
    make_user,
)


@dataclass
class World:
    """Haidian's records, one of each kind a route may reach."""

    tree: Tree
    users: Users
    person: Person
    attachment: Attachment
    job: Job
    award: Award
    merge: Merge
    unit: Unit
    transfer: TransferRequest
    hd_token: ApiToken
    campaign: Campaign
    quota: Quota
    nomination: Nomination
    notice: Notice
    objection: Objection
    card: Card
    merchant: Merchant
    location: Location
    offer: Offer
    giveaway: Giveaway
    claim: dict
    contests: SimpleNamespace | None = None  # Haidian's contest, built when a route needs it
    funds: SimpleNamespace | None = None  # Haidian's funds, built when a route needs it
    training: SimpleNamespace | None = None  # Haidian's training, built when a route needs it


@pytest.fixture
def world(tree, users):
    """Haidian's records, which Chaoyang's staff must never reach."""
    hd_person = make_person(tree.hd_grass, "钱学", id_number="110108198001010015")
    Membership.objects.create(person=hd_person, org_unit=tree.hd_grass, joined_on=date(2010, 1, 1))
    attachment = Attachment(
        owner=hd_person,
        org_unit=tree.hd_grass,
        name="a.pdf",
        mime_type="application/pdf",
        size=9,
        sha256="0" * 64,
        created_at=timezone.now(),
    )
    attachment.file.save("x", ContentFile(b"%PDF-1.4\n"), save=False)
    attachment.save()
    job = Job.objects.create(
        kind="orgs.import", title="海淀导入", created_by=users.hd, org_unit=tree.haidian
    )
    medal = Honour.objects.get(code="capital-labour-medal")
    award = award_create(actor=users.admin, honour=medal, person=hd_person, year=2018)
    twin = make_person(tree.hd_grass, "钱学", id_number=None)
    merge = person_merge(actor=users.admin, survivor=hd_person, loser=twin)
    nominated = _haidian_nomination(tree, users, hd_person, medal)
    perks = _haidian_perks(tree, users, hd_person)
    transfer = transfer_request_submit(
        actor=users.hd, person=hd_person, to_unit=tree.hd_street, name="钱学", reason="登记人员"
    )
    hd_token, _ = token_create(actor=users.hd, name="钱学数据对接")  # its name shows a leak
    return World(
        tree=tree,
        users=users,
        person=hd_person,
        attachment=attachment,
        job=job,
        award=award,
        merge=merge,
        unit=unit_create(actor=users.hd, org_unit=tree.hd_grass, name="海淀班组"),
        transfer=transfer,
        hd_token=hd_token,
        **nominated,
        **perks,
    )


def _haidian_perks(tree, users, person) -> dict:
    """Haidian's member services: 钱学's card, a merchant with a shop and an offer, a
    giveaway 钱学 claimed (first come, first served, open since 2025)."""

    card = card_issue(actor=users.hd, person=person)
    merchant = make_merchant(
        users.hd, tree.haidian, "中关村洗车行", "持卡洗车八折", valid_until=date(2035, 12, 31)
    )
    location = make_location(users.hd, merchant, "中关村店", "海淀区中关村大街1号")
    offer = make_offer(users.hd, merchant, "精洗套餐", "七折", date(2025, 1, 1), date(2035, 12, 31))
    opening = datetime(2025, 9, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(opening - timedelta(days=1)):
        giveaway = giveaway_create(
            actor=users.hd,
            org_unit=tree.haidian,
            title="海淀重阳孝亲枕",
            item="孝亲枕",
            mode="fcfs",
            stock=5,
            opens_at=opening,
            closes_at=opening + timedelta(days=3650),
            pickup_from=opening + timedelta(days=1),
            pickup_until=opening + timedelta(days=3651),
            pickup_location=location,
        )
        giveaway_publish(actor=users.hd, giveaway=giveaway)
    answer = claims.claim(
        person_id=person.pk, giveaway_id=giveaway.pk, key="haidian-key-1", now=opening
    )
    return {
        "card": card,
        "merchant": merchant,
        "location": location,
        "offer": offer,
        "giveaway": giveaway,
        "claim": answer.claim,
    }


def _haidian_nomination(tree, users, person, honour) -> dict:
    """A 2025 campaign in which Haidian nominated 钱学, with a first notice and an
    objection (made in September 2025, when they were current)."""

    with time_machine.travel(datetime(2025, 9, 22, 10, tzinfo=ZoneInfo("Asia/Shanghai"))):
        campaign = campaign_create(
            actor=users.admin,
            honour=honour,
            year=2025,
            nominate_from=date(2025, 9, 1),
            nominate_until=date(2025, 10, 31),
        )
        quota = quota_set(actor=users.admin, campaign=campaign, org_unit=tree.haidian, allowed=3)
        campaign_open(actor=users.admin, campaign=campaign)
        hd_grass = make_user("hd_grass_w", tree.hd_grass, "grassroots_staff")
        nomination = nomination_create(
            actor=hd_grass,
            campaign=campaign,
            person_id=person.pk,
            org_unit=tree.hd_grass,
            brief="海淀的简要事迹",
            deeds="海淀的详细事迹",
            meeting_on=date(2025, 9, 20),
            meeting_attendance=30,
            meeting_result="全票通过",
        )
        attachment_add(
            actor=hd_grass,
            owner=nomination,
            org_unit=tree.hd_grass,
            upload=SimpleUploadedFile("推荐表.pdf", b"%PDF-1.4\n"),
        )
        nomination_submit(actor=hd_grass, nomination=nomination)
        notice = notice_publish(
            actor=hd_grass, campaign=campaign, stage="first", nominations=[nomination]
        )
        objection = objection_file(
            notice=notice,
            nomination=nomination,
            text="反映海淀被推荐人的具体问题和事实",
            anonymous=True,
            source="192.0.2.1",
        )
    return {
        "campaign": campaign,
        "quota": quota,
        "nomination": nomination,
        "notice": notice,
        "objection": objection,
    }


# route -> (method, url builder, body or None, expected statuses for Chaoyang's staff)
NOT_FOUND = (404,)
WEB_DENY = {
    # Resetting another's second factor is the security administrator's (三权分立).
    "factors:reset": (
        "post",
        lambda w: "/factors/reset/",
        {"username": "hd_staff", "reason": "越权重置"},
        NOT_FOUND,
    ),
    # The tree panel gives nothing outside scope (an empty fragment, "no such unit").
    "web:tree_children": ("get", lambda w: f"/tree/{w.tree.haidian.pk}/", None, (200,)),
    "web:tree_search": ("get", lambda w: "/tree/search/?q=中关村", None, (200,)),
    # The dashboards: Haidian's node is not Chaoyang's to look at (nor the city's).
    "dashboards:home": ("get", lambda w: f"/dashboards/?node={w.tree.haidian.pk}", None, NOT_FOUND),
    "dashboards:programme": (
        "get",
        lambda w: f"/dashboards/registry/?node={w.tree.haidian.pk}",
        None,
        NOT_FOUND,
    ),
    "dashboards:export": (
        "get",
        lambda w: f"/dashboards/registry/awards_child.xlsx?node={w.tree.haidian.pk}",
        None,
        NOT_FOUND,
    ),
    # Display tokens are the city's to make and revoke.
    "dashboards:screens": ("post", lambda w: "/dashboards/screens/", {"name": "越权"}, NOT_FOUND),
    "dashboards:screen_revoke": (
        "post",
        lambda w: "/dashboards/screens/1/revoke/",
        None,
        NOT_FOUND,
    ),
    # Chaoyang's staff is no member: no member home.
    "web:member_home": ("get", lambda w: "/me/", None, NOT_FOUND),
    "web:org_detail": ("get", lambda w: f"/orgs/{w.tree.haidian.pk}/", None, NOT_FOUND),
    "web:org_create": (
        "post",
        lambda w: f"/orgs/{w.tree.haidian.pk}/new/",
        {"code": "X1", "name": "越权", "level": "street"},
        NOT_FOUND,
    ),
    "web:org_edit": (
        "post",
        lambda w: f"/orgs/{w.tree.hd_street.pk}/edit/",
        {"name": "改名", "is_active": "on"},
        NOT_FOUND,
    ),
    "web:org_move": (
        "post",
        lambda w: f"/orgs/{w.tree.hd_street.pk}/move/",
        {"parent": "{cy}"},
        NOT_FOUND,
    ),
    "web:job_detail": ("get", lambda w: f"/jobs/{w.job.pk}/", None, NOT_FOUND),
    "web:job_download": ("get", lambda w: f"/jobs/{w.job.pk}/download", None, NOT_FOUND),
    "web:person_detail": ("get", lambda w: f"/people/{w.person.pk}/", None, NOT_FOUND),
    "web:person_edit": (
        "post",
        lambda w: f"/people/{w.person.pk}/edit/",
        {"name": "改"},
        NOT_FOUND,
    ),
    "web:person_reveal": (
        "post",
        lambda w: f"/people/{w.person.pk}/reveal/id_number/",
        None,
        NOT_FOUND,
    ),
    "web:person_lookup": (
        "post",
        lambda w: "/people/lookup/",
        {"id_number": "110108198001010015"},
        (422,),
    ),
    # Haidian's transfer request: decided in Haidian, invisible and undecidable from Chaoyang.
    "web:transfer_list": ("get", lambda w: "/people/transfers/?status=", None, (200,)),
    "web:transfer_approve": (
        "post",
        lambda w: f"/people/transfers/{w.transfer.pk}/approve/",
        {"note": "越权"},
        NOT_FOUND,
    ),
    "web:transfer_refuse": (
        "post",
        lambda w: f"/people/transfers/{w.transfer.pk}/refuse/",
        {"note": "越权"},
        NOT_FOUND,
    ),
    "web:person_attach": ("post", lambda w: f"/people/{w.person.pk}/attach/", None, NOT_FOUND),
    "web:file_download": ("get", lambda w: f"/files/{w.attachment.pk}/", None, NOT_FOUND),
    "web:audit_list": ("get", lambda w: "/audit/", None, NOT_FOUND),
    "web:audit_verify": ("post", lambda w: "/audit/verify/", None, NOT_FOUND),
    "registry:person": ("get", lambda w: f"/registry/people/{w.person.pk}/", None, NOT_FOUND),
    "registry:award_create": (
        "post",
        lambda w: f"/registry/people/{w.person.pk}/awards/new/",
        {"honour": "1", "year": "2020"},
        NOT_FOUND,
    ),
    "registry:merge": (
        "post",
        lambda w: f"/registry/people/{w.person.pk}/merge/",
        {"loser": "1"},
        NOT_FOUND,
    ),
    "registry:award_revoke": (
        "post",
        lambda w: f"/registry/awards/{w.award.pk}/revoke/",
        {"reason": "越权"},
        NOT_FOUND,
    ),
    "registry:award_document": (
        "post",
        lambda w: f"/registry/awards/{w.award.pk}/documents/",
        None,
        NOT_FOUND,
    ),
    "registry:merge_reverse": (
        "post",
        lambda w: f"/registry/merges/{w.merge.pk}/reverse/",
        None,
        NOT_FOUND,
    ),
    "registry:search": ("get", lambda w: "/registry/?q=钱", None, (200,)),
    "registry:honours": ("get", lambda w: "/registry/honours/", None, (200,)),
    "registry:media": (
        "post",
        lambda w: f"/registry/people/{w.person.pk}/media/",
        {"video_url": "https://example.org/v"},
        NOT_FOUND,
    ),
    "registry:units": (
        "post",
        lambda w: "/registry/units/",
        {"name": "越权单位", "kind": "enterprise", "org_unit": "{hd_grass}"},
        (200,),
    ),
    "registry:statistics": ("get", lambda w: "/registry/statistics/", None, (200,)),
    "registry:import": ("get", lambda w: "/registry/import/", None, (200,)),
    "registry:template": ("get", lambda w: "/registry/import/template.xlsx", None, (200,)),
    "registry:error_report": (
        "get",
        lambda w: f"/registry/import/{w.job.pk}/errors.xlsx",
        None,
        NOT_FOUND,
    ),
    # Queued as a job of the actor's own scope (tests/registry/test_export_jobs.py runs it).
    "registry:export": ("post", lambda w: "/registry/export/", None, (302,)),
    "nominations:campaigns": ("get", lambda w: "/nominations/", None, (200,)),
    "nominations:campaign": ("get", lambda w: f"/nominations/{w.campaign.pk}/", None, NOT_FOUND),
    "nominations:nominate": (
        "post",
        lambda w: f"/nominations/{w.campaign.pk}/nominate/",
        {"person": "{person}", "brief": "越权"},
        NOT_FOUND,
    ),
    "nominations:advance": (
        "post",
        lambda w: f"/nominations/{w.campaign.pk}/advance/",
        {"ids": "{nomination}", "action": "first_pass"},
        NOT_FOUND,
    ),
    "nominations:notice_publish": (
        "post",
        lambda w: f"/nominations/{w.campaign.pk}/notices/new/",
        {"ids": "{nomination}", "stage": "first", "starts_on": "2030-01-02"},
        NOT_FOUND,
    ),
    "nominations:list_submit": (
        "post",
        lambda w: f"/nominations/{w.campaign.pk}/quotas/{w.quota.pk}/submit/",
        None,
        NOT_FOUND,
    ),
    "nominations:final_xlsx": (
        "post",
        lambda w: f"/nominations/{w.campaign.pk}/final/",
        None,
        NOT_FOUND,
    ),
    "nominations:nomination": (
        "get",
        lambda w: f"/nominations/n/{w.nomination.pk}/",
        None,
        NOT_FOUND,
    ),
    "nominations:form_docx": (
        "get",
        lambda w: f"/nominations/n/{w.nomination.pk}/form.docx",
        None,
        NOT_FOUND,
    ),
    "nominations:withdraw": (
        "post",
        lambda w: f"/nominations/n/{w.nomination.pk}/withdraw/",
        {"reason": "越权"},
        NOT_FOUND,
    ),
    "nominations:clearance": (
        "post",
        lambda w: f"/nominations/n/{w.nomination.pk}/clearance/",
        {"department": "税务", "opinion": "越权"},
        NOT_FOUND,
    ),
    "nominations:objection_enter": (
        "post",
        lambda w: f"/nominations/n/{w.nomination.pk}/objections/new/",
        {"text": "越权登记的异议内容", "anonymous": "on", "channel": "phone"},
        NOT_FOUND,
    ),
    "nominations:objection_contact": (
        "post",
        lambda w: f"/nominations/objections/{w.objection.pk}/contact/",
        None,
        NOT_FOUND,
    ),
    "nominations:objection_triage": (
        "post",
        lambda w: f"/nominations/objections/{w.objection.pk}/triage/",
        {"admissible": "0", "reason": "越权"},
        NOT_FOUND,
    ),
    "nominations:objection_resolve": (
        "post",
        lambda w: f"/nominations/objections/{w.objection.pk}/resolve/",
        {"verification": "越权", "finding": "upheld"},
        NOT_FOUND,
    ),
    "nominations:quota_set": (
        "post",
        lambda w: f"/nominations/{w.campaign.pk}/quotas/",
        {"org_unit": "{cy}", "allowed": "9"},
        NOT_FOUND,
    ),
    "nominations:rule_add": (
        "post",
        lambda w: f"/nominations/{w.campaign.pk}/rules/",
        {"kind": "max", "attribute": "front_line", "percent": "1"},
        NOT_FOUND,
    ),
    "nominations:campaign_open": (
        "post",
        lambda w: f"/nominations/{w.campaign.pk}/open/",
        None,
        NOT_FOUND,
    ),
    "nominations:calendar": (
        "post",
        lambda w: "/calendar/",
        {"year": "2030", "basis": "越权", "holidays": "元旦 2030-01-01"},
        NOT_FOUND,
    ),
    "registry:dictionary": (
        "get",
        lambda w: f"/registry/dictionary/?honour={w.award.honour_id}",
        None,
        (200,),
    ),
    # Member services: Haidian's cards, merchants and giveaways.
    **{
        f"perks:{name}": ("get", url, None, NOT_FOUND)
        for name, url in {
            "card_detail": lambda w: f"/cards/{w.card.pk}/",
            "merchant_detail": lambda w: f"/merchants/{w.merchant.pk}/",
            "merchant_edit": lambda w: f"/merchants/{w.merchant.pk}/edit/",
            "offer_edit": lambda w: f"/merchants/{w.merchant.pk}/offers/{w.offer.pk}/edit/",
            "giveaway": lambda w: f"/giveaways/{w.giveaway.pk}/",
            "giveaway_counts": lambda w: f"/giveaways/{w.giveaway.pk}/counts/",
            "giveaway_report": lambda w: f"/giveaways/{w.giveaway.pk}/report/",
            "cards_errors": lambda w: "/cards/import/errors.xlsx",
            "counter": lambda w: "/counter/",
            # Chaoyang's staff is no member: no member pages, and never 钱学's claim.
            "member_home": lambda w: "/m/",
            "member_giveaway": lambda w: f"/m/giveaways/{w.giveaway.pk}/",
            "member_claim": lambda w: f"/m/claims/{w.claim['id']}/",
        }.items()
    },
    **{
        f"perks:{name}": ("post", url, body, NOT_FOUND)
        for name, url, body in [
            (f"card_{a}", lambda w, a=a: f"/cards/{w.card.pk}/{a}/", {"reason": "越权"})
            for a in ("suspend", "resume", "cancel", "reissue")
        ]
        + [
            ("giveaway_winners", lambda w: f"/giveaways/{w.giveaway.pk}/winners/", None),
            ("location_add", lambda w: f"/merchants/{w.merchant.pk}/locations/new/", {}),
            ("offer_add", lambda w: f"/merchants/{w.merchant.pk}/offers/new/", {}),
            ("merchant_staff_add", lambda w: f"/merchants/{w.merchant.pk}/staff/new/", {}),
            ("counter_pickup", lambda w: "/counter/pickup/", {"code": "ABCDEFGHJK"}),
            ("member_claim_cancel", lambda w: f"/m/claims/{w.claim['id']}/cancel/", None),
        ]
        + [
            (f"giveaway_{a}", lambda w, a=a: f"/giveaways/{w.giveaway.pk}/{a}/", body)
            for a, body in [
                ("publish", None),
                ("freeze", None),
                ("draw", {"public_value": "1"}),
                ("release", {"pickup_until": "2035-01-01T10:00"}),
                ("cancel", {"reason": "越权"}),
            ]
        ]
    },
    "perks:card_list": ("get", lambda w: "/cards/?q=钱", None, (200,)),
    "perks:card_issue": ("post", lambda w: "/cards/issue/", {"person": "{person}"}, (200,)),
    "perks:cards_import": ("get", lambda w: "/cards/import/", None, (200,)),
    "perks:cards_template": ("get", lambda w: "/cards/import/template.xlsx", None, (200,)),
    "perks:merchant_list": ("get", lambda w: "/merchants/", None, (200,)),
    "perks:merchant_create": (
        "post",
        lambda w: "/merchants/new/",
        {"name": "越权商户", "org_unit": "{haidian}", "category": "car"},
        (200,),
    ),
    "perks:member_card": ("get", lambda w: "/m/card/", None, (200,)),
    "perks:member_card_qr": ("get", lambda w: "/m/card/qr/", None, (200,)),
    "perks:giveaways": ("get", lambda w: "/giveaways/?q=海淀", None, (200,)),
    "perks:giveaway_create": (
        "post",
        lambda w: "/giveaways/new/",
        {"title": "越权活动", "org_unit": "{haidian}", "mode": "fcfs"},
        (200,),
    ),
    # Lists: reachable, but Haidian's rows are absent (checked by content below).
    "web:org_list": ("get", lambda w: "/orgs/?q=海淀", None, (200,)),
    "web:person_list": ("get", lambda w: "/people/?q=钱", None, (200,)),
    "web:home": ("get", lambda w: "/", None, (200,)),
    "web:token_list": ("get", lambda w: "/tokens/", None, (200,)),
    "web:token_revoke": ("post", lambda w: f"/tokens/{w.hd_token.pk}/revoke/", None, (302,)),
    "web:org_import": ("get", lambda w: "/orgs/import/", None, (200,)),
    "web:person_create": (
        "post",
        lambda w: "/people/new/",
        {"name": "越权", "id_number": "110105200001010016", "org_unit": "{hd_grass}"},
        (200,),
    ),
}
# Routes open to everybody by design (and what protects them).
PUBLIC_ROUTES = {
    "web:login": "the login form itself",
    "web:logout": "ends one's own session",
    "web:password_change": "changes one's own password (needs the old one)",
    "web:list_columns": "keeps one's own column choice of a list (tests/web/test_lists.py)",
    "healthz": "load balancer probe; says nothing about records",
    # factors · one's own second factor (tests/factors): every page acts on the signed-in
    # account's own devices only; another's device id changes nothing (tested there).
    "factors:setup": "one's own second factors (staff; members and counters: 404)",
    "factors:verify": "the second step of one's own sign-in",
    "factors:totp": "enrolling one's own authenticator app",
    "factors:recovery": "one's own recovery codes, shown once",
    "factors:remove": "removes one's own factor; another's id: nothing changes (tests/factors)",
    "otp_webauthn:credential-registration-begin": "one's own passkey (staff only: 404 else)",
    "otp_webauthn:credential-registration-complete": "one's own passkey (staff only)",
    "otp_webauthn:credential-authentication-begin": "the second step with one's own passkey",
    "otp_webauthn:credential-authentication-complete": "the second step with one's own passkey",
    "otp_webauthn:js-i18n-catalog": "the passkey script's messages",
    "metrics": "Prometheus scrape: 404 unless GONGHUI_METRICS_TOKEN/ALLOW are set, then 403 "
    "without the token or from another address (tests/web/test_metrics.py)",
    "registry:wall": "the public honour wall: consenting people only (test_registry_web.py)",
    "registry:wall_person": "consent-aware public profile (test_registry_web.py)",
    "registry:wall_portrait": "a consenting person's photo only (test_registry_web.py)",
    "nominations:notices": "published notices (公示) are public by law (test_web.py)",
    "nominations:notice": "a published notice and its objection form (test_web.py)",
    "nominations:notice_download": "a published notice's list (test_exports.py)",
    "nominations:notice_nominee": "a listed nominee's notices and outcome only (test_web.py)",
    "nominations:objection_lookup": "an objection by its unguessable reference (test_web.py)",
    "perks:member_offers": "partner merchants' offers, for every member (tests/perks/test_merchants.py)",
    "perks:draw": "a lottery's public draw: receipt numbers only (test_web.py in perks)",
    "perks:draw_json": "the same, as the document the verifier checks",
    "perks:draw_verifier": "the stand-alone verifier's source",
    "dashboards:wall": "a live display token's aggregate figures only (tests/dashboards)",
    "dashboards:wall_data": "the same figures as JSON (tests/dashboards)",
}

# API operations open to everybody by design.
PUBLIC_API = {
    ("GET", "/api/v1/notices/"): "published notices (test_api.py)",
    ("GET", "/api/v1/notices/{pk}"): "a published notice's list (test_api.py)",
    ("POST", "/api/v1/notices/{pk}/objections"): "anyone may object during a notice",
    ("GET", "/api/v1/notices/objections/{reference}"): "by unguessable reference",
    ("GET", "/api/v1/perks/ping"): "the claim benchmark's bare baseline: says nothing",
    ("GET", "/api/v1/perks/giveaways/{pk}/draw"): "a lottery's public draw (receipts only)",
    ("GET", "/api/v1/merchants/offers"): "partner merchants' offers, for every member",
}

API_DENY = {
    ("GET", "/api/v1/orgs/me"): (lambda w: "/api/v1/orgs/me", None, (200,)),
    ("GET", "/api/v1/orgs/"): (lambda w: "/api/v1/orgs/?q=海淀", None, (200,)),
    ("GET", "/api/v1/orgs/{pk}"): (lambda w: f"/api/v1/orgs/{w.tree.haidian.pk}", None, NOT_FOUND),
    ("POST", "/api/v1/orgs/"): (
        lambda w: "/api/v1/orgs/",
        {"parent_id": "{haidian}", "code": "X2", "name": "越权", "level": "street"},
        NOT_FOUND,
    ),
    ("PATCH", "/api/v1/orgs/{pk}"): (
        lambda w: f"/api/v1/orgs/{w.tree.hd_street.pk}",
        {"name": "改名"},
        NOT_FOUND,
    ),
    ("POST", "/api/v1/orgs/{pk}/move"): (
        lambda w: f"/api/v1/orgs/{w.tree.hd_street.pk}/move",
        {"parent_id": "{cy}"},
        NOT_FOUND,
    ),
    ("POST", "/api/v1/orgs/import"): (lambda w: "/api/v1/orgs/import", "file", (202,)),
    ("GET", "/api/v1/orgs/jobs/{pk}"): (lambda w: f"/api/v1/orgs/jobs/{w.job.pk}", None, NOT_FOUND),
    ("GET", "/api/v1/people/"): (lambda w: "/api/v1/people/?q=钱", None, (200,)),
    ("GET", "/api/v1/people/{pk}"): (lambda w: f"/api/v1/people/{w.person.pk}", None, NOT_FOUND),
    ("POST", "/api/v1/people/"): (
        lambda w: "/api/v1/people/",
        {"org_unit_id": "{hd_grass}", "name": "越权", "id_number": "110105200001010016"},
        NOT_FOUND,
    ),
    ("PATCH", "/api/v1/people/{pk}"): (
        lambda w: f"/api/v1/people/{w.person.pk}",
        {"name": "改"},
        NOT_FOUND,
    ),
    ("POST", "/api/v1/people/lookup"): (
        lambda w: "/api/v1/people/lookup",
        {"id_number": "110108198001010015"},
        NOT_FOUND,
    ),
    ("POST", "/api/v1/people/{pk}/reveal"): (
        lambda w: f"/api/v1/people/{w.person.pk}/reveal",
        {"field": "id_number"},
        NOT_FOUND,
    ),
    ("GET", "/api/v1/registry/honours"): (lambda w: "/api/v1/registry/honours", None, (200,)),
    ("GET", "/api/v1/registry/people"): (lambda w: "/api/v1/registry/people?q=钱", None, (200,)),
    ("GET", "/api/v1/registry/people/{pk}"): (
        lambda w: f"/api/v1/registry/people/{w.person.pk}",
        None,
        NOT_FOUND,
    ),
    ("POST", "/api/v1/registry/awards"): (
        lambda w: "/api/v1/registry/awards",
        {"person_id": "{person}", "honour_id": "{craftsman}", "year": 2020},
        NOT_FOUND,
    ),
    # An award's document: multipart (see the test below).
    ("POST", "/api/v1/registry/people/{pk}/awards"): (
        lambda w: f"/api/v1/registry/people/{w.person.pk}/awards",
        "award document",
        NOT_FOUND,
    ),
    ("POST", "/api/v1/registry/awards/{pk}/documents"): (
        lambda w: f"/api/v1/registry/awards/{w.award.pk}/documents",
        "award document",
        NOT_FOUND,
    ),
    ("POST", "/api/v1/registry/awards/{pk}/revoke"): (
        lambda w: f"/api/v1/registry/awards/{w.award.pk}/revoke",
        {"reason": "越权"},
        NOT_FOUND,
    ),
    ("GET", "/api/v1/registry/units"): (lambda w: "/api/v1/registry/units", None, (200,)),
    ("POST", "/api/v1/registry/units"): (
        lambda w: "/api/v1/registry/units",
        {"name": "越权单位", "org_unit_id": "{hd_grass}"},
        NOT_FOUND,
    ),
    ("POST", "/api/v1/registry/units/{pk}/move"): (
        lambda w: f"/api/v1/registry/units/{w.unit.pk}/move",
        {"org_unit_id": "{cy}"},
        NOT_FOUND,
    ),
    ("GET", "/api/v1/registry/statistics"): (lambda w: "/api/v1/registry/statistics", None, (200,)),
    ("GET", "/api/v1/registry/statistics/share"): (
        lambda w: (
            f"/api/v1/registry/statistics/share?honour={w.award.honour_id}&year=2018"
            "&category=front-line"
        ),
        None,
        (200,),
    ),
    ("GET", "/api/v1/wall/people"): (lambda w: "/api/v1/wall/people?q=钱", None, (200,)),
    ("GET", "/api/v1/nominations/campaigns"): (
        lambda w: "/api/v1/nominations/campaigns",
        None,
        (200,),
    ),
    ("GET", "/api/v1/nominations/campaigns/{pk}"): (
        lambda w: f"/api/v1/nominations/campaigns/{w.campaign.pk}",
        None,
        NOT_FOUND,
    ),
    ("GET", "/api/v1/nominations/campaigns/{pk}/nominations"): (
        lambda w: f"/api/v1/nominations/campaigns/{w.campaign.pk}/nominations",
        None,
        NOT_FOUND,
    ),
    ("POST", "/api/v1/nominations/campaigns/{pk}/advance"): (
        lambda w: f"/api/v1/nominations/campaigns/{w.campaign.pk}/advance",
        {"ids": ["{nomination}"], "action": "first_pass"},
        NOT_FOUND,
    ),
    ("GET", "/api/v1/nominations/nominations/{pk}"): (
        lambda w: f"/api/v1/nominations/nominations/{w.nomination.pk}",
        None,
        NOT_FOUND,
    ),
    ("POST", "/api/v1/nominations/nominations/{pk}/submit"): (
        lambda w: f"/api/v1/nominations/nominations/{w.nomination.pk}/submit",
        None,
        NOT_FOUND,
    ),
    # A nominee saved with the nomination form: multipart (see the test below).
    ("POST", "/api/v1/nominations/campaigns/{pk}/nominations"): (
        lambda w: f"/api/v1/nominations/campaigns/{w.campaign.pk}/nominations",
        "nomination form",
        NOT_FOUND,
    ),
    ("POST", "/api/v1/nominations/nominations/{pk}/replace"): (
        lambda w: f"/api/v1/nominations/nominations/{w.nomination.pk}/replace",
        "nomination form",
        NOT_FOUND,
    ),
    ("POST", "/api/v1/nominations/nominations/{pk}/withdraw"): (
        lambda w: f"/api/v1/nominations/nominations/{w.nomination.pk}/withdraw",
        {"reason": "越权"},
        NOT_FOUND,
    ),
    ("GET", "/api/v1/audit/events"): (lambda w: "/api/v1/audit/events", None, NOT_FOUND),
    # Member services. A member's own operations take the member pass, not a session.
    **{
        op: (url, body, (401,))
        for op, url, body in [
            (("GET", "/api/v1/perks/me"), lambda w: "/api/v1/perks/me", None),
            (
                ("POST", "/api/v1/perks/giveaways/{pk}/claim"),
                lambda w: f"/api/v1/perks/giveaways/{w.giveaway.pk}/claim",
                {"key": "haidian-key-1"},
            ),
            (
                ("POST", "/api/v1/training/quizzes/{pk}/answer"),
                lambda w: f"/api/v1/training/quizzes/{_t(w).quiz.pk}/answer",
                {"answers": {"1": [0]}},
            ),
            (
                ("POST", "/api/v1/perks/giveaways/{pk}/waitlist"),
                lambda w: f"/api/v1/perks/giveaways/{w.giveaway.pk}/waitlist",
                {"key": "haidian-key-2"},
            ),
        ]
    },
    # ... and their claims their login: Chaoyang's staff is no member.
    ("GET", "/api/v1/perks/claims"): (lambda w: "/api/v1/perks/claims", None, NOT_FOUND),
    ("POST", "/api/v1/perks/claims/{pk}/cancel"): (
        lambda w: f"/api/v1/perks/claims/{w.claim['id']}/cancel",
        None,
        NOT_FOUND,
    ),
    ("GET", "/api/v1/perks/pass"): (lambda w: "/api/v1/perks/pass", None, NOT_FOUND),
    ("GET", "/api/v1/perks/giveaways"): (lambda w: "/api/v1/perks/giveaways", None, (200,)),
    ("GET", "/api/v1/perks/giveaways/{pk}/counts"): (
        lambda w: f"/api/v1/perks/giveaways/{w.giveaway.pk}/counts",
        None,
        NOT_FOUND,
    ),
    ("POST", "/api/v1/perks/pickups"): (
        lambda w: "/api/v1/perks/pickups",
        {"code": "{claim_code}"},
        NOT_FOUND + (403,),
    ),
    ("GET", "/api/v1/cards"): (lambda w: "/api/v1/cards?q=钱", None, (200,)),
    ("GET", "/api/v1/cards/{pk}"): (lambda w: f"/api/v1/cards/{w.card.pk}", None, NOT_FOUND),
    ("POST", "/api/v1/cards"): (
        lambda w: "/api/v1/cards",
        {"person_id": "{person}"},
        NOT_FOUND,
    ),
    **{
        ("POST", f"/api/v1/cards/{{pk}}/{a}"): (
            lambda w, a=a: f"/api/v1/cards/{w.card.pk}/{a}",
            {"reason": "越权"},
            NOT_FOUND,
        )
        for a in ("suspend", "resume", "cancel", "reissue")
    },
    ("POST", "/api/v1/counter/verify"): (
        lambda w: "/api/v1/counter/verify",
        {"token": "{card_token}"},
        (403,),
    ),
    ("GET", "/api/v1/merchants"): (lambda w: "/api/v1/merchants", None, (200,)),
}


def _fill(value, w):
    """Put the world's ids into a request body template."""
    ids = {
        "{person}": lambda: w.person.pk,
        "{craftsman}": lambda: Honour.objects.get(code="chaoyang-craftsman").pk,
        "{cy}": lambda: w.tree.chaoyang.pk,
        "{haidian}": lambda: w.tree.haidian.pk,
        "{hd_grass}": lambda: w.tree.hd_grass.pk,
        "{nomination}": lambda: w.nomination.pk,
        "{claim_code}": lambda: w.claim["code"],
        "{card_token}": lambda: card_token(w.card.pk),
        "{hd_stage}": lambda: _contests(w).stage.pk,
        "{hd_entrant}": lambda: _contests(w).entrant.pk,
        "{hd_judge}": lambda: _contests(w).judges[0].pk,
        "{hd_account}": lambda: _funds(w).account.pk,
        "{hd_speaker}": lambda: _training(w).speaker.pk,
        "{hd_session}": lambda: _training(w).session.pk,
        "{hd_question}": lambda: _training(w).question.pk,
        "{hd_account_status}": lambda: SimpleUploadedFile(
            "status.csv", f"账号,状态\n{_funds(w).account.number},closed\n".encode()
        ),
    }
    if isinstance(value, dict):
        return {k: _fill(v, w) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, w) for v in value]
    return ids[value]() if isinstance(value, str) and value in ids else value


def _text(response) -> str:
    """What a response shows: the page, or every cell of a downloaded workbook."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(content))
        return " ".join(str(v) for ws in book.worksheets for row in ws.values for v in row)
    return content.decode()


# --- contests: Haidian's 海淀精工杯, built through the contests' own services ---------------

CONTEST = "海淀精工杯"  # the programme's name: no answer to Chaoyang's staff may show it
CONTEST_SCHEME = {
    "aspects": [
        {"code": "M1", "name": "实操", "kind": "measurement", "max": "100", "part": "practical"}
    ],
    "tie_chain": [["score", "desc"]],
}
# The comprehensive review takes the public jurors' votes (open now): no marks yet.
CONTEST_REVIEW = {
    "aspects": CONTEST_SCHEME["aspects"],
    "weights": {"practical": 70, "public": 30},
    "public": {"max": "100"},
    "tie_chain": [["score", "desc"]],
}
CONTEST_ENTRANTS = ("钱学", "海淀选手乙", "海淀选手丙")  # 钱学 is the world's person


def _contests(w) -> SimpleNamespace:
    """Haidian's contest, as its staff, judges, entrant, juror and notary make it (once per
    test, when a contests route asks for it): the programme 海淀精工杯 and its competition
    (open), three entrants nominated by Haidian (钱学 first, with a member account), a stage
    (实操比拼) whose match A had its panel of three drawn, every mark given, every sheet
    locked and the results locked; 钱学's appeal upheld with a re-scoring batch in preview;
    a seated public juror with a pass; a notary and a signed milestone; the live board."""
    if w.contests is not None:
        return w.contests
    hd, now = w.users.hd, timezone.now()
    trade, _ = Trade.objects.get_or_create(code="T-HD", defaults={"name": "海淀测试工种"})
    programme = programme_create(
        actor=hd, org_unit=w.tree.haidian, name=CONTEST, year=2026, kind="contest"
    )
    competition = competition_create(
        actor=hd,
        programme=programme,
        trade=trade,
        name=f"{CONTEST}·测试",
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=now + timedelta(days=1),
    )
    competition_rules_upload(
        actor=hd, competition=competition, upload=SimpleUploadedFile("规程.pdf", b"%PDF-1.4\n")
    )
    competition = competition_open(actor=hd, competition=competition)
    employers = [
        unit_create(actor=hd, org_unit=w.tree.hd_grass, name=name)
        for name in (
            "中关村某研究所",
            "海淀机床厂",
            "上地电子厂",
            "清河精工",
            "西三旗机械",
            "学院路仪表",
        )
    ]
    member = make_user("hd_entrant", None, None)
    Person.objects.filter(pk=w.person.pk).update(user=member)
    people = [Person.objects.get(pk=w.person.pk)] + [
        make_person(w.tree.hd_grass, name) for name in CONTEST_ENTRANTS[1:]
    ]
    entrants = [
        entrant_nominate(actor=hd, competition=competition, person=person, employer=employer)
        for person, employer in zip(people, employers[:3], strict=True)
    ]
    stage, review = competition.stages.order_by("order")
    stage = stage_update(
        actor=hd, stage=stage, name=stage.name, scheme=CONTEST_SCHEME, rule={"kind": "top", "n": 1}
    )
    review = stage_update(
        actor=hd,
        stage=review,
        name=review.name,
        scheme=CONTEST_REVIEW,
        rule=review.rule,
        votes_open_at=now - timedelta(hours=1),
        votes_close_at=now + timedelta(hours=1),
    )
    judges = [
        judge_add(
            actor=hd,
            programme=programme,
            kind="expert",
            name=f"海淀裁判{n}",
            employer=employer,
            user=make_user(f"hd_judge{n}", None, None),
        )
        for n, employer in enumerate(employers[3:], start=1)
    ]
    match = match_create(actor=hd, stage=stage, code="A", entrants=[1, 2, 3], panel_size=3)
    draw_commit(actor=hd, match=match)
    seats = panel_draw(actor=hd, match=match)
    stage_start(actor=hd, stage=stage)
    match_create(actor=hd, stage=review, code="B", entrants=[1, 2, 3], panel_size=3)
    for seat in seats:
        for entrant in entrants:
            mark_submit(
                actor=seat.judge.user,
                stage=stage,
                entrant=entrant.number,
                aspect="M1",
                value=str(90 - 10 * entrant.number),
                key=f"haidian-mark-{seat.judge_id}-{entrant.number}",
            )
    sheets = [sheet_lock(actor=hd, stage=stage, entrant=e.number) for e in entrants]
    results_lock(actor=hd, stage=stage)
    stage.refresh_from_db()
    appeal = appeal_file(actor=member, stage=stage, entrant=entrants[0], text="钱学的实操评分有误")
    appeal = appeal_rule(actor=hd, appeal=appeal, upheld=True, ruling="复核录像，评分有误")
    batch = rescore_preview(
        actor=hd,
        appeal=appeal,
        changes=[
            {"judge": seats[0].judge_id, "entrant": entrants[0].pk, "aspect": "M1", "value": "99"}
        ],
    )
    juror = juror_register(
        actor=hd, programme=programme, name="海淀大众评委", id_number="110102197506150029"
    )
    juror_token = juror_seat(actor=hd, juror=juror)
    notary_user = make_user("hd_notary", None, None)
    notary = notary_register(
        actor=hd,
        programme=programme,
        user=notary_user,
        name="海淀公证员",
        office="海淀公证处",
        public_key=Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
        .hex(),
    )
    milestone = milestone_sign(competition_id=competition.pk, name="赛段结束")
    board_snapshots.forget_local()  # a rolled-back test's board of the same id, held here
    snapshot_refresh(competition.pk)
    w.contests = SimpleNamespace(
        programme=programme,
        competition=competition,
        entrants=entrants,
        entrant=entrants[0],
        stage=stage,
        review=review,
        judges=judges,
        match=match,
        seat=seats[0],
        mark=Mark.objects.filter(stage=stage).order_by("pk").first(),
        sheet=sheets[0],
        appeal=appeal,
        batch=batch,
        juror=juror,
        juror_token=juror_token,
        notary=notary,
        milestone=milestone,
    )
    w.contests.before = _contests_state(w)
    return w.contests


# Each contests table's way to the union that organises a row (for Haidian's rows).
CONTESTS_UNIT = {
    "Programme": "org_unit",
    "Competition": "org_unit",
    "Stage": "competition__org_unit",
    "Entrant": "competition__org_unit",
    "StageEntry": "stage__competition__org_unit",
    "Match": "stage__competition__org_unit",
    "Judge": "programme__org_unit",
    "Recusal": "judge__programme__org_unit",
    "Seat": "match__stage__competition__org_unit",
    "Mark": "stage__competition__org_unit",
    "Sheet": "stage__competition__org_unit",
    "Vote": "stage__competition__org_unit",
    "Result": "stage__competition__org_unit",
    "Appeal": "stage__competition__org_unit",
    "RescoreBatch": "appeal__stage__competition__org_unit",
    "Notary": "programme__org_unit",
    "Milestone": "competition__org_unit",
    "BoardSnapshot": "competition__org_unit",
}


def _contests_state(w) -> dict:
    """Every row of every contests table under Haidian, its contest's stream and the
    registry's awards and studios: what no request of Chaoyang's may change."""
    models = {m.__name__: m for m in apps.get_app_config("contests").get_models()}
    assert set(models) == set(CONTESTS_UNIT), "a new contests table: add its way to its union"
    where = w.tree.haidian.path
    rows = {
        name: sorted(
            map(
                repr,
                model.objects.filter(
                    **{f"{CONTESTS_UNIT[name]}__path__startswith": where}
                ).values_list(),
            )
        )
        for name, model in models.items()
    }
    rows["events"] = AuditEvent.objects.filter(stream=w.contests.competition.stream).count()
    rows["awards"] = Award.objects.count()
    rows["studios"] = Studio.objects.count()
    return rows


def _hd_contest(w):
    return _contests(w).competition


def _hd_entrant(w):
    return _contests(w).entrant


def _c(w) -> SimpleNamespace:
    return _contests(w)


WEB_DENY |= {
    # setup
    "contests:programmes": ("get", lambda w: (_c(w), "/contests/?q=精工")[1], None, (200,)),
    "contests:programme_create": (
        "post",
        lambda w: (_c(w), "/contests/new/")[1],
        {"org_unit": "{haidian}", "name": "越权项目", "year": "2026", "kind": "contest"},
        (200,),
    ),
    "contests:programme": ("get", lambda w: f"/contests/{_c(w).programme.pk}/", None, NOT_FOUND),
    "contests:judge_add": (
        "post",
        lambda w: f"/contests/{_c(w).programme.pk}/judges/new/",
        {"kind": "expert", "name": "越权裁判"},
        NOT_FOUND,
    ),
    "contests:competition_create": (
        "post",
        lambda w: f"/contests/{_c(w).programme.pk}/competitions/new/",
        {"name": "越权竞赛"},
        NOT_FOUND,
    ),
    "contests:competition": (
        "get",
        lambda w: f"/contests/c/{_c(w).competition.pk}/",
        None,
        NOT_FOUND,
    ),
    "contests:competition_open": (
        "post",
        lambda w: f"/contests/c/{_c(w).competition.pk}/open/",
        None,
        NOT_FOUND,
    ),
    "contests:rules_upload": (
        "post",
        lambda w: f"/contests/c/{_c(w).competition.pk}/rules/",
        {"file": ""},
        NOT_FOUND,
    ),
    "contests:recusal_declare": (
        "post",
        lambda w: f"/contests/c/{_c(w).competition.pk}/recusals/new/",
        {"judge": "{hd_judge}", "entrant": "{hd_entrant}", "note": "越权"},
        NOT_FOUND,
    ),
    "contests:stage_edit": (
        "post",
        lambda w: f"/contests/stages/{_c(w).stage.pk}/edit/",
        {"name": "改名"},
        NOT_FOUND,
    ),
    # entry
    "contests:entrants": (
        "get",
        lambda w: f"/contests/c/{_hd_entrant(w).competition_id}/entrants/",
        None,
        NOT_FOUND,
    ),
    "contests:registration_close": (
        "post",
        lambda w: f"/contests/c/{_hd_contest(w).pk}/close/",
        None,
        NOT_FOUND,
    ),
    "contests:nominate": (
        "post",
        lambda w: f"/contests/c/{_hd_contest(w).pk}/nominate/",
        {"person": "{person}"},
        NOT_FOUND,
    ),
    # A member's own entries: Chaoyang's staff is no member, and is no entrant of Haidian's.
    "contests:my_entries": ("get", lambda w: (_hd_entrant(w), "/m/contests/")[1], None, (200,)),
    "contests:my_entry": (
        "get",
        lambda w: f"/m/contests/entries/{_hd_entrant(w).pk}/",
        None,
        NOT_FOUND,
    ),
    "contests:my_entry_withdraw": (
        "post",
        lambda w: f"/m/contests/entries/{_hd_entrant(w).pk}/withdraw/",
        {"reason": "越权"},
        NOT_FOUND,
    ),
    # judging: a judge's own pages (Chaoyang's staff is no judge of Haidian's) ...
    "contests:judge_home": ("get", lambda w: (_c(w), "/judge/")[1], None, (200,)),
    # ... and their declarations of a relationship: Chaoyang's staff judge nothing: 404.
    "contests:judge_recusal_declare": (
        "get",
        lambda w: (_c(w), "/contests/recusals/declare/")[1],
        None,
        NOT_FOUND,
    ),
    "contests:judge_stage": (
        "get",
        lambda w: f"/judge/stages/{_c(w).stage.pk}/",
        None,
        NOT_FOUND,
    ),
    # ... and the chief referee's
    "contests:marking": (
        "get",
        lambda w: f"/contests/stages/{_c(w).stage.pk}/marking/",
        None,
        NOT_FOUND,
    ),
    "contests:marking_start": (
        "post",
        lambda w: f"/contests/stages/{_c(w).review.pk}/start/",
        None,
        NOT_FOUND,
    ),
    "contests:marking_recusals": (
        "post",
        lambda w: f"/contests/stages/{_c(w).stage.pk}/recusals/",
        None,
        NOT_FOUND,
    ),
    "contests:sheet_lock": (
        "post",
        lambda w: f"/contests/stages/{_c(w).review.pk}/sheets/1/lock/",
        None,
        NOT_FOUND,
    ),
    "contests:match_create": (
        "post",
        lambda w: f"/contests/stages/{_c(w).review.pk}/matches/new/",
        {"code": "X", "entrants": "1 2 3", "panel_size": "3"},
        NOT_FOUND,
    ),
    "contests:match": ("get", lambda w: f"/contests/matches/{_c(w).match.pk}/", None, NOT_FOUND),
    "contests:match_commit": (
        "post",
        lambda w: f"/contests/matches/{_c(w).match.pk}/commit/",
        None,
        NOT_FOUND,
    ),
    "contests:match_draw": (
        "post",
        lambda w: f"/contests/matches/{_c(w).match.pk}/draw/",
        None,
        NOT_FOUND,
    ),
    "contests:match_seat_add": (
        "post",
        lambda w: f"/contests/matches/{_c(w).match.pk}/seats/",
        {"judge": "{hd_judge}"},
        NOT_FOUND,
    ),
    "contests:seat_absent": (
        "post",
        lambda w: f"/contests/seats/{_c(w).seat.pk}/absent/",
        {"reason": "越权"},
        NOT_FOUND,
    ),
    # results
    "contests:stage_results": (
        "get",
        lambda w: f"/contests/stages/{_c(w).stage.pk}/results/",
        None,
        NOT_FOUND,
    ),
    "contests:results_lock": (
        "post",
        lambda w: f"/contests/stages/{_c(w).review.pk}/results/lock/",
        None,
        NOT_FOUND,
    ),
    "contests:advance_confirm": (
        "post",
        lambda w: f"/contests/stages/{_c(w).stage.pk}/advance/",
        {"advancing": "{hd_entrant}"},
        NOT_FOUND,
    ),
    "contests:titles": (
        "get",
        lambda w: f"/contests/c/{_c(w).competition.pk}/titles/",
        None,
        NOT_FOUND,
    ),
    "contests:titles_award": (
        "post",
        lambda w: f"/contests/c/{_c(w).competition.pk}/titles/award/",
        None,
        NOT_FOUND,
    ),
    "contests:programme_titles_award": (
        "post",
        lambda w: f"/contests/p/{_c(w).programme.pk}/titles/award/",
        None,
        NOT_FOUND,
    ),
    # The talent database: Chaoyang's own people only (钱学 has a result in Haidian's).
    "contests:talent": ("get", lambda w: (_c(w), "/contests/talent/?q=钱")[1], None, (200,)),
    # jury
    "contests:jurors": (
        "post",
        lambda w: f"/contests/{_c(w).programme.pk}/jurors/",
        {"name": "越权评委", "id_number": "110105200001010016"},
        NOT_FOUND,
    ),
    "contests:juror_seat": (
        "post",
        lambda w: f"/contests/jurors/{_c(w).juror.pk}/seat/",
        None,
        NOT_FOUND,
    ),
    "contests:juror_pass": (
        "get",
        lambda w: f"/contests/jurors/{_c(w).juror.pk}/pass/",
        None,
        NOT_FOUND,
    ),
    "contests:juror_unseat": (
        "post",
        lambda w: f"/contests/jurors/{_c(w).juror.pk}/unseat/",
        None,
        NOT_FOUND,
    ),
    "contests:stage_votes": (
        "get",
        lambda w: f"/contests/stages/{_c(w).stage.pk}/votes/",
        None,
        NOT_FOUND,
    ),
    # appeals
    "contests:appeals": (
        "get",
        lambda w: f"/contests/c/{_c(w).competition.pk}/appeals/",
        None,
        NOT_FOUND,
    ),
    "contests:appeal": ("get", lambda w: f"/contests/appeals/{_c(w).appeal.pk}/", None, NOT_FOUND),
    "contests:appeal_rule": (
        "post",
        lambda w: f"/contests/appeals/{_c(w).appeal.pk}/rule/",
        {"upheld": "0", "ruling": "越权"},
        NOT_FOUND,
    ),
    "contests:appeal_rescore": (
        "post",
        lambda w: f"/contests/appeals/{_c(w).appeal.pk}/rescore/",
        {"changes": "越权"},
        NOT_FOUND,
    ),
    "contests:rescore_apply": (
        "post",
        lambda w: f"/contests/rescores/{_c(w).batch.pk}/apply/",
        None,
        NOT_FOUND,
    ),
    "contests:rescore_cancel": (
        "post",
        lambda w: f"/contests/rescores/{_c(w).batch.pk}/cancel/",
        None,
        NOT_FOUND,
    ),
    # The entrant's own appeal form: Chaoyang's staff is not 钱学.
    "contests:entrant_appeal": (
        "post",
        lambda w: f"/m/contests/appeal/{_c(w).stage.pk}/",
        {"text": "越权提出的申诉"},
        NOT_FOUND,
    ),
    # board: the true board and the chief referee's actions
    "contests:staff_board": (
        "get",
        lambda w: f"/contests/c/{_c(w).competition.pk}/board/",
        None,
        NOT_FOUND,
    ),
    "contests:staff_board_json": (
        "get",
        lambda w: f"/contests/c/{_c(w).competition.pk}/board.json",
        None,
        NOT_FOUND,
    ),
    **{
        f"contests:board_{a}": (
            "post",
            lambda w, a=a: f"/contests/c/{_c(w).competition.pk}/board/{a}/",
            None,
            NOT_FOUND,
        )
        for a in ("freeze", "reveal", "unfreeze")
    },
    # notary: the notary's own desk (Chaoyang's staff is no notary: an empty desk) ...
    "contests:notary_home": ("get", lambda w: (_c(w), "/notary/")[1], None, (200,)),
    "contests:notary_message": (
        "get",
        lambda w: f"/notary/milestones/{_c(w).milestone.pk}/message",
        None,
        NOT_FOUND,
    ),
    "contests:notary_countersign": (
        "post",
        lambda w: f"/notary/milestones/{_c(w).milestone.pk}/countersign/",
        {"signature": "00" * 64},
        NOT_FOUND,
    ),
    # ... and a competition's record for its staff
    "contests:record": (
        "get",
        lambda w: f"/contests/c/{_c(w).competition.pk}/record/",
        None,
        NOT_FOUND,
    ),
    "contests:record_bundle": (
        "post",
        lambda w: f"/contests/c/{_c(w).competition.pk}/record/bundle/",
        None,
        NOT_FOUND,
    ),
    "contests:notary_add": (
        "post",
        lambda w: f"/contests/c/{_c(w).competition.pk}/record/notary/",
        {"username": "cy_staff", "name": "越权", "office": "越权", "public_key": "00" * 32},
        NOT_FOUND,
    ),
}
PUBLIC_ROUTES |= {
    "training:certificate_check": (
        "a certificate's code gives its session and the masked name only, throttled "
        "(tests/training/test_courses_pages.py)"
    ),
    "contests:join": "registration is open to anyone (报名不设门槛); answers the number only",
    "contests:join_done": "the number just given, by a signed token (test_entry.py)",
    "contests:live": "the public live board: revealed results only (test_contests_public below)",
    "contests:overlay": "the same board for the stream's overlay (test_freeze.py)",
    "contests:board_json": "the same board as JSON (test_freeze.py)",
    "contests:vote": "a public juror's page, by their signed pass: their programme only (below)",
    "contests:verify_contest": "the stand-alone verifier's source: no data",
    "contests:verifier_files": "the files a notary keeps, with their SHA-256: no data",
    "contests:verifier_file": "one of those files: source code, no data",
}
PUBLIC_API |= {
    ("POST", "/api/v1/contests/competitions/{pk}/register"): "anyone registers (test_entry.py)",
    ("GET", "/api/v1/contests/competitions/{pk}/board"): "the public live board (test_freeze.py)",
}
API_DENY |= {
    # setup
    ("GET", "/api/v1/contests/programmes"): (
        lambda w: (_c(w), "/api/v1/contests/programmes?q=精工")[1],
        None,
        (200,),
    ),
    ("GET", "/api/v1/contests/programmes/{pk}"): (
        lambda w: f"/api/v1/contests/programmes/{_c(w).programme.pk}",
        None,
        NOT_FOUND,
    ),
    ("GET", "/api/v1/contests/competitions/{pk}"): (
        lambda w: f"/api/v1/contests/competitions/{_c(w).competition.pk}",
        None,
        NOT_FOUND,
    ),
    # entry
    ("GET", "/api/v1/contests/me/entries"): (
        lambda w: (_hd_entrant(w), "/api/v1/contests/me/entries")[1],
        None,
        (200,),
    ),
    ("GET", "/api/v1/contests/competitions/{pk}/entrants"): (
        lambda w: f"/api/v1/contests/competitions/{_hd_entrant(w).competition_id}/entrants",
        None,
        NOT_FOUND,
    ),
    # judging: Chaoyang's staff is no judge of Haidian's stage
    ("POST", "/api/v1/contests/marks"): (
        lambda w: (_c(w), "/api/v1/contests/marks")[1],
        {
            "stage": "{hd_stage}",
            "entrant": 1,
            "aspect": "M1",
            "value": "1",
            "key": "chaoyang-mark-1",
        },
        NOT_FOUND,
    ),
    ("POST", "/api/v1/contests/marks/{pk}/correct"): (
        lambda w: f"/api/v1/contests/marks/{_c(w).mark.pk}/correct",
        {"value": "1", "reason": "越权", "key": "chaoyang-mark-2"},
        NOT_FOUND,
    ),
    ("GET", "/api/v1/contests/judge/stages/{pk}"): (
        lambda w: f"/api/v1/contests/judge/stages/{_c(w).stage.pk}",
        None,
        NOT_FOUND,
    ),
    # results
    ("GET", "/api/v1/contests/stages/{pk}/results"): (
        lambda w: f"/api/v1/contests/stages/{_c(w).stage.pk}/results",
        None,
        NOT_FOUND,
    ),
    ("POST", "/api/v1/contests/stages/{pk}/results/lock"): (
        lambda w: f"/api/v1/contests/stages/{_c(w).review.pk}/results/lock",
        None,
        NOT_FOUND,
    ),
    ("POST", "/api/v1/contests/stages/{pk}/advance"): (
        lambda w: f"/api/v1/contests/stages/{_c(w).stage.pk}/advance",
        {"advancing": ["{hd_entrant}"]},
        NOT_FOUND,
    ),
    ("POST", "/api/v1/contests/competitions/{pk}/titles"): (
        lambda w: f"/api/v1/contests/competitions/{_c(w).competition.pk}/titles",
        None,
        NOT_FOUND,
    ),
    ("GET", "/api/v1/contests/talent"): (
        lambda w: (_c(w), "/api/v1/contests/talent?q=钱")[1],
        None,
        (200,),
    ),
    # jury: a vote takes the juror's pass, not a session (with another programme's pass:
    # test_a_juror_pass_reaches_its_own_programme_only)
    ("POST", "/api/v1/contests/votes"): (
        lambda w: (_c(w), "/api/v1/contests/votes")[1],
        {"stage": "{hd_stage}", "entrant": "{hd_entrant}", "value": "80", "key": "cy-vote-1"},
        (401,),
    ),
    ("GET", "/api/v1/contests/stages/{pk}/votes"): (
        lambda w: f"/api/v1/contests/stages/{_c(w).stage.pk}/votes",
        None,
        NOT_FOUND,
    ),
    # appeals: only the entrant appeals; only Haidian's arbiters rule
    ("POST", "/api/v1/contests/appeals"): (
        lambda w: (_c(w), "/api/v1/contests/appeals")[1],
        {"stage": "{hd_stage}", "text": "越权提出的申诉"},
        NOT_FOUND,
    ),
    ("POST", "/api/v1/contests/appeals/{pk}/ruling"): (
        lambda w: f"/api/v1/contests/appeals/{_c(w).appeal.pk}/ruling",
        {"upheld": False, "ruling": "越权"},
        NOT_FOUND,
    ),
    ("POST", "/api/v1/contests/appeals/{pk}/rescore"): (
        lambda w: f"/api/v1/contests/appeals/{_c(w).appeal.pk}/rescore",
        {
            "changes": [
                {"judge": "{hd_judge}", "entrant": "{hd_entrant}", "aspect": "M1", "value": "1"}
            ]
        },
        NOT_FOUND,
    ),
    **{
        ("POST", f"/api/v1/contests/rescores/{{pk}}/{a}"): (
            lambda w, a=a: f"/api/v1/contests/rescores/{_c(w).batch.pk}/{a}",
            None,
            NOT_FOUND,
        )
        for a in ("apply", "cancel")
    },
    # board
    ("GET", "/api/v1/contests/competitions/{pk}/board/staff"): (
        lambda w: f"/api/v1/contests/competitions/{_c(w).competition.pk}/board/staff",
        None,
        NOT_FOUND,
    ),
    **{
        ("POST", f"/api/v1/contests/competitions/{{pk}}/board/{a}"): (
            lambda w, a=a: f"/api/v1/contests/competitions/{_c(w).competition.pk}/board/{a}",
            None,
            NOT_FOUND,
        )
        for a in ("freeze", "reveal", "unfreeze")
    },
    # notary
    ("GET", "/api/v1/contests/competitions/{pk}/milestones"): (
        lambda w: f"/api/v1/contests/competitions/{_c(w).competition.pk}/milestones",
        None,
        NOT_FOUND,
    ),
    ("GET", "/api/v1/contests/notary/milestones"): (
        lambda w: (_c(w), "/api/v1/contests/notary/milestones")[1],
        None,
        (200,),
    ),
    ("POST", "/api/v1/contests/notary/milestones/{pk}/countersign"): (
        lambda w: f"/api/v1/contests/notary/milestones/{_c(w).milestone.pk}/countersign",
        {"signature": "00" * 64},
        NOT_FOUND,
    ),
}


# --- funds: Haidian's programme 海淀职工帮扶 and 钱学's application, through the services --

FUNDS_HD = "海淀职工帮扶"  # Haidian's own programme: no answer to Chaoyang's staff may show it
FUNDS_UNIT = {
    "Programme": "org_unit",
    "RuleVersion": "programme__org_unit",
    "Budget": "org_unit",
    "Hardship": "org_unit",
    "Run": "org_unit",
    "Application": "org_unit",
    "Review": "application__org_unit",
    "Entitlement": "org_unit",
    "PayeeAccount": "person__org_unit",
    "PayoutBatch": "org_unit",
    "PayoutLine": "batch__org_unit",
    "ReturnImport": "batch__org_unit",
    "LedgerEntry": "budget__org_unit",
}


def _funds(w) -> SimpleNamespace:
    """Haidian's funds (once per test, when a funds route asks for it): 钱学 applied, on his
    behalf by Haidian's staff, for the city's certificate subsidy (his certificate scan
    attached); Haidian's own condolence programme enrolled him in a run, and a batch paid
    into his bank card failed at the bank (the line waits in the exception queue)."""
    if w.funds is not None:
        return w.funds
    from stdnum import luhn

    from gonghui.common.workdays import today
    from gonghui.funds.applications.services import application_submit
    from gonghui.funds.enrolment.services import run_create, run_enrol
    from gonghui.funds.models import Budget, Hardship, PayeeAccount, PayoutLine
    from gonghui.funds.payouts.services import batch_create
    from tests.funds.conftest import CERTIFICATE_RULE, make_programme

    hd, year = w.users.hd, today().year
    cert = make_programme("cert", "技能等级证书补贴", "certificate", w.tree.city, CERTIFICATE_RULE)
    rule = {
        "kind": "fixed",
        "amount": 300000,
        "enrol": {"honours": ["capital-labour-medal"], "hardship": ["一般困难", "特别困难"]},
    }
    own = make_programme("hd-care", FUNDS_HD, "condolence", w.tree.haidian, rule, entry="enrol")
    for programme in (cert, own):
        Budget.objects.create(
            programme=programme, org_unit=programme.org_unit, year=year, amount=10_000_000
        )
    application = application_submit(
        actor=hd,
        programme=cert,
        person=w.person,
        facts={
            "certificate_no": "HD-0001",
            "level": "一级",
            "trade": "钳工",
            "issued_on": "2025-06-01",
        },
        documents={"certificate_doc": SimpleUploadedFile("证书.pdf", b"%PDF-1.4\n")},
    )
    hardship = Hardship.objects.create(
        person=w.person, org_unit=w.tree.hd_grass, grade="一般困难", since=date(2020, 1, 1)
    )
    body = "622202020011223344"
    account = PayeeAccount.objects.create(
        person=w.person,
        kind="bank_card",
        account_class="I",
        bank="工商银行海淀支行",
        number=body + luhn.calc_check_digit(body),
        is_default=True,
    )
    run = run_create(
        actor=hd,
        programme=own,
        org_unit=w.tree.haidian,
        name="海淀春节慰问",
        year=year,
        deadline=today() + timedelta(days=60),
    )
    run_enrol(actor=hd, run=run)
    batch = batch_create(
        actor=hd, programme=own, org_unit=w.tree.haidian, name="海淀春节慰问第一批", run=run
    )
    line = batch.lines.get()
    PayoutLine.objects.filter(pk=line.pk).update(status="failed", result_reason="账户状态异常")
    w.funds = SimpleNamespace(
        cert=cert,
        own=own,
        application=application,
        document=application_attachment(application),
        account=account,
        run=run,
        entitlement=run.entitlements.get(),
        batch=batch,
        line=line,
        hardship=hardship,
        commitment=own.ledger.get(),
    )
    w.funds.before = _funds_state(w)
    return w.funds


def application_attachment(application):
    from gonghui.files.models import Attachment

    return Attachment.objects.filter(
        content_type__model="application", object_id=application.pk
    ).latest("pk")


def _funds_state(w) -> dict:
    """Every row of every funds table under Haidian and the two programmes' streams: what
    no request of Chaoyang's may change."""
    models = {m.__name__: m for m in apps.get_app_config("funds").get_models()}
    assert set(models) == set(FUNDS_UNIT), "a new funds table: add its way to its union"
    where = w.tree.haidian.path
    rows = {
        name: sorted(
            map(
                repr,
                model.objects.filter(**{f"{FUNDS_UNIT[name]}__path__startswith": where})
                .values_list()
                .order_by("pk"),
            )
        )
        for name, model in models.items()
    }
    for programme in (w.funds.cert, w.funds.own):
        rows[programme.stream] = AuditEvent.objects.filter(stream=programme.stream).count()
    return rows


def _f(w) -> SimpleNamespace:
    return _funds(w)


WEB_DENY |= {
    # programmes
    "funds:home": ("get", lambda w: (_f(w), "/funds/")[1], None, (200,)),
    "funds:programme_create": (
        "post",
        lambda w: (_f(w), "/funds/new/")[1],
        {"org_unit": "{haidian}", "name": "越权项目", "kind": "fixed", "entry": "apply"},
        (200,),
    ),
    "funds:programme": ("get", lambda w: f"/funds/p/{_f(w).own.pk}/", None, NOT_FOUND),
    "funds:programme_edit": (
        "post",
        lambda w: f"/funds/p/{_f(w).own.pk}/edit/",
        {"name": "越权改名", "entry": "enrol", "levels": "2"},
        NOT_FOUND,
    ),
    "funds:rules": ("get", lambda w: f"/funds/p/{_f(w).own.pk}/rules/", None, NOT_FOUND),
    "funds:budgets": ("get", lambda w: f"/funds/p/{_f(w).own.pk}/budgets/", None, NOT_FOUND),
    "funds:ledger": ("get", lambda w: f"/funds/p/{_f(w).own.pk}/ledger/", None, NOT_FOUND),
    "funds:ledger_correct": (
        "post",
        lambda w: f"/funds/ledger/{_f(w).commitment.pk}/correct/",
        {"note": "越权冲正"},
        NOT_FOUND,
    ),
    "funds:hardship_list": ("get", lambda w: (_f(w), "/funds/hardship/?q=钱")[1], None, (200,)),
    "funds:hardship_new": (
        "post",
        lambda w: f"/funds/hardship/new/?person={_f(w).account.person_id}",
        {"grade": "特别困难", "since": "2026-01-01"},
        NOT_FOUND,
    ),
    "funds:hardship_end": (
        "post",
        lambda w: f"/funds/hardship/{_f(w).hardship.pk}/end/",
        {"until": "2026-01-01"},
        NOT_FOUND,
    ),
    # reports
    "funds:report": ("get", lambda w: f"/funds/p/{_f(w).own.pk}/report/", None, NOT_FOUND),
    "funds:dashboard": ("get", lambda w: (_f(w), "/funds/dashboard/")[1], None, (200,)),
    # applications
    "funds:applications": (
        "get",
        lambda w: f"/funds/p/{_f(w).cert.pk}/applications/?q=钱",
        None,
        (200,),
    ),
    "funds:apply_for": (
        "post",
        lambda w: f"/funds/p/{_f(w).cert.pk}/applications/new/",
        {"person": "{person}", "certificate_no": "CY-X1", "level": "一级"},
        (200, 404),
    ),
    "funds:application": ("get", lambda w: f"/funds/a/{_f(w).application.pk}/", None, NOT_FOUND),
    "funds:application_decide": (
        "post",
        lambda w: f"/funds/a/{_f(w).application.pk}/decide/",
        {"decision": "pass", "note": "越权"},
        NOT_FOUND,
    ),
    "funds:application_document": (
        "get",
        lambda w: f"/funds/a/{_f(w).application.pk}/documents/{_f(w).document.pk}/",
        None,
        NOT_FOUND,
    ),
    "funds:my_applications": ("get", lambda w: (_f(w), "/m/funds/")[1], None, (200,)),
    "funds:apply": (
        "post",
        lambda w: f"/m/funds/p/{_f(w).own.pk}/apply/",
        {"certificate_no": "CY-X2", "level": "一级"},
        (200, 404),
    ),
    "funds:my_application": (
        "get",
        lambda w: f"/m/funds/a/{_f(w).application.pk}/",
        None,
        NOT_FOUND,
    ),
    "funds:my_application_withdraw": (
        "post",
        lambda w: f"/m/funds/a/{_f(w).application.pk}/withdraw/",
        {"reason": "越权"},
        NOT_FOUND,
    ),
    "funds:my_application_document": (
        "get",
        lambda w: f"/m/funds/a/{_f(w).application.pk}/documents/{_f(w).document.pk}/",
        None,
        NOT_FOUND,
    ),
    # enrolment
    "funds:runs": ("get", lambda w: f"/funds/p/{_f(w).own.pk}/runs/", None, NOT_FOUND),
    "funds:run_create": (
        "post",
        lambda w: f"/funds/p/{_f(w).own.pk}/runs/new/",
        {"org_unit": "{haidian}", "name": "越权计划", "year": "2026"},
        NOT_FOUND,
    ),
    "funds:run": ("get", lambda w: f"/funds/runs/{_f(w).run.pk}/", None, NOT_FOUND),
    "funds:run_enrol": ("post", lambda w: f"/funds/runs/{_f(w).run.pk}/enrol/", None, NOT_FOUND),
    "funds:entitlement_cancel": (
        "post",
        lambda w: f"/funds/entitlements/{_f(w).entitlement.pk}/cancel/",
        {"reason": "越权"},
        NOT_FOUND,
    ),
    # payouts
    "funds:batches": ("get", lambda w: f"/funds/p/{_f(w).own.pk}/batches/", None, NOT_FOUND),
    "funds:batch": ("get", lambda w: f"/funds/batches/{_f(w).batch.pk}/", None, NOT_FOUND),
    **{
        f"funds:batch_{action}": (
            "post",
            lambda w, action=action: f"/funds/batches/{_f(w).batch.pk}/{action}/",
            None,
            NOT_FOUND,
        )
        for action in ("build", "release", "export", "returns", "reconcile")
    },
    "funds:batch_file": (
        "get",
        lambda w: f"/funds/batches/{_f(w).batch.pk}/files/{_f(w).document.pk}/",
        None,
        NOT_FOUND,
    ),
    "funds:exceptions": ("get", lambda w: (_f(w), "/funds/exceptions/")[1], None, (200,)),
    # accounts
    "funds:accounts": (
        "get",
        lambda w: f"/funds/people/{_f(w).account.person_id}/accounts/",
        None,
        NOT_FOUND,
    ),
    "funds:account_edit": (
        "post",
        lambda w: f"/funds/accounts/{_f(w).account.pk}/edit/",
        {"status": "closed", "bank": "越权银行"},
        NOT_FOUND,
    ),
    "funds:account_reveal": (
        "post",
        lambda w: f"/funds/accounts/{_f(w).account.pk}/reveal/",
        None,
        NOT_FOUND,
    ),
    # Haidian's number in a bank status file: matched only within Chaoyang, so not found.
    "funds:accounts_status_import": (
        "post",
        lambda w: (_f(w), "/funds/accounts/status-import/")[1],
        {"file": "{hd_account_status}"},
        (200,),
    ),
    "funds:prediction": (
        "get",
        lambda w: f"/funds/batches/{_f(w).batch.pk}/prediction/",
        None,
        NOT_FOUND,
    ),
    "funds:prediction_run": (
        "post",
        lambda w: f"/funds/batches/{_f(w).batch.pk}/prediction/run/",
        None,
        NOT_FOUND,
    ),
    "funds:prediction_accept_all": (
        "post",
        lambda w: f"/funds/batches/{_f(w).batch.pk}/prediction/accept/",
        None,
        NOT_FOUND,
    ),
    "funds:line_reroute": (
        "post",
        lambda w: f"/funds/lines/{_f(w).line.pk}/reroute/",
        {"account": "{hd_account}"},
        NOT_FOUND,
    ),
    "funds:my_accounts": ("get", lambda w: (_f(w), "/m/funds/accounts/")[1], None, (200,)),
    "funds:line_reissue": (
        "post",
        lambda w: f"/funds/lines/{_f(w).line.pk}/reissue/",
        {"cash": "on", "note": "越权"},
        NOT_FOUND,
    ),
}


# --- training: Haidian's courses, salons, outreach, quizzes and studios (``_training``) ---

TRAINING_HD = "海淀职工大讲堂"  # Haidian's own lecture series: no answer to Chaoyang may show it
TRAINING_UNIT = {
    "Course": "org_unit",
    "Session": "org_unit",
    "Enrolment": "session__org_unit",
    "Attendance": "session__org_unit",
    "Certificate": "attendance__session__org_unit",
    "Question": "org_unit",
    "Quiz": "org_unit",
    "QuizItem": "quiz__org_unit",
    "Submission": "quiz__org_unit",
    "Salon": "org_unit",
    "SalonMember": "salon__org_unit",
    "SalonMeeting": "salon__org_unit",
    "StudioMember": "studio__org_unit",
    "StudioReport": "org_unit",
    "StudioReview": "report__org_unit",
    "SpeakerTeam": "org_unit",
    "Speaker": "team__org_unit",
    "Talk": "org_unit",
    "Visit": "org_unit",
    "Problem": "visit__org_unit",
    "Alliance": "org_unit",
    "AllianceMember": "alliance__org_unit",
    "AllianceActivity": "alliance__org_unit",
}


def _training(w) -> SimpleNamespace:
    """Haidian's training rows (once per test, when a training route asks for them):
    its lecture series with a session 钱学 enrolled in, attended and holds a certificate of;
    a salon he mentors (pending) with a meeting; its speakers' bureau with him as a speaker
    and a booked talk; a reception day with a problem assigned to its street union; its
    model workers' alliance with him and an activity."""
    if w.training is not None:
        return w.training
    from gonghui.training.models import (
        Alliance,
        AllianceActivity,
        AllianceMember,
        Attendance,
        Certificate,
        Course,
        Enrolment,
        Problem,
        Question,
        Quiz,
        QuizItem,
        Salon,
        SalonMeeting,
        SalonMember,
        Session,
        Speaker,
        SpeakerTeam,
        StudioMember,
        StudioReport,
        Submission,
        Talk,
        Visit,
    )
    from tests.training.conftest import make_session

    hd, day = w.users.hd, timezone.localdate()
    course = Course.objects.create(
        name=TRAINING_HD,
        org_unit=w.tree.haidian,
        status=Course.Status.PUBLISHED,
        created_by=hd,
    )
    session = make_session(course, audience=w.tree.haidian)
    enrolment = Enrolment.objects.create(
        session=session, person=w.person, status=Enrolment.Status.SEATED
    )
    Session.objects.filter(pk=session.pk).update(seated=1)
    attendance = Attendance.objects.create(
        session=session, person=w.person, method=Attendance.Method.STAFF, marked_by=hd
    )
    certificate = Certificate.objects.create(
        attendance=attendance, code="HDCERT7K2M9Q", issued_by=hd
    )
    salon = Salon.objects.create(
        name="海淀读书会", org_unit=w.tree.hd_grass, year=day.year, mentor=w.person, applied_by=hd
    )
    SalonMember.objects.create(salon=salon, person=w.person)
    meeting = SalonMeeting.objects.create(
        salon=salon, held_on=day, book="大国工匠", attendance=1, reported_by=hd
    )
    team = SpeakerTeam.objects.create(name="海淀宣讲团", org_unit=w.tree.haidian)
    speaker = Speaker.objects.create(team=team, person=w.person, topics="工匠精神")
    talk = Talk.objects.create(
        team=team, org_unit=w.tree.hd_grass, topic="工匠精神进企业", on=day, booked_by=hd
    )
    visit = Visit.objects.create(org_unit=w.tree.haidian, enterprise=w.unit, on=day, created_by=hd)
    problem = Problem.objects.create(
        visit=visit, text="停车难", assignee=w.tree.hd_street, due_on=day, raised_on=day
    )
    alliance = Alliance.objects.create(
        name="海淀劳模联盟", kind=Alliance.Kind.MODEL_WORKERS, org_unit=w.tree.haidian
    )
    alliance_member = AllianceMember.objects.create(alliance=alliance, person=w.person)
    AllianceActivity.objects.create(alliance=alliance, on=day, title="座谈", created_by=hd)
    studio = Studio.objects.create(
        name="钱学创新工作室",
        employer=w.unit,
        leader=w.person,
        org_unit=w.tree.haidian,
        status=Studio.Status.ACTIVE,
    )
    studio_member = StudioMember.objects.create(studio=studio, person=w.person)
    report = StudioReport.objects.create(
        studio=studio,
        org_unit=w.tree.haidian,
        year=day.year - 1,
        submitted_by=hd,
        submitted_at=timezone.now(),
    )
    evidence = Attachment(
        owner=report,
        org_unit=w.tree.haidian,
        name="成果.pdf",
        mime_type="application/pdf",
        size=9,
        sha256="1" * 64,
        created_at=timezone.now(),
    )
    evidence.file.save("y", ContentFile(b"%PDF-1.4\n"), save=False)
    evidence.save()
    question = Question.objects.create(
        org_unit=w.tree.haidian,
        kind=Question.Kind.TRUE_FALSE,
        text="海淀题库：工匠精神的核心是精益求精",
        options=["正确", "错误"],
        answer=[0],
        created_by=hd,
    )
    quiz = Quiz.objects.create(
        session=session, org_unit=w.tree.haidian, title="海淀讲堂答题", created_by=hd
    )
    QuizItem.objects.create(
        quiz=quiz,
        position=1,
        question=question,
        kind=question.kind,
        text=question.text,
        options=question.options,
        answer=question.answer,
    )
    Submission.objects.create(
        quiz=quiz,
        person=w.person,
        answers={"1": [0]},
        correct=[1],
        score=10,
        submitted_at=timezone.now(),
    )
    w.training = SimpleNamespace(
        question=question,
        quiz=quiz,
        course=course,
        session=session,
        enrolment=enrolment,
        certificate=certificate,
        salon=salon,
        meeting=meeting,
        team=team,
        speaker=speaker,
        talk=talk,
        visit=visit,
        problem=problem,
        alliance=alliance,
        alliance_member=alliance_member,
        studio=studio,
        studio_member=studio_member,
        report=report,
        evidence=evidence,
    )
    w.training.before = _training_state(w)
    return w.training


def _training_state(w) -> dict:
    """Every row of every training table under Haidian: what no request of Chaoyang's may
    change."""
    models = {m.__name__: m for m in apps.get_app_config("training").get_models()}
    assert set(models) == set(TRAINING_UNIT), "a new training table: add its way to its union"
    where = w.tree.haidian.path
    return {
        name: sorted(
            map(
                repr,
                model.objects.filter(**{f"{TRAINING_UNIT[name]}__path__startswith": where})
                .values_list()
                .order_by("pk"),
            )
        )
        for name, model in models.items()
    }


def _t(w) -> SimpleNamespace:
    return _training(w)


WEB_DENY |= {
    "training:home": ("get", lambda w: (_t(w), "/training/")[1], None, (200,)),
    # courses
    "training:courses": ("get", lambda w: (_t(w), "/training/courses/")[1], None, (200,)),
    "training:course_create": (
        "post",
        lambda w: (_t(w), "/training/courses/new/")[1],
        {"org_unit": "{haidian}", "name": "越权讲堂", "kind": "lecture"},
        (200,),
    ),
    "training:course": ("get", lambda w: f"/training/courses/{_t(w).course.pk}/", None, NOT_FOUND),
    "training:course_edit": (
        "post",
        lambda w: f"/training/courses/{_t(w).course.pk}/edit/",
        {"name": "改名", "kind": "lecture"},
        NOT_FOUND,
    ),
    "training:course_publish": (
        "post",
        lambda w: f"/training/courses/{_t(w).course.pk}/publish/",
        {},
        NOT_FOUND,
    ),
    "training:course_close": (
        "post",
        lambda w: f"/training/courses/{_t(w).course.pk}/close/",
        {},
        NOT_FOUND,
    ),
    "training:session_create": (
        "post",
        lambda w: f"/training/courses/{_t(w).course.pk}/sessions/new/",
        {"title": "越权", "place": "某处", "capacity": "10"},
        NOT_FOUND,
    ),
    "training:session": (
        "get",
        lambda w: f"/training/sessions/{_t(w).session.pk}/",
        None,
        NOT_FOUND,
    ),
    "training:session_edit": (
        "post",
        lambda w: f"/training/sessions/{_t(w).session.pk}/edit/",
        {"title": "改", "place": "某处", "capacity": "10"},
        NOT_FOUND,
    ),
    "training:session_cancel": (
        "post",
        lambda w: f"/training/sessions/{_t(w).session.pk}/cancel/",
        {"reason": "越权"},
        NOT_FOUND,
    ),
    "training:session_enrol": (
        "post",
        lambda w: f"/training/sessions/{_t(w).session.pk}/enrol/",
        {"person": "{person}"},
        NOT_FOUND,
    ),
    "training:enrolment_cancel": (
        "post",
        lambda w: f"/training/sessions/{_t(w).session.pk}/enrolments/{_t(w).enrolment.pk}/cancel/",
        {},
        NOT_FOUND,
    ),
    "training:attendance_mark": (
        "post",
        lambda w: f"/training/sessions/{_t(w).session.pk}/attendance/",
        {"person": "{person}"},
        NOT_FOUND,
    ),
    "training:attendance_bulk": (
        "post",
        lambda w: f"/training/sessions/{_t(w).session.pk}/attendance/bulk/",
        {"people": "{person}"},
        NOT_FOUND,
    ),
    "training:session_export": (
        "get",
        lambda w: f"/training/sessions/{_t(w).session.pk}/export/",
        None,
        NOT_FOUND,
    ),
    "training:certificates_issue": (
        "post",
        lambda w: f"/training/sessions/{_t(w).session.pk}/certificates/",
        {},
        NOT_FOUND,
    ),
    "training:checkin_screen": (
        "get",
        lambda w: f"/training/sessions/{_t(w).session.pk}/screen/",
        None,
        NOT_FOUND,
    ),
    "training:checkin_code": (
        "get",
        lambda w: f"/training/sessions/{_t(w).session.pk}/screen/code/",
        None,
        NOT_FOUND,
    ),
    "training:certificate": (
        "get",
        lambda w: f"/training/certificates/{_t(w).certificate.pk}/",
        None,
        NOT_FOUND,
    ),
    # A staff login has no person: the member's pages answer 404.
    "training:my": ("get", lambda w: (_t(w), "/m/training/")[1], None, NOT_FOUND),
    "training:my_enrol": (
        "post",
        lambda w: f"/m/training/sessions/{_t(w).session.pk}/enrol/",
        {},
        NOT_FOUND,
    ),
    "training:my_cancel": (
        "post",
        lambda w: f"/m/training/enrolments/{_t(w).enrolment.pk}/cancel/",
        {},
        NOT_FOUND,
    ),
    "training:my_certificate": (
        "get",
        lambda w: f"/m/training/certificates/{_t(w).certificate.pk}/",
        None,
        NOT_FOUND,
    ),
    # A fresh code of Haidian's venue: a staff login is no member of it (nothing written).
    "training:checkin": (
        "get",
        lambda w: f"/m/training/checkin/?t={checkin_token(_t(w).session.pk)}",
        None,
        (400,),
    ),
    # salons
    "training:salons": ("get", lambda w: (_t(w), "/training/salons/")[1], None, (200,)),
    "training:salon_apply": (
        "post",
        lambda w: (_t(w), "/training/salons/new/")[1],
        {"org_unit": "{hd_grass}", "name": "越权", "year": "2026", "mentor": "{person}"},
        (200,),
    ),
    "training:salon_people": (
        "get",
        lambda w: (_t(w), "/training/salons/people/?q=qianxue")[1],
        None,
        (200,),
    ),
    "training:salon_stats": (
        "get",
        lambda w: (_t(w), f"/training/salons/stats/?unit={w.tree.haidian.pk}")[1],
        None,
        NOT_FOUND,
    ),
    "training:salon": ("get", lambda w: f"/training/salons/{_t(w).salon.pk}/", None, NOT_FOUND),
    "training:salon_reapply": (
        "post",
        lambda w: f"/training/salons/{_t(w).salon.pk}/edit/",
        {"name": "改", "year": "2026", "mentor": "{person}"},
        NOT_FOUND,
    ),
    "training:salon_decide": (
        "post",
        lambda w: f"/training/salons/{_t(w).salon.pk}/decide/",
        {"decision": "approve"},
        NOT_FOUND,
    ),
    "training:salon_members_add": (
        "post",
        lambda w: f"/training/salons/{_t(w).salon.pk}/members/",
        {"members": "{person}"},
        NOT_FOUND,
    ),
    "training:salon_member_remove": (
        "post",
        lambda w: f"/training/salons/{_t(w).salon.pk}/members/{w.person.pk}/remove/",
        {},
        NOT_FOUND,
    ),
    "training:salon_meeting_new": (
        "post",
        lambda w: f"/training/salons/{_t(w).salon.pk}/meetings/new/",
        {"held_on": "2026-01-05", "book": "越权", "attendance": "1"},
        NOT_FOUND,
    ),
    "training:lecturers": ("get", lambda w: (_t(w), "/training/lecturers/")[1], None, (200,)),
    # outreach
    "training:outreach": ("get", lambda w: (_t(w), "/training/outreach/")[1], None, (200,)),
    "training:teams": ("get", lambda w: (_t(w), "/training/outreach/teams/")[1], None, (200,)),
    "training:team_create": (
        "post",
        lambda w: (_t(w), "/training/outreach/teams/new/")[1],
        {"org_unit": "{haidian}", "name": "越权宣讲团"},
        (200,),
    ),
    "training:team": (
        "get",
        lambda w: f"/training/outreach/teams/{_t(w).team.pk}/",
        None,
        NOT_FOUND,
    ),
    "training:team_edit": (
        "post",
        lambda w: f"/training/outreach/teams/{_t(w).team.pk}/edit/",
        {"name": "改"},
        NOT_FOUND,
    ),
    "training:speaker_add": (
        "post",
        lambda w: f"/training/outreach/teams/{_t(w).team.pk}/speakers/",
        {"person": "{person}", "topics": "越权"},
        NOT_FOUND,
    ),
    "training:speaker_remove": (
        "post",
        lambda w: f"/training/outreach/speakers/{_t(w).speaker.pk}/remove/",
        {},
        NOT_FOUND,
    ),
    "training:talk_book": (
        "post",
        lambda w: f"/training/outreach/teams/{_t(w).team.pk}/book/",
        {"org_unit": "{hd_grass}", "on": "2026-12-30", "topic": "越权"},
        NOT_FOUND,
    ),
    "training:talks": ("get", lambda w: (_t(w), "/training/outreach/talks/")[1], None, (200,)),
    "training:talk_stats": (
        "get",
        lambda w: (_t(w), f"/training/outreach/talks/stats/?district={w.tree.haidian.pk}")[1],
        None,
        NOT_FOUND,
    ),
    "training:talk": (
        "get",
        lambda w: f"/training/outreach/talks/{_t(w).talk.pk}/",
        None,
        NOT_FOUND,
    ),
    "training:talk_confirm": (
        "post",
        lambda w: f"/training/outreach/talks/{_t(w).talk.pk}/confirm/",
        {"speaker": "{hd_speaker}"},
        NOT_FOUND,
    ),
    "training:talk_cancel": (
        "post",
        lambda w: f"/training/outreach/talks/{_t(w).talk.pk}/cancel/",
        {"reason": "越权"},
        NOT_FOUND,
    ),
    "training:talk_report": (
        "post",
        lambda w: f"/training/outreach/talks/{_t(w).talk.pk}/report/",
        {"attendance": "9"},
        NOT_FOUND,
    ),
    "training:visits": ("get", lambda w: (_t(w), "/training/outreach/visits/")[1], None, (200,)),
    "training:visit_create": (
        "get",
        lambda w: (_t(w), f"/training/outreach/visits/new/?enterprise={w.unit.pk}")[1],
        None,
        NOT_FOUND,
    ),
    "training:visit": (
        "get",
        lambda w: f"/training/outreach/visits/{_t(w).visit.pk}/",
        None,
        NOT_FOUND,
    ),
    "training:visit_advance": (
        "post",
        lambda w: f"/training/outreach/visits/{_t(w).visit.pk}/advance/",
        {"to": "forum"},
        NOT_FOUND,
    ),
    "training:problem_raise": (
        "post",
        lambda w: f"/training/outreach/visits/{_t(w).visit.pk}/problems/new/",
        {"text": "越权", "assignee": "{hd_grass}", "days": "10"},
        NOT_FOUND,
    ),
    "training:problems": (
        "get",
        lambda w: (_t(w), "/training/outreach/problems/")[1],
        None,
        (200,),
    ),
    "training:problem": (
        "get",
        lambda w: f"/training/outreach/problems/{_t(w).problem.pk}/",
        None,
        NOT_FOUND,
    ),
    "training:problem_answer": (
        "post",
        lambda w: f"/training/outreach/problems/{_t(w).problem.pk}/answer/",
        {"answer": "越权"},
        NOT_FOUND,
    ),
    "training:problem_close": (
        "post",
        lambda w: f"/training/outreach/problems/{_t(w).problem.pk}/close/",
        {"told_how": "越权"},
        NOT_FOUND,
    ),
    "training:problem_assign": (
        "post",
        lambda w: f"/training/outreach/problems/{_t(w).problem.pk}/assign/",
        {"assignee": "{cy}", "days": "5"},
        NOT_FOUND,
    ),
    "training:alliances": (
        "get",
        lambda w: (_t(w), "/training/outreach/alliances/")[1],
        None,
        (200,),
    ),
    "training:alliance_create": (
        "post",
        lambda w: (_t(w), "/training/outreach/alliances/new/")[1],
        {"org_unit": "{haidian}", "kind": "model_workers", "name": "越权联盟"},
        (200,),
    ),
    "training:alliance": (
        "get",
        lambda w: f"/training/outreach/alliances/{_t(w).alliance.pk}/",
        None,
        NOT_FOUND,
    ),
    "training:alliance_edit": (
        "post",
        lambda w: f"/training/outreach/alliances/{_t(w).alliance.pk}/edit/",
        {"name": "改"},
        NOT_FOUND,
    ),
    "training:alliance_member_add": (
        "post",
        lambda w: f"/training/outreach/alliances/{_t(w).alliance.pk}/members/",
        {"member": "{person}"},
        NOT_FOUND,
    ),
    "training:alliance_member_remove": (
        "post",
        lambda w: f"/training/outreach/alliance-members/{_t(w).alliance_member.pk}/remove/",
        {},
        NOT_FOUND,
    ),
    # quizzes
    "training:questions": ("get", lambda w: (_t(w), "/training/questions/")[1], None, (200,)),
    "training:question_create": (
        "post",
        lambda w: (_t(w), "/training/questions/new/")[1],
        {
            "org_unit": "{haidian}",
            "kind": "true_false",
            "text": "越权题",
            "options": "正确\n错误",
            "answer": "A",
        },
        (200,),
    ),
    "training:question_edit": (
        "post",
        lambda w: f"/training/questions/{_t(w).question.pk}/edit/",
        {"kind": "true_false", "text": "改", "options": "正确\n错误", "answer": "B"},
        NOT_FOUND,
    ),
    "training:question_deactivate": (
        "post",
        lambda w: f"/training/questions/{_t(w).question.pk}/deactivate/",
        {},
        NOT_FOUND,
    ),
    "training:quizzes": ("get", lambda w: (_t(w), "/training/quizzes/")[1], None, (200,)),
    "training:quiz_create": (
        "post",
        lambda w: (_t(w), "/training/quizzes/new/")[1],
        {
            "session": "{hd_session}",
            "title": "越权",
            "time_limit": "60",
            "questions": "{hd_question}",
        },
        (200,),
    ),
    "training:quiz": ("get", lambda w: f"/training/quizzes/{_t(w).quiz.pk}/", None, NOT_FOUND),
    "training:quiz_open": (
        "post",
        lambda w: f"/training/quizzes/{_t(w).quiz.pk}/open/",
        {},
        NOT_FOUND,
    ),
    "training:quiz_close": (
        "post",
        lambda w: f"/training/quizzes/{_t(w).quiz.pk}/close/",
        {},
        NOT_FOUND,
    ),
    "training:quiz_qr": (
        "get",
        lambda w: f"/training/quizzes/{_t(w).quiz.pk}/qr/",
        None,
        NOT_FOUND,
    ),
    "training:quiz_screen": (
        "get",
        lambda w: f"/training/quizzes/{_t(w).quiz.pk}/screen/",
        None,
        NOT_FOUND,
    ),
    "training:quiz_frame": (
        "get",
        lambda w: f"/training/quizzes/{_t(w).quiz.pk}/screen.json",
        None,
        NOT_FOUND,
    ),
    "training:quiz_results": (
        "get",
        lambda w: f"/training/quizzes/{_t(w).quiz.pk}/results/",
        None,
        NOT_FOUND,
    ),
    # The member's answer page: a staff login has no person.
    "training:quiz_answer": (
        "get",
        lambda w: f"/m/training/quiz/{_t(w).quiz.pk}/",
        None,
        NOT_FOUND,
    ),
    # studios
    "training:studios": ("get", lambda w: (_t(w), "/training/studios/")[1], None, (200,)),
    "training:studios_export": (
        "get",
        lambda w: (_t(w), "/training/studios/export.xlsx")[1],
        None,
        (200,),
    ),
    "training:studio_create": (
        "post",
        lambda w: (_t(w), "/training/studios/new/")[1],
        {"org_unit": "{haidian}", "name": "越权工作室", "kind": "worker", "level": "district"},
        (200,),
    ),
    "training:studio_alliance": (
        "get",
        lambda w: (_t(w), "/training/studios/alliance/")[1],
        None,
        (200,),
    ),
    "training:studio_alliance_export": (
        "get",
        lambda w: (_t(w), "/training/studios/alliance/export.xlsx")[1],
        None,
        (200,),
    ),
    "training:studio_reports": (
        "get",
        lambda w: (_t(w), "/training/studios/reports/")[1],
        None,
        (200,),
    ),
    "training:studio": (
        "get",
        lambda w: f"/training/studios/{_t(w).studio.pk}/",
        None,
        NOT_FOUND,
    ),
    "training:studio_edit": (
        "post",
        lambda w: f"/training/studios/{_t(w).studio.pk}/edit/",
        {"name": "改", "kind": "worker", "level": "district"},
        NOT_FOUND,
    ),
    "training:studio_accept": (
        "post",
        lambda w: f"/training/studios/{_t(w).studio.pk}/accept/",
        {"level": "district", "kind": "craftsman"},
        NOT_FOUND,
    ),
    "training:studio_decline": (
        "post",
        lambda w: f"/training/studios/{_t(w).studio.pk}/decline/",
        {"reason": "越权"},
        NOT_FOUND,
    ),
    "training:studio_member_add": (
        "post",
        lambda w: f"/training/studios/{_t(w).studio.pk}/members/",
        {"person": "{person}", "role": "member"},
        NOT_FOUND,
    ),
    "training:studio_member_remove": (
        "post",
        lambda w: f"/training/studios/members/{_t(w).studio_member.pk}/remove/",
        {},
        NOT_FOUND,
    ),
    "training:studio_report_create": (
        "post",
        lambda w: f"/training/studios/{_t(w).studio.pk}/reports/new/",
        {"year": "2025", "innovations": "1"},
        NOT_FOUND,
    ),
    "training:studio_report": (
        "get",
        lambda w: f"/training/studios/reports/{_t(w).report.pk}/",
        None,
        NOT_FOUND,
    ),
    "training:studio_report_edit": (
        "post",
        lambda w: f"/training/studios/reports/{_t(w).report.pk}/edit/",
        {"innovations": "9"},
        NOT_FOUND,
    ),
    "training:studio_report_review": (
        "post",
        lambda w: f"/training/studios/reports/{_t(w).report.pk}/review/",
        {"decision": "approve"},
        NOT_FOUND,
    ),
    "training:studio_report_evidence": (
        "get",
        lambda w: f"/training/studios/reports/{_t(w).report.pk}/evidence/{_t(w).evidence.pk}/",
        None,
        NOT_FOUND,
    ),
    "training:alliance_activity_add": (
        "post",
        lambda w: f"/training/outreach/alliances/{_t(w).alliance.pk}/activities/new/",
        {"on": "2026-01-05", "title": "越权", "participants": "3"},
        NOT_FOUND,
    ),
}


def _haidian_untouched(w):
    w.tree.hd_street.refresh_from_db()
    w.person.refresh_from_db()
    assert w.tree.hd_street.name == "中关村街道总工会"
    assert w.tree.hd_street.parent_id == w.tree.haidian.pk
    assert w.person.name == "钱学"
    assert not OrgUnit.objects.filter(code__in=["X1", "X2"]).exists()
    assert not Unit.objects.filter(name="越权单位").exists()
    assert Unit.objects.get(pk=w.unit.pk).org_unit_id == w.tree.hd_grass.pk
    w.award.refresh_from_db()
    w.merge.refresh_from_db()
    assert w.award.status == "active" and w.merge.reversed_at is None
    assert w.person.awards.count() == 1
    w.nomination.refresh_from_db()
    w.objection.refresh_from_db()
    assert (w.nomination.state, w.nomination.clearances) == ("first_notice", {})
    assert (w.objection.status, w.nomination.objections.count()) == ("received", 1)
    assert w.campaign.nominations.count() == 1  # no one nominated or put in 钱学's place
    w.transfer.refresh_from_db()
    assert w.transfer.status == "pending" and w.person.org_unit_id == w.tree.hd_grass.pk
    assert not CalendarYear.objects.filter(year=2030).exists()
    w.card.refresh_from_db()
    w.giveaway.refresh_from_db()
    assert (w.card.status, w.giveaway.status, w.giveaway.taken) == ("active", "published", 1)
    assert w.giveaway.claims.get().status == "won"
    assert not w.merchant.locations.exclude(pk=w.location.pk).exists()
    assert not w.merchant.staff.exists() and w.merchant.offers.count() == 1
    w.hd_token.refresh_from_db()
    assert w.hd_token.revoked_at is None
    # No export of Haidian's lists was queued (the registry's export is of one's own scope).
    assert not Job.objects.filter(kind__in=("perks.winners", "nominations.final_list")).exists()
    # Haidian's contest: not a row of any contests table changed, no event in its stream,
    # no award made; and no programme or competition was set up under Haidian.
    if w.contests is not None:
        assert _contests_state(w) == w.contests.before
    # Haidian's funds: not a row of any funds table changed, no event in their streams.
    if w.funds is not None:
        assert _funds_state(w) == w.funds.before
    # Haidian's training: not a row of any training table changed.
    if w.training is not None:
        assert _training_state(w) == w.training.before


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(WEB_DENY))
def test_web_route_denies_other_district(client, world, route):
    method, url, body, statuses = WEB_DENY[route]
    client.login(username="cy_staff", password=PASSWORD)
    # The URL is the route's own (a mistyped one would answer 404 too).
    assert resolve(urlsplit(url(world)).path).view_name == route
    response = getattr(client, method)(url(world), _fill(body, world) if body else None)
    assert response.status_code in statuses, (route, response.status_code)
    text = _text(response)
    assert "钱学" not in text and "110108198001010015" not in text
    assert "中关村街道" not in text and CONTEST not in text and FUNDS_HD not in text
    assert TRAINING_HD not in text
    _haidian_untouched(world)


@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(API_DENY))
def test_api_operation_denies_other_district(
    client, world, operation, django_capture_on_commit_callbacks
):
    method, path = operation
    url, body, statuses = API_DENY[operation]
    client.login(username="cy_staff", password=PASSWORD)
    # The URL is the operation's own (a mistyped one would answer 404 too).
    pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "/?"
    assert re.fullmatch(pattern, urlsplit(url(world)).path), (path, url(world))
    if body == "file":
        data = f"组织编码,组织名称,级别,上级编码\nX3,越权,街乡镇总工会,{world.tree.haidian.code}\n"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url(world), {"file": SimpleUploadedFile("t.csv", data.encode())})
        assert response.status_code in statuses
        # The job runs (immediately in tests) and rejects the row: Haidian is out of scope.
        job = Job.objects.get(pk=response.json()["id"])
        assert job.status == Job.Status.FAILED
        assert "不在您的管理范围内" in json.dumps(job.errors, ensure_ascii=False)
        assert not OrgUnit.objects.filter(code="X3").exists()
        return
    if body == "nomination form":
        parts = {
            "person_id": world.person.pk,
            "file": SimpleUploadedFile("推荐表.pdf", b"%PDF-1.4\n"),
        }
        if url(world).endswith("/replace"):
            parts["reason"] = "越权"
        response = client.post(url(world), parts)
    elif body == "award document":
        parts = {"file": SimpleUploadedFile("证书.pdf", b"%PDF-1.4\n")}
        if "/people/" in url(world):
            parts |= {"honour_id": _fill("{craftsman}", world), "year": 2020}
        response = client.post(url(world), parts)
        assert not Attachment.objects.filter(name="证书.pdf").exists()
    else:
        payload = json.dumps(_fill(body, world)) if body else None
        response = client.generic(
            method, url(world), payload or "", content_type="application/json"
        )
    assert response.status_code in statuses, (operation, response.status_code, response.content)
    text = _text(response)
    assert "钱学" not in text and "中关村街道" not in text and "110108198001010015" not in text
    assert CONTEST not in text
    _haidian_untouched(world)


# Who opens Haidian's contest pages that are someone's own (else Haidian's staff).
CONTEST_OWNERS = {
    "contests:judge_stage": "hd_judge1",
    "contests:judge_recusal_declare": "hd_judge1",
    "contests:my_entry": "hd_entrant",
    "contests:notary_message": "hd_notary",
    ("GET", "/api/v1/contests/judge/stages/{pk}"): "hd_judge1",
}


@pytest.mark.django_db
def test_haidian_reaches_its_own_contest(client, world):
    """The pass side of every contests deny case that reads: Haidian's staff (or the judge,
    the entrant, the notary) open it, so each 404 above is the scope's answer, not a record
    that is not there."""
    reads = [
        (route, url)
        for route, (method, url, _, statuses) in WEB_DENY.items()
        if route.startswith("contests:") and method == "get" and statuses == NOT_FOUND
    ] + [
        (op, url)
        for op, (url, _, statuses) in API_DENY.items()
        if op[0] == "GET" and "/contests/" in op[1] and statuses == NOT_FOUND
    ]
    assert len(reads) > 20
    for route, url in reads:
        client.login(username=CONTEST_OWNERS.get(route, "hd_staff"), password=PASSWORD)
        response = client.get(url(world))
        assert response.status_code == 200, (route, response.status_code)
    client.login(username="hd_staff", password=PASSWORD)
    assert "钱学" in client.get("/contests/talent/?q=钱").content.decode()
    assert CONTEST in client.get("/contests/?q=精工").content.decode()
    client.login(username="hd_notary", password=PASSWORD)
    assert CONTEST in client.get("/notary/").content.decode()
    client.login(username="hd_judge1", password=PASSWORD)
    assert CONTEST in client.get("/judge/").content.decode()
    client.login(username="hd_entrant", password=PASSWORD)
    assert CONTEST in client.get("/m/contests/").content.decode()


@pytest.mark.django_db
def test_haidian_reaches_its_own_funds(client, world, settings, tmp_path):
    """The pass side of every funds deny case that reads: Haidian's staff open it, so each
    404 above is the scope's answer, not a record that is not there (the member's own pages
    are the applicant's: tested in tests/funds)."""
    reads = [
        (route, url)
        for route, (method, url, _, statuses) in WEB_DENY.items()
        if route.startswith("funds:")
        and not route.startswith("funds:my_")
        and method == "get"
        and statuses == NOT_FOUND
    ]
    assert len(reads) >= 6
    client.login(username="hd_staff", password=PASSWORD)
    for route, url in reads:
        if route == "funds:batch_file":
            continue  # the world's batch was never exported: no file of it to fetch
        response = client.get(url(world))
        assert response.status_code == 200, (route, response.status_code)
    assert FUNDS_HD in client.get("/funds/dashboard/").content.decode()
    assert "钱学" in client.get("/funds/exceptions/").content.decode()


@pytest.mark.django_db
def test_contests_public_pages_show_only_the_public_board(client, world):
    """The public routes of Haidian's contest (PUBLIC_ROUTES, PUBLIC_API), as anyone: the
    board shows its revealed results (entrants' numbers, names, employers: public by
    design) and nothing of the registry (no ID number, no union of the person); the
    registration page shows no entrant; the verifier is code only."""
    c = _contests(world)
    pk = c.competition.pk
    for url in (
        f"/live/{pk}/",
        f"/live/{pk}/overlay/",
        f"/live/{pk}/board.json",
        f"/api/v1/contests/competitions/{pk}/board",
    ):
        response = client.get(url)
        text = _text(response)
        assert response.status_code == 200, url
        assert CONTEST in text  # the board itself is there ...
        assert "110108198001010015" not in text and "中关村街道" not in text  # ... no more
    for url in (f"/contests/c/{pk}/join/", f"/contests/c/{pk}/join/done/?t=forged"):
        text = _text(client.get(url))
        assert "钱学" not in text and "海淀选手乙" not in text and "110108198001010015" not in text
    verifier = _text(client.get("/contests/verify_contest.py"))
    assert CONTEST not in verifier and "钱学" not in verifier
    # A staff login changes nothing there: the public board is the same for Chaoyang.
    client.login(username="cy_staff", password=PASSWORD)
    assert (
        client.get(f"/live/{pk}/board.json").content
        == Client().get(f"/live/{pk}/board.json").content
    )
    _haidian_untouched(world)


@pytest.mark.django_db
def test_a_juror_pass_reaches_its_own_programme_only(client, world):
    """A public juror of a Chaoyang programme, with a valid pass: their voting page lists
    nothing of Haidian's, and their vote on Haidian's open stage is refused (page and API),
    nothing written. Haidian's own juror votes there (the stage does take votes)."""
    c = _contests(world)
    programme = programme_create(
        actor=world.users.cy,
        org_unit=world.tree.chaoyang,
        name="朝阳精工杯",
        year=2026,
        kind="contest",
    )
    now = timezone.now()
    competition_create(
        actor=world.users.cy,
        programme=programme,
        trade=c.competition.trade,
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=now + timedelta(days=1),
    )
    cy_juror = juror_register(
        actor=world.users.cy, programme=programme, name="朝阳大众评委", id_number=VALID_IDS[1]
    )
    token = juror_seat(actor=world.users.cy, juror=cy_juror)
    page = client.get(vote_url(token))
    assert page.status_code == 200
    assert CONTEST not in _text(page) and "钱学" not in _text(page)
    vote = {"stage": c.review.pk, "entrant": c.entrant.pk, "value": "80", "key": "chaoyang-v-1"}
    response = client.post(
        "/api/v1/contests/votes",
        json.dumps(vote),
        content_type="application/json",
        headers={juror_passes.HEADER: token},
    )
    assert response.status_code == 404, response.content
    assert CONTEST not in _text(response) and "钱学" not in _text(response)
    response = client.post(vote_url(token), vote | {"key": "chaoyang-v-2"})
    assert response.status_code in (302, 404)
    _haidian_untouched(world)
    response = client.post(
        "/api/v1/contests/votes",
        json.dumps(vote | {"key": "haidian-v-1"}),
        content_type="application/json",
        headers={juror_passes.HEADER: c.juror_token},
    )
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_user_without_post_sees_nothing(client, world):
    client.login(username="nopost", password=PASSWORD)
    assert client.get("/orgs/").context["page"].paginator.count == 0
    assert client.get(f"/orgs/{world.tree.city.pk}/").status_code == 404
    assert client.get("/people/").status_code == 404
    assert client.get("/api/v1/orgs/").json()["count"] == 0
    assert client.get("/api/v1/people/").json()["count"] == 0
    assert client.get(f"/api/v1/people/{world.person.pk}").status_code == 404


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_or_refused(client, world):
    assert client.get("/orgs/")["Location"].startswith("/login/")
    assert client.get(f"/people/{world.person.pk}/")["Location"].startswith("/login/")
    assert client.get("/api/v1/orgs/").status_code == 401
    assert client.get("/api/v1/orgs/").json()["code"] == "unauthorized"


@pytest.mark.django_db
def test_several_posts_give_the_union_of_scopes(client, world):
    Post.objects.create(
        user=world.users.cy,
        org_unit=world.tree.hd_street,
        role=Role.objects.get(code="street_staff"),
    )
    client.login(username="cy_staff", password=PASSWORD)
    assert client.get(f"/people/{world.person.pk}/").status_code == 200
    assert client.get(f"/orgs/{world.tree.cy_grass.pk}/").status_code == 200
    assert client.get(f"/orgs/{world.tree.haidian.pk}/").status_code == 404  # above the post


@pytest.mark.django_db
def test_own_district_is_reachable(client, world):
    """The pass side: the same routes work inside one's own subtree."""
    client.login(username="hd_staff", password=PASSWORD)
    assert client.get(f"/people/{world.person.pk}/").status_code == 200
    assert client.get(f"/files/{world.attachment.pk}/").status_code == 200
    assert client.get(f"/jobs/{world.job.pk}/").status_code == 200
    assert client.get(f"/api/v1/orgs/{world.tree.haidian.pk}").status_code == 200
    response = client.post(f"/orgs/{world.tree.hd_street.pk}/edit/", {"name": "中关村街道工会"})
    assert response.status_code == 302
    world.tree.hd_street.refresh_from_db()
    assert world.tree.hd_street.name == "中关村街道工会"


@pytest.mark.django_db
def test_admin_is_read_only_and_city_admins_only(client, world):
    client.login(username="cy_staff", password=PASSWORD)
    assert client.get("/admin/").status_code == 302  # to the admin login: not allowed
    # The configuration tables are the system administrator's (三权分立), not city_admin's.
    make_user("sys_admin_t", world.tree.city, "sys_admin")
    client.login(username="admin_t", password=PASSWORD)
    assert client.get("/admin/orgs/orgunit/").status_code == 403
    client.login(username="sys_admin_t", password=PASSWORD)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/orgs/orgunit/").status_code == 200
    assert client.get("/admin/people/person/").status_code == 403  # no personal data
    change = client.post(f"/admin/orgs/orgunit/{world.tree.haidian.pk}/change/", {"name": "改"})
    assert change.status_code == 403
    assert client.get("/admin/orgs/orgunit/add/").status_code == 403


def _web_routes(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in ("admin", "api") or "api" in str(entry.pattern):
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _web_routes(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_route_and_operation_has_a_deny_test():
    """A new page or API operation without a deny case here fails the suite."""
    routes = set(_web_routes())
    missing_web = routes - set(WEB_DENY) - set(PUBLIC_ROUTES)
    assert not missing_web, f"web routes without a deny test: {sorted(missing_web)}"
    schema = api.get_openapi_schema()
    operations = {
        (method.upper(), "/api/v1" + path.removeprefix("/api/v1"))
        for path, item in schema["paths"].items()
        for method in item
    }
    missing_api = operations - set(API_DENY) - set(PUBLIC_API)
    assert not missing_api, f"API operations without a deny test: {sorted(missing_api)}"
    assert not (set(API_DENY) | set(PUBLIC_API)) - operations, (
        "cases for operations that no longer exist"
    )
