from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "gonghui.web"
    label = "web"
    verbose_name = "网站"

    def ready(self):
        from gonghui.web import sessions  # noqa: F401  (its sign-in receiver)
