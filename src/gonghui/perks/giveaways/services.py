"""Every write of a giveaway but the claim itself (``claims.py``) and the pickup at the
venue (``perks/counter``): set-up, the lottery's commit / freeze / draw, cancellation and
the waitlist, releasing no-shows, the venue's list, and sealing the claims into the
giveaway's audit stream.

Each runs in one transaction with its audit events in the giveaway's own stream
(``giveaway:<id>``)."""

from __future__ import annotations

from datetime import datetime
from itertools import islice

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record, seal
from gonghui.common import crypto
from gonghui.common.errors import Conflict, NotFound, ValidationFailed
from gonghui.common.formats import cn_datetime
from gonghui.common.schemas import FIRST_YEAR, LAST_YEAR
from gonghui.jobs.services import export_start
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.perks import tasks
from gonghui.perks.giveaways import claims, draw, exports, hints, selectors
from gonghui.perks.giveaways.selectors import NO_CARD, card_held
from gonghui.perks.models import Claim, Giveaway, Hit, Location, Message

SEAL_BATCH = 1000
SEED_CONTEXT = "perks.giveaway.seed"
OPEN = (Claim.Status.WON, Claim.Status.WAITING, Claim.Status.REGISTERED)
# Far more than any giveaway hands out, and far below the integer columns' limit (taken + a
# quantity, and a lottery's waitlist places after the stock, are counted in SQL).
STOCK_MAX = 1_000_000


def _manage(actor, giveaway: Giveaway):
    return access.require_at(actor, "perks.manage", giveaway.org_unit, view_perm="perks.view")


def _locked(giveaway: Giveaway) -> Giveaway:
    """The giveaway's row, locked for this transaction and read afresh: every transition
    decides on the status it locked, so a double click or two staff at once cannot publish
    twice (two seeds), draw twice (new codes) or cancel a drawn giveaway. (Claims wait on
    this lock only for the few milliseconds a transition takes.)"""
    return Giveaway.objects.select_for_update().select_related("org_unit").get(pk=giveaway.pk)


def _event(
    actor,
    giveaway: Giveaway,
    *,
    action: str,
    changes: dict | None = None,
    obj=None,
    post_id: int | None = None,
):
    """An event in the giveaway's own stream (about the giveaway, or ``obj``: a claim)."""
    record(
        actor=actor,
        action=action,
        obj=obj or giveaway,
        org_unit_id=giveaway.org_unit_id,
        changes=changes,
        post_id=post_id,
        stream=giveaway.stream,
    )


# --- Set-up ------------------------------------------------------------------------------


def giveaway_create(
    *,
    actor,
    org_unit: OrgUnit,
    title: str,
    item: str,
    mode: str,
    stock: int,
    opens_at: datetime,
    closes_at: datetime,
    pickup_from: datetime,
    pickup_until: datetime,
    pickup_location: Location,
    per_member: int = 1,
    description: str = "",
    pickup_note: str = "",
    public_value_source: str = "",
) -> Giveaway:
    access.require_at(actor, "perks.manage", org_unit, view_perm="perks.view")
    errors = {}
    if not title.strip():
        errors["title"] = "请填写活动名称"
    if not item.strip():
        errors["item"] = "请填写物品"
    if mode not in Giveaway.Mode.values:
        errors["mode"] = "请选择先到先得或登记摇号"
    if not isinstance(stock, int) or not 1 <= stock <= STOCK_MAX:
        errors["stock"] = f"数量应为 1–{STOCK_MAX} 的整数"
    if not isinstance(per_member, int) or not 1 <= per_member <= 10:
        errors["per_member"] = "每人限领 1–10 份"
    elif mode == Giveaway.Mode.LOTTERY and per_member != 1:
        errors["per_member"] = "摇号活动每人登记 1 份"
    if closes_at <= opens_at:
        errors["closes_at"] = "截止时间应晚于开始时间"
    if pickup_until <= pickup_from:
        errors["pickup_until"] = "领取截止应晚于领取开始"
    elif mode == Giveaway.Mode.LOTTERY and pickup_from < closes_at:
        errors["pickup_from"] = "摇号活动的领取应在登记截止之后"
    elif pickup_from < opens_at:
        errors["pickup_from"] = "领取开始应不早于活动开始"
    elif mode == Giveaway.Mode.FCFS and pickup_until <= closes_at:
        errors["pickup_until"] = "领取截止应晚于活动截止"
    errors.update(
        _outside_the_years(
            {
                "opens_at": opens_at,
                "closes_at": closes_at,
                "pickup_from": pickup_from,
                "pickup_until": pickup_until,
            }
        )
    )
    if public_value_source and mode != Giveaway.Mode.LOTTERY:
        errors["public_value_source"] = "只有摇号活动使用公开随机数"
    if not access.can_at(actor, "perks.manage", pickup_location.merchant.org_unit):
        errors["pickup_location"] = "领取地点须为本级或下级工会签约商户的门店"
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        giveaway = Giveaway.objects.create(
            org_unit=org_unit,
            title=title.strip(),
            item=item.strip(),
            description=description.strip(),
            mode=mode,
            stock=stock,
            per_member=per_member,
            opens_at=opens_at,
            closes_at=closes_at,
            pickup_from=pickup_from,
            pickup_until=pickup_until,
            pickup_location=pickup_location,
            pickup_note=pickup_note.strip(),
            public_value_source=public_value_source.strip(),
            created_by=actor,
        )
        _event(
            actor,
            giveaway,
            action=Action.PERKS_GIVEAWAY_CREATE,
            changes={"title": [None, giveaway.title], "mode": [None, mode], "stock": [None, stock]},
        )
    return giveaway


def giveaway_publish(*, actor, giveaway: Giveaway) -> Giveaway:
    """Draft → published. A lottery's seed is drawn now and only its SHA-256 published: it
    must be committed before registration opens, or nobody could trust the draw."""
    _manage(actor, giveaway)
    with transaction.atomic():
        giveaway = _locked(giveaway)
        if giveaway.status != Giveaway.Status.DRAFT:
            raise Conflict(f"活动当前为“{giveaway.get_status_display()}”，不能发布")
        if giveaway.mode == Giveaway.Mode.LOTTERY and timezone.now() >= giveaway.opens_at:
            raise Conflict("摇号活动须在登记开始前发布（种子承诺须先于登记公布），请调整时间")
        changes = {"status": ["draft", "published"]}
        if giveaway.mode == Giveaway.Mode.LOTTERY:
            seed = draw.new_seed()
            giveaway.seed_sealed = crypto.encrypt(seed, context=SEED_CONTEXT)
            giveaway.commitment = draw.commitment(seed)
            changes["commitment"] = [None, giveaway.commitment]
        giveaway.status = Giveaway.Status.PUBLISHED
        giveaway.save(update_fields=["status", "seed_sealed", "commitment"])
        _event(actor, giveaway, action=Action.PERKS_GIVEAWAY_PUBLISH, changes=changes)
    claims.forget(giveaway.pk)
    return giveaway


def giveaway_cancel(*, actor, giveaway: Giveaway, reason: str) -> Giveaway:
    """Call a giveaway off: every open claim (held, waiting, registered) is cancelled, so no
    code is accepted at the venue and nobody is promoted; items already picked up stay."""
    _manage(actor, giveaway)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": "请说明取消原因"})
    with transaction.atomic():
        giveaway = _locked(giveaway)
        if giveaway.status in (Giveaway.Status.CANCELLED, Giveaway.Status.DRAWN):
            raise Conflict(f"活动当前为“{giveaway.get_status_display()}”，不能取消")
        before = giveaway.status
        open_claims = giveaway.claims.filter(status__in=OPEN)
        people = list(open_claims.values_list("person_id", flat=True))
        closed = open_claims.update(status=Claim.Status.CANCELLED, closed_at=timezone.now())
        giveaway.status = Giveaway.Status.CANCELLED
        giveaway.save(update_fields=["status"])
        _notify(people, f"“{giveaway.title}”已取消：{reason}")
        _event(
            actor,
            giveaway,
            action=Action.PERKS_GIVEAWAY_CANCEL,
            changes={
                "status": [before, "cancelled"],
                "reason": [None, reason],
                "claims_cancelled": [None, closed],
            },
        )
    claims.forget(giveaway.pk)
    return giveaway


# --- The lottery ---------------------------------------------------------------------------


def giveaway_freeze(*, actor, giveaway: Giveaway) -> Giveaway:
    """Registration closed: the list of receipts is frozen and its hash published."""
    _manage(actor, giveaway)
    with transaction.atomic():
        # The row lock first: on PostgreSQL it waits for registrations holding the row's
        # share lock, and later ones see "frozen" and are refused.
        giveaway = _locked(giveaway)
        if giveaway.mode != Giveaway.Mode.LOTTERY or giveaway.status != Giveaway.Status.PUBLISHED:
            raise Conflict("只有已发布的摇号活动可以冻结登记名单")
        now = timezone.now()
        if now < giveaway.closes_at:
            raise Conflict(f"登记尚未截止（{cn_datetime(giveaway.closes_at)}截止）")
        receipts = giveaway.claims.filter(status=Claim.Status.REGISTERED).values_list(
            "receipt", flat=True
        )
        giveaway.receipts_hash = draw.list_hash(receipts)
        giveaway.frozen_at = now
        giveaway.status = Giveaway.Status.FROZEN
        giveaway.save(update_fields=["receipts_hash", "frozen_at", "status"])
        _event(
            actor,
            giveaway,
            action=Action.PERKS_GIVEAWAY_FREEZE,
            changes={
                "status": ["published", "frozen"],
                "receipts_hash": [None, giveaway.receipts_hash],
            },
        )
    claims.forget(giveaway.pk)
    return giveaway


def giveaway_draw(*, actor, giveaway: Giveaway, public_value: str = "") -> draw.Draw:
    """Reveal the seed and rank every registration: the first ``stock`` win (each gets a
    pickup code), the rest form the waitlist in order. Anyone can recompute it from the
    published document (``selectors.draw_document``) with ``draw.py``."""
    _manage(actor, giveaway)
    public_value = public_value.strip()
    with transaction.atomic():
        giveaway = _locked(giveaway)
        if giveaway.status != Giveaway.Status.FROZEN:
            raise Conflict("登记名单冻结后才能摇号")
        if giveaway.public_value_source and not public_value:
            raise ValidationFailed(
                {"public_value": f"请填写公开随机数（{giveaway.public_value_source}）"}
            )
        if public_value and not giveaway.public_value_source:
            raise ValidationFailed(
                {"public_value": "设立活动时未公布公开随机数来源，摇号不能使用公开随机数"}
            )
        seed = crypto.decrypt(giveaway.seed_sealed, context=SEED_CONTEXT)
        rows = dict(
            giveaway.claims.filter(status=Claim.Status.REGISTERED).values_list("receipt", "id")
        )
        result = draw.draw(seed, rows, giveaway.stock, public_value)
        if result.list_hash != giveaway.receipts_hash:
            raise Conflict("登记名单与冻结时不一致，已停止摇号，请联系系统管理员")
        now = timezone.now()
        _write_places(
            [
                (rows[receipt], "won", place, claims.pickup_code(), now)
                for place, receipt in enumerate(result.winners, start=1)
            ]
        )
        giveaway.seed, giveaway.public_value, giveaway.drawn_at = seed, public_value, now
        giveaway.taken = len(result.winners)
        giveaway.status = Giveaway.Status.DRAWN
        giveaway.save(update_fields=["seed", "public_value", "drawn_at", "taken", "status"])
        _notify_winners(giveaway, result.winners, rows)
        _event(
            actor,
            giveaway,
            action=Action.PERKS_GIVEAWAY_DRAW,
            changes={
                "status": ["frozen", "drawn"],
                "seed": [None, seed],
                "public_value": [None, public_value],
                "combined": [None, result.combined],
                "winners": [None, len(result.winners)],
                "waitlist": [None, len(result.waitlist)],
            },
        )
        pk = giveaway.pk
        transaction.on_commit(lambda: tasks.waitlist_rank_task.enqueue(pk))
    claims.forget(giveaway.pk)
    return result


def _drawn(giveaway: Giveaway) -> draw.Draw:
    """The draw, recomputed from what was published (it is deterministic)."""
    receipts = selectors.frozen_receipts(giveaway).values_list("receipt", flat=True)
    return draw.draw(giveaway.seed, receipts, giveaway.stock, giveaway.public_value)


def waitlist_rank(*, giveaway: Giveaway) -> int:
    """After a draw, the rest of the order: every registration that did not win is put on
    the waitlist with its place. The draw itself writes only the winners (a million
    registrations rewritten took a minute on PostgreSQL here); this follow-up runs as a
    task right after, and before any promotion. Idempotent (under the giveaway's row lock):
    returns how many it placed."""
    with transaction.atomic():
        giveaway = _locked(giveaway)
        waiting = dict(
            giveaway.claims.filter(status=Claim.Status.REGISTERED).values_list("receipt", "id")
        )
        if not waiting or giveaway.drawn_at is None:
            return 0
        offset = giveaway.stock
        _write_places(
            [
                (waiting[receipt], "waiting", offset + place, None, None)
                for place, receipt in enumerate(_drawn(giveaway).waitlist, start=1)
                if receipt in waiting
            ]
        )
    return len(waiting)


def _write_places(rows: list[tuple]) -> None:
    """(claim id, status, rank, pickup code, won at) for many claims at once: on PostgreSQL
    copied into a temporary table and applied by one UPDATE … FROM; on SQLite one prepared
    UPDATE per row (executemany, in process). The ORM's bulk_update builds a CASE per batch."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMPORARY TABLE perks_rank (id bigint, status varchar(10), rank integer,"
                " code varchar(10), won_at timestamptz) ON COMMIT DROP"
            )
            with cursor.cursor.copy("COPY perks_rank FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                "UPDATE perks_claim c SET status = r.status, rank = r.rank, code = r.code,"
                " won_at = r.won_at FROM perks_rank r WHERE c.id = r.id"
            )
            cursor.execute("DROP TABLE perks_rank")
        else:
            cursor.executemany(
                "UPDATE perks_claim SET status = %s, rank = %s, code = %s, won_at = %s"
                " WHERE id = %s",
                [
                    (status, rank, code, connection.ops.adapt_datetimefield_value(won), pk)
                    for pk, status, rank, code, won in rows
                ],
            )


def _notify(person_ids, text: str) -> None:
    Message.objects.bulk_create([Message(person_id=p, text=text) for p in person_ids], 2000)


def _notify_winners(giveaway: Giveaway, winners: list[str], ids: dict[str, int]) -> None:
    people = Claim.objects.filter(pk__in=[ids[r] for r in winners]).values_list(
        "person_id", flat=True
    )
    _notify(people.iterator(), f"恭喜中签：“{giveaway.title}”，请在“我的领取”查看领取码并按时领取")


# --- Members: cancel, waitlist -------------------------------------------------------------


def claim_cancel(*, person_id: int, claim_id: int) -> Claim:
    """The member gives their claim back (before the pickup window) or leaves the waitlist
    or withdraws a registration (before registration closes); a returned item goes to the
    first on the waitlist, who is told in the app. The giveaway's row is locked first, then
    the claim's (the order every writer here takes, so two cancels cannot deadlock)."""
    found = Claim.objects.filter(pk=claim_id, person_id=person_id).values_list(
        "giveaway_id", flat=True
    )
    if not found:
        raise NotFound()
    with transaction.atomic():
        giveaway = _locked(Giveaway(pk=found[0]))
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        now = timezone.now()
        if giveaway.status == Giveaway.Status.CANCELLED:
            raise Conflict("活动已取消")
        if claim.status == Claim.Status.WON:
            if now >= giveaway.pickup_from:
                raise Conflict("领取已开始，不能再取消")
        elif claim.status == Claim.Status.REGISTERED:
            if giveaway.status != Giveaway.Status.PUBLISHED or now >= giveaway.closes_at:
                raise Conflict("登记已截止，不能撤回")
        elif claim.status != Claim.Status.WAITING:
            raise Conflict(f"当前状态为“{claim.get_status_display()}”，不能取消")
        held = claim.status == Claim.Status.WON
        before = claim.status
        Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.CANCELLED, closed_at=now)
        claim.status = Claim.Status.CANCELLED
        _event(
            None,
            giveaway,
            action=Action.PERKS_CLAIM_CANCEL,
            obj=claim,
            changes={"status": [before, "cancelled"]},
        )
        if held:
            Giveaway.objects.filter(pk=giveaway.pk).update(taken=F("taken") - claim.quantity)
            _promote(giveaway, now)
    if held:
        hints.items_returned(giveaway.pk)
    return claim


def _promote(giveaway: Giveaway, now: datetime) -> int:
    """Give free items to the first on the waitlist, while stock allows; returns how many.
    A member whose card is no longer in use (cancelled, suspended, moved out of the
    giveaway's unions since they joined) is skipped: their place is cancelled, with the
    reason, and they are told."""
    waitlist_rank(giveaway=giveaway)  # a lottery's order, if its task has not run yet
    promoted = 0
    waiting = (
        giveaway.claims.filter(status=Claim.Status.WAITING)
        .annotate(card_held=card_held(giveaway))
        .order_by(F("rank").asc(nulls_last=True), "id")
    )
    for claim in waiting.iterator():
        if not claim.card_held:
            _skip(giveaway, claim, now)
            continue
        with connection.cursor() as cursor:
            cursor.execute(claims.TAKE_ANYTIME, [claim.quantity, giveaway.pk, claim.quantity])
            if cursor.rowcount != 1:
                break
        if not Claim.objects.filter(pk=claim.pk, status=Claim.Status.WAITING).update(
            status=Claim.Status.WON, code=claims.pickup_code(), won_at=now
        ):  # left the waitlist meanwhile: the item stays free
            Giveaway.objects.filter(pk=giveaway.pk).update(taken=F("taken") - claim.quantity)
            continue
        Message.objects.create(
            person_id=claim.person_id,
            text=f"候补成功：“{giveaway.title}”已为您保留，请在“我的领取”查看领取码，"
            f"{cn_datetime(giveaway.pickup_until)}前领取",
        )
        _event(
            None,
            giveaway,
            action=Action.PERKS_CLAIM_PROMOTE,
            obj=claim,
            changes={"status": ["waiting", "won"]},
        )
        promoted += 1
    return promoted


def _skip(giveaway: Giveaway, claim: Claim, now: datetime) -> None:
    if not Claim.objects.filter(pk=claim.pk, status=Claim.Status.WAITING).update(
        status=Claim.Status.CANCELLED, closed_at=now
    ):  # left the waitlist meanwhile
        return
    Message.objects.create(
        person_id=claim.person_id,
        text=f"“{giveaway.title}”的候补已取消：您的{NO_CARD}，请联系所在基层工会",
    )
    _event(
        None,
        giveaway,
        action=Action.PERKS_CLAIM_SKIP,
        obj=claim,
        changes={"status": ["waiting", "cancelled"], "reason": [None, NO_CARD]},
    )


def _outside_the_years(moments: dict[str, datetime]) -> dict[str, str]:
    """Each of a giveaway's ``moments`` outside the years a record carries, with its error
    (year 1 would overflow when stored as UTC)."""
    return {
        name: f"{Giveaway._meta.get_field(name).verbose_name}应在 {FIRST_YEAR}–{LAST_YEAR} 年之间"
        for name, moment in moments.items()
        if not FIRST_YEAR <= moment.year <= LAST_YEAR
    }


def no_shows_release(*, actor, giveaway: Giveaway, pickup_until: datetime) -> int:
    """After the pickup window: items not picked up go to the waitlist, who get until
    ``pickup_until`` to pick them up. Returns how many were promoted."""
    _manage(actor, giveaway)
    with transaction.atomic():
        giveaway = _locked(giveaway)
        now = timezone.now()
        if giveaway.status == Giveaway.Status.CANCELLED:
            raise Conflict("活动已取消")
        if now < giveaway.pickup_until:
            raise Conflict(
                f"领取截止（{cn_datetime(giveaway.pickup_until)}）后才能释放逾期未领的名额"
            )
        if errors := _outside_the_years({"pickup_until": pickup_until}):
            raise ValidationFailed(errors)
        if pickup_until <= now:
            raise ValidationFailed({"pickup_until": "新的领取截止时间应晚于现在"})
        # The held claims, locked: what is released is exactly what is given back (a pickup
        # at this moment either happened before, or finds its claim released).
        no_shows = dict(
            giveaway.claims.select_for_update()
            .filter(status=Claim.Status.WON)
            .values_list("pk", "quantity")
        )
        Claim.objects.filter(pk__in=list(no_shows)).update(
            status=Claim.Status.RELEASED, closed_at=now
        )
        giveaway.taken -= sum(no_shows.values())
        giveaway.pickup_until = pickup_until
        giveaway.save(update_fields=["taken", "pickup_until"])
        promoted = _promote(giveaway, now)
        _event(
            actor,
            giveaway,
            action=Action.PERKS_NO_SHOWS_RELEASE,
            changes={
                "released": [None, len(no_shows)],
                "promoted": [None, promoted],
                "pickup_until": [None, pickup_until.isoformat()],
            },
        )
    hints.items_returned(giveaway.pk)
    return promoted


def winners_export_start(*, actor, giveaway: Giveaway):
    """Queue the venue's list as a background job (a giveaway's winners grow with its
    stock): the organisers' staff only, as ``winners_export``, which the job runs."""
    access.require_at(actor, "perks.manage", giveaway.org_unit)
    return export_start(
        actor=actor,
        kind="perks.winners",
        title=f"{giveaway.title} 领取名单",
        org_unit=giveaway.org_unit,
        params={"giveaway": giveaway.pk},
        task=tasks.winners_export_task,
    )


def winners_export(*, actor, giveaway: Giveaway) -> bytes:
    """The venue's list (names, unions, live pickup codes) as Excel, for the organisers'
    staff only (others find no such list), recorded in the giveaway's stream."""
    grant = access.require_at(actor, "perks.manage", giveaway.org_unit)
    book, rows = exports.winners_xlsx(giveaway)
    _event(
        actor,
        giveaway,
        action=Action.PERKS_WINNERS_EXPORT,
        changes={"rows": [None, rows]},
        post_id=grant.post_id,
    )
    return book


# --- Sealing claims into the giveaway's stream ---------------------------------------------


def seal_rows(rows) -> list[dict]:
    """What a claim's seal covers: who (the person's id), how many, when, and the lottery
    receipt — the facts fixed at the claim's creation (``rows``: claims as ``values()``)."""
    return [
        {
            "id": c["id"],
            "person": c["person_id"],
            "quantity": c["quantity"],
            "receipt": c["receipt"],
            "created_at": c["created_at"].isoformat(),
        }
        for c in rows
    ]


def claims_seal(*, giveaway: Giveaway) -> int:
    """Seal the claims made since the last seal: one event per ``SEAL_BATCH`` claims in the
    giveaway's stream (count, id range, digest), never one per claim. The claims are read
    once, in id order, on the (giveaway, id) index; the giveaway's row is locked meanwhile,
    so two sealers never seal the same claims twice."""
    with transaction.atomic():
        through = (
            Giveaway.objects.select_for_update()
            .values_list("sealed_through", flat=True)
            .get(pk=giveaway.pk)
        )
        rows = (
            giveaway.claims.filter(pk__gt=through)
            .order_by("id")
            .values("id", "person_id", "quantity", "receipt", "created_at")
            .iterator(chunk_size=SEAL_BATCH)
        )
        sealed = 0
        while batch := list(islice(rows, SEAL_BATCH)):
            seal(stream=giveaway.stream, kind="perks.claim", rows=seal_rows(batch))
            sealed += len(batch)
            through = batch[-1]["id"]
        if sealed:
            Giveaway.objects.filter(pk=giveaway.pk).update(sealed_through=through)
    return sealed


def claims_seal_all() -> int:
    """For the worker's schedule: every giveaway with claims not yet sealed (one probe of
    the (giveaway, id) index per giveaway)."""
    newer = Claim.objects.filter(giveaway=OuterRef("pk"), pk__gt=OuterRef("sealed_through"))
    pending = Giveaway.objects.filter(Exists(newer))
    return sum(claims_seal(giveaway=g) for g in pending)


HIT_MINUTES = 60  # rate-limit rows older than this are of no use


def claims_housekeeping() -> int:
    """The worker's minute: seal new claims, drop old rate-limit counts. Returns how many
    claims were sealed."""
    sealed = claims_seal_all()
    Hit.objects.filter(minute__lt=int(timezone.now().timestamp()) // 60 - HIT_MINUTES).delete()
    return sealed
