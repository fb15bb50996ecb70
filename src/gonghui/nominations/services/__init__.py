"""Every write of a campaign, one module per stage: set-up (``campaigns``), nominating
(``nominating``), notices (``notices``), reviews and approval (``reviews``), objections
(``objections``) and the final list (``final_list``); what they share is in ``_shared``.

Each transition of ``workflow.TRANSITIONS`` is checked for role and scope (at the level
the workflow names), for the time rules (a notice's next step waits for it to close) and
for blocking objections, in one transaction with its audit events. A batch action is one
transaction: one refusal and nothing changes. The public names are re-exported here."""

from gonghui.nominations.services._shared import STREAM
from gonghui.nominations.services.campaigns import (
    QUOTA_MAX,
    UNLIMITED,
    campaign_create,
    campaign_open,
    counters_rebuild,
    quota_set,
    rule_add,
)
from gonghui.nominations.services.final_list import final_list_check, final_list_export_start
from gonghui.nominations.services.nominating import (
    ATTENDANCE_MAX,
    BRIEF_MAX,
    DEEDS_MAX,
    cycle_years,
    nomination_create,
    nomination_save,
    nomination_submit,
    nomination_withdraw,
)
from gonghui.nominations.services.notices import notice_period, notice_publish
from gonghui.nominations.services.objections import (
    LOOKUP_LIMIT,
    OBJECTION_LIMIT,
    lookup_allowed,
    objection_contact_reveal,
    objection_file,
    objection_resolve,
    objection_triage,
)
from gonghui.nominations.services.reviews import (
    clearance_record,
    node_list_submit,
    nominations_advance,
)

__all__ = [
    "ATTENDANCE_MAX",
    "BRIEF_MAX",
    "DEEDS_MAX",
    "LOOKUP_LIMIT",
    "OBJECTION_LIMIT",
    "QUOTA_MAX",
    "STREAM",
    "UNLIMITED",
    "campaign_create",
    "campaign_open",
    "clearance_record",
    "counters_rebuild",
    "cycle_years",
    "final_list_check",
    "final_list_export_start",
    "lookup_allowed",
    "node_list_submit",
    "nomination_create",
    "nomination_save",
    "nomination_submit",
    "nomination_withdraw",
    "nominations_advance",
    "notice_period",
    "notice_publish",
    "objection_contact_reveal",
    "objection_file",
    "objection_resolve",
    "objection_triage",
    "quota_set",
    "rule_add",
]
