"""A background job's progress for the JSON API (mounted under /orgs, gonghui/api.py)."""

from ninja import Router, Schema

from gonghui.jobs.services import job_get

router = Router(tags=["组织"])


class JobOut(Schema):
    id: int
    status: str
    done: int
    total: int
    percent: int
    message: str
    errors: list


@router.get("/jobs/{int:pk}", response=JobOut, summary="后台任务进度")
def job_status(request, pk: int):
    return job_get(actor=request.user, pk=pk)
