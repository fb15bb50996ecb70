from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "gonghui.common"
    label = "common"
    verbose_name = "公共"

    def ready(self):
        from gonghui.common import (
            passwords,  # noqa: F401  (its new-account receiver)
            servers,  # noqa: F401  (registers its system check)
        )
