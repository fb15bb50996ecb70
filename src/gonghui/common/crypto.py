"""Field encryption and blind indexes, each under its own key ring, in the installation's
algorithms (GONGHUI_CRYPTO, docs/crypto.md): AES-256-GCM and HMAC-SHA256 (``intl``) or
SM4-GCM and HMAC-SM3 (``sm``), both from ``cryptography``.

Ciphertexts and index values carry the key id, and those of an SM key their algorithm, so
keys can be rotated and the algorithms switched: new values use the current key, old ones
still decrypt with the key their id names (``kid$base64`` is AES-256-GCM, as written before
the algorithms could be chosen; ``kid$sm4$base64`` SM4-GCM). ``stale`` tells a value not
under the current key, which ``gonghui crypto reencrypt`` rewrites.
"""

import base64
import os

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from gonghui.common.config import KEY_KINDS

FIELD, INDEX = "GONGHUI_FIELD_KEYS", "GONGHUI_BLIND_INDEX_KEYS"
_TAG = 16


def _sm4_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def _sm4_open(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[-_TAG:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(sealed[:-_TAG]) + decryptor.finalize()


_SEAL = {"aes": lambda k, n, p, a: AESGCM(k).encrypt(n, p, a), "sm4": _sm4_seal}
_OPEN = {"aes": lambda k, n, s, a: AESGCM(k).decrypt(n, s, a), "sm4": _sm4_open}
_HMAC = {"sha256": hashes.SHA256, "sm3": hashes.SM3}
# The algorithm a value names; the first of each ring's kinds (AES, SHA-256) unnamed, as a
# bare KID:BASE64 key means it.
_DEFAULT = {ring: next(iter(KEY_KINDS[ring])) for ring in (FIELD, INDEX)}


def _prefix(ring: str, kid: str, kind: str) -> str:
    return f"{kid}$" if kind == _DEFAULT[ring] else f"{kid}${kind}$"


def _parse(ring: str, token: str) -> tuple[str, str, str]:
    """(kid, algorithm, rest) of a stored value; the algorithm must be its key's."""
    parts = token.split("$")
    kid, kind, rest = parts if len(parts) == 3 else (parts[0], _DEFAULT[ring], parts[-1])
    keys = settings.KEYS[ring]
    if keys.kind(kid) != kind:
        raise ValueError(f"{ring}: key {kid!r} is a {keys.kind(kid)} key, the value says {kind}")
    return kid, kind, rest


def encrypt(plaintext: str, *, context: str) -> str:
    """``kid[$algorithm]$base64(nonce || ciphertext || tag)``; ``context`` (e.g. the field)
    is bound as AAD."""
    keys = settings.KEYS[FIELD]
    kid, key = keys.current
    kind = keys.kind(kid)
    nonce = os.urandom(12)
    sealed = _SEAL[kind](key, nonce, plaintext.encode(), context.encode())
    return f"{_prefix(FIELD, kid, kind)}{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str) -> str:
    kid, kind, body = _parse(FIELD, token)
    raw = base64.b64decode(body)
    key = settings.KEYS[FIELD].get(kid)
    return _OPEN[kind](key, raw[:12], raw[12:], context.encode()).decode()


def blind_index(value: str, *, context: str) -> str:
    """Keyed hash for exact-match look-ups; never a plain hash, which a dictionary reverses."""
    keys = settings.KEYS[INDEX]
    kid, key = keys.current
    kind = keys.kind(kid)
    mac = hmac.HMAC(key, _HMAC[kind]())
    mac.update(f"{context}\x00{value}".encode())
    return f"{_prefix(INDEX, kid, kind)}{mac.finalize().hex()}"


def stale(token: str | None, *, ring: str = FIELD) -> bool:
    """Whether a stored ciphertext (or, with ``ring=INDEX``, index value) was made with
    another key than the current one."""
    if not token:
        return False
    kid, _, _ = _parse(ring, token)
    return kid != settings.KEYS[ring].current[0]
