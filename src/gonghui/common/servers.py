"""Several servers (GONGHUI_SERVERS > 1, docs/deploy.md): what one server writes another must
read, so the installation needs one shared database (PostgreSQL) and one shared file store
(GONGHUI_STORAGE=s3: attachments, import files, job results). Start-up refuses otherwise:
``gonghui serve`` (gunicorn's master, through ``gonghui.wsgi``), ``gonghui worker`` and
Django's system checks (``gonghui check --deploy`` among them)."""

from django.conf import settings
from django.core import checks
from django.db import connection

from gonghui.common.config import ConfigError


def shared_problem() -> str | None:
    """The one-line reason (Chinese, then English) why these settings cannot run on several
    servers, or None."""
    if settings.SERVERS <= 1:
        return None
    if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
        return (
            f"GONGHUI_SERVERS={settings.SERVERS} 但 GONGHUI_STORAGE=local：多台服务器必须共用 "
            "S3 兼容存储（GONGHUI_STORAGE=s3，见 docs/deploy.md） / "
            "several servers need the shared S3-compatible store, not local files"
        )
    if connection.vendor == "sqlite":
        return (
            f"GONGHUI_SERVERS={settings.SERVERS} 但数据库是 SQLite：多台服务器必须共用 PostgreSQL"
            "（GONGHUI_DATABASE_URL=postgres://…，见 docs/deploy.md） / "
            "several servers need one PostgreSQL database, not SQLite"
        )
    return None


def require_shared() -> None:
    """Refuse to start (one line, ``ConfigError``) when several servers are declared without
    a shared store and database."""
    problem = shared_problem()
    if problem:
        raise ConfigError(problem)


@checks.register(checks.Tags.compatibility)
def shared_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    problem = shared_problem()
    return [checks.Error(problem, id="gonghui.E021")] if problem else []
