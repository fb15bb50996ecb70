"""A view that fails with a resident ID in its variables (for tests/web/test_errors.py)."""

from django.urls import include, path


def boom(request):
    raw = request.POST.get("id_number", "")  # what a form posted, as the issue saw it
    data = {"id_number": raw, "note": f"号码 {raw}", "phone": request.POST.get("phone")}
    return int(data["note"])  # ValueError quoting the number


urlpatterns = [path("boom/", boom), path("", include("gonghui.urls"))]
