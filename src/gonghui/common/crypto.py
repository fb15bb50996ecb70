"""Field encryption (AES-256-GCM) and blind indexes (HMAC-SHA256), each under its own key ring.

Ciphertexts and index values carry the key id, so keys can be rotated: new values use the
current key, old ones still decrypt with the key their id names.
"""

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


def encrypt(plaintext: str, *, context: str) -> str:
    """``kid$base64(nonce || ciphertext)``; ``context`` (e.g. the field) is bound as AAD."""
    kid, key = settings.KEYS["GONGHUI_FIELD_KEYS"].current
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{kid}${base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str) -> str:
    kid, _, body = token.partition("$")
    raw = base64.b64decode(body)
    key = settings.KEYS["GONGHUI_FIELD_KEYS"].get(kid)
    return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode()


def blind_index(value: str, *, context: str) -> str:
    """Keyed hash for exact-match look-ups; never a plain hash, which a dictionary reverses."""
    kid, key = settings.KEYS["GONGHUI_BLIND_INDEX_KEYS"].current
    digest = hmac.new(key, f"{context}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kid}${digest}"
