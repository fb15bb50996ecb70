import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from gonghui.files.services import attachment_download, attachment_list
from gonghui.nominations import selectors, services
from gonghui.nominations.models import Nomination, Objection, Quota
from gonghui.nominations.workflow import State
from gonghui.orgs.models import Role
from tests.factories import PASSWORD, make_user
from tests.nominations.conftest import at

TEXT = "该同志所报技术成果系他人完成，有项目验收材料为证。"


@pytest.fixture
def notice(campaign, nominees, users):
    return services.notice_publish(
        actor=users.cy_grass,
        campaign=campaign,
        stage="first",
        nominations=[nominees["赵郁"], nominees["武润泽"]],
    )


def file(notice, nomination, **kwargs):
    kwargs.setdefault("text", TEXT)
    kwargs.setdefault("source", "203.0.113.9")
    return services.objection_file(notice=notice, nomination=nomination, **kwargs)


def test_a_named_objection_needs_a_contact(notice, nominees):
    with pytest.raises(ValidationFailed) as caught:
        file(notice, nominees["赵郁"], name="张三")
    assert set(caught.value.fields) == {"contact"}


def test_an_objection_states_facts(notice, nominees):
    with pytest.raises(ValidationFailed, match="具体问题和事实"):
        file(notice, nominees["赵郁"], anonymous=True, text="不同意")


def test_an_anonymous_objection_keeps_no_name_a_named_one_its_contact(notice, nominees):
    zhao = nominees["赵郁"]
    named = file(notice, zhao, name="张三", contact="13800001111")
    anonymous = file(notice, zhao, anonymous=True, name="不该存下", contact="")
    assert (named.anonymous, anonymous.anonymous, anonymous.name) == (False, True, "")
    assert len(named.reference) == 16 and named.reference != anonymous.reference
    assert Objection.objects.get(pk=named.pk).contact == "13800001111"  # decrypted


def test_objections_only_during_the_period(clock, notice, nominees):
    clock.move_to(at(2025, 9, 27, 0, 0))  # the notice ended on Friday 09-26
    with pytest.raises(ValidationFailed, match="公示期为 2025年9月22日 至 2025年9月26日"):
        file(notice, nominees["赵郁"], anonymous=True)


def test_objections_only_to_a_nominee_the_notice_lists(clock, notice, nominees):
    with pytest.raises(ValidationFailed, match="不在本次公示名单"):
        clock.move_to(at(2025, 9, 23))
        file(notice, nominees["钱学"], anonymous=True)


def test_filing_is_rate_limited_per_source(notice, nominees):
    for _ in range(services.OBJECTION_LIMIT):
        file(notice, nominees["赵郁"], anonymous=True)
    with pytest.raises(DomainError, match="过于频繁"):
        file(notice, nominees["赵郁"], anonymous=True)
    file(notice, nominees["赵郁"], anonymous=True, source="198.51.100.7")  # another source


def test_only_the_reviewing_level_handles_an_objection(notice, nominees, users):
    objection = file(notice, nominees["赵郁"], name="张三", contact="zhang@example.com")
    # The district reviews the first notice's objections; the nominating unit cannot.
    assert not selectors.may_see_objector(users.cy_grass, objection)
    assert selectors.may_see_objector(users.cy, objection)
    with pytest.raises(Forbidden):
        services.objection_triage(actor=users.cy_grass, objection=objection, admissible=True)


def test_an_objection_found_inadmissible_with_a_reason_blocks_no_more(
    clock, notice, nominees, users
):
    wu = nominees["武润泽"]
    inadmissible = file(notice, wu, anonymous=True)
    clock.move_to(at(2025, 9, 29))
    with pytest.raises(ValidationFailed, match="不予受理须说明理由"):
        services.objection_triage(actor=users.cy, objection=inadmissible, admissible=False)
    services.objection_triage(
        actor=users.cy, objection=inadmissible, admissible=False, reason="未反映具体事实"
    )
    services.nominations_advance(actor=users.cy, nominations=[wu], action="first_pass")


def test_an_open_objection_blocks_then_upheld_removes(clock, notice, nominees, users, tree):
    zhao = nominees["赵郁"]
    objection = file(notice, zhao, name="张三", contact="zhang@example.com")
    clock.move_to(at(2025, 9, 29))
    with pytest.raises(Conflict, match="赵郁有尚未办结的异议"):
        services.nominations_advance(actor=users.cy, nominations=[zhao], action="first_pass")
    services.objection_triage(actor=users.cy, objection=objection, admissible=True)
    with pytest.raises(Conflict, match="赵郁有尚未办结的异议"):
        services.nominations_advance(actor=users.cy, nominations=[zhao], action="first_pass")
    with pytest.raises(ValidationFailed, match="核查情况"):
        services.objection_resolve(
            actor=users.cy, objection=objection, verification="", finding=Objection.Finding.UPHELD
        )
    services.objection_resolve(
        actor=users.cy,
        objection=objection,
        verification="经调阅验收材料，成果第一完成人为他人",
        finding=Objection.Finding.UPHELD,
        note="取消推荐资格",
    )
    zhao = Nomination.objects.get(pk=zhao.pk)
    assert zhao.state == State.REMOVED and "取消推荐资格" in zhao.reason
    assert Quota.objects.get(campaign=zhao.campaign, org_unit=tree.chaoyang).used == 1
    assert [s.action for s in zhao.steps.all()][-2:] == ["objection", "remove"]


def test_not_upheld_lets_the_nominee_go_on(clock, notice, nominees, users):
    zhao = nominees["赵郁"]
    objection = file(notice, zhao, anonymous=True)
    services.objection_triage(actor=users.cy, objection=objection, admissible=True)
    services.objection_resolve(
        actor=users.cy,
        objection=objection,
        verification="核实成果为本人主持完成",
        finding=Objection.Finding.NOT_UPHELD,
    )
    clock.move_to(at(2025, 9, 29))
    services.nominations_advance(actor=users.cy, nominations=[zhao], action="first_pass")
    assert Nomination.objects.get(pk=zhao.pk).state == State.FIRST_PASSED


def test_the_reviewing_staff_enter_objections_received_by_phone(notice, nominees, users):
    taken = services.objection_file(
        notice=notice,
        nomination=nominees["赵郁"],
        text=TEXT,
        name="李四",
        contact="010-66001234",
        channel=Objection.Channel.PHONE,
        actor=users.cy,
    )
    assert taken.entered_by == users.cy and taken.channel == "phone"


def test_the_nominating_unit_enters_no_objection(notice, nominees, users):
    with pytest.raises(Forbidden):
        services.objection_file(
            notice=notice,
            nomination=nominees["赵郁"],
            text=TEXT,
            anonymous=True,
            channel=Objection.Channel.LETTER,
            actor=users.cy_grass,
        )


def test_evidence_is_kept_at_the_reviewing_level(notice, nominees, users):
    objection = file(
        notice,
        nominees["赵郁"],
        anonymous=True,
        evidence=SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4\n%evidence\n"),
    )
    assert [a.name for a in attachment_list(actor=users.cy, owner=objection)] == ["验收报告.pdf"]
    assert list(attachment_list(actor=users.cy_grass, owner=objection)) == []
    # Downloaded only by the unit reviewing it, as its page shows it: the city's auditor
    # reads every file filed in Chaoyang, but not an objection it does not review.
    (evidence,) = attachment_list(actor=users.cy, owner=objection)
    assert attachment_download(actor=users.cy, pk=evidence.pk) == evidence
    with pytest.raises(NotFound):
        attachment_download(actor=users.auditor, pk=evidence.pk)


def test_an_objectors_contact_is_masked_and_each_reveal_audited(
    client, notice, nominees, users, tree
):
    zhao = nominees["赵郁"]
    objection = file(notice, zhao, name="张三", contact="13800001111")
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get(f"/nominations/n/{zhao.pk}/").content.decode()
    assert "13800001111" not in page and "13*******11" in page and "查看完整" in page
    url = f"/nominations/objections/{objection.pk}/contact/"
    assert client.get(url).status_code == 405
    revealed = client.post(url)
    assert revealed.content.decode().strip() == "13800001111"
    assert revealed["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="pii.reveal")
    assert (event.object_type, event.object_id) == ("nominations.objection", str(objection.pk))
    assert json.loads(event.body)["changes"] == {"field": [None, "contact"]}
    assert event.actor_id == users.cy.pk and "13800001111" not in event.body
    # The reviewing level without people.view_pii sees the objection, masked, no reveal.
    role = Role.objects.create(
        code="reviewer", name="初审", permissions=["nominations.view", "nominations.review"]
    )
    make_user("cy_reviewer", tree.chaoyang, role.code)
    client.login(username="cy_reviewer", password=PASSWORD)
    page = client.get(f"/nominations/n/{zhao.pk}/").content.decode()
    assert "13*******11" in page and "查看完整" not in page
    assert client.post(url).status_code == 403
    client.login(username="cy_grass", password=PASSWORD)  # the nominating unit: not at all
    assert client.post(url).status_code == 404
    assert AuditEvent.objects.filter(action="pii.reveal").count() == 1
