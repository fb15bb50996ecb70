"""``/metrics``: the platform's figures in Prometheus' text format, for the operator's
Prometheus (docs/observability.md). The request and claim counters come from the serving
processes (common/metrics.py); what the database holds is read at each scrape: the task
queue, the jobs by status, and how far the audit witness lags."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.core import GaugeMetricFamily

from gonghui.audit.lag import audit_lag
from gonghui.common.metrics import exposition, scrape_allowed
from gonghui.jobs.selectors import job_counts, task_counts


class DatabaseFigures:
    """Gauges read from the database when scraped (the same for every server)."""

    def collect(self):
        tasks = task_counts()
        queue = GaugeMetricFamily(
            "gonghui_task_queue",
            "Background tasks waiting or running (django-tasks)",
            labels=["state"],
        )
        queue.add_metric(["queued"], tasks["READY"])
        queue.add_metric(["running"], tasks["RUNNING"])
        yield queue
        yield GaugeMetricFamily(
            "gonghui_tasks_failed",
            "Background tasks that ended failed (kept in the queue table)",
            value=tasks["FAILED"],
        )
        jobs = GaugeMetricFamily(
            "gonghui_jobs", "Jobs shown on the pages, by status", labels=["status"]
        )
        for status, count in job_counts().items():
            jobs.add_metric([status], count)
        yield jobs
        head_age, unwitnessed = audit_lag()
        if head_age is not None:
            yield GaugeMetricFamily(
                "gonghui_audit_head_age_seconds",
                "Seconds since the last platform head was signed",
                value=head_age,
            )
        yield GaugeMetricFamily(
            "gonghui_audit_unwitnessed_seconds",
            "Age of the oldest audit event no signed head covers yet (0: none)",
            value=unwitnessed or 0,
        )


@require_GET
def metrics(request):
    allowed = scrape_allowed(request)
    if allowed is None:
        raise Http404  # off: GONGHUI_METRICS_TOKEN / GONGHUI_METRICS_ALLOW not set
    if not allowed:
        return HttpResponse(
            "拒绝访问：需要正确的令牌，且来自允许的地址\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(exposition(DatabaseFigures()), content_type=CONTENT_TYPE_PLAIN_0_0_4)
