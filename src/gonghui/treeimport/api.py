from ninja import File, Router, Schema, Status, UploadedFile

from gonghui.jobs.services import job_get, upload_read
from gonghui.treeimport.services import tree_import_start

# Mounted under /orgs beside the orgs router (gonghui/api.py).
router = Router(tags=["组织"])


class JobOut(Schema):
    id: int
    status: str
    done: int
    total: int
    percent: int
    message: str
    errors: list


@router.post("/import", response={202: JobOut}, summary="批量导入组织树（后台任务）")
def org_import(request, file: File[UploadedFile]):
    job = tree_import_start(actor=request.user, data=upload_read(file), filename=file.name or "")
    job.refresh_from_db()
    return Status(202, job)


@router.get("/jobs/{int:pk}", response=JobOut, summary="后台任务进度")
def job_status(request, pk: int):
    return job_get(actor=request.user, pk=pk)
