from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "gonghui.registry"
    label = "registry"
    verbose_name = "劳模工匠档案"

    def ready(self):
        from gonghui.people.signals import person_moved
        from gonghui.registry.services import awards_follow

        person_moved.connect(
            lambda sender, person, **kwargs: awards_follow(person),
            weak=False,
            dispatch_uid="registry.awards_follow",
        )
