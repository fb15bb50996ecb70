"""GONGHUI_CRYPTO=sm: SM3 chains, SM2 signatures, SM4-GCM fields and HMAC-SM3 indexes; the
published test vectors in the stand-alone verifier; switching an installation mid-stream."""

import ast
import base64
import hashlib
import json
import os
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.management import CommandError, call_command
from django.db import connection
from gmalg import SM2

from gonghui.audit import retention, services, verifier
from gonghui.audit.models import AuditEvent
from gonghui.audit.reencrypt import reencrypt
from gonghui.audit.verifier import SM2_CURVE, Curve, canonical, sm2_verify, sm2_za, sm3_pure
from gonghui.common import crypto
from gonghui.common.config import ConfigError, load_keys, parse_keyring
from gonghui.common.errors import Conflict
from gonghui.people.models import Person
from tests.audit.conftest import as_table_owner
from tests.audit.test_export import export, fingerprint, run_verifier
from tests.factories import VALID_IDS, make_person

H = lambda text: int(text.replace(" ", ""), 16)  # noqa: E731 (the standard's grouped hex)


# --- GB/T 32905-2016 (SM3), Appendix A --------------------------------------------------


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"abc", "66c7f0f4 62eeedd9 d1f2d46b dc10e4e2 4167c487 5cf2f7a2 297da02b 8f4ba8e0"),
        (b"abcd" * 16, "debe9ff9 2275b8a1 38604889 c18e5a4d 6fdb70e5 387e5765 293dcba3 9c0c5732"),
    ],
)
def test_sm3_standard_examples(message, digest):
    expected = digest.replace(" ", "")
    assert sm3_pure(message).hex() == expected  # the verifier's own code
    assert verifier.sm3(message).hex() == expected  # what it uses (OpenSSL's here)


def test_pure_sm3_agrees_with_openssl_at_every_padding_boundary():
    for size in (0, 1, 55, 56, 63, 64, 65, 119, 120, 1000):
        data = os.urandom(size)
        assert sm3_pure(data) == hashlib.new("sm3", data).digest(), size


# --- GB/T 32918.2-2016 (SM2 signature), Annex A: its example curve, not the recommended one --

EXAMPLE = Curve(
    p=H("8542D69E 4C044F18 E8B92435 BF6FF7DE 45728391 5C45517D 722EDB8B 08F1DFC3"),
    a=H("787968B4 FA32C3FD 2417842E 73BBFEFF 2F3C848B 6831D7E0 EC65228B 3937E498"),
    b=H("63E4C6D3 B23B0C84 9CF84241 484BFE48 F61D59A5 B16BA06E 6E12D1DA 27C5249A"),
    gx=H("421DEBD6 1B62EAB6 746434EB C3CC315E 32220B3B ADD50BDC 4C4E6C14 7FEDD43D"),
    gy=H("0680512B CBB42C07 D47349D2 153B70C4 E5D7FDFC BFA36EA1 A85841B9 E46E09A2"),
    n=H("8542D69E 4C044F18 E8B92435 BF6FF7DD 29772063 0485628D 5AE74EE7 C32E79B7"),
)
D_A = H("128B2FA8 BD433C6C 068C8D80 3DFF7979 2A519A55 171B1B65 0C23661D 15897263")
P_A = (
    H("0AE4C779 8AA0F119 471BEE11 825BE462 02BB79E2 A5844495 E97C04FF 4DF2548A"),
    H("7C0240F8 8F1CD4E1 6352A73C 17B7F16F 07353E53 A176D684 A9FE0C6B B798E857"),
)
ID_A = b"ALICE123@YAHOO.COM"
Z_A = "F4A38489 E32B45B6 F876E3AC 2168CA39 2362DC8F 23459C1D 1146FC3D BFB7BC9A"
K = H("6CB28D99 385C175C 94F94E93 4817663F C176D925 DD72B727 260DBAAE 1FB2F96F")
R = H("40F1EC59 F793D9F4 9E09DCEF 49130D41 94F79FB1 EED2CAA5 5BACDB49 C4E755D1")
S = H("6FC6DAC3 2C5D5CF1 0C77DFB2 0F7C2EB6 67A45787 2FB09EC5 6327A67E C7DEEBE7")
MESSAGE = b"message digest"


def test_sm2_annex_a_example():
    g = (EXAMPLE.gx, EXAMPLE.gy)
    assert verifier.ec_twin_mul(EXAMPLE, D_A, g, 0, g) == P_A  # the key pair
    assert sm2_za(ID_A, P_A, EXAMPLE).hex() == Z_A.replace(" ", "").lower()
    # The signature the annex computes with its k (signing is the library's job; the
    # arithmetic here shows the verifier's curve code reproduces the annex).
    e = int.from_bytes(sm3_pure(sm2_za(ID_A, P_A, EXAMPLE) + MESSAGE), "big")
    r = (e + verifier.ec_twin_mul(EXAMPLE, K, g, 0, g)[0]) % EXAMPLE.n
    s = pow(1 + D_A, -1, EXAMPLE.n) * (K - r * D_A) % EXAMPLE.n
    assert (r, s) == (R, S)
    assert sm2_verify(P_A, MESSAGE, R, S, ID_A, EXAMPLE)
    assert not sm2_verify(P_A, b"message digesT", R, S, ID_A, EXAMPLE)
    assert not sm2_verify(P_A, MESSAGE, R, S + 1, ID_A, EXAMPLE)
    assert not sm2_verify(P_A, MESSAGE, R, S, b"BOB", EXAMPLE)  # the ID is signed too


def test_sm2_signatures_of_the_library_verify_on_the_recommended_curve():
    for _ in range(3):
        secret, public = SM2().generate_keypair()
        signer = SM2(sk=secret, uid=verifier.SM2_DEFAULT_ID, pk=public)
        r, s = (int.from_bytes(v, "big") for v in signer.sign(b"gonghui"))
        pub = (int.from_bytes(public[1:33], "big"), int.from_bytes(public[33:], "big"))
        assert sm2_verify(pub, b"gonghui", r, s)
        assert not sm2_verify(pub, b"gonghu1", r, s)
        assert not sm2_verify(pub, b"gonghui", r, s, b"another id")
        other = SM2().generate_keypair()[1]
        assert not sm2_verify((int.from_bytes(other[1:33], "big"), pub[1]), b"gonghui", r, s)
    assert SM2_CURVE.n < SM2_CURVE.p


# --- SM4-GCM (RFC 8998, A.2) and the platform's field encryption --------------------------


def test_sm4_gcm_example_of_rfc_8998():
    key, iv = (
        bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"),
        bytes.fromhex("00001234567800000000ABCD"),
    )
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plain = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    sealed = crypto._sm4_seal(key, iv, plain, aad)
    assert sealed.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
        "83DE3541E4C2B58177E065A9BF7B62EC"
    )
    assert crypto._sm4_open(key, iv, sealed, aad) == plain
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 (GB/T 32907, A.1)
    assert encryptor.update(key).hex() == "681edf34d206965e86b3e94f536e4246"


# --- Keys: KID:ALGORITHM:BASE64 ---------------------------------------------------------


def b64(size: int) -> str:
    return base64.b64encode(os.urandom(size)).decode()


def sm_rings(settings) -> dict:
    """The installation's rings with an SM key in front of each (the old ones kept after)."""
    suite = {"GONGHUI_FIELD_KEYS": ("sm4", 16), "GONGHUI_BLIND_INDEX_KEYS": ("sm3", 32)}
    rings = dict(settings.KEYS)
    for setting, (kind, size) in suite.items():
        old = ",".join(f"{kid}:{base64.b64encode(k).decode()}" for kid, k in rings[setting].keys)
        rings[setting] = parse_keyring(setting, f"s1:{kind}:{b64(size)},{old}", "sm")
    ring = rings["GONGHUI_AUDIT_SIGNING_KEYS"]
    old = ",".join(f"{kid}:{base64.b64encode(k).decode()}" for kid, k in ring.keys)
    secret = SM2().generate_keypair()[0]
    rings["GONGHUI_AUDIT_SIGNING_KEYS"] = parse_keyring(
        "GONGHUI_AUDIT_SIGNING_KEYS", f"s1:sm2:{base64.b64encode(secret).decode()},{old}", "sm"
    )
    return rings


def go_sm(settings) -> None:
    """What the operator does first: SM keys in front, GONGHUI_CRYPTO=sm, restart."""
    settings.KEYS = sm_rings(settings)
    settings.CRYPTO = "sm"


def test_key_rings_name_their_algorithm_and_the_suite_picks_the_current_key():
    aes, sm4 = b64(32), b64(16)
    ring = parse_keyring("GONGHUI_FIELD_KEYS", f"k1:{aes},k2:sm4:{sm4}", "sm")
    assert ring.current[0] == "k2" and ring.kind("k2") == "sm4" and ring.kind("k1") == "aes"
    assert parse_keyring("GONGHUI_FIELD_KEYS", f"k1:{aes},k2:sm4:{sm4}").current[0] == "k1"
    with pytest.raises(ConfigError, match="GONGHUI_CRYPTO=sm needs a sm4 key"):
        parse_keyring("GONGHUI_FIELD_KEYS", f"k1:{aes}", "sm")
    with pytest.raises(ConfigError, match="must be 16 bytes"):
        parse_keyring("GONGHUI_FIELD_KEYS", f"k2:sm4:{aes}", "sm")
    with pytest.raises(ConfigError, match="algorithm one of ed25519, sm2"):
        parse_keyring("GONGHUI_AUDIT_SIGNING_KEYS", f"k1:rsa:{aes}")
    with pytest.raises(ConfigError, match="used twice"):
        parse_keyring("GONGHUI_AUDIT_SIGNING_KEYS", f"k1:{aes},k1:sm2:{aes}")


def test_local_keys_of_the_right_kind_are_added_in_front(tmp_path):
    intl = load_keys({}, tmp_path, generate=True)
    sm = load_keys({"GONGHUI_CRYPTO": "sm"}, tmp_path, generate=True)
    for setting, kind in (
        ("GONGHUI_FIELD_KEYS", "sm4"),
        ("GONGHUI_BLIND_INDEX_KEYS", "sm3"),
        ("GONGHUI_AUDIT_SIGNING_KEYS", "sm2"),
    ):
        assert sm[setting].kind(sm[setting].current[0]) == kind
        assert sm[setting].keys[1] == intl[setting].current  # the old key kept, after it
    assert sm["GONGHUI_SECRET_KEY"].current == intl["GONGHUI_SECRET_KEY"].current
    # Keys given in the environment are never extended: no SM key there is an error.
    given = {"GONGHUI_CRYPTO": "sm", "GONGHUI_AUDIT_SIGNING_KEYS": f"k1:{b64(32)}"}
    with pytest.raises(ConfigError, match="GONGHUI_CRYPTO=sm needs a sm2 key"):
        load_keys(given, tmp_path, generate=True)


# --- SM end to end ------------------------------------------------------------------------


@pytest.fixture
def sm(settings, users, tree):
    go_sm(settings)
    return settings


def some_events(users, tree, n: int = 4) -> None:
    for i in range(n):
        services.record(
            actor=users.cy, action="orgs.update", obj=tree.chaoyang, changes={"i": [i, i + 1]}
        )


def test_an_sm_installation_records_verifies_and_exports(sm, users, tree, tmp_path):
    some_events(users, tree)
    event = AuditEvent.objects.order_by("-id").first()
    assert json.loads(event.body)["alg"] == "sm"
    assert event.hash == verifier.link_hash(event.prev_hash, event.body, "sm")
    services.head_sign()
    report = services.verify_platform()
    assert report.ok, report.first_problem

    path = export(tmp_path)
    with zipfile.ZipFile(path) as bundle:
        assert json.loads(bundle.read("manifest.json"))["algorithms"] == ["sm"]
        keys = json.loads(bundle.read("public_keys.json"))
    assert keys["s1"].startswith("sm2:04") and len(keys["s1"]) == 4 + 130
    fp = fingerprint()
    assert fp == verifier.fingerprint(keys["s1"])  # SM3 of the SM2 public key
    ok = run_verifier(path, "--key", fp, "--algorithm", "sm")
    assert ok.returncode == 0, ok.stdout
    assert ok.stdout.strip().endswith("algorithms SM3/SM2 trusted")


def test_a_bundle_in_an_algorithm_not_trusted_is_refused(sm, users, tree, tmp_path):
    some_events(users, tree)
    path = export(tmp_path)
    refused = run_verifier(path, "--key", fingerprint())  # told intl only (the default)
    assert refused.returncode == 1
    assert refused.stdout.strip().splitlines() == [
        "FAILED platform: 数据包使用了未被信任的算法 sm（SM3/SM2）；本次只信任 intl。确认该平台"
        "采用此算法后，加 --algorithm sm 再校验"
    ]
    assert "OK" not in refused.stdout


def test_a_manifest_hiding_an_algorithm_is_refused(sm, users, tree, tmp_path):
    some_events(users, tree)
    path, forged = export(tmp_path), tmp_path / "forged.zip"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(forged, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "manifest.json":
                data = canonical(json.loads(data) | {"algorithms": ["intl"]}).encode()
            new.writestr(item, data)
    result = run_verifier(
        forged, "--key", fingerprint(), "--algorithm", "sm", "--algorithm", "intl"
    )
    assert result.returncode == 1 and "清单写明的算法 ['intl']" in result.stdout


def sm2_resign(source: Path, target: Path) -> None:
    """A tamperer without the key: event 2 rewritten, the rest re-hashed with SM3, the
    checkpoints signed with an SM2 key of their own under the real key's id."""
    secret, public = SM2().generate_keypair()
    signer = SM2(sk=secret, uid=verifier.SM2_DEFAULT_ID, pk=public)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        events = verifier.read_jsonl(old.read("events.jsonl"))
        checkpoints = verifier.read_jsonl(old.read("checkpoints.jsonl"))
        body = json.loads(events[1]["body"]) | {
            "object": {"type": "x", "id": "y", "org_unit": None}
        }
        events[1]["body"] = canonical(body)
        prev = events[0]["hash"]
        for event in events[1:]:
            event["prev_hash"] = prev
            event["hash"] = prev = verifier.link_hash(prev, event["body"], "sm")
        hashes = {e["seq"]: e["hash"] for e in events}
        for cp in checkpoints:
            cp["head"] = hashes[cp["seq"]]
            r, s = signer.sign(
                verifier.checkpoint_message(cp["stream"], cp["seq"], cp["head"], cp["time"])
            )
            cp["key_id"] = "s1"
            cp["signature"] = (r.rjust(32, b"\0") + s.rjust(32, b"\0")).hex()
        new.writestr("events.jsonl", "".join(canonical(e) + "\n" for e in events))
        new.writestr("checkpoints.jsonl", "".join(canonical(c) + "\n" for c in checkpoints))
        new.writestr("public_keys.json", canonical({"s1": f"sm2:{public.hex()}"}))
        for name in ("manifest.json", "verifier.py"):
            new.writestr(name, old.read(name))


def test_an_sm_bundle_resigned_with_another_key_is_refused(sm, users, tree, tmp_path):
    some_events(users, tree)
    path, forged = export(tmp_path), tmp_path / "forged.zip"
    sm2_resign(path, forged)
    alone = run_verifier(forged, "--algorithm", "sm")
    assert alone.returncode == 3  # self-consistent only: the loud warning, never OK
    result = run_verifier(forged, "--key", fingerprint(), "--algorithm", "sm")
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == (
        "FAILED platform: 第 4 条处的签名检查点所用密钥 s1 不在可信公钥之中"
    )


def test_tampering_is_caught_under_sm3(sm, users, tree, tmp_path):
    some_events(users, tree, 6)
    services.head_sign()
    with as_table_owner() as cursor:  # a row edited by hand
        cursor.execute(
            "UPDATE audit_auditevent SET body = REPLACE(body, '\"i\":[2,3]', '\"i\":[2,9]') "
            "WHERE stream = 'platform' AND seq = 3"
        )
    report = services.verify_platform()
    assert not report.ok and "第 3 条事件内容与其哈希不符" in report.first_problem


def test_a_cut_tail_is_caught_under_sm3(sm, users, tree, tmp_path):
    some_events(users, tree, 6)
    services.head_sign()
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = 'platform' AND seq > 4")
    report = services.verify_platform()
    assert not report.ok and "截短" in report.first_problem


# --- Switching an installation ----------------------------------------------------------


def test_switching_mid_stream_keeps_history_and_signs_a_new_head(settings, users, tree, tmp_path):
    some_events(users, tree, 3)
    services.head_sign()
    old = list(AuditEvent.objects.order_by("id").values_list("seq", "hash", "body"))
    intl_fp = fingerprint()
    with pytest.raises(Conflict, match="GONGHUI_CRYPTO 为 intl"):
        services.crypto_switch(to="sm", actor=users.admin)  # the setting first

    go_sm(settings)
    call_command("audit", "switch-crypto", "--to", "sm")
    assert (
        list(AuditEvent.objects.order_by("id").values_list("seq", "hash", "body"))[: len(old)]
        == old
    )
    switch = AuditEvent.objects.get(action="audit.crypto_switch")
    assert json.loads(switch.body)["changes"]["algorithm"] == ["intl", "sm"]
    assert json.loads(switch.body)["alg"] == "sm"
    assert switch.prev_hash == old[-1][1]  # the new algorithm goes on from the old head
    with pytest.raises(CommandError, match="已于此前切换为 sm"):
        call_command("audit", "switch-crypto", "--to", "sm")
    some_events(users, tree, 2)
    assert services.verify_platform().ok

    path = export(tmp_path)
    sm_fp = fingerprint()
    with zipfile.ZipFile(path) as bundle:
        assert json.loads(bundle.read("manifest.json"))["algorithms"] == ["intl", "sm"]
    both = run_verifier(
        path, "--key", sm_fp, "--key", intl_fp, "--algorithm", "sm", "--algorithm", "intl"
    )
    assert both.returncode == 0, both.stdout
    only_sm = run_verifier(path, "--key", sm_fp, "--algorithm", "sm")
    assert only_sm.returncode == 1 and "未被信任的算法 intl" in only_sm.stdout


def test_a_bundle_from_before_a_switch_verifies_against_the_witness_after_it(
    settings, users, tree, tmp_path
):
    """The manifest names the bundle's own algorithms; the witness's later SM-signed heads
    are checked under the trusted suites without making the manifest look wrong."""
    some_events(users, tree, 3)
    services.head_sign()
    path = export(tmp_path)
    intl_fp = fingerprint()
    go_sm(settings)
    call_command("audit", "switch-crypto", "--to", "sm")
    some_events(users, tree, 2)
    services.head_sign()
    keys = tmp_path / "keys.json"  # the SM key came after the bundle: the published keys
    keys.write_text(json.dumps(services.public_keys()))
    witness = ("--keys", str(keys), "--key", intl_fp, "--witness", settings.AUDIT_WITNESS[0])
    witnessed = run_verifier(path, *witness, "--algorithm", "sm", "--algorithm", "intl")
    assert witnessed.returncode == 0, witnessed.stdout
    with zipfile.ZipFile(path) as bundle:
        assert json.loads(bundle.read("manifest.json"))["algorithms"] == ["intl"]
    only_intl = run_verifier(path, *witness)
    assert only_intl.returncode == 1 and "未被信任的算法 sm" in only_intl.stdout


def test_a_switch_pruned_with_its_era_is_still_known(settings, users, tree):
    """Prune removes the switch event with the events of its time: the prune carries the
    recorded suite forward, so the installation does not read as never switched (and may
    not switch again)."""
    old = datetime(2026, 1, 5, 10, tzinfo=UTC)
    with time_machine.travel(old, tick=False):
        some_events(users, tree, 2)
        go_sm(settings)
        call_command("audit", "switch-crypto", "--to", "sm")
        some_events(users, tree, 2)
        services.checkpoint_all()
    with time_machine.travel(old + timedelta(days=200), tick=False):
        services.record(actor=None, action="orgs.update", object_id="young")
        services.head_sign()
        assert retention.archive().problems == []
        assert retention.prune().done
        assert not AuditEvent.objects.filter(action="audit.crypto_switch").exists()
        assert services.crypto_suite_recorded() == "sm"
        with pytest.raises(Conflict, match="已于此前切换为 sm"):
            services.crypto_switch(to="sm")


def test_a_switch_over_a_tampered_chain_is_refused(settings, users, tree):
    some_events(users, tree, 3)
    services.head_sign()
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET body = body || ' ' WHERE seq = 2")
    go_sm(settings)
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict, match="审计链校验未通过，拒绝切换"):
        services.crypto_switch(to="sm")
    assert AuditEvent.objects.count() == before


def test_fields_move_to_sm4_and_indexes_to_hmac_sm3(settings, users, tree):
    person = make_person(tree.cy_grass, id_number=VALID_IDS[3], phone="13912345678")
    go_sm(settings)
    reloaded = Person.objects.get(pk=person.pk)
    assert reloaded.id_number == VALID_IDS[3]  # the old AES ciphertext still decrypts
    with as_raw() as cursor:
        cursor.execute(
            "SELECT id_number, id_number_index FROM people_person WHERE id = %s", [person.pk]
        )
        before = cursor.fetchone()
    assert before[0].count("$") == 1 and crypto.stale(before[0])

    done = reencrypt(actor=users.admin)
    assert done["people.Person"] == 1
    with as_raw() as cursor:
        cursor.execute(
            "SELECT id_number, id_number_index FROM people_person WHERE id = %s", [person.pk]
        )
        after = cursor.fetchone()
    assert after[0].startswith("s1$sm4$") and after[1].startswith("s1$sm3$")
    assert Person.objects.get(pk=person.pk).id_number == VALID_IDS[3]
    assert Person.objects.filter(
        id_number_index=crypto.blind_index(VALID_IDS[3], context="id_number")
    ).exists()
    assert AuditEvent.objects.filter(action="crypto.reencrypt", object_id="people.Person").exists()
    assert reencrypt() == {}  # nothing left to move


def test_a_ciphertext_claiming_another_algorithm_than_its_key_is_refused(settings):
    go_sm(settings)
    token = crypto.encrypt("x", context="phone")
    kid, _, body = token.split("$")
    with pytest.raises(ValueError, match="is a sm4 key"):
        crypto.decrypt(f"{kid}${body}", context="phone")


def as_raw():
    return connection.cursor()


def _sealed_in(path: Path) -> set[tuple[str, str]] | None:
    """(column, context) of each ``X.column = crypto.encrypt(..., context=NAME)`` in the
    module at ``path`` (NAME a module constant); None if it calls encrypt in any other way."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
    }
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) == "encrypt"
    ]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and node.value in calls:
            (target,) = node.targets
            (context,) = [k.value for k in node.value.keywords if k.arg == "context"]
            found.add((target.attr, constants.get(getattr(context, "id", None))))
    return found if len(found) == len(calls) else None


def test_every_value_sealed_outside_a_protected_field_is_listed_for_reencrypt():
    """reencrypt.SEALED names each column a service seals with crypto.encrypt itself, under
    that service's context: a new sealed column, or a context changed on one side only,
    fails."""
    from gonghui.audit.reencrypt import SEALED

    src = Path(services.__file__).parents[1]
    sealing = {}
    for path in src.rglob("*.py"):
        name = str(path.relative_to(src))
        if name in ("common/crypto.py", "common/fields.py", "audit/reencrypt.py"):
            continue  # the cipher itself, ProtectedField (found through the models), reencrypt
        if "encrypt(" in path.read_text(encoding="utf-8"):
            sealing[name] = _sealed_in(path)
    assert None not in sealing.values(), sealing  # every call seals a column, as SEALED says
    assert set().union(*sealing.values()) == {(column, context) for _, column, context in SEALED}
