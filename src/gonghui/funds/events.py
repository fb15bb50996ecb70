"""The programme's own audit stream (``funds:<id>``) and the scope checks every funds write
starts with. Every decision, commitment, payment, return and correction is an event of its
programme's stream (a batch's many ledger rows are sealed into it: ``ledger.seal_rows``)."""

from __future__ import annotations

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.funds.models import Programme
from gonghui.orgs import access
from gonghui.orgs.access import Grant


def event(
    actor,
    programme: Programme,
    action: Action,
    *,
    obj=None,
    org_unit_id: int | None = None,
    changes: dict | None = None,
    post_id: int | None = None,
):
    """An event in the programme's stream, about the programme or ``obj`` (filed under
    ``obj``'s union node unless ``org_unit_id`` says otherwise)."""
    obj = obj or programme
    return record(
        actor=actor,
        action=action,
        obj=obj,
        org_unit_id=org_unit_id or getattr(obj, "org_unit_id", None) or programme.org_unit_id,
        changes=changes,
        post_id=post_id,
        stream=programme.stream,
    )


def allowed(actor, perm: str, org_unit) -> Grant:
    """The post that allows ``perm`` at ``org_unit`` (a programme's organiser, an
    application's union, a batch's paying union); else NotFound to whoever cannot see funds
    there, Forbidden to whoever can."""
    return access.require_at(actor, perm, org_unit, view_perm="funds.view")
