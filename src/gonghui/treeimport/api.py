from ninja import File, Router, Status, UploadedFile

from gonghui.jobs.api import JobOut
from gonghui.jobs.services import upload_read
from gonghui.treeimport.services import tree_import_start

# Mounted under /orgs beside the orgs router (gonghui/api.py).
router = Router(tags=["组织"])


@router.post("/import", response={202: JobOut}, summary="批量导入组织树（后台任务）")
def org_import(request, file: File[UploadedFile]):
    job = tree_import_start(actor=request.user, data=upload_read(file), filename=file.name or "")
    job.refresh_from_db()
    return Status(202, job)
