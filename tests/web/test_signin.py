"""Sign-in lock-out (per account and per address and account, with backoff, on both login
pages; known devices held by their own lock only; counted before the password is checked;
lifted by `gonghui unlock`) and the client's address behind a load balancer."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.common import lockout
from gonghui.common.net import client_address
from tests.factories import PASSWORD, VALID_IDS, make_person
from tests.second_factor import mark_verified

pytestmark = pytest.mark.django_db

LOCKED = "登录失败次数过多"
BALANCER = "10.0.0.1"


def login(client, username, password, url="/login/", **extra):
    """The password step; a success passes the second step as tests/second_factor.py does
    (tests/factors test that step)."""
    response = client.post(url, {"username": username, "password": password}, **extra)
    if signed_in(response):
        mark_verified(client.session, get_user_model().objects.get(username=username))
    return response


def signed_in(response) -> bool:
    return response.status_code == 302


def fail(client, username, times, **extra):
    for _ in range(times):
        response = login(client, username, "wrong-password", **extra)
        assert response.status_code == 200 and LOCKED not in response.content.decode()


def test_failures_for_one_account_do_not_lock_out_another_at_the_same_address(
    client, users, settings
):
    fail(client, "cy_staff", settings.LOGIN_MAX_FAILURES, REMOTE_ADDR="10.1.1.1")

    assert signed_in(login(client, "hd_staff", PASSWORD, REMOTE_ADDR="10.1.1.1"))
    client.logout()
    # The guessed account is locked from that address, even with its right password...
    locked = login(client, "cy_staff", PASSWORD, REMOTE_ADDR="10.1.1.1")
    assert LOCKED in locked.content.decode() and "15 分钟" in locked.content.decode()
    # ...but its owner at their own address still signs in.
    assert signed_in(login(client, "cy_staff", PASSWORD, REMOTE_ADDR="10.2.2.2"))


def test_guessing_one_account_from_many_addresses_locks_the_account(client, users, settings):
    settings.LOGIN_ACCOUNT_MAX_FAILURES = 6
    for i in range(3):
        fail(client, "cy_staff", 2, REMOTE_ADDR=f"10.3.0.{i}")
    locked = login(client, "cy_staff", PASSWORD, REMOTE_ADDR="10.9.9.9")
    assert LOCKED in locked.content.decode()
    assert signed_in(login(client, "hd_staff", PASSWORD, REMOTE_ADDR="10.9.9.9"))


def test_each_further_lock_lasts_twice_as_long(client, users, settings):
    lock = settings.LOGIN_LOCK_SECONDS
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        fail(client, "cy_staff", settings.LOGIN_MAX_FAILURES)
        assert lockout.wait_seconds("cy_staff", "127.0.0.1") == lock

        clock.move_to(start + timedelta(seconds=lock + 1))
        assert lockout.wait_seconds("cy_staff", "127.0.0.1") == 0
        fail(client, "cy_staff", settings.LOGIN_MAX_FAILURES)
        assert lockout.wait_seconds("cy_staff", "127.0.0.1") == 2 * lock
        assert "30 分钟" in login(client, "cy_staff", PASSWORD).content.decode()

        clock.move_to(start + timedelta(seconds=3 * lock + 2))
        fail(client, "cy_staff", settings.LOGIN_MAX_FAILURES)
        assert lockout.wait_seconds("cy_staff", "127.0.0.1") == 4 * lock

        # Once the lock has passed, the right password signs in and the address starts
        # afresh: its next lock is a first one again.
        clock.move_to(start + timedelta(seconds=7 * lock + 3))
        assert signed_in(login(client, "cy_staff", PASSWORD))
        client.logout()
        fail(client, "cy_staff", settings.LOGIN_MAX_FAILURES)
        assert lockout.wait_seconds("cy_staff", "127.0.0.1") == lock


def test_the_admin_login_is_locked_by_the_same_rules(client, users, settings):
    fail(client, "admin_t", settings.LOGIN_MAX_FAILURES - 1, url="/admin/login/")
    fail(client, "admin_t", 1)  # one more on the platform's own page: the same count

    locked = login(client, "admin_t", PASSWORD, url="/admin/login/")
    assert locked.status_code == 200 and LOCKED in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 5

    # From another address the city administrator signs in there and reaches the admin.
    assert signed_in(
        login(client, "admin_t", PASSWORD, url="/admin/login/", REMOTE_ADDR="10.5.5.5")
    )
    assert client.get("/admin/").status_code == 200


# --- Known devices: an attacker cannot keep the owner out ----------------------------------------


def lock_the_account(settings, username="admin_t"):
    """An attacker with no session, rotating addresses, until the account is locked."""
    settings.LOGIN_ACCOUNT_MAX_FAILURES = 6
    attacker = Client()
    for i in range(settings.LOGIN_ACCOUNT_MAX_FAILURES):
        address = f"198.51.100.{i + 1}"
        if LOCKED in login(attacker, username, "wrong", REMOTE_ADDR=address).content.decode():
            break
    assert lockout.wait_seconds(username, "198.51.100.200") > 0
    return attacker


def test_a_guesser_rotating_addresses_cannot_keep_a_known_device_out(client, users, settings):
    """An unknown attacker rotating addresses kept any known account (the city
    administrator's) locked, doubling up to a day, on /admin/login/ too."""
    assert signed_in(login(client, "admin_t", PASSWORD, REMOTE_ADDR="10.9.9.9"))
    assert client.cookies[lockout.KNOWN_DEVICE_COOKIE].value
    client.post("/logout/")

    attacker = lock_the_account(settings)
    assert (
        LOCKED in login(attacker, "admin_t", PASSWORD, REMOTE_ADDR="198.51.100.9").content.decode()
    )
    newcomer = login(Client(), "admin_t", PASSWORD, REMOTE_ADDR="10.8.8.8")
    assert LOCKED in newcomer.content.decode()  # a device it never signed in from

    # The owner's browser, at home or anywhere else, and on the admin site.
    assert signed_in(login(client, "admin_t", PASSWORD, REMOTE_ADDR="10.9.9.9"))
    client.post("/logout/")
    assert signed_in(
        login(client, "admin_t", PASSWORD, url="/admin/login/", REMOTE_ADDR="10.6.6.6")
    )
    # The account's lock is audited, once.
    locked = AuditEvent.objects.get(action="auth.account_locked")
    assert locked.object_id == "admin_t" and locked.ip == "198.51.100.6"


def test_a_known_device_is_still_held_by_its_own_lock(client, users, settings):
    assert signed_in(login(client, "cy_staff", PASSWORD, REMOTE_ADDR="10.9.9.9"))
    client.post("/logout/")
    fail(client, "cy_staff", settings.LOGIN_MAX_FAILURES, REMOTE_ADDR="10.9.9.9")
    assert LOCKED in login(client, "cy_staff", PASSWORD, REMOTE_ADDR="10.9.9.9").content.decode()
    assert lockout.wait_seconds("cy_staff", "10.9.9.9", known=True) == settings.LOGIN_LOCK_SECONDS
    assert not AuditEvent.objects.filter(action="auth.account_locked").exists()


def test_the_mark_is_signed_for_its_account_and_lasts_90_days(client, users, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert signed_in(login(client, "hd_staff", PASSWORD, REMOTE_ADDR="10.9.9.9"))
        client.post("/logout/")
        lock_the_account(settings, "cy_staff")
        # Another account's mark is no mark for this one, nor is a forged one.
        assert LOCKED in login(client, "cy_staff", PASSWORD).content.decode()
        forged = Client()
        forged.cookies[lockout.KNOWN_DEVICE_COOKIE] = "e30:forged"
        assert LOCKED in login(forged, "cy_staff", PASSWORD).content.decode()

        assert signed_in(login(client, "hd_staff", PASSWORD, REMOTE_ADDR="10.9.9.9"))
        client.post("/logout/")
        lock_the_account(settings, "hd_staff")
        clock.move_to(start + timedelta(days=lockout.KNOWN_DEVICE_DAYS - 1))
        lockout.unlock("hd_staff")
        lock_the_account(settings, "hd_staff")
        assert signed_in(login(client, "hd_staff", PASSWORD, REMOTE_ADDR="10.9.9.9"))
        client.post("/logout/")
        # 90 days after its last sign-in, the browser is a stranger again.
        clock.move_to(start + timedelta(days=2 * lockout.KNOWN_DEVICE_DAYS))
        lock_the_account(settings, "hd_staff")
        assert (
            LOCKED in login(client, "hd_staff", PASSWORD, REMOTE_ADDR="10.9.9.9").content.decode()
        )


def test_unlock_ends_every_lock_of_the_account_and_is_audited(client, users, settings):
    fail(client, "cy_staff", settings.LOGIN_MAX_FAILURES, REMOTE_ADDR="10.4.4.4")
    lock_the_account(settings, "cy_staff")
    assert lockout.wait_seconds("cy_staff", "10.4.4.4", known=True) > 0  # its own lock
    assert lockout.wait_seconds("cy_staff", "10.5.5.5") > 0  # the account's

    call_command("unlock", "CY_STAFF")

    assert lockout.wait_seconds("cy_staff", "10.4.4.4") == 0
    assert signed_in(login(client, "cy_staff", PASSWORD, REMOTE_ADDR="10.4.4.4"))
    event = AuditEvent.objects.get(action="accounts.unlock")
    assert event.object_id == str(users.cy.pk) and event.actor_name == ""
    with pytest.raises(CommandError, match="没有名为 nobody 的账号"):
        call_command("unlock", "nobody")


def test_an_empty_password_does_not_wipe_the_count(client, users, settings):
    """A form without a password reached the lock-out's "right password" branch and
    cleared the address's count: alternating it with guesses, nothing was ever locked."""
    for _ in range(settings.LOGIN_MAX_FAILURES):
        fail(client, "cy_staff", 1)
        client.post("/login/", {"username": "cy_staff", "password": ""})
    assert LOCKED in login(client, "cy_staff", PASSWORD).content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_guesses_get_no_more_than_the_limit(users, settings, monkeypatch):
    """The lock was checked before the password and counted after: requests sent at once
    each had a guess before the counter moved (the check takes a hash's time)."""
    original = AbstractBaseUser.check_password
    checked = []

    def slow(self, raw_password):
        checked.append(raw_password)
        time.sleep(0.3)  # as a real password hash takes its time
        return original(self, raw_password)

    monkeypatch.setattr(AbstractBaseUser, "check_password", slow)
    guesses = 3 * settings.LOGIN_MAX_FAILURES
    start = threading.Barrier(guesses)
    errors = []

    def guess(i):
        try:
            start.wait()
            login(Client(), "cy_staff", f"guess-{i}", REMOTE_ADDR="10.7.7.7")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(guesses)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert 1 <= len(checked) <= settings.LOGIN_MAX_FAILURES


# --- The client's address ---------------------------------------------------------------------


def last_failure_ip() -> str:
    return AuditEvent.objects.filter(action="auth.login_failed").latest("seq").ip


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(client, users, settings):
    login(client, "cy_staff", "x", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert last_failure_ip() == "198.51.100.7"

    # Naming the balancer in the header does not help a client that reaches us directly.
    settings.TRUSTED_PROXIES = [BALANCER]
    login(
        client,
        "cy_staff",
        "x",
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR=f"203.0.113.9, {BALANCER}",
    )
    assert last_failure_ip() == "198.51.100.7"


def test_behind_a_trusted_balancer_the_client_is_recorded_not_the_balancer(client, users, settings):
    settings.TRUSTED_PROXIES = [BALANCER]
    # The client wrote "1.2.3.4" itself; the balancer appended the address it saw.
    response = login(
        client,
        "cy_staff",
        PASSWORD,
        REMOTE_ADDR=BALANCER,
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",
    )
    assert signed_in(response)
    assert AuditEvent.objects.get(action="auth.login").ip == "203.0.113.9"


def test_behind_the_balancer_one_guesser_does_not_lock_out_the_others(client, users, settings):
    settings.TRUSTED_PROXIES = [BALANCER]
    via = {"REMOTE_ADDR": BALANCER}
    fail(client, "cy_staff", settings.LOGIN_MAX_FAILURES, HTTP_X_FORWARDED_FOR="203.0.113.9", **via)
    guesser = login(client, "cy_staff", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9", **via)
    assert LOCKED in guesser.content.decode()
    assert signed_in(
        login(client, "cy_staff", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.10", **via)
    )


@pytest.mark.parametrize(
    "proxies, remote, forwarded, client",
    [
        ([], "203.0.113.9", "", "203.0.113.9"),
        ([], "", "203.0.113.9", None),  # a unix socket, no trusted proxy: unknown
        (["unix"], "", "203.0.113.9", "203.0.113.9"),  # nginx on this machine
        (["10.0.0.0/8"], "10.0.0.2", "", "10.0.0.2"),  # the balancer's own health check
        # A balancer then nginx: both trusted, the hop before them is the client.
        (["10.0.0.0/24", "10.0.1.5"], "10.0.1.5", "8.8.8.8, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (["10.0.0.1"], "10.0.0.1", "[2001:db8::5]:4711", "2001:db8::5"),
        (["10.0.0.1"], "10.0.0.1", "203.0.113.9:5050", "203.0.113.9"),
        # A hop no proxy writes: nothing left of it is believed, the hop after it is used.
        (["10.0.0.0/8"], "10.0.0.1", "203.0.113.9, garbage, 10.0.0.3", "10.0.0.3"),
        (["2001:db8:1::/48"], "2001:db8:1::9", "198.51.100.4", "198.51.100.4"),
    ],
)
def test_client_address(settings, proxies, remote, forwarded, client):
    settings.TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(meta) == client


def test_every_event_of_a_request_behind_the_balancer_records_the_client(
    client, users, tree, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    person = make_person(tree.cy_grass, id_number=VALID_IDS[3])
    client.force_login(users.cy)
    client.post(
        f"/people/{person.pk}/reveal/id_number/",
        REMOTE_ADDR="10.0.0.7",
        HTTP_X_FORWARDED_FOR="203.0.113.44",
    )
    assert AuditEvent.objects.get(action="pii.reveal").ip == "203.0.113.44"


def test_a_guesser_rotating_addresses_in_one_64_is_one_guesser(client, users, settings):
    """The per-(address, account) lock counted each IPv6 address: a guesser with a /64
    (every subscriber has one) had a fresh count at each of its 2**64 addresses."""
    for i in range(settings.LOGIN_MAX_FAILURES):
        fail(client, "cy_staff", 1, REMOTE_ADDR=f"2001:db8:9:1::{i + 1:x}")
    locked = login(client, "cy_staff", PASSWORD, REMOTE_ADDR="2001:db8:9:1::ffff")
    assert LOCKED in locked.content.decode()
    # The owner, in another /64, signs in; the audit log keeps each full address.
    assert signed_in(login(client, "cy_staff", PASSWORD, REMOTE_ADDR="2001:db8:9:2::1"))
    failures = AuditEvent.objects.filter(action="auth.login_failed")
    assert {e.ip for e in failures} == {f"2001:db8:9:1::{i + 1:x}" for i in range(5)}
