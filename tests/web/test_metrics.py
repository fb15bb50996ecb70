"""/metrics (issue 21, point 7): who may read it, and what it counts."""

import pytest
from django.test import Client
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from gonghui.audit.models import AuditEvent
from gonghui.audit.services import head_sign
from gonghui.jobs.models import Job
from gonghui.perks import passes
from gonghui.registry.tasks import registry_export_task

pytestmark = pytest.mark.django_db
TOKEN = "m3tr1cs-t0ken-for-tests"
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture
def scrape(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOW = TOKEN, []

    def read() -> dict:
        response = Client().get("/metrics", **BEARER)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=0.0.4")
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.content.decode())
            for s in family.samples
        }

    return read


def test_off_unless_a_token_or_addresses_are_set(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOW = None, []
    assert Client().get("/metrics", **BEARER).status_code == 404


@pytest.mark.parametrize(
    ("token", "allow", "headers", "status"),
    [
        (TOKEN, [], {}, 403),
        (TOKEN, [], {"HTTP_AUTHORIZATION": "Bearer wrong-token-of-some-length"}, 403),
        (TOKEN, [], {"HTTP_AUTHORIZATION": TOKEN}, 403),  # not a bearer token
        (TOKEN, [], BEARER, 200),
        (None, ["10.0.0.0/8"], {}, 403),
        (None, ["127.0.0.1"], {}, 200),
        (TOKEN, ["10.0.0.0/8"], BEARER, 403),  # both set: both must hold
        (TOKEN, ["127.0.0.0/8"], {}, 403),
        (TOKEN, ["127.0.0.0/8"], BEARER, 200),
    ],
)
def test_a_scrape_needs_the_token_and_an_allowed_address(settings, token, allow, headers, status):
    settings.METRICS_TOKEN, settings.METRICS_ALLOW = token, allow
    response = Client().get("/metrics", **headers)  # the test client is 127.0.0.1
    assert response.status_code == status
    assert (b"gonghui_http_requests_total" in response.content) is (status == 200)
    if status == 403:
        assert "拒绝访问" in response.content.decode()


def test_a_client_behind_the_proxy_is_judged_by_its_own_address(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOW = None, ["10.1.2.3"]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    proxied = Client(HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert proxied.get("/metrics").status_code == 200
    assert Client(HTTP_X_FORWARDED_FOR="10.9.9.9").get("/metrics").status_code == 403


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_requests_are_counted_by_method_route_and_status_class_and_timed(scrape):
    ok = {"method": "GET", "route": "healthz", "status": "2xx"}
    missing = {"method": "GET", "route": "unmatched", "status": "4xx"}
    before = (
        value("gonghui_http_requests_total", **ok),
        value("gonghui_http_requests_total", **missing),
    )
    timed = value("gonghui_http_request_duration_seconds_count", route="healthz")
    client = Client()
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page-at-all/")
    figures = scrape()
    assert figures[("gonghui_http_requests_total", tuple(sorted(ok.items())))] == before[0] + 2
    assert figures[("gonghui_http_requests_total", tuple(sorted(missing.items())))] == before[1] + 1
    count = ("gonghui_http_request_duration_seconds_count", (("route", "healthz"),))
    assert figures[count] == timed + 2


def test_claims_are_counted_by_result(scrape, users):
    pass_ = passes.issue(users.cy.pk)
    before = value("gonghui_giveaway_claims_total", result="not_found")
    bad = value("gonghui_giveaway_claims_total", result="bad_key")
    client = Client(HTTP_X_MEMBER_PASS=pass_)
    url = "/api/v1/perks/giveaways/987654/claim"
    assert client.post(url, {"key": "k" * 12}, content_type="application/json").status_code == 404
    assert client.post(url, {"key": "k"}, content_type="application/json").status_code == 400
    figures = scrape()
    assert figures[("gonghui_giveaway_claims_total", (("result", "not_found"),))] == before + 1
    assert figures[("gonghui_giveaway_claims_total", (("result", "bad_key"),))] == bad + 1


def test_the_queue_failed_tasks_and_jobs_are_read_at_each_scrape(scrape, settings, users, tree):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    ids = [registry_export_task.enqueue(n).id for n in range(4)]
    DBTaskResult.objects.filter(pk=ids[0]).update(status=TaskResultStatus.RUNNING)
    DBTaskResult.objects.filter(pk__in=ids[1:3]).update(status=TaskResultStatus.FAILED)
    for status in (Job.Status.RUNNING, Job.Status.FAILED, Job.Status.FAILED):
        Job.objects.create(
            kind="k", title="t", created_by=users.cy, org_unit=tree.city, status=status
        )
    figures = scrape()
    assert figures[("gonghui_task_queue", (("state", "queued"),))] == 1
    assert figures[("gonghui_task_queue", (("state", "running"),))] == 1
    assert figures[("gonghui_tasks_failed", ())] == 2
    assert figures[("gonghui_jobs", (("status", "failed"),))] == 2
    assert figures[("gonghui_jobs", (("status", "running"),))] == 1
    assert figures[("gonghui_jobs", (("status", "done"),))] == 0


def test_audit_lag_is_the_oldest_unwitnessed_event_and_the_heads_age(scrape, users):
    assert AuditEvent.objects.exists()  # making the users wrote events
    figures = scrape()
    assert ("gonghui_audit_head_age_seconds", ()) not in figures  # never signed
    assert figures[("gonghui_audit_unwitnessed_seconds", ())] > 0
    head_sign()
    figures = scrape()
    assert 0 <= figures[("gonghui_audit_head_age_seconds", ())] < 60
    assert figures[("gonghui_audit_unwitnessed_seconds", ())] == 0
