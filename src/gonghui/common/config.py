"""Configuration from GONGHUI_* environment variables, and the platform's four keys.

Every setting is declared here once; an unknown GONGHUI_* variable or a malformed value
stops start-up with a one-line message naming it (``ConfigError``). Keys: ``SECRET_KEY``,
the field-encryption key, the blind-index key and the audit signing key are four separate
keys, each written ``KID:BASE64`` (a comma-separated list: the first signs/encrypts, the
rest still decrypt/verify during a rotation). With GONGHUI_LOCAL_KEYS (``make run``; unset,
it follows GONGHUI_DEBUG) they are generated once into the keys folder (outside ``var/data``
so a backup of the data never holds them); otherwise a missing key is an error.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import secrets
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


def _url(schemes: tuple[str, ...]):
    def parse(name: str, raw: str) -> str:
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        if scheme not in schemes:
            raise ConfigError(
                f"{name}={raw!r}: expected a URL starting with {' or '.join(schemes)}"
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
    "GONGHUI_SESSION_MINUTES": (_int, "30"),
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
    """One purpose's keys: ``current`` (kid, bytes) first, then older ones by kid."""

    purpose: str
    keys: tuple[tuple[str, bytes], ...]

    @property
    def current(self) -> tuple[str, bytes]:
        return self.keys[0]

    def get(self, kid: str) -> bytes:
        for key_id, key in self.keys:
            if key_id == kid:
                return key
        raise KeyError(f"{self.purpose}: no key with id {kid!r}")


def parse_keyring(setting: str, raw: str, size: int) -> KeyRing:
    keys = []
    for item in raw.split(","):
        kid, sep, material = item.strip().partition(":")
        if not sep or not kid or not kid.isalnum():
            raise ConfigError(f"{setting}: expected KID:BASE64[,KID:BASE64...]")
        try:
            key = base64.b64decode(material, validate=True)
        except ValueError:
            raise ConfigError(f"{setting}: key {kid!r} is not valid base64") from None
        if len(key) != size:
            raise ConfigError(f"{setting}: key {kid!r} must be {size} bytes, got {len(key)}")
        keys.append((kid, key))
    return KeyRing(setting, tuple(keys))


KEY_SIZES = {
    "GONGHUI_SECRET_KEY": 48,
    "GONGHUI_FIELD_KEYS": 32,  # AES-256-GCM
    "GONGHUI_BLIND_INDEX_KEYS": 32,  # HMAC-SHA256
    "GONGHUI_AUDIT_SIGNING_KEYS": 32,  # Ed25519 private seed
}


def load_keys(values: dict, keys_dir: Path, *, generate: bool) -> dict[str, KeyRing]:
    """Each key from its variable, else from ``keys_dir``; generated there only when
    ``generate`` (GONGHUI_LOCAL_KEYS: a machine of one's own, never production)."""
    rings = {}
    for setting, size in KEY_SIZES.items():
        raw = values.get(setting)
        path = keys_dir / (setting.removeprefix("GONGHUI_").lower() + ".key")
        if raw is None and path.exists():
            raw = path.read_text().strip()
        if raw is None:
            if not generate:
                raise ConfigError(
                    f"{setting}: not set and no key file at {path} "
                    "(required unless GONGHUI_LOCAL_KEYS=true)"
                )
            raw = _generate_key_file(path, size)
        rings[setting] = parse_keyring(setting, raw, size)
    return rings


def _generate_key_file(path: Path, size: int) -> str:
    """Write a new key once, atomically: a process that loses the race reads the winner's."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    raw = f"k1:{base64.b64encode(secrets.token_bytes(size)).decode()}"
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(raw + "\n")
    try:
        os.link(tmp, path)  # fails if another process created the key first
    except FileExistsError:
        raw = path.read_text().strip()
    finally:
        tmp.unlink()
    return raw
