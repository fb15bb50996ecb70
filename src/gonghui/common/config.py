"""Configuration from GONGHUI_* environment variables, and the platform's four keys.

Every setting is declared here once; an unknown GONGHUI_* variable or a malformed value
stops start-up with a one-line message naming it (``ConfigError``). Keys: ``SECRET_KEY``,
the field-encryption key, the blind-index key and the audit signing key are four separate
keys, each written ``KID:BASE64`` or ``KID:ALGORITHM:BASE64`` (a comma-separated list: the
first key of the installation's algorithms, GONGHUI_CRYPTO, signs/encrypts, the rest still
decrypt/verify during a rotation or after a switch; see docs/crypto.md). With
GONGHUI_LOCAL_KEYS (``make run``; unset, it follows GONGHUI_DEBUG) they are generated once
into the keys folder (outside ``var/data`` so a backup of the data never holds them), of the
kind GONGHUI_CRYPTO asks for; otherwise a missing key is an error.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it, on one line."""


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}={raw!r}: expected true or false")


def _int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number") from None
    if value < 0:
        raise ConfigError(f"{name}={raw!r}: must not be negative")
    return value


def _int_between(low: int, high: int | None = None, why: str = ""):
    """A whole number from ``low`` to ``high`` (None: no upper bound); ``why``: the rule
    that sets the bound, said when a value breaks it."""

    def parse(name: str, raw: str) -> int:
        value = _int(name, raw)
        if high is not None and not low <= value <= high:
            raise ConfigError(f"{name}={raw!r}: expected a whole number from {low} to {high}")
        if value < low:
            raise ConfigError(f"{name}={raw!r}: 不得小于 {low}（{why}）")
        return value

    return parse


def _url(schemes: tuple[str, ...]):
    def parse(name: str, raw: str) -> str:
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        if scheme not in schemes:  # the value itself may hold a password: never quoted
            named = re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,15}", scheme)
            given = f"{scheme}://…" if named else "no scheme it knows"
            raise ConfigError(
                f"{name}: expected a URL starting with {' or '.join(schemes)} (got {given})"
            )
        return raw

    return parse


def _str(name: str, raw: str) -> str:
    return raw


def _list(name: str, raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _proxies(name: str, raw: str) -> list[str]:
    """Trusted proxies: addresses or networks (CIDR), or ``unix`` for a proxy on this
    machine reaching the server through a unix socket."""
    entries = _list(name, raw)
    for entry in entries:
        if entry == "unix":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(
                f"{name}: {entry!r} is not an address, a network (CIDR) or unix"
            ) from None
    return entries


def _token(name: str, raw: str) -> str:
    if len(raw) < 16 or not raw.isprintable() or " " in raw:
        raise ConfigError(f"{name}: expected a token of at least 16 characters without spaces")
    return raw


def _choice(*choices: str):
    def parse(name: str, raw: str) -> str:
        if raw not in choices:
            raise ConfigError(f"{name}={raw!r}: expected one of {', '.join(choices)}")
        return raw

    return parse


# name -> (parser, default as text or None for "not set")
SETTINGS: dict[str, tuple] = {
    "GONGHUI_DEBUG": (_bool, "false"),
    "GONGHUI_LOCAL_KEYS": (_bool, None),  # unset: as GONGHUI_DEBUG
    "GONGHUI_VAR_DIR": (_str, None),
    "GONGHUI_KEYS_DIR": (_str, None),
    "GONGHUI_CERT_FONT": (_str, None),
    "GONGHUI_DATABASE_URL": (_url(("sqlite", "postgres", "postgresql")), None),
    "GONGHUI_REDIS_URL": (_url(("redis", "rediss")), None),
    "GONGHUI_SECRET_KEY": (_str, None),
    "GONGHUI_FIELD_KEYS": (_str, None),
    "GONGHUI_BLIND_INDEX_KEYS": (_str, None),
    "GONGHUI_AUDIT_SIGNING_KEYS": (_str, None),
    "GONGHUI_ALLOWED_HOSTS": (_list, "127.0.0.1,localhost"),
    "GONGHUI_CSRF_TRUSTED_ORIGINS": (_list, ""),
    "GONGHUI_SECURE_COOKIES": (_bool, None),
    "GONGHUI_SESSION_MINUTES": (_int_between(1, 24 * 60), "30"),  # idle: polls do not count
    "GONGHUI_LOGIN_MAX_FAILURES": (_int, "5"),
    "GONGHUI_LOGIN_ACCOUNT_MAX_FAILURES": (_int, "20"),
    "GONGHUI_LOGIN_LOCK_MINUTES": (_int, "15"),
    # Resident-ID look-ups and collisions (docs/privacy.md), per account.
    "GONGHUI_ID_PROBES_PER_MINUTE": (_int, "10"),
    "GONGHUI_ID_PROBES_PER_DAY": (_int, "100"),
    "GONGHUI_TRUSTED_PROXIES": (_proxies, ""),
    "GONGHUI_HSTS_SECONDS": (_int, None),  # unset: a year outside debug, off in debug
    "GONGHUI_UPLOAD_MAX_MB": (_int, "20"),
    "GONGHUI_STORAGE": (_choice("local", "s3"), "local"),
    "GONGHUI_S3_BUCKET": (_str, None),
    "GONGHUI_S3_ENDPOINT_URL": (_str, None),
    "GONGHUI_CHECKPOINT_MINUTES": (_int, "60"),
    # Comma list of witness files: each signed platform head is appended to every one, and
    # `audit verify` checks every one; unset: VAR_DIR/witness/audit-heads.jsonl.
    "GONGHUI_AUDIT_WITNESS": (_list, None),
    # `audit verify` fails when events stay unwitnessed longer than this (the worker signs
    # every minute: a few missed minutes mean the signer or a witness store has stopped).
    "GONGHUI_AUDIT_UNWITNESSED_MINUTES": (_int, "5"),
    # Refuse to serve as a PostgreSQL superuser or the audit tables' owner (audit/roles.py);
    # unset: on outside debug, off in debug (the test suite runs as the superuser).
    "GONGHUI_DB_ROLE_CHECK": (_bool, None),
    "GONGHUI_WORKERS": (_int, None),  # unset: 2 per CPU core + 1 (gunicorn's advice)
    "GONGHUI_BIND": (_str, "127.0.0.1:8000"),
    "GONGHUI_LOG_LEVEL": (_choice("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
    # The live board's stream server (docs/live-board.md): its address (unset: the web
    # port + 1 on the same host, started by `gonghui serve`), the origin the pages open it
    # at (unset: the pages' own, behind the proxy), and the page origins it answers (CORS).
    "GONGHUI_BOARD_STREAM_BIND": (_str, None),
    "GONGHUI_BOARD_STREAM_URL": (_str, ""),
    "GONGHUI_BOARD_STREAM_ORIGINS": (_list, ""),
    # --- observe (issue 21, point 7: docs/observability.md) ---
    # /metrics (Prometheus): a bearer token and/or the addresses or networks it answers;
    # neither set: /metrics answers 404. The folder where `gonghui serve`'s processes keep
    # their counters (prometheus-client's multiprocess mode; emptied at each start).
    "GONGHUI_METRICS_TOKEN": (_token, None),
    "GONGHUI_METRICS_ALLOW": (_proxies, ""),
    "GONGHUI_METRICS_DIR": (_str, None),
    # Where ERROR lines and alerts are also sent: https://… (JSON POST) or file:///path.
    "GONGHUI_ERROR_SINK": (_url(("https", "http", "file")), None),
    # A worker not heard from this long is lost: its running tasks are retried or failed.
    "GONGHUI_WORKER_LOST_MINUTES": (_int, "5"),
    # --- audit retention (issue #21 point 5, docs/audit-retention.md) ---
    # Days the audit events stay in the database; older ones are archived (signed bundles
    # in the archive storage) by the worker and removed only by `gonghui audit prune`.
    "GONGHUI_AUDIT_RETENTION_DAYS": (
        _int_between(180, why="等保 2.0 要求审计记录至少保存六个月，请设为 180 或以上"),
        "180",
    ),
    # The worker runs `audit verify` this often and raises an alert when it fails.
    "GONGHUI_AUDIT_VERIFY_MINUTES": (_int_between(1, why="定时校验审计日志不能关闭"), "60"),
    # deploy (issue 21, docs/deploy.md): how many web servers the installation declares
    # (more than one needs GONGHUI_STORAGE=s3 and PostgreSQL: start-up refuses otherwise),
    # and the psycopg connection pool's size per process (0: no pool, a connection per
    # worker kept CONN_MAX_AGE).
    "GONGHUI_SERVERS": (_int, "1"),
    "GONGHUI_DB_POOL": (_int, "0"),
    # The database URL points at a pooler in transaction mode (PgBouncer): no server-side
    # cursors (a cursor outlives the transaction its server connection was lent for).
    "GONGHUI_DB_TRANSACTION_POOLER": (_bool, "false"),
    # --- sepduty (#21 points 2 and 4: first start, the three administrators) ---
    # This installation is the demo (`make run`): start-up accepts the demo's accounts with
    # their published password outside debug (docs/admin-roles.md); unset: as GONGHUI_DEBUG.
    "GONGHUI_DEMO": (_bool, None),
    # `gonghui createadmin --no-input`: the new administrator's username, and a file holding
    # the password (one line; a container secret), never the password itself in the env.
    "GONGHUI_ADMIN_USERNAME": (_str, None),
    "GONGHUI_ADMIN_PASSWORD_FILE": (_str, None),
    # --- smcrypto (issue #21 point 8): the installation's algorithms (docs/crypto.md):
    # intl = SHA-256 chain, Ed25519 signatures, AES-256-GCM fields, HMAC-SHA256 indexes;
    # sm = SM3 chain, SM2 signatures, SM4-GCM fields, HMAC-SM3 indexes.
    "GONGHUI_CRYPTO": (_choice("intl", "sm"), "intl"),
    # --- backup (docs/backup.md): where `gonghui backup` writes its sets (unset:
    # VAR_DIR/backups); keep it on another disk, and copy the sets off the machine.
    "GONGHUI_BACKUP_DIR": (_str, None),
    # --- sessions: the password policy (common/passwords.py, docs/sign-in.md); defaults
    # that a graded-protection (等保 level 3) assessment accepts. The length may not go below
    # 8; the classes are of upper case, lower case, digits and symbols; the history counts
    # the current password; 0 days: passwords never expire.
    "GONGHUI_PASSWORD_MIN_LENGTH": (_int_between(8, 128), "10"),
    "GONGHUI_PASSWORD_CLASSES": (_int_between(1, 4), "3"),
    "GONGHUI_PASSWORD_HISTORY": (_int_between(0, 24), "5"),
    "GONGHUI_PASSWORD_MAX_AGE_DAYS": (_int_between(0, 3650), "90"),
    # factors · the second factor (docs/second-factor.md): the passkeys' relying party (the
    # host name passkeys are bound to; unset: the host each page is served on) and the
    # origins their ceremonies may come from (unset: the page's own origin).
    "GONGHUI_PASSKEY_RP_ID": (_str, None),
    "GONGHUI_PASSKEY_ORIGINS": (_list, ""),
}


def read_env(environ: os._Environ | dict | None = None) -> dict:
    """Parse every GONGHUI_* variable; refuse unknown names and malformed values."""
    environ = os.environ if environ is None else environ
    unknown = sorted(k for k in environ if k.startswith("GONGHUI_") and k not in SETTINGS)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown setting (known: see docs/operations.md)")
    values = {}
    for name, (parse, default) in SETTINGS.items():
        raw = environ.get(name, default)
        values[name] = None if raw is None else parse(name, raw)
    return values


@dataclass(frozen=True)
class KeyRing:
    """One purpose's keys: ``current`` (kid, bytes) first, then older ones by kid, and each
    key's algorithm (``kinds``, in the same order)."""

    purpose: str
    keys: tuple[tuple[str, bytes], ...]
    kinds: tuple[str, ...]

    @property
    def current(self) -> tuple[str, bytes]:
        return self.keys[0]

    def get(self, kid: str) -> bytes:
        for key_id, key in self.keys:
            if key_id == kid:
                return key
        raise KeyError(f"{self.purpose}: no key with id {kid!r}")

    def kind(self, kid: str) -> str:
        for (key_id, _), kind in zip(self.keys, self.kinds, strict=True):
            if key_id == kid:
                return kind
        raise KeyError(f"{self.purpose}: no key with id {kid!r}")


# setting -> {algorithm: (key bytes, suite)}; the first is what a bare KID:BASE64 means.
KEY_KINDS: dict[str, dict[str, tuple[int, str | None]]] = {
    "GONGHUI_SECRET_KEY": {"django": (48, None)},
    "GONGHUI_FIELD_KEYS": {"aes": (32, "intl"), "sm4": (16, "sm")},  # AES-256-GCM, SM4-GCM
    "GONGHUI_BLIND_INDEX_KEYS": {"sha256": (32, "intl"), "sm3": (32, "sm")},  # HMAC
    "GONGHUI_AUDIT_SIGNING_KEYS": {"ed25519": (32, "intl"), "sm2": (32, "sm")},  # private keys
}


def _kind_for(setting: str, suite: str) -> str:
    kinds = KEY_KINDS[setting]
    return next((k for k, (_, s) in kinds.items() if s in (suite, None)), "")


def parse_keyring(setting: str, raw: str, suite: str = "intl") -> KeyRing:
    """The ring, its first key of ``suite`` (GONGHUI_CRYPTO) made the current one."""
    kinds = KEY_KINDS[setting]
    default = next(iter(kinds))
    items = []
    for item in raw.split(","):
        parts = item.strip().split(":")
        if len(parts) == 2:
            parts.insert(1, default)
        kid, kind, material = parts if len(parts) == 3 else ("", "", "")
        if not kid or not kid.isalnum() or kind not in kinds:
            raise ConfigError(
                f"{setting}: expected KID:BASE64 or KID:ALGORITHM:BASE64 (algorithm one of "
                f"{', '.join(kinds)}), comma-separated"
            )
        try:
            key = base64.b64decode(material, validate=True)
        except ValueError:
            raise ConfigError(f"{setting}: key {kid!r} is not valid base64") from None
        size = kinds[kind][0]
        if len(key) != size:
            raise ConfigError(f"{setting}: key {kid!r} must be {size} bytes, got {len(key)}")
        if any(kid == other for other, _, _ in items):
            raise ConfigError(f"{setting}: key id {kid!r} is used twice")
        items.append((kid, kind, key))
    wanted = _kind_for(setting, suite)
    first = next((i for i, (_, kind, _) in enumerate(items) if kind == wanted), None)
    if first is None:
        raise ConfigError(
            f"{setting}: GONGHUI_CRYPTO={suite} needs a {wanted} key (add KID:{wanted}:BASE64; "
            "see docs/crypto.md)"
        )
    items.insert(0, items.pop(first))
    return KeyRing(
        setting, tuple((kid, key) for kid, _, key in items), tuple(k for _, k, _ in items)
    )


def load_keys(values: dict, keys_dir: Path, *, generate: bool) -> dict[str, KeyRing]:
    """Each key from its variable, else from ``keys_dir``; generated there only when
    ``generate`` (GONGHUI_LOCAL_KEYS: a machine of one's own, never production), of the
    kind GONGHUI_CRYPTO asks for (added in front of a key file that has none)."""
    suite = values.get("GONGHUI_CRYPTO") or "intl"
    rings = {}
    for setting in KEY_KINDS:
        raw = values.get(setting)
        path = keys_dir / (setting.removeprefix("GONGHUI_").lower() + ".key")
        from_file = raw is None and path.exists()
        if from_file:
            raw = path.read_text().strip()
        if raw is None:
            if not generate:
                raise ConfigError(
                    f"{setting}: not set and no key file at {path} "
                    "(required unless GONGHUI_LOCAL_KEYS=true)"
                )
            raw = _generate_key_file(path, setting, suite)
        try:
            rings[setting] = parse_keyring(setting, raw, suite)
        except ConfigError:
            if not (generate and from_file):
                raise
            rings[setting] = parse_keyring(setting, _add_key(path, setting, suite, raw), suite)
    return rings


def _new_key(setting: str, suite: str, kid: str) -> str:
    kind = _kind_for(setting, suite)
    size = KEY_KINDS[setting][kind][0]
    if kind == "sm2":  # a private key in [1, n - 2] for the SM2 curve, from the library
        from gmalg import SM2

        material = SM2().generate_keypair()[0]
    else:
        material = secrets.token_bytes(size)
    prefix = "" if kind == next(iter(KEY_KINDS[setting])) else f"{kind}:"
    return f"{kid}:{prefix}{base64.b64encode(material).decode()}"


def _private_temp(path: Path, raw: str) -> Path:
    """``raw`` in a new file of its own beside ``path`` that only its owner can read."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(raw + "\n")
    return Path(tmp)


def _write_new(path: Path, raw: str) -> bool:
    """Write ``raw`` to ``path`` atomically if it does not exist yet (False if another
    process created it first)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = _private_temp(path, raw)
    try:
        os.link(tmp, path)  # fails if another process created the key first
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True


def _generate_key_file(path: Path, setting: str, suite: str) -> str:
    """Write a new key once, atomically: a process that loses the race reads the winner's."""
    raw = _new_key(setting, suite, "k1")
    return raw if _write_new(path, raw) else path.read_text().strip()


def _add_key(path: Path, setting: str, suite: str, raw: str) -> str:
    """A local key file without a key of ``suite`` (GONGHUI_CRYPTO changed): a new one in
    front, the old ones kept after it (they still decrypt and verify)."""
    taken = {item.strip().split(":")[0] for item in raw.split(",")}
    kid = next(f"k{n}" for n in range(len(taken) + 1, len(taken) + 100) if f"k{n}" not in taken)
    new = f"{_new_key(setting, suite, kid)},{raw}"
    os.replace(_private_temp(path, new), path)
    return new
