"""Background work of the registry, run by ``gonghui worker`` (django-tasks)."""

from django_tasks import task

from gonghui.jobs.services import run_import
from gonghui.registry.excel import registry_import


def _import(**kwargs) -> str:
    return registry_import(**kwargs).summary()


@task()
def registry_import_task(job_id: int, filename: str) -> None:
    run_import(job_id, filename, _import)
