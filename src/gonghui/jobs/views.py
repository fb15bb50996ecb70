"""The pages every long job goes through: an upload form whose file becomes a background
import, an export started as a job, and the download of an export's file."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from gonghui.common.errors import ValidationFailed
from gonghui.common.views import apply_errors, domain_errors, stored_download
from gonghui.jobs.services import job_result, upload_read


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
            messages.success(request, f"已上传“{upload.name}”，正在后台导入")
            return redirect("web:job_detail", pk=job.pk)
    return render(request, template, {"form": form})


@login_required
@domain_errors
def job_download(request, pk):
    """A finished export's file, for the job's starter (``job_result``: audited)."""
    job = job_result(actor=request.user, pk=pk)
    return stored_download(job.result_file, job.result_name)
