"""Several `gonghui serve` behind nginx on this machine, as deploy/ installs them on several
servers: one PostgreSQL database, Redis, an S3 server (moto's server mode: MinIO does not
install here) and nginx with the shipped deploy/nginx/gonghui.conf (TLS included), its
listening ports moved to free loopback ports. Each server has its own var folder: nothing
passes between them but the database, Redis and the S3 store.

Used by tests/deploy/test_cluster.py and bench/deploy.py (``python bench/run.py deploy``)."""

import base64
import datetime
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALL_NGINX = ROOT / "scripts" / "install-nginx.sh"
HOST = "gonghui.example.org"  # the sample's server_name
BUCKET = "gonghui"
S3_KEYS = {"AWS_ACCESS_KEY_ID": "gonghui-test", "AWS_SECRET_ACCESS_KEY": "gonghui-test-secret"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_binary(*, install: bool = True) -> str | None:
    """nginx's path, installed through scripts/install-nginx.sh when missing (and allowed)."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found or not install:
        return found
    subprocess.run(["bash", str(INSTALL_NGINX)], check=False)
    return nginx_binary(install=False)


def make_tls(folder: Path, host: str = HOST) -> None:
    """A self-signed certificate for ``host`` in ``folder``/tls (gonghui.crt, gonghui.key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    tls = folder / "tls"
    tls.mkdir(parents=True, exist_ok=True)
    (tls / "gonghui.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tls / "gonghui.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def nginx_main(folder: Path, includes: list[str]) -> Path:
    """nginx.conf in ``folder`` (its prefix: relative paths such as tls/ resolve there) with
    its own pid, logs and temporary folders, including ``includes`` in its http block."""
    temps = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    lines = "\n".join(f"    include {name};" for name in includes)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\nworker_processes 1;\n"
        f"events {{ worker_connections 4096; }}\nhttp {{\n    access_log off;\n{temps}\n"
        f"{lines}\n}}\n"
    )
    return conf


def nginx_test(nginx: str, conf: Path) -> subprocess.CompletedProcess:
    """``nginx -t`` on ``conf`` (its folder the prefix)."""
    return subprocess.run(
        [nginx, "-t", "-p", str(conf.parent), "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )


def shipped_config(folder: Path) -> Path:
    """The sample as shipped (deploy/nginx/gonghui.conf and upstreams.conf), with a
    throw-away certificate where tls/ expects one."""
    make_tls(folder)
    for name in ("gonghui.conf", "upstreams.conf"):
        shutil.copy(DEPLOY / "nginx" / name, folder / name)
    return nginx_main(folder, ["upstreams.conf", "gonghui.conf"])


def local_config(folder: Path, *, web_ports, http_port: int, https_port: int) -> Path:
    """deploy/nginx/gonghui.conf unchanged but for its ports (loopback, free ones) and its
    access log's path, in front of the servers on ``web_ports``."""
    make_tls(folder)
    text = (DEPLOY / "nginx" / "gonghui.conf").read_text()
    text = re.sub(r"^\s*listen \[::\].*\n", "", text, flags=re.MULTILINE)
    text = re.sub(r"\blisten 80\b", f"listen 127.0.0.1:{http_port}", text)
    text = re.sub(r"\blisten 443\b", f"listen 127.0.0.1:{https_port}", text)
    text = text.replace("/var/log/nginx/gonghui.access.log", str(folder / "access.log"))
    (folder / "gonghui.conf").write_text(text)
    servers = "".join(f"    server 127.0.0.1:{port};\n" for port in web_ports)
    (folder / "upstreams.conf").write_text(
        f"upstream gonghui_web {{\n{servers}}}\n"
        f"upstream gonghui_stream {{\n    server 127.0.0.1:{free_port()};\n}}\n"
    )
    return nginx_main(folder, ["upstreams.conf", "gonghui.conf"])


def key_env(keys: Mapping) -> dict[str, str]:
    """settings.KEYS as the variables that carry them (every server reads the same keys)."""
    return {
        setting: ",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in ring.keys)
        for setting, ring in keys.items()
    }


def server_env(
    *,
    database_url: str,
    redis_url: str | None,
    s3_port: int,
    keys: Mapping,
    var_dir: Path,
    witness: Path,
    servers: int = 2,
) -> dict[str, str]:
    """A production server's environment (debug off) behind the proxy on this machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGHUI_")}
    env |= (
        key_env(keys)
        | S3_KEYS
        | {
            "AWS_DEFAULT_REGION": "us-east-1",
            "PYTHONPATH": str(ROOT / "src"),
            "GONGHUI_DEBUG": "false",
            "GONGHUI_LOCAL_KEYS": "false",
            "GONGHUI_DATABASE_URL": database_url,
            "GONGHUI_DB_ROLE_CHECK": "false",  # the test database's superuser
            "GONGHUI_STORAGE": "s3",
            "GONGHUI_S3_BUCKET": BUCKET,
            "GONGHUI_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "GONGHUI_SERVERS": str(servers),
            "GONGHUI_TRUSTED_PROXIES": "127.0.0.1",
            "GONGHUI_ALLOWED_HOSTS": f"{HOST},127.0.0.1",
            "GONGHUI_VAR_DIR": str(var_dir),
            "GONGHUI_AUDIT_WITNESS": str(witness),
            "GONGHUI_LOG_LEVEL": "WARNING",
            "HOME": str(var_dir),
        }
    )
    if redis_url:
        env["GONGHUI_REDIS_URL"] = redis_url
    return env


class Process:
    """A child process in its own session, its output in a log file; stopped with SIGTERM
    (then SIGKILL of its group)."""

    def __init__(self, command: list[str], log: Path, env: Mapping[str, str] | None = None):
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for(self, ready, what: str, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if self.popen.poll() is not None:
                raise RuntimeError(f"{what} exited with {self.popen.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} not ready in {timeout_s:.0f} s:\n{self.tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=35)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def answers(port: int, path: str = "/healthz", *, tls: bool = False) -> bool:
    """Whether 127.0.0.1:``port`` answers ``path`` (Host: the platform's name) with 200."""
    try:
        status, _, _ = request(port, "GET", path, tls=tls, timeout=5)
    except (OSError, http.client.HTTPException):
        return False
    return status == 200


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    tls: bool = False,
    timeout: float = 30,
):
    """One request to 127.0.0.1:``port`` as the platform's host name; (status, headers, body).
    Through the proxy (``tls``) the certificate is the test's own, not checked."""
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


class Browser:
    """Cookies kept across requests, each request to a chosen port (the proxy's, over TLS,
    or one server's directly, as the proxy would send it: X-Forwarded-Proto https)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def go(self, port: int, method: str, path: str, *, tls: bool, body=None, headers=None):
        sent = {"Origin": f"https://{HOST}", "Referer": f"https://{HOST}{path}"}
        if not tls:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        status, answer, content = request(
            port, method, path, body=body, headers=sent | (headers or {}), tls=tls
        )
        for raw in answer.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        return status, answer, content

    def sign_in(self, port: int, username: str, password: str) -> None:
        status, _, page = self.go(port, "GET", "/login/", tls=True)
        if status != 200:
            raise RuntimeError(f"GET /login/ through the proxy: {status}")
        (token,) = re.findall(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        form = f"csrfmiddlewaretoken={token.decode()}&username={username}&password={password}"
        status, answer, _ = self.go(
            port,
            "POST",
            "/login/",
            tls=True,
            body=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"sign-in of {username} through the proxy failed ({status})")


def multipart(fields: dict[str, str], name: str, filename: str, content: bytes):
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


class Cluster:
    """moto's S3 server (the bucket made), ``servers`` × ``gonghui serve`` (``workers``
    each, own var folders, one database and Redis) and nginx in front, all on loopback.
    ``proxy_http`` / ``proxy_https`` are nginx's ports, ``web_ports`` the servers'.
    ``extra`` adds variables to each server's environment, by its number (from 1)."""

    def __init__(
        self,
        folder: Path,
        *,
        database_url: str,
        redis_url: str | None,
        keys: Mapping,
        servers: int = 2,
        workers: int = 2,
        nginx: str,
        extra: Mapping[int, Mapping[str, str]] | None = None,
    ):
        self.folder = folder
        self.database_url, self.redis_url, self.keys = database_url, redis_url, keys
        self.servers, self.workers, self.nginx = servers, workers, nginx
        self.extra = extra or {}
        self.s3_port = free_port()
        self.web_ports = [free_port() for _ in range(servers)]
        self.proxy_http, self.proxy_https = free_port(), free_port()
        self.processes: list[Process] = []

    def __enter__(self) -> "Cluster":
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        s3 = Process(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.s3_port)],
            self.folder / "moto.log",
        )
        self.processes.append(s3)
        s3.wait_for(lambda: _listening(self.s3_port), "moto's S3 server")
        self.s3_client().create_bucket(Bucket=BUCKET)
        for n, port in enumerate(self.web_ports, 1):
            env = self.server_env(self.folder / f"server{n}") | dict(self.extra.get(n, {}))
            command = [
                sys.executable,
                "-m",
                "gonghui.cli",
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(self.workers),
                "--no-stream",
            ]
            self.processes.append(Process(command, self.folder / f"server{n}.log", env))
        for process, port in zip(self.processes[1:], self.web_ports, strict=True):
            process.wait_for(lambda p=port: answers(p), f"gonghui serve on {port}")
        conf = local_config(
            self.folder / "nginx",
            web_ports=self.web_ports,
            http_port=self.proxy_http,
            https_port=self.proxy_https,
        )
        proxy = Process(
            [self.nginx, "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"],
            self.folder / "nginx.log",
        )
        self.processes.append(proxy)
        proxy.wait_for(lambda: answers(self.proxy_https, tls=True), "nginx")

    def server_env(self, var_dir: Path, servers: int | None = None) -> dict[str, str]:
        return server_env(
            database_url=self.database_url,
            redis_url=self.redis_url,
            s3_port=self.s3_port,
            keys=self.keys,
            var_dir=var_dir,
            witness=self.folder / "witness" / "audit-heads.jsonl",
            servers=self.servers if servers is None else servers,
        )

    def s3_client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.s3_port}",
            region_name="us-east-1",
            aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
        )

    def __exit__(self, *exc_info) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes = []


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
