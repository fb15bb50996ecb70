"""Demo funds (资金与帮扶): every programme of the seeds with applications in every state,
budgets and their ledgers, and one finished Spring Festival run whose two foreseen failures
(a Type II card over its limit, a locked dormant card) were re-routed to passbooks and paid
before the deadline. Each feature builds its part through its own services, in order; what
one part leaves for the next is on ``world``."""

from __future__ import annotations

from types import SimpleNamespace

from gonghui.funds.accounts import demo as accounts
from gonghui.funds.applications import demo as applications
from gonghui.funds.enrolment import demo as enrolment
from gonghui.funds.payouts import demo as payouts
from gonghui.funds.programmes import demo as programmes


def build(fake, rng, say=None) -> SimpleNamespace:
    world = SimpleNamespace(say=say or (lambda text: None))
    programmes.build(world, fake, rng)  # programmes, rules, budgets, hardship records
    applications.build(world, fake, rng)  # applications in every state, reviews
    enrolment.build(world, fake, rng)  # runs enrolled by rule
    accounts.build(world, fake, rng)  # payee accounts (a few that will fail)
    payouts.build(world, fake, rng)  # batches, prediction, returns, re-issues
    return world
