from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "gonghui.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self):
        from gonghui.audit import signals  # noqa: F401
