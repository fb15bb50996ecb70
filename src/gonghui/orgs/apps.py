from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class OrgsConfig(AppConfig):
    name = "gonghui.orgs"
    label = "orgs"
    verbose_name = "组织与权限"

    def ready(self):
        from django.core import checks

        from gonghui.orgs import receivers  # noqa: F401
        from gonghui.orgs.separation import after_migrate, before_migrate, breaches_check

        # The separation of duties' triggers (orgs/separation.py), made after every migrate.
        pre_migrate.connect(before_migrate, sender=self, dispatch_uid="orgs.separation.drop")
        post_migrate.connect(after_migrate, sender=self, dispatch_uid="orgs.separation.install")
        checks.register(breaches_check)
