from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "gonghui.orgs"
    label = "orgs"
    verbose_name = "组织与权限"

    def ready(self):
        from gonghui.orgs import receivers  # noqa: F401
