"""The second factor's devices hold secrets (TOTP keys, shown by django-otp's admin as QR
codes): they stay out of the admin site (imported after django-otp's apps, which register
them). Users manage their own on the factors pages; resets go through factors:reset."""

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

admin.site.unregister(TOTPDevice)
