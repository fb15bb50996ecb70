"""Background work of the registry, run by ``gonghui worker`` (django-tasks)."""

from django_tasks import task

from gonghui.jobs.services import run_export, run_import
from gonghui.orgs import access
from gonghui.registry import dictionary
from gonghui.registry.excel import registry_export, registry_import
from gonghui.registry.models import Honour
from gonghui.registry.selectors import PersonFilters, award_list


def _import(**kwargs) -> str:
    return registry_import(**kwargs).summary()


@task()
def registry_import_task(job_id: int, filename: str) -> None:
    run_import(job_id, filename, _import)


EXPORT_NAME = "劳模工匠档案.xlsx"


def _export(*, actor, params: dict, out, progress) -> tuple[str, str]:
    rows = registry_export(actor=actor, out=out, filters=PersonFilters(**params), progress=progress)
    return EXPORT_NAME, f"已导出 {rows} 行（身份证号、电话已遮盖）"


@task()
def registry_export_task(job_id: int) -> None:
    run_export(job_id, _export)


def _dictionary(*, actor, params: dict, out, progress) -> tuple[str, str]:
    access.require(actor, "registry.view")
    honour = Honour.objects.get(pk=params["honour"])
    entries = dictionary.entries_for(honour=honour, awards_qs=award_list(actor=actor))
    dictionary.write_docx(honour=honour, out=out, entries=entries)
    return f"{dictionary.title_of(honour)}.docx", f"已生成，收录 {len(entries)} 人"


@task()
def dictionary_task(job_id: int) -> None:
    """The model-worker dictionary as Word, for the job's page to offer."""
    run_export(job_id, _dictionary)
