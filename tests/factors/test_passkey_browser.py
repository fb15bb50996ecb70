"""Passkeys in a real browser: Chromium's virtual authenticator (CDP WebAuthn) stands in
for the fingerprint. A district's staff, for whom a second factor is required, signs in
through the login page (none of the suite's shortcuts that mark a session verified),
registers a passkey on the factors page, signs out, signs in again and passes the second
step with the passkey, then reaches a staff page. Without the passkey the verify page lets
it nowhere. Screenshots in var/screenshots/passkey-*.png."""

from __future__ import annotations

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from gonghui.audit.models import AuditEvent
from tests.browser import desktop_context, in_thread
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


def _sign_in(page, base: str, username: str) -> None:
    """The login page's password step only: the second step is the test's."""
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def _events(action: str, user) -> int:
    return AuditEvent.objects.filter(action=action, object_id=str(user.pk)).count()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_district_enrols_a_passkey_and_passes_the_second_step_with_it(
    live_server, enforced_csp, users, browser, shots
):
    base, user = live_server.url, users.cy
    # WebAuthn needs a secure context: http://localhost is one; the relying party is the
    # page's host (GONGHUI_PASSKEY_RP_ID unset) and the origin the page's own.
    assert base.startswith("http://localhost:"), base
    context, console = desktop_context(browser)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})

    # The password alone: a district's post must enrol first, and may open nothing else.
    _sign_in(page, base, user.username)
    page.wait_for_url(lambda url: "/factors/" in url and "/verify/" not in url)
    page.goto(f"{base}/people/")
    assert "/factors/" in page.url and "/people/" not in page.url.split("?")[0]

    # Enrol: the page's passkey button, the authenticator answers, the recovery codes follow.
    page.get_by_role("button", name="注册通行密钥（Passkey）").click()
    page.wait_for_url(lambda url: "/factors/recovery/" in url)
    page.screenshot(path=shots / "passkey-enrolled.png", full_page=True)
    creds = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]}
    )
    assert len(creds["credentials"]) == 1
    rows = in_thread(lambda: list(WebAuthnCredential.objects.filter(user=user)))
    assert len(rows) == 1
    assert in_thread(lambda: _events("factors.enrol", user)) == 1

    page.goto(f"{base}/factors/")
    assert "通行密钥" in page.locator("table.data").inner_text()
    page.get_by_role("button", name="退出").first.click()
    page.wait_for_url(lambda url: "/login/" in url or url.rstrip("/") == base)

    # Again: the password, then the second step. Without the passkey it stays there.
    _sign_in(page, base, user.username)
    page.wait_for_url(lambda url: "/factors/verify/" in url)
    page.goto(f"{base}/people/")
    page.wait_for_url(lambda url: "/factors/verify/" in url)
    assert "next=%2Fpeople%2F" in page.url
    page.get_by_role("button", name="验证", exact=True).click()  # no code, no passkey
    page.wait_for_load_state()
    assert "/factors/verify/" in page.url
    assert in_thread(lambda: _events("factors.verified", user)) == 0

    page.get_by_role("button", name="使用通行密钥（Passkey）验证").click()
    page.wait_for_url(lambda url: "/people/" in url)
    page.screenshot(path=shots / "passkey-verified-people.png", full_page=True)
    assert "/factors/" not in page.url
    assert in_thread(lambda: _events("factors.verified", user)) == 1
    used = in_thread(lambda: WebAuthnCredential.objects.get(user=user))
    assert used.last_used_at is not None

    # Verified for the session: another staff page opens without a second step.
    page.goto(f"{base}/")
    assert "/factors/" not in page.url
    assert not console.errors, console.errors
    context.close()
