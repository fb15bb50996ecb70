"""The competition's own audit stream (``contest:<id>``) and the checks every contests
write starts with. Every registration, draw, mark, recusal, appeal, ruling, vote and result
is an event of its competition's stream, which milestones checkpoint and the notary
countersigns."""

from __future__ import annotations

from django.db import transaction

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.contests import signals
from gonghui.contests.models import Competition
from gonghui.orgs import access
from gonghui.orgs.access import Grant


def event(
    actor,
    competition: Competition,
    action: Action,
    *,
    obj=None,
    changes: dict | None = None,
    post_id: int | None = None,
):
    """An event in the competition's stream, about the competition or ``obj``."""
    return record(
        actor=actor,
        action=action,
        obj=obj or competition,
        org_unit_id=competition.org_unit_id,
        changes=changes,
        post_id=post_id,
        stream=competition.stream,
    )


def allowed(actor, competition: Competition, perm: str) -> Grant:
    """The post that allows ``perm`` on the competition (its organiser's subtree); else
    NotFound to whoever cannot see it, Forbidden to whoever can."""
    return access.require_at(actor, perm, competition.org_unit, view_perm="contests.view")


def locked(competition: Competition) -> Competition:
    """The competition's row, locked for this transaction and read afresh: transitions
    (closing registration, freezing, milestones) decide on what they locked."""
    return (
        Competition.objects.select_for_update()
        .select_related("org_unit", "programme")
        .get(pk=competition.pk)
    )


def board_changed(competition: Competition) -> None:
    """The live board must show a change, once this transaction commits."""
    pk = competition.pk
    transaction.on_commit(lambda: signals.board_changed.send(sender=Competition, competition_id=pk))


def milestone(competition: Competition, name: str) -> None:
    """A milestone of the record (报名截止, 选拔赛结束, 终极挑战赛, 称号): the competition's
    stream is checkpointed for the notary once this transaction commits."""
    pk = competition.pk
    transaction.on_commit(
        lambda: signals.milestone_reached.send(sender=Competition, competition_id=pk, name=name)
    )
