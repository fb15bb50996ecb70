"""The second factor's devices hold secrets (TOTP keys, shown by django-otp's admin as QR
codes): they stay out of the admin site (imported after django-otp's apps, which register
them). Users manage their own on the factors pages; resets go through factors:reset."""

from django.contrib import admin

for _model in [
    m
    for m in admin.site._registry
    if m._meta.app_label in {"otp_totp", "otp_webauthn", "django_otp_webauthn"}
]:
    admin.site.unregister(_model)
