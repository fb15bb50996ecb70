"""One person, one record (一人一档): what a merge carries from the duplicate record (the
loser) to the record kept (the survivor), and back when the merge is undone.

Every kind of row that refers to a person has a *carrier*, registered here by the app that
owns the rows (``carrier(...)``: people's and the registry's below, the member services'
and the nominations' in their apps' ``ready()``). A carrier says

- what must be resolved by staff before the merge (``blockers``: reasons in Chinese),
- how the loser's rows go to the survivor (``carry``: returns what it did, as JSON, kept
  in the merge's record),
- how they come back (``restore``, given that JSON), and what staff read of it (``notes``).

``tests/registry/test_merging.py`` lists every reference to ``Person`` in the models and
fails on one that no carrier takes and ``NOT_CARRIED`` does not explain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from gonghui.common.errors import Conflict
from gonghui.files.models import Attachment
from gonghui.people.models import Membership, Person, TransferRequest
from gonghui.people.services import meeting_point
from gonghui.registry.models import Studio


def _none(**kwargs) -> list[str]:
    return []


def _no_notes(moved: dict) -> list[str]:
    return []


@dataclass(frozen=True)
class Carrier:
    """How one kind of row follows a merge. ``fields`` names the references to Person it
    carries (``app_label.Model.field``); ``carry(survivor=, loser=, actor=)`` returns a dict
    whose ``ids`` are the rows it moved; ``restore(survivor=, loser=, actor=, moved=)``
    undoes exactly that."""

    key: str
    label: str
    fields: tuple[str, ...]
    carry: Callable[..., dict]
    restore: Callable[..., None]
    blockers: Callable[..., list[str]] = _none
    notes: Callable[[dict], list[str]] = _no_notes


CARRIERS: dict[str, Carrier] = {}

# References to Person that a merge leaves as they are, and why.
NOT_CARRIED = {
    "registry.Merge.survivor": "合并记录本身：谁并入了谁，按当时记录",
    "registry.Merge.loser": "合并记录本身：谁并入了谁，按当时记录",
    "people.SearchKey.person": "检索键由档案推导：合并后重建",
}


def carrier(**kwargs) -> Carrier:
    """Register a carrier (once per key: an app's ``ready()`` may run twice in tests)."""
    found = Carrier(**kwargs)
    CARRIERS[found.key] = found
    return found


def blockers(*, survivor: Person, loser: Person, actor) -> list[str]:
    """Everything staff must resolve before these two records can merge (empty: none)."""
    return [
        reason
        for c in CARRIERS.values()
        for reason in c.blockers(survivor=survivor, loser=loser, actor=actor)
    ]


def carry(*, survivor: Person, loser: Person, actor) -> dict:
    """Carry every kind of row; what each did, by carrier (kinds with nothing to carry are
    left out)."""
    moved = {}
    for key, c in CARRIERS.items():
        done = c.carry(survivor=survivor, loser=loser, actor=actor)
        if any(done.values()):
            moved[key] = done
    return moved


def _normal(moved: dict) -> dict[str, dict]:
    """A merge's record of what moved; merges made before carriers kept bare id lists
    (``{"awards": [..], "memberships": [..]}``)."""
    return {k: v if isinstance(v, dict) else {"ids": list(v)} for k, v in moved.items()}


def restore(*, survivor: Person, loser: Person, actor, moved: dict) -> None:
    """Undo ``carry`` (in the reverse order)."""
    moved = _normal(moved)
    for key, c in reversed(CARRIERS.items()):
        if key in moved:
            c.restore(survivor=survivor, loser=loser, actor=actor, moved=moved[key])


def counts(moved: dict) -> dict[str, int]:
    """How many rows of each kind moved (for the audit event)."""
    return {key: len(done.get("ids", [])) for key, done in _normal(moved).items()}


def summary(moved: dict) -> list[str]:
    """What a merge did, as staff read it: each kind that moved and its notes."""
    lines = []
    for key, done in _normal(moved).items():
        c = CARRIERS.get(key)
        if c is None:
            continue
        if done.get("ids"):
            lines.append(f"{c.label} {len(done['ids'])} 条")
        lines.extend(c.notes(done))
    return lines


def _ids(qs) -> list[int]:
    return sorted(qs.values_list("pk", flat=True))


def simple_carrier(*, key: str, label: str, model, field: str = "person", blockers=_none):
    """A carrier of rows that simply change hands: every row of the loser goes over, and
    the same rows go back."""

    def carry_(*, survivor, loser, actor) -> dict:
        rows = model.objects.filter(**{field: loser})
        ids = _ids(rows)
        rows.update(**{field: survivor})
        return {"ids": ids}

    def restore_(*, survivor, loser, actor, moved) -> None:
        model.objects.filter(pk__in=moved["ids"]).update(**{field: loser})

    return carrier(
        key=key,
        label=label,
        fields=(f"{model._meta.label}.{field}",),
        carry=carry_,
        restore=restore_,
        blockers=blockers,
    )


# --- People's own rows -------------------------------------------------------------------


def _carry_memberships(*, survivor, loser, actor) -> dict:
    """A member is in one union at a time: when both records are, the survivor's current
    membership stays and the loser's is recorded as ended on the merge's day (history,
    not erased); every membership of the loser goes over."""
    ended = []
    both = Membership.objects.filter(
        person__in=[survivor, loser], status=Membership.Status.ACTIVE
    ).values_list("person_id", "pk")
    active = dict(both)
    if survivor.pk in active and loser.pk in active:
        ended = [active[loser.pk]]
        Membership.objects.filter(pk__in=ended).update(
            status=Membership.Status.LEFT,
            left_on=Greatest(F("joined_on"), Value(timezone.localdate())),
        )
    rows = Membership.objects.filter(person=loser)
    ids = _ids(rows)
    rows.update(person=survivor)
    return {"ids": ids, "ended": ended}


def _restore_memberships(*, survivor, loser, actor, moved) -> None:
    """The loser's memberships come back, its current one current again. A membership
    joined on the redirect record since (before such writes were refused) would make two:
    the undo waits until one has been ended."""
    active = Membership.objects.filter(status=Membership.Status.ACTIVE)
    coming = moved.get("ended") or active.filter(pk__in=moved["ids"]).exists()
    since = active.filter(person=loser).first()
    if coming and since is not None:
        raise Conflict(
            f"被合并档案 {loser.pk} 在合并后又办理了入会（会籍 {since.pk}），"
            "与其合并前的在会会籍冲突：请先为其中一条办理离会，再撤销合并"
        )
    Membership.objects.filter(pk__in=moved["ids"]).update(person=loser)
    Membership.objects.filter(pk__in=moved.get("ended", [])).update(
        status=Membership.Status.ACTIVE, left_on=None
    )


def _membership_notes(moved: dict) -> list[str]:
    if not moved.get("ended"):
        return []
    return ["两份档案都有在会会籍：保留本档案的会籍，被合并档案的会籍记为于合并当日离会"]


carrier(
    key="memberships",
    label="会籍",
    fields=("people.Membership.person",),
    carry=_carry_memberships,
    restore=_restore_memberships,
    notes=_membership_notes,
)


def _person_files(person: Person):
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(Person), object_id=str(person.pk)
    )


def _carry_attachments(*, survivor, loser, actor) -> dict:
    """The loser's documents (ID scans, the portrait) become the survivor's, filed where the
    survivor is; the survivor takes the loser's portrait when it has none."""
    files = _person_files(loser)
    where = {str(pk): unit for pk, unit in files.values_list("pk", "org_unit_id")}
    files.update(object_id=str(survivor.pk), org_unit_id=survivor.org_unit_id)
    portrait = None
    if loser.portrait_id and not survivor.portrait_id:
        portrait = loser.portrait_id
        Person.objects.filter(pk=survivor.pk).update(portrait_id=portrait)
    return {"ids": sorted(int(pk) for pk in where), "filed_at": where, "portrait": portrait}


def _restore_attachments(*, survivor, loser, actor, moved) -> None:
    """The loser's documents come back, filed where the loser is now (a document is read
    in its own unit's scope: it goes where its holder goes, as on a move)."""
    Attachment.objects.filter(pk__in=[int(pk) for pk in moved["filed_at"]]).update(
        object_id=str(loser.pk), org_unit_id=loser.org_unit_id
    )
    if moved.get("portrait"):
        Person.objects.filter(pk=survivor.pk, portrait_id=moved["portrait"]).update(
            portrait_id=None
        )


def _attachment_notes(moved: dict) -> list[str]:
    return ["本档案没有照片：采用被合并档案的照片"] if moved.get("portrait") else []


carrier(
    key="attachments",
    label="附件（证件扫描件、照片等）",
    fields=("files.Attachment.owner",),  # a generic reference: a person's or any record's
    carry=_carry_attachments,
    restore=_restore_attachments,
    notes=_attachment_notes,
)


def _carry_account(*, survivor, loser, actor) -> dict:
    """The member's platform account goes with the record, unless the survivor has its
    own: then the loser's stays on the redirect record, and the member's pages follow the
    redirect (perks.giveaways.selectors.member_of)."""
    if not loser.user_id:
        return {}
    if survivor.user_id:
        return {"kept": loser.user_id}
    user = loser.user_id
    Person.objects.filter(pk=loser.pk).update(user=None)
    Person.objects.filter(pk=survivor.pk).update(user=user)
    return {"ids": [user]}


def _restore_account(*, survivor, loser, actor, moved) -> None:
    if moved.get("ids"):
        (user,) = moved["ids"]
        Person.objects.filter(pk=survivor.pk, user_id=user).update(user=None)
        Person.objects.filter(pk=loser.pk).update(user=user)


def _account_notes(moved: dict) -> list[str]:
    if moved.get("kept"):
        return ["两份档案各绑定了一个平台账号：本档案的账号不变，被合并档案的账号登录后看到本档案"]
    return []


carrier(
    key="account",
    label="平台账号",
    fields=("people.Person.user",),
    carry=_carry_account,
    restore=_restore_account,
    notes=_account_notes,
)


def _carry_redirects(*, survivor, loser, actor) -> dict:
    """Records merged into the loser earlier now point at the survivor: one hop always."""
    rows = Person.objects.filter(merged_into=loser)
    ids = _ids(rows)
    rows.update(merged_into=survivor)
    return {"ids": ids}


def _restore_redirects(*, survivor, loser, actor, moved) -> None:
    Person.objects.filter(pk__in=moved["ids"]).update(merged_into=loser)


carrier(
    key="redirects",
    label="早先并入的档案",
    fields=("people.Person.merged_into",),
    carry=_carry_redirects,
    restore=_restore_redirects,
)

# --- Transfer requests (申请转入) -------------------------------------------------------------


def _carry_transfer_requests(*, survivor, loser, actor) -> dict:
    """A request to move the loser's record now asks to move the record kept. Where both
    records are asked into the same union, that is one request: the survivor's stays
    pending and the loser's is closed as joined to it (as a second post asking for one
    person joins the first's request). A pending request is decided above the survivor's
    union and the one asked (``decider``), which the merge may have changed."""
    pending = TransferRequest.Status.PENDING
    theirs = dict(
        TransferRequest.objects.filter(person=survivor, status=pending).values_list(
            "to_unit_id", "pk"
        )
    )
    rows = TransferRequest.objects.filter(person=loser).select_related("to_unit", "decider")
    joined, deciders = {}, {}
    for request in rows.filter(status=pending):
        if request.to_unit_id in theirs:
            joined[str(request.pk)] = theirs[request.to_unit_id]
            continue
        decider = meeting_point(survivor.org_unit, request.to_unit)
        if decider.pk != request.decider_id:
            deciders[str(request.pk)] = request.decider_id
            TransferRequest.objects.filter(pk=request.pk).update(decider=decider)
    for pk, into in joined.items():
        TransferRequest.objects.filter(pk=int(pk)).update(
            status=TransferRequest.Status.JOINED,
            note=f"档案合并：并入同一人的转入申请 {into}",
            decided_by=actor,
            decided_at=timezone.now(),
        )
    ids = _ids(rows)
    TransferRequest.objects.filter(pk__in=ids).update(person=survivor)
    return {"ids": ids, "joined": joined, "deciders": deciders}


def _restore_transfer_requests(*, survivor, loser, actor, moved) -> None:
    """Each request goes back to the loser; one joined by the merge is pending again, and
    one still pending is decided where it was before."""
    TransferRequest.objects.filter(pk__in=moved["ids"]).update(person=loser)
    TransferRequest.objects.filter(
        pk__in=[int(pk) for pk in moved.get("joined", {})], status=TransferRequest.Status.JOINED
    ).update(status=TransferRequest.Status.PENDING, note="", decided_by=None, decided_at=None)
    for pk, decider in moved.get("deciders", {}).items():
        TransferRequest.objects.filter(pk=int(pk), status=TransferRequest.Status.PENDING).update(
            decider_id=decider
        )


def _transfer_request_notes(moved: dict) -> list[str]:
    if not moved.get("joined"):
        return []
    return [
        f"两份档案都被申请转入同一工会：被合并档案的 {len(moved['joined'])} 份申请"
        "并入本档案的申请（一并审批）"
    ]


carrier(
    key="transfer_requests",
    label="转入申请",
    fields=("people.TransferRequest.person",),
    carry=_carry_transfer_requests,
    restore=_restore_transfer_requests,
    notes=_transfer_request_notes,
)


# Innovation studios (工匠创新工作室) led by the person: the record kept leads them.
simple_carrier(key="studios", label="领衔的创新工作室", model=Studio, field="leader")
