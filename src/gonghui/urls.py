from django.contrib import admin
from django.urls import include, path

from gonghui.api import api
from gonghui.factors.urls import passkey_urls
from gonghui.web.metrics import metrics
from gonghui.web.views import healthz

admin.site.site_header = admin.site.site_title = "工会平台 · 只读管理后台"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),  # Prometheus (docs/observability.md)
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("gonghui.registry.urls")),
    path("", include("gonghui.nominations.urls")),
    path("", include("gonghui.perks.urls")),
    path("", include("gonghui.contests.urls")),
    path("", include("gonghui.training.urls")),
    path("", include("gonghui.funds.urls")),
    path("", include("gonghui.dashboards.urls")),
    path("", include("gonghui.factors.urls")),  # factors · the second factor
    path("factors/passkey/", include(passkey_urls)),
    path("", include("gonghui.web.urls")),
]
