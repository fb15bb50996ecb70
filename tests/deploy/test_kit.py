"""The deployment kit (deploy/) as far as this machine checks it without a container engine:
the compose file through Debian's docker-compose (its schema and interpolation), the nginx
sample through `nginx -t`, the systemd units through `systemd-analyze verify`, the image's
Dockerfile read for what it must hold (docs/deploy.md says how it was built here), the
settings the kit relies on, and the start-up refusal of several servers on local files."""

import re
import shutil
import subprocess
import sys

import pytest
import yaml

from gonghui.common.config import SETTINGS, ConfigError, read_env
from tests.conftest import need_service
from tests.deploy.cluster import DEPLOY, ROOT, nginx_binary, nginx_test, shipped_config

SECRETS = {
    "POSTGRES_PASSWORD": "pw1",
    "PG_OWNER_PASSWORD": "pw2",
    "PG_APP_PASSWORD": "pw3",
    "REDIS_PASSWORD": "pw4",
    "MINIO_ROOT_USER": "root",
    "MINIO_ROOT_PASSWORD": "pw5pw5pw5",
    "S3_ACCESS_KEY": "gonghui-app",
    "S3_SECRET_KEY": "pw6pw6pw6",
}
GONGHUI_SERVICES = ("migrate", "web", "worker", "livestream")


def compose_config(tmp_path, secrets: dict) -> subprocess.CompletedProcess:
    compose = shutil.which("docker-compose")
    if compose is None:
        subprocess.run(["bash", str(ROOT / "scripts" / "install-compose.sh")], check=False)
        compose = shutil.which("docker-compose")
    need_service("docker-compose", compose is not None, "run scripts/install-compose.sh")
    kit = tmp_path / "deploy"
    shutil.copytree(DEPLOY, kit)
    shutil.copy(kit / "env.example", kit / "gonghui.env")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **secrets}
    return subprocess.run(
        [compose, "-f", str(kit / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )


def test_the_compose_file_validates_and_starts_what_an_installation_needs(tmp_path):
    done = compose_config(tmp_path, SECRETS)
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert set(services) == {
        "db", "redis", "minio", "minio-bucket", "migrate", "web", "worker", "livestream", "proxy"
    }  # fmt: skip
    assert services["web"]["deploy"]["replicas"] >= 2
    for name in GONGHUI_SERVICES:
        service = services[name]
        env = service["environment"]
        # The shared store and the application role; the superuser only where roles are made.
        assert (
            env["GONGHUI_STORAGE"] == "s3" and env["GONGHUI_S3_ENDPOINT_URL"] == "http://minio:9000"
        )
        assert ("SUPERUSER_DATABASE_URL" in env) == (name == "migrate"), name
        role = "gonghui_owner" if name == "migrate" else "gonghui_app"
        assert (
            env["GONGHUI_DATABASE_URL"]
            == f"postgres://{role}:pw{2 if name == 'migrate' else 3}@db:5432/gonghui"
        )
        assert "POSTGRES_PASSWORD" not in env and "MINIO_ROOT_PASSWORD" not in env
        assert service["read_only"] is True and "no-new-privileges:true" in service["security_opt"]
    for name in ("web", "worker", "livestream"):
        assert (
            services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        )
        assert (
            services[name]["depends_on"]["minio-bucket"]["condition"]
            == "service_completed_successfully"
        )
        assert services[name]["restart"] == "unless-stopped"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"
    for name in ("db", "redis", "minio", "livestream", "proxy"):
        assert services[name]["healthcheck"]["test"], name
    # The migrate service: roles, migrations as the owner, roles again (docs/operations.md).
    script = services["migrate"]["command"][0]
    assert re.search(r"pg-roles.*\n.*migrate --no-input\n.*pg-roles", script), script
    published = [(p["published"], p["target"]) for p in services["proxy"]["ports"]]
    assert published == [(80, 80), (443, 443)]  # nothing else published


def test_a_missing_secret_stops_compose_naming_it(tmp_path):
    done = compose_config(tmp_path, {k: v for k, v in SECRETS.items() if k != "PG_APP_PASSWORD"})
    assert done.returncode != 0
    assert "set PG_APP_PASSWORD in deploy/.env" in done.stderr


def test_the_env_example_names_only_real_settings_and_every_one_production_needs():
    names = re.findall(r"^#? ?(GONGHUI_[A-Z0-9_]+)=", (DEPLOY / "env.example").read_text(), re.M)
    assert set(names) <= set(SETTINGS), set(names) - set(SETTINGS)
    needed = {
        "GONGHUI_SECRET_KEY", "GONGHUI_FIELD_KEYS", "GONGHUI_BLIND_INDEX_KEYS",
        "GONGHUI_AUDIT_SIGNING_KEYS", "GONGHUI_ALLOWED_HOSTS", "GONGHUI_CSRF_TRUSTED_ORIGINS",
        "GONGHUI_TRUSTED_PROXIES", "GONGHUI_SERVERS", "GONGHUI_AUDIT_WITNESS",
        "GONGHUI_DATABASE_URL", "GONGHUI_REDIS_URL", "GONGHUI_STORAGE", "GONGHUI_S3_BUCKET",
        "GONGHUI_S3_ENDPOINT_URL", "GONGHUI_WORKERS", "GONGHUI_DB_POOL",
    }  # fmt: skip
    assert needed <= set(names), needed - set(names)
    # Every value it sets parses (the keys are placeholders the operator replaces).
    values = dict(
        line.split("=", 1)
        for line in (DEPLOY / "env.example").read_text().splitlines()
        if line.startswith("GONGHUI_")
    )
    parsed = read_env(values)
    assert parsed["GONGHUI_SERVERS"] == 2 and parsed["GONGHUI_DB_POOL"] == 0


def test_the_nginx_sample_passes_nginx_t(tmp_path):
    nginx = nginx_binary()
    need_service("nginx", nginx is not None, "run scripts/install-nginx.sh")
    done = nginx_test(nginx, shipped_config(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_the_nginx_sample_appends_sets_and_passes_what_the_platform_reads():
    conf = (DEPLOY / "nginx" / "gonghui.conf").read_text()
    assert conf.count("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") == 2
    assert conf.count("proxy_set_header X-Forwarded-Proto $scheme;") == 2
    assert conf.count("proxy_set_header X-Request-ID $request_id;") == 2
    assert "return 301 https://$host$request_uri;" in conf
    # The upload cap: the platform's own (GONGHUI_UPLOAD_MAX_MB) plus a megabyte for the form.
    (cap,) = re.findall(r"client_max_body_size (\d+)m;", conf)
    assert int(cap) == int(SETTINGS["GONGHUI_UPLOAD_MAX_MB"][1]) + 1
    assert "location ~ ^/live/(quiz/)?[0-9]+/events$" in conf and "proxy_buffering off;" in conf


def test_a_broken_nginx_configuration_fails_nginx_t(tmp_path):
    """The check above would notice: nginx -t refuses a directive it does not know."""
    nginx = nginx_binary()
    need_service("nginx", nginx is not None, "run scripts/install-nginx.sh")
    conf = shipped_config(tmp_path)
    site = tmp_path / "gonghui.conf"
    site.write_text(site.read_text().replace("proxy_buffering off;", "proxy_bufferin off;"))
    done = nginx_test(nginx, conf)
    assert done.returncode != 0 and "proxy_bufferin" in done.stderr


def test_the_systemd_units_verify_and_are_hardened(tmp_path):
    analyze = shutil.which("systemd-analyze")
    need_service("systemd-analyze", analyze is not None, "apt-get install systemd")
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert [u.name for u in units] == [
        "gonghui-livestream.service", "gonghui-web@.service", "gonghui-worker.service"
    ]  # fmt: skip
    checked = []
    for unit in units:
        text = unit.read_text()
        for line in (
            "User=gonghui", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
            "PrivateTmp=yes", "CapabilityBoundingSet=", "EnvironmentFile=/etc/gonghui/gonghui.env",
            "Restart=on-failure",
        ):  # fmt: skip
            assert re.search(rf"^{re.escape(line)}$", text, re.M), (unit.name, line)
        # verify needs the programs to exist: the same unit with a stand-in program.
        name = unit.name.replace("@.", "@8000.")
        (tmp_path / name).write_text(
            text.replace("/opt/gonghui/bin/gonghui", "/bin/true").replace(
                "/etc/gonghui/gonghui.env", "/dev/null"
            )
        )
        checked.append(str(tmp_path / name))
    done = subprocess.run(
        [analyze, "verify", "--man=no", *checked], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Unknown" not in done.stderr and "ignoring" not in done.stderr, done.stderr


def test_the_dockerfile_builds_in_two_stages_and_runs_as_a_user_without_keys():
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    assert [s.split()[0] for s in stages] == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    builder, runtime = stages
    assert "AS builder" in builder and "AS runtime" in runtime
    # Static files collected in the builder with keys made for that step and then deleted.
    assert re.search(
        r"GONGHUI_LOCAL_KEYS=true.*\n.*GONGHUI_KEYS_DIR=/build/throwaway-keys", builder
    )
    assert "collectstatic" in builder and "rm -rf /build/throwaway-keys" in builder
    assert "throwaway-keys" not in runtime and "gonghui collectstatic" not in runtime
    assert 'CMD ["serve", "--no-stream", "--no-collectstatic"]' in runtime  # collected above
    assert "COPY --from=builder /build/var/static" in runtime
    assert not re.search(
        r"GONGHUI_(SECRET_KEY|FIELD_KEYS|BLIND_INDEX_KEYS|AUDIT_SIGNING_KEYS)", runtime
    )
    assert re.search(r"^USER gonghui:gonghui$", runtime, re.M)
    assert "fonts-wqy-microhei" in runtime
    (health,) = re.findall(r"^HEALTHCHECK .*\n\s+CMD (.*)$", runtime, re.M)
    assert "urllib.request" in health and "/healthz" in health and "curl" not in health
    assert 'ENTRYPOINT ["gonghui"]' in runtime
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ignored[ignored.index("*") + 1 :][:3] == ["!pyproject.toml", "!README.md", "!src/"]


def run_gonghui(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    environ = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT / "src"),
        "GONGHUI_DEBUG": "true",
        "GONGHUI_VAR_DIR": str(tmp_path),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "gonghui.cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", [("serve", "--bind", "127.0.0.1:1"), ("worker",)])
def test_several_servers_on_local_files_refuse_to_start_in_one_line(tmp_path, command):
    done = run_gonghui(tmp_path, *command, GONGHUI_SERVERS="2")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0] == (
        "gonghui: configuration error: GONGHUI_SERVERS=2 但 GONGHUI_STORAGE=local：多台服务器"
        "必须共用 S3 兼容存储（GONGHUI_STORAGE=s3，见 docs/deploy.md） / several servers need "
        "the shared S3-compatible store, not local files"
    )
    assert "serving on" not in done.stdout  # nothing started
    assert not (tmp_path / "static" / "staticfiles.json").exists()


def test_django_checks_refuse_local_files_and_sqlite_with_several_servers(tmp_path):
    local = run_gonghui(tmp_path, "check", GONGHUI_SERVERS="3")
    assert local.returncode == 1
    assert "(gonghui.E021) GONGHUI_SERVERS=3 但 GONGHUI_STORAGE=local" in local.stderr
    s3 = {"GONGHUI_STORAGE": "s3", "GONGHUI_S3_BUCKET": "gonghui"}
    sqlite = run_gonghui(tmp_path, "check", GONGHUI_SERVERS="2", **s3)
    assert sqlite.returncode == 1
    assert "GONGHUI_SERVERS=2 但数据库是 SQLite" in sqlite.stderr
    assert "several servers need one PostgreSQL database" in sqlite.stderr
    for env in ({"GONGHUI_SERVERS": "1"}, {"GONGHUI_SERVERS": "1", **s3}, {}):
        done = run_gonghui(tmp_path, "check", **env)
        assert done.returncode == 0, done.stderr


def test_malformed_server_and_pool_settings_are_refused_naming_them():
    with pytest.raises(ConfigError, match="GONGHUI_SERVERS='two': expected a whole number"):
        read_env({"GONGHUI_SERVERS": "two"})
    with pytest.raises(ConfigError, match="GONGHUI_DB_POOL='-1': must not be negative"):
        read_env({"GONGHUI_DB_POOL": "-1"})
    with pytest.raises(ConfigError, match="GONGHUI_DB_TRANSACTION_POOLER='maybe'"):
        read_env({"GONGHUI_DB_TRANSACTION_POOLER": "maybe"})


def settings_of(tmp_path, **env) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; o = s.STORAGES['default'].get('OPTIONS', {}); "
        "print(json.dumps({'pool': d.get('OPTIONS', {}).get('pool'), 'age': d['CONN_MAX_AGE'], "
        "'cursors': d.get('DISABLE_SERVER_SIDE_CURSORS'), 'style': o.get('addressing_style')}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT / "src"),
            "DJANGO_SETTINGS_MODULE": "gonghui.settings",
            "GONGHUI_DEBUG": "true",
            "GONGHUI_VAR_DIR": str(tmp_path),
            **env,
        },
        check=True,
    )
    return yaml.safe_load(done.stdout)


def test_the_pool_and_the_transaction_pooler_settings_reach_the_database_settings(tmp_path):
    pg = "postgres://gonghui_app@db:5432/gonghui"
    assert settings_of(tmp_path, GONGHUI_DATABASE_URL=pg) == {
        "pool": None, "age": 600, "cursors": False, "style": None
    }  # fmt: skip
    pooled = settings_of(
        tmp_path, GONGHUI_DATABASE_URL=pg, GONGHUI_DB_POOL="4", GONGHUI_DB_TRANSACTION_POOLER="1"
    )
    assert pooled == {
        "pool": {"min_size": 1, "max_size": 4, "timeout": 10}, "age": 0, "cursors": True,
        "style": None,
    }  # fmt: skip
    # SQLite has no pool (one file, no server): the setting leaves it alone.
    assert settings_of(tmp_path, GONGHUI_DB_POOL="4")["pool"] is None
    s3 = settings_of(
        tmp_path,
        GONGHUI_STORAGE="s3",
        GONGHUI_S3_BUCKET="gonghui",
        GONGHUI_S3_ENDPOINT_URL="http://minio:9000",
    )
    assert s3["style"] == "path"  # MinIO's bucket in the path, not in a host name
