"""The second factor's pages: the second step of a sign-in, the user's own factors
(enrol, remove, recovery codes) and a security administrator's reset."""

from base64 import b32encode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from gonghui.common.errors import DomainError, NotFound, Throttled, ValidationFailed
from gonghui.common.qr import qr_svg
from gonghui.common.views import apply_errors, error_message, form_page, post_action
from gonghui.factors import selectors, services
from gonghui.factors.forms import CodeForm, RemoveForm, ResetForm, TotpForm
from gonghui.factors.passkeys import NEW_CODES
from gonghui.orgs import access


def _next(request, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("web:home")


@login_required
def verify(request):
    """The second step: a code from the authenticator app, a recovery code, or a passkey
    (django-otp-webauthn's button: it signs the session in and follows ``next``)."""
    form = CodeForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.user.is_verified():
        return redirect(_next(request, request.GET.get("next", "")))
    if request.method == "POST" and form.is_valid():
        try:
            device = services.factor_check(actor=request.user, code=form.cleaned_data["code"])
        except Throttled as exc:
            form.add_error("code", exc.message)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            otp_login(request, device)
            return redirect(_next(request, form.cleaned_data["next"]))
    factors = selectors.factors(request.user)
    return render(
        request,
        "factors/verify.html",
        {
            "form": form,
            "has_totp": any(f.kind == "totp" for f in factors),
            "has_passkey": any(f.kind == "passkey" for f in factors),
        },
    )


@login_required
def setup(request):
    """The user's own second factor: what they hold, adding an app or a passkey, recovery
    codes, removing one."""
    services.require_staff(request.user)
    need = selectors.need(request.user)
    return render(
        request,
        "factors/setup.html",
        {
            "factors": selectors.factors(request.user),
            "required": need.required,
            "recovery_left": selectors.recovery_left(request.user),
            "verified": request.user.is_verified(),
            "next": request.GET.get("next", ""),
            "may_reset": access.can_citywide(request.user, "security.reset_factor"),
        },
    )


@login_required
def totp(request):
    """Add an authenticator app: its QR code (and the secret, for typing), confirmed by a
    first code. The first factor's recovery codes follow, shown once."""
    device = services.totp_start(actor=request.user)
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            codes = services.totp_confirm(
                actor=request.user, device_id=device.pk, code=data["code"], name=data["name"]
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            if not request.user.is_verified():
                otp_login(request, device)  # the code just given proves the factor
            messages.success(request, "验证器应用已绑定")
            if codes:
                request.session[NEW_CODES] = codes
                return redirect("factors:recovery")
            return redirect("factors:setup")
    return render(
        request,
        "factors/totp.html",
        {"form": form, "qr": qr_svg(device.config_url), "secret": _secret(device)},
    )


def _secret(device) -> str:
    """The secret in base32, in groups of four, for typing into the app by hand."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@login_required
def recovery(request):
    """New recovery codes, shown once (GET after enrolment or regeneration); POST makes a
    new set, the old one ending."""
    if request.method == "POST":
        try:
            request.session[NEW_CODES] = services.recovery_codes_generate(actor=request.user)
        except DomainError as exc:
            messages.error(request, error_message(exc))
            return redirect("factors:setup")
        return redirect("factors:recovery")
    codes = request.session.pop(NEW_CODES, None)
    if not codes:  # shown once: gone after that (a new set is made on the setup page)
        return redirect("factors:setup")
    return render(request, "factors/recovery.html", {"codes": codes})


@login_required
@require_POST
def remove(request):
    form = RemoveForm(request.POST)
    return post_action(
        request,
        form,
        lambda data: services.factor_remove(actor=request.user, kind=data["kind"], pk=data["pk"]),
        lambda _: "已删除该验证方式",
        reverse("factors:setup"),
    )


@login_required
def reset(request):
    """A security administrator resets another account's factors (with a reason)."""
    if not access.can_citywide(request.user, "security.reset_factor"):
        raise NotFound()
    return form_page(
        request,
        ResetForm(request.POST or None),
        lambda data: services.factors_reset(
            actor=request.user, username=data["username"], reason=data["reason"]
        ),
        "factors/reset.html",
        after=lambda _: reverse("factors:reset"),
        done=lambda user: f"已重置 {user.get_username()} 的二次验证：其下次登录时须重新绑定",
        refused=ValidationFailed,
    )
