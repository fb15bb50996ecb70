"""Issue 15: `make run` served with debug on, so every 500 showed the raw ID number
(raw='110115197209162914') to any signed-in user. Now it serves as production does, and
every traceback shown or logged masks protected values by name and by shape."""

import json
import logging
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client

from gonghui.common.logs import JsonFormatter
from gonghui.common.reporting import MaskingReporterFilter, mask_text

NUMBER = "110115197209162914"
PHONE = "13800138000"
ROOT = Path(__file__).resolve().parents[2]


def leaks(text: str) -> list[str]:
    return [s for s in (NUMBER, NUMBER[2:16], PHONE, "19720916") if s in text]


def boom(client, **extra):
    return client.post("/boom/", {"id_number": NUMBER, "phone": PHONE}, **extra)


@pytest.mark.django_db
@pytest.mark.urls("tests.web.boom_urls")
def test_a_production_500_is_a_friendly_page_without_the_number(settings, caplog):
    settings.DEBUG = False
    settings.ADMINS = [("运维", "ops@example.com")]
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = boom(client)
    page = response.content.decode()
    assert response.status_code == 500 and "抱歉，系统出错了" in page and not leaks(page)
    # Logged: the JSON line and the administrators' e-mail (AdminEmailHandler) alike.
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    line = JsonFormatter().format(record)
    assert "ValueError" in line and "11**************14" in line and not leaks(line)
    assert json.loads(line)["level"] == "ERROR"
    (email,) = mail.outbox
    assert "ValueError" in email.body and "11**************14" in email.body
    assert not leaks(email.body) and not leaks(email.subject)


@pytest.mark.django_db
@pytest.mark.urls("tests.web.boom_urls")
def test_the_debug_page_masks_locals_post_and_the_message(settings):
    settings.DEBUG = True
    response = boom(Client(raise_request_exception=False))
    page = response.content.decode()
    assert response.status_code == 500 and "ValueError" in page and "raw" in page
    assert "11**************14" in page and not leaks(page)
    text = boom(Client(raise_request_exception=False), HTTP_ACCEPT="text/plain")
    assert "ValueError" in text.content.decode() and not leaks(text.content.decode())


def test_the_filter_masks_by_name_and_by_shape():
    f = MaskingReporterFilter()
    assert f.clean("id_number", "abc") == f.cleansed_substitute  # by name, whatever it holds
    assert f.clean("value", "１１０１１５ 19720916-2914") == "１１**************14"  # full-width
    assert f.clean("rows", [{"x": 110115197209162914}]) == [{"x": "11**************14"}]
    assert f.clean("count", 12345) == 12345 and f.clean("when", "2025-10-10 12:00") == (
        "2025-10-10 12:00"
    )
    assert mask_text("卡号 6222 0202 0011 2233 446") == "卡号 62***************46"
    assert f.cleanse_setting("DATABASES", {"default": {"PASSWORD": "x"}}) == {
        "default": {"PASSWORD": f.cleansed_substitute}
    }


@pytest.mark.django_db
def test_error_pages_speak_the_sites_language(settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and "记录不存在或无权访问" in missing.content.decode()
    expired = client.post("/login/", {"username": "x", "password": "y"})
    assert expired.status_code == 403 and "页面已过期" in expired.content.decode()


def test_make_run_serves_like_production(tmp_path):
    """`make run`'s own environment (read from the Makefile as make runs it) gives debug
    off, whitenoise's stored static files, the loopback hosts, the masking reporter, keys
    made locally, and the demo installation declared (its accounts keep the published
    password: docs/admin-roles.md)."""
    dry = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "run"], capture_output=True, text=True, timeout=60
    ).stdout
    serve = next(line for line in dry.splitlines() if line.rstrip().endswith("gonghui serve"))
    env = dict(
        word.split("=", 1) for word in shlex.split(serve) if re.fullmatch(r"GONGHUI_\w+=.*", word)
    )
    assert env["GONGHUI_DEBUG"] == "false"
    probe = (
        "from django.conf import settings as s; import json; print(json.dumps([s.DEBUG,"
        " s.ALLOWED_HOSTS, s.STORAGES['staticfiles']['BACKEND'],"
        " s.DEFAULT_EXCEPTION_REPORTER_FILTER, s.SESSION_COOKIE_SECURE, s.DEMO_SITE]))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GONGHUI_")}
    result = subprocess.run(
        [sys.executable, "-m", "gonghui.cli", "shell", "-c", probe],
        env=clean | env | {"GONGHUI_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    debug, hosts, storage, reporter, secure, demo_site = json.loads(
        result.stdout.strip().splitlines()[-1]
    )
    assert debug is False and {"127.0.0.1", "localhost"} <= set(hosts)
    assert storage == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert reporter == "gonghui.common.reporting.MaskingReporterFilter" and secure is False
    assert demo_site is True
    assert len(list((tmp_path / "keys").glob("*.key"))) == 4  # made locally, once
