from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn.views import BeginCredentialAuthenticationView

from gonghui.factors import passkeys, views

app_name = "factors"
urlpatterns = [
    path("factors/", views.setup, name="setup"),
    path("factors/verify/", views.verify, name="verify"),
    path("factors/totp/", views.totp, name="totp"),
    path("factors/recovery/", views.recovery, name="recovery"),
    path("factors/remove/", views.remove, name="remove"),
    path("factors/reset/", views.reset, name="reset"),
]

# django-otp-webauthn's ceremonies (its JavaScript calls them by these names), with the
# platform's audit and staff checks (factors.passkeys); mounted at the root (gonghui/urls.py):
# the library's template tags name them without the factors namespace.
passkey_urls = (
    [
        path(
            "registration/begin/",
            passkeys.RegisterBegin.as_view(),
            name="credential-registration-begin",
        ),
        path(
            "registration/complete/",
            passkeys.RegisterComplete.as_view(),
            name="credential-registration-complete",
        ),
        path(
            "authentication/begin/",
            BeginCredentialAuthenticationView.as_view(),
            name="credential-authentication-begin",
        ),
        path(
            "authentication/complete/",
            passkeys.AuthComplete.as_view(),
            name="credential-authentication-complete",
        ),
        path(
            "jsi18n/",
            JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
            name="js-i18n-catalog",
        ),
    ],
    "otp_webauthn",
)
