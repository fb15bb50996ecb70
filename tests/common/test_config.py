import base64
import json
import os
import subprocess
import sys

import pytest

from gonghui.common.config import ConfigError, load_keys, parse_keyring, read_env


def test_unknown_setting_is_named():
    with pytest.raises(ConfigError, match="GONGHUI_DATABSE_URL: unknown setting"):
        read_env({"GONGHUI_DATABSE_URL": "sqlite:///x"})


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("GONGHUI_DEBUG", "maybe", "expected true or false"),
        ("GONGHUI_SESSION_MINUTES", "half an hour", "expected a whole number"),
        ("GONGHUI_DATABASE_URL", "mysql://x", "expected a URL"),
        ("GONGHUI_REDIS_URL", "localhost:6379", "expected a URL"),
        ("GONGHUI_STORAGE", "ftp", "expected one of local, s3"),
        ("GONGHUI_TRUSTED_PROXIES", "10.0.0.1,nginx", "'nginx' is not an address"),
        ("GONGHUI_TRUSTED_PROXIES", "10.0.0.0/33", "is not an address"),
    ],
)
def test_malformed_setting_is_named(name, value, words):
    with pytest.raises(ConfigError) as err:
        read_env({name: value})
    assert str(err.value).startswith(name) and words in str(err.value)


def test_a_malformed_url_is_not_quoted_it_may_hold_a_password():
    with pytest.raises(ConfigError) as err:
        read_env({"GONGHUI_DATABASE_URL": "mysql://app:s3cret-Pw@db/gonghui"})
    assert "s3cret" not in str(err.value) and "(got mysql://…)" in str(err.value)


def test_local_keys_are_generated_once_and_required_otherwise(tmp_path):
    rings = load_keys({}, tmp_path, generate=True)
    assert len({ring.current[1] for ring in rings.values()}) == 4  # four different keys
    again = load_keys({}, tmp_path, generate=True)
    assert {k: r.current for k, r in rings.items()} == {k: r.current for k, r in again.items()}
    with pytest.raises(ConfigError, match="GONGHUI_SECRET_KEY: not set"):
        load_keys({}, tmp_path / "empty", generate=False)


def test_key_rotation_keeps_old_keys():
    new, old = base64.b64encode(b"n" * 32).decode(), base64.b64encode(b"o" * 32).decode()
    ring = parse_keyring("GONGHUI_FIELD_KEYS", f"k2:{new},k1:{old}")
    assert ring.current == ("k2", b"n" * 32)
    assert ring.get("k1") == b"o" * 32
    with pytest.raises(ConfigError, match="must be 32 bytes"):
        parse_keyring("GONGHUI_FIELD_KEYS", "k1:" + base64.b64encode(b"short").decode())


def _run_cli(env_extra, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGHUI_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "gonghui.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_stops_with_one_line_naming_the_setting(tmp_path):
    result = _run_cli(
        {"GONGHUI_DEBUG": "true", "GONGHUI_WORKERS": "many", "GONGHUI_VAR_DIR": str(tmp_path)},
        "check",
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "gonghui: configuration error: GONGHUI_WORKERS='many': expected a whole number"
    ]


def test_production_start_without_keys_is_refused(tmp_path):
    result = _run_cli({"GONGHUI_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode == 2
    assert "GONGHUI_SECRET_KEY: not set" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _production_settings(tmp_path, **env) -> dict:
    """Settings as production start-up computes them (debug off, keys on disk)."""
    load_keys({}, tmp_path / "keys", generate=True)  # writes the key files once
    base = {k: v for k, v in os.environ.items() if not k.startswith("GONGHUI_")}
    base.update(GONGHUI_VAR_DIR=str(tmp_path), GONGHUI_KEYS_DIR=str(tmp_path / "keys"), **env)
    code = (
        "import json, gonghui.settings as s; print(json.dumps({n: getattr(s, n, None) for n in"
        " ('TRUSTED_PROXIES', 'SECURE_PROXY_SSL_HEADER', 'SECURE_HSTS_SECONDS')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_https_and_the_client_address_come_from_trusted_proxies_only(tmp_path):
    direct = _production_settings(tmp_path)
    assert direct == {
        "TRUSTED_PROXIES": [],
        "SECURE_PROXY_SSL_HEADER": None,  # nobody may claim HTTPS with a header
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
    }
    behind = _production_settings(
        tmp_path, GONGHUI_TRUSTED_PROXIES="10.0.0.0/24, unix", GONGHUI_HSTS_SECONDS="600"
    )
    assert behind == {
        "TRUSTED_PROXIES": ["10.0.0.0/24", "unix"],
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 600,
    }


def test_a_url_without_a_scheme_is_not_quoted_either():
    with pytest.raises(ConfigError) as err:
        read_env({"GONGHUI_DATABASE_URL": "app:s3cret@db:5432/gh?sslrootcert=file:///ca.pem"})
    assert "s3cret" not in str(err.value) and "(got no scheme it knows)" in str(err.value)
