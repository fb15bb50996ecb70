"""What the orgs app does when an account is saved, whoever saves it."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from gonghui.orgs import services


@receiver(post_save, sender=get_user_model(), dispatch_uid="orgs.tokens_end_with_account")
def account_saved(sender, instance, update_fields=None, raw=False, **kwargs):
    """An account left inactive by a save (the shell, the admin site, a service) loses its
    API tokens for good (a save of other fields, such as the last sign-in, is skipped)."""
    if raw or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    services.tokens_end_with_account(actor=None, user=instance)
