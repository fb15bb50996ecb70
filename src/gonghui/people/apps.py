from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "gonghui.people"
    label = "people"
    verbose_name = "人员与会籍"
