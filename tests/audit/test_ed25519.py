"""The stand-alone verifier's pure-Python Ed25519 against `cryptography` and RFC 8032."""

import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gonghui.audit.verifier import _L, checkpoint_message, ed25519_verify

# RFC 8032, section 7.1: TEST 1 (empty message), TEST 2 (one byte), TEST 3 (two bytes).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032)
def test_rfc8032_vectors(secret, public, message, signature):
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    public, message, signature = map(bytes.fromhex, (public, message, signature))
    assert raw_public(key) == public  # the vector as `cryptography` sees it
    assert key.sign(message) == signature

    assert ed25519_verify(public, message, signature)
    assert not ed25519_verify(public, message + b"\x00", signature)


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_cryptography(seed):
    key = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    other = Ed25519PrivateKey.generate()
    public = raw_public(key)
    message = checkpoint_message(
        "platform", 1000 + seed, os.urandom(32).hex(), "2026-01-01T00:00:00Z"
    )
    signature = key.sign(message)

    assert ed25519_verify(public, message, signature)
    for bit in (0, 77, len(message) * 8 - 1):
        assert not ed25519_verify(public, flip(message, bit), signature)
    for bit in (0, 100, 255, 256, 300, 511):  # R and S halves
        assert not ed25519_verify(public, message, flip(signature, bit))
    assert not ed25519_verify(raw_public(other), message, signature)
    assert not ed25519_verify(public, message, other.sign(message))
    assert not ed25519_verify(flip(public, 3), message, signature)


def test_rejects_malformed_input_without_raising():
    key = Ed25519PrivateKey.generate()
    public, message = raw_public(key), b"head"
    signature = key.sign(message)
    r, s = signature[:32], int.from_bytes(signature[32:], "little")

    assert not ed25519_verify(public[:31], message, signature)
    assert not ed25519_verify(public, message, signature[:63])
    assert not ed25519_verify(public, message, b"")
    # S + L is the same scalar mod L: RFC 8032 requires rejecting the non-canonical form.
    assert not ed25519_verify(public, message, r + (s + _L).to_bytes(32, "little"))
    # A y coordinate >= p is no valid point encoding.
    assert not ed25519_verify(b"\xff" * 31 + b"\x7f", message, signature)
    assert not ed25519_verify(public, message, b"\xff" * 31 + b"\x7f" + signature[32:])
