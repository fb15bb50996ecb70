"""Reads of contest set-up: programmes in the actor's scope, a programme's page (its
competitions and judge pool), a competition's dashboard (stages, counts, the rules file),
a stage to edit; and the choices the set-up forms offer.

Scope is ``contests.view`` at the organising union (``orgs.access``): out of scope reads as
absent (NotFound)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet

from gonghui.common.errors import NotFound
from gonghui.contests import engine
from gonghui.contests.models import Competition, Entrant, Judge, Programme, Recusal, Stage
from gonghui.contests.records import judge_key, juror_key
from gonghui.files.models import Attachment
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.registry.models import Honour

PROGRAMME_SORTS = {
    "year": ("year", "edition", "id"),
    "-year": ("-year", "-edition", "-id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "org_unit": ("org_unit__path", "-year", "-id"),
    "-org_unit": ("-org_unit__path", "-year", "-id"),
    "competitions": ("competition_count", "-id"),
    "-competitions": ("-competition_count", "-id"),
}


PART_NAMES = {"score": "总分", "practical": "专家评分", "defence": "现场答辩", "public": "大众评委"}


def tie_chain_text(scheme) -> str:
    """A scheme's tie chain as staff read it: 总分（高者在前）→ 尺寸精度（高者在前）…"""
    if not isinstance(scheme, dict):
        return ""
    names = {a.get("code"): a.get("name") or a.get("code") for a in scheme.get("aspects") or []
             if isinstance(a, dict)}  # fmt: skip
    links = []
    for link in scheme.get("tie_chain") or [["score", "desc"]]:
        if isinstance(link, list | tuple) and len(link) == 2:
            key, direction = link
            label = PART_NAMES.get(key) or names.get(key) or str(key)
            links.append(f"{label}（{'高者在前' if direction == 'desc' else '低者在前'}）")
    return " → ".join(links)


def programme_list(
    actor, q: str = "", year: int | None = None, sort: str = "", kind: str = ""
) -> QuerySet[Programme]:
    """Programmes organised in the actor's ``contests.view`` scope, newest first unless
    ``sort`` says otherwise (``PROGRAMME_SORTS``), with their number of competitions."""
    qs = (
        Programme.objects.filter(access.scope_q(actor, "contests.view"))
        .select_related("org_unit", "title_honour")
        .annotate(competition_count=Count("competitions"))
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(description__icontains=q))
    if year:
        qs = qs.filter(year=year)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by(*PROGRAMME_SORTS.get(sort, ("-year", "-edition", "-id")))


def programme_get(actor, pk: int) -> Programme:
    return access.get_or_404(
        Programme.objects.select_related("org_unit", "title_honour", "nominee_honour"),
        actor,
        "contests.view",
        pk=pk,
    )


def judge_public_key(judge: Judge) -> str:
    """The judge's public key as the record names them (``records``): p<id> for a public
    juror, j<id> for the others."""
    return juror_key(judge.pk) if judge.kind == Judge.Kind.PUBLIC else judge_key(judge.pk)


@dataclass
class ProgrammePage:
    programme: Programme
    competitions: list[Competition]
    judges: list[Judge]
    may_manage: bool


def programme_page(actor, pk: int) -> ProgrammePage:
    programme = programme_get(actor, pk)
    competitions = list(
        Competition.objects.filter(programme=programme)
        .select_related("trade")
        .annotate(entrant_count=Count("entrants"))
        .order_by("trade__code", "id")
    )
    # The pool (experts, chief referees, arbiters, public jurors): programme_get scoped it.
    judges = list(
        Judge.objects.filter(programme=programme).select_related("employer", "trade", "user")
    )
    for judge in judges:
        judge.key = judge_public_key(judge)
    return ProgrammePage(
        programme=programme,
        competitions=competitions,
        judges=judges,
        may_manage=access.can_at(actor, "contests.manage", programme.org_unit),
    )


def competition_get(actor, pk: int, perm: str = "contests.view") -> Competition:
    """One competition in the actor's ``perm`` scope (its organiser's subtree), else
    NotFound (the one reader; registration's pages use it too)."""
    return access.get_or_404(
        Competition.objects.select_related("programme", "org_unit", "trade"),
        actor,
        perm,
        pk=pk,
    )


@dataclass
class CompetitionPage:
    """A competition's dashboard: its stages (status, entries, matches), entrants by
    status, the programme's judges by kind, the rules document (name, SHA-256, locked,
    the attachment to download when the actor may), and whether the actor may manage."""

    competition: Competition
    stages: list[Stage]
    entrants: dict[str, int]
    entrant_total: int
    judges: dict[str, int]
    rules_file: Attachment | None
    may_manage: bool
    may_nominate: bool = False
    may_referee: bool = False


def competition_page(actor, pk: int) -> CompetitionPage:
    competition = competition_get(actor, pk)
    stages = list(
        Stage.objects.filter(competition=competition)
        .annotate(
            entry_count=Count("entries", distinct=True),
            match_count=Count("matches", distinct=True),
        )
        .order_by("order")
    )
    for stage in stages:
        stage.tie_text = tie_chain_text(stage.scheme)
        stage.has_public = engine.has_public(stage.scheme)
    by_status = dict(
        Entrant.objects.filter(competition=competition)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    entrants = {label: by_status.get(value, 0) for value, label in Entrant.Status.choices}
    by_kind = dict(
        Judge.objects.filter(programme_id=competition.programme_id)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    judges = {label: by_kind.get(value, 0) for value, label in Judge.Kind.choices}
    rules_file = None
    if competition.rules_sha256:
        rules_file = (
            access.restrict(
                Attachment.objects.filter(
                    content_type=ContentType.objects.get_for_model(Competition),
                    object_id=str(competition.pk),
                    sha256=competition.rules_sha256,
                ),
                actor,
                "files.view",
            )
            .order_by("-created_at", "-pk")
            .first()
        )
    return CompetitionPage(
        competition=competition,
        stages=stages,
        entrants=entrants,
        entrant_total=sum(by_status.values()),
        judges=judges,
        rules_file=rules_file,
        may_manage=access.can_at(actor, "contests.manage", competition.org_unit),
        may_nominate=access.can_at(actor, "contests.nominate", competition.org_unit),
        may_referee=access.can_at(actor, "contests.referee", competition.org_unit),
    )


def stage_get(actor, pk: int) -> Stage:
    stage = access.get_or_404(
        Stage.objects.select_related("competition__programme", "competition__org_unit"),
        actor,
        "contests.view",
        via="competition__org_unit",
        pk=pk,
    )
    stage.tie_text = tie_chain_text(stage.scheme)
    return stage


def entrant_choices(competition: Competition) -> QuerySet[Entrant]:
    return (
        Entrant.objects.filter(competition=competition).select_related("person").order_by("number")
    )


def judge_choices(competition: Competition) -> QuerySet[Judge]:
    return Judge.objects.filter(programme_id=competition.programme_id).order_by("kind", "name")


# --- Choices for the set-up forms ------------------------------------------------------------


def organising_units(actor) -> QuerySet[OrgUnit]:
    """The unions the actor may organise a programme at (``contests.manage``): the city,
    districts and industries in scope."""
    return access.restrict(
        OrgUnit.objects.filter(level__in=["city", "district", "industry"]),
        actor,
        "contests.manage",
        via="",
    ).order_by("path")


def honour_choices() -> QuerySet[Honour]:
    """Individual craftsman titles of the catalogue (the service checks the organiser)."""
    return Honour.objects.filter(subject=Honour.Subject.INDIVIDUAL, is_title=True).select_related(
        "conferring_unit"
    )


def account_by_username(username: str):
    """The active account of that user name (a judge's login), or None."""
    return get_user_model().objects.filter(username=username, is_active=True).first()


# --- A judge's own recusals ------------------------------------------------------------------


@dataclass
class JudgeRecusals:
    """What a signed-in judge may declare a relationship with: the entrants of their
    programmes' competitions, by trade and number only (``choices``: entrant pk ->
    (judge, entrant)), and what they have declared already."""

    choices: dict[int, tuple[Judge, Entrant]]
    declared: list[Recusal]


def judge_recusals(user) -> JudgeRecusals:
    """NotFound to whoever is not a judge with this account."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotFound()
    judges = {j.programme_id: j for j in Judge.objects.filter(user=user).order_by("pk")}
    if not judges:
        raise NotFound()
    declared = list(
        Recusal.objects.filter(judge__in=judges.values())
        .select_related("entrant__competition__trade")
        .order_by("entrant__competition_id", "entrant__number")
    )
    done = {(r.judge_id, r.entrant_id) for r in declared}
    entrants = (
        Entrant.objects.filter(competition__programme_id__in=judges)
        .exclude(competition__status=Competition.Status.DRAFT)
        .select_related("competition__trade")
        .order_by("competition__programme_id", "competition__trade__code", "number")
    )
    choices = {}
    for entrant in entrants:
        judge = judges[entrant.competition.programme_id]
        if (judge.pk, entrant.pk) not in done:
            choices[entrant.pk] = (judge, entrant)
    return JudgeRecusals(choices=choices, declared=declared)


def is_judge(user) -> bool:
    """Whether the account is a judge of some programme (the menu offers 评分)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return Judge.objects.filter(user=user).exists()
