"""The tree import's background work, run by ``gonghui worker`` (django-tasks, database queue)."""

from django_tasks import task

from gonghui.jobs.services import run_import
from gonghui.treeimport.services import tree_import


def _import(**kwargs) -> str:
    return f"已导入 {tree_import(**kwargs)} 个组织"


@task()
def tree_import_task(job_id: int, filename: str) -> None:
    run_import(job_id, filename, _import)
