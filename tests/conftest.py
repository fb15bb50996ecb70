import os

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client, TransactionTestCase

from gonghui.perks.giveaways import claims
from gonghui.registry.models import Honour
from tests.audit.conftest import FLUSHED_TABLES, set_append_only
from tests.factories import build_tree, build_users
from tests.second_factor import mark_verified

pytest_plugins = ["tests.browser"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need_service(name: str, reachable: bool, why: str = "") -> None:
    """A test that needs a service fails in CI when it is missing; locally it skips."""
    if reachable:
        return
    message = f"{name} is not available{': ' + why if why else ''}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def postgres(db):
    """The test runs only on the PostgreSQL leg (GONGHUI_DATABASE_URL=postgres://...)."""
    need_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "run `make test-postgres` (GONGHUI_DATABASE_URL)",
    )


@pytest.fixture
def redis_client():
    url = settings.REDIS_URL
    need_service("Redis", bool(url), "run `make test-redis` (GONGHUI_REDIS_URL)")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        need_service("Redis", False, str(exc))
    return client


@pytest.fixture(scope="session", autouse=True)
def _committing_tests_clean_up(django_db_setup, django_db_blocker):
    """Tests that really commit (``django_db(transaction=True, serialized_rollback=True)``)
    end with a flush of every table: TRUNCATE on PostgreSQL, which the audit tables'
    append-only triggers refuse. Around that flush the triggers are switched off (as the
    tables' owner may), and afterwards the migrated data (seeded tree, roles) is put back
    for the tests that follow."""
    original = TransactionTestCase._fixture_teardown

    def teardown(self):
        set_append_only(False, FLUSHED_TABLES)
        try:
            original(self)
            snapshot = getattr(connection, "_test_serialized_contents", None)
            if self.serialized_rollback and snapshot:
                connection.creation.deserialize_db_from_string(snapshot)
        finally:
            set_append_only(True, FLUSHED_TABLES)

    TransactionTestCase._fixture_teardown = teardown
    yield
    TransactionTestCase._fixture_teardown = original


@pytest.fixture(autouse=True)
def _clean_cache():
    """Lock-out counters live in the shared cache: each test starts with none. (The
    database cache is rolled back with each test; Redis must be emptied.)"""
    if settings.REDIS_URL:
        cache.clear()


@pytest.fixture
def tree(db):
    """Two districts with a street and a grassroots union each, from the seeded tree."""
    return build_tree()


@pytest.fixture
def honours(db):
    """The seeded honour catalogue by code."""
    return {h.code: h for h in Honour.objects.all()}


@pytest.fixture
def users(tree):
    """Staff at each level, an auditor, and a user with no post."""
    return build_users(tree)


@pytest.fixture(autouse=True)
def _own_audit_witness(settings, tmp_path):
    """Each test its own witness file: the heads a test signs go with its database."""
    settings.AUDIT_WITNESS = [tmp_path / "witness" / "audit-heads.jsonl"]


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    """Background tasks run in-process in tests, so their effects can be asserted."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.3 s a user; the hasher itself is Django's business, not ours."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_giveaway_rules():
    """The claim path caches a giveaway's rules per process by id, and a rolled-back test
    gives its ids out again: each test starts without (any test may make a giveaway)."""
    claims._RULES.clear()
    yield
    claims._RULES.clear()


@pytest.fixture(autouse=True)
def _second_factor_passed(monkeypatch):
    """``client.login`` and ``client.force_login`` sign staff in as after the second step
    (factors): a test device of the user's marks the session verified. The second step's
    own tests sign in through the login page, which this does not touch."""
    original = Client._login

    def _login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        mark_verified(session, user)

    monkeypatch.setattr(Client, "_login", _login)
