"""The page every import starts from: an upload form whose file becomes a background job."""

from django.shortcuts import redirect, render

from gonghui.common.errors import ValidationFailed
from gonghui.common.views import apply_errors
from gonghui.jobs.services import upload_read


def upload_page(request, form, start, template: str):
    """``form``'s file handed to ``start(actor=, data=, filename=)``, which queues the job;
    then the job's page (its progress, then every bad cell). A file refused before it is
    queued (too large, the wrong kind) says why next to the field."""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = start(actor=request.user, data=upload_read(upload), filename=upload.name)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            return redirect("web:job_detail", pk=job.pk)
    return render(request, template, {"form": form})
