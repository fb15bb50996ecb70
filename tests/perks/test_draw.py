"""The lottery draw rule (摇号规则) of ``gonghui/perks/draw.py``, which is also the verifier
members download: pinned test vectors (the same as in docs/lottery.md), the verifier's checks
and its command line, run in an isolated Python without site-packages. No database."""

import ast
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gonghui.perks.giveaways import draw

SCRIPT = Path(draw.__file__)

SEED = "00" * 32
RECEIPTS = ["7K3M9Q2XRTBW", "0A1B2C3D4E5F", "ZZZZZZZZZZZZ", "H8J6N4P2S0V1", "M5Q7R9T1W3Y5"]
PUBLIC_VALUE = "2025-07-01 福彩3D 581"

# Pinned: a change of the rule must fail here (and docs/lottery.md must follow).
COMMITMENT = "60e05bd1b195af2f94112fa7197a5c88289058840ce7c6df9693756bc6250f55"
LIST_HASH = "462728d1d5322a1a7c0db8de95927734e8bb51bca3b267695853e64df34fcbd3"
VECTORS = {
    "": (
        "59219eddb1fbb833b28f78cece9373459a2c881faf77504b1a80a11739e4d84a",
        ["7K3M9Q2XRTBW", "ZZZZZZZZZZZZ", "0A1B2C3D4E5F", "H8J6N4P2S0V1", "M5Q7R9T1W3Y5"],
    ),
    PUBLIC_VALUE: (
        "323c6f6f49cf66d0c86481b961cb560ec3291e08edb66a9663ebc3c15a717054",
        ["7K3M9Q2XRTBW", "H8J6N4P2S0V1", "ZZZZZZZZZZZZ", "0A1B2C3D4E5F", "M5Q7R9T1W3Y5"],
    ),
}


def by_hand(seed: str, receipts: list[str], public_value: str) -> tuple[str, str, str, list]:
    """The rule read literally from the module docstring, step by step, with plain hashlib
    (none of draw.py's helpers): commitment, list hash, combined seed, full order."""
    commitment = hashlib.sha256(seed.encode("utf-8")).hexdigest()
    text = ""
    for receipt in sorted(receipts):
        text = text + receipt + "\n"
    list_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    combined = hashlib.sha256((seed + ":" + list_hash + ":" + public_value).encode("utf-8"))
    combined = combined.hexdigest()
    keyed = []
    for receipt in receipts:
        key = hashlib.sha256((combined + ":" + receipt).encode("utf-8")).hexdigest()
        keyed.append((key, receipt))
    keyed.sort()
    return commitment, list_hash, combined, [receipt for _, receipt in keyed]


def document(seed=SEED, receipts=RECEIPTS, winners=2, public_value="") -> dict:
    result = draw.draw(seed, receipts, winners, public_value)
    return {
        "commitment": draw.commitment(seed),
        "seed": seed,
        "public_value": public_value,
        "receipts_hash": result.list_hash,
        "receipts": sorted(receipts),
        "winners_count": winners,
        "winners": result.winners,
        "waitlist": result.waitlist,
    }


def run_cli(path: Path, *extra: str) -> subprocess.CompletedProcess:
    """``python -I -S draw.py path``: isolated and without site-packages (where Django and the
    platform are installed), as a member would run the downloaded file."""
    return subprocess.run(
        [sys.executable, "-I", "-S", str(SCRIPT), str(path), *extra],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        cwd=path.parent,
    )


# --- The rule: pinned vectors ------------------------------------------------------------


@pytest.mark.parametrize("public_value", list(VECTORS))
def test_pinned_vectors_match_a_literal_reading_of_the_rule(public_value):
    combined, order = VECTORS[public_value]
    assert by_hand(SEED, RECEIPTS, public_value) == (COMMITMENT, LIST_HASH, combined, order)

    assert draw.commitment(SEED) == COMMITMENT
    assert draw.list_hash(RECEIPTS) == LIST_HASH
    assert draw.combined_seed(SEED, LIST_HASH, public_value) == combined
    result = draw.draw(SEED, RECEIPTS, 2, public_value)
    assert result == draw.Draw(LIST_HASH, combined, order[:2], order[2:])
    keys = [draw.rank_key(combined, receipt) for receipt in order]
    assert keys == sorted(keys)


def test_pinned_rank_keys():
    combined = VECTORS[""][0]
    assert draw.rank_key(combined, "7K3M9Q2XRTBW") == (
        "03c86039916d354db20e7e69f3bcc0529e7d538cdd55c306f164336c20bc1d08"
    )
    assert draw.rank_key(combined, "M5Q7R9T1W3Y5") == (
        "aaeba2721284c630560fdd1fb2c0a7b6e2139fedc79d96fc324b1cbf9639d4d4"
    )


def test_commitment_is_the_hash_of_the_seed_text():
    """``printf %s SEED | sha256sum``: the 64 characters, not the 32 bytes they spell."""
    assert draw.commitment(SEED) == hashlib.sha256(SEED.encode()).hexdigest()
    assert draw.commitment(SEED) != hashlib.sha256(bytes.fromhex(SEED)).hexdigest()


def test_empty_list():
    assert draw.list_hash([]) == hashlib.sha256(b"").hexdigest()
    assert draw.draw(SEED, [], 3) == draw.Draw(
        hashlib.sha256(b"").hexdigest(),
        hashlib.sha256(f"{SEED}:{hashlib.sha256(b'').hexdigest()}:".encode()).hexdigest(),
        [],
        [],
    )


def test_larger_draw_matches_the_literal_reading():
    receipts = [draw.new_receipt() for _ in range(500)]
    seed = draw.new_seed()
    _, list_hash, combined, order = by_hand(seed, receipts, PUBLIC_VALUE)
    assert draw.draw(seed, receipts, 40, PUBLIC_VALUE) == draw.Draw(
        list_hash, combined, order[:40], order[40:]
    )


# --- Reproducibility and sensitivity -----------------------------------------------------


def test_same_inputs_same_result_whatever_the_receipts_order():
    first = draw.draw(SEED, RECEIPTS, 2)
    assert draw.draw(SEED, RECEIPTS, 2) == first
    assert draw.draw(SEED, list(reversed(RECEIPTS)), 2) == first
    assert draw.draw(SEED, iter(sorted(RECEIPTS)), 2) == first


def test_winners_are_a_prefix_of_one_order():
    orders = [draw.draw(SEED, RECEIPTS, n) for n in range(6)]
    for n, result in enumerate(orders):
        assert result.winners + result.waitlist == VECTORS[""][1]
        assert len(result.winners) == n


def full_order(seed=SEED, receipts=RECEIPTS, public_value=""):
    result = draw.draw(seed, receipts, 0, public_value)
    return result.waitlist


def test_changing_any_input_changes_the_order():
    base = full_order()
    assert full_order(seed="00" * 31 + "01") != base
    assert full_order(public_value="1") != base
    assert full_order(public_value=" ") != base  # the public value is used as published
    grown = full_order(receipts=[*RECEIPTS, "A0A0A0A0A0A0"])
    assert [receipt for receipt in grown if receipt in RECEIPTS] != base


def test_more_items_than_receipts_everybody_wins():
    result = draw.draw(SEED, RECEIPTS, 10)
    assert result.winners == VECTORS[""][1]
    assert result.waitlist == []


def test_new_seed_and_receipt_are_well_formed():
    seeds = {draw.new_seed() for _ in range(20)}
    receipts = {draw.new_receipt() for _ in range(200)}
    assert len(seeds) == 20 and all(draw.is_seed(seed) for seed in seeds)
    assert len(receipts) == 200 and all(draw.is_receipt(receipt) for receipt in receipts)
    assert set("".join(receipts)) <= set(draw.ALPHABET)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("7K3M9Q2XRTBW", True),
        ("7k3m9q2xrtbw", False),  # lower case
        ("7K3M9Q2XRTB", False),  # 11 characters
        ("7K3M9Q2XRTBWX", False),  # 13
        ("7K3M9Q2XRTBU", False),  # U is not in the alphabet, nor I, L, O
        ("7K3M9Q2XRTBI", False),
        ("7K3M9Q2XRTBO", False),
        ("7K3M9Q2XRTB\n", False),
        (123456789012, False),
    ],
)
def test_is_receipt(text, ok):
    assert draw.is_receipt(text) is ok


# --- Bad inputs --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ["", "00" * 31, "00" * 33, "AB" * 32, "zz" * 32, None])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be 64 lower-case hex"):
        draw.draw(seed, RECEIPTS, 1)
    with pytest.raises(ValueError, match="seed"):
        draw.commitment(seed)


def test_bad_receipt():
    with pytest.raises(ValueError, match="bad receipt number '7K3M9Q2XRTBU'"):
        draw.draw(SEED, [*RECEIPTS, "7K3M9Q2XRTBU"], 1)
    with pytest.raises(ValueError, match="bad receipt number 42"):
        draw.list_hash([*RECEIPTS, 42])


def test_duplicate_receipt():
    with pytest.raises(ValueError, match="duplicate receipt number 'H8J6N4P2S0V1'"):
        draw.draw(SEED, [*RECEIPTS, "H8J6N4P2S0V1"], 1)
    with pytest.raises(ValueError, match="duplicate"):
        draw.list_hash(["A0A0A0A0A0A0", "A0A0A0A0A0A0"])


@pytest.mark.parametrize("winners", [-1, 1.5, "2", True])
def test_bad_number_of_winners(winners):
    with pytest.raises(ValueError, match="number of winners"):
        draw.draw(SEED, RECEIPTS, winners)


def test_bad_list_hash_or_public_value():
    with pytest.raises(ValueError, match="list hash"):
        draw.combined_seed(SEED, LIST_HASH.upper())
    with pytest.raises(ValueError, match="public value"):
        draw.combined_seed(SEED, LIST_HASH, 581)


# --- verify() and position() -------------------------------------------------------------


@pytest.mark.parametrize("public_value", list(VECTORS))
def test_verify_passes_on_a_correct_document(public_value):
    assert draw.verify(document(public_value=public_value)) == []
    assert draw.verify(document(winners=0)) == []
    assert draw.verify(document(winners=9)) == []


def test_verify_tampered_commitment():
    doc = document()
    doc["commitment"] = hashlib.sha256(b"another seed").hexdigest()
    assert draw.verify(doc) == [
        "commitment does not match the revealed seed (承诺值与公布的种子不符)"
    ]


def test_verify_tampered_seed():
    """Another seed revealed than committed: the commitment fails, and so does the order."""
    doc = document()
    doc["seed"] = "00" * 31 + "01"
    problems = draw.verify(doc)
    assert problems[0] == "commitment does not match the revealed seed (承诺值与公布的种子不符)"
    assert any(problem.startswith("winners differ") for problem in problems[1:])


def test_verify_seed_of_bad_form():
    doc = document()
    doc["seed"] = "AB" * 32
    assert draw.verify(doc) == [
        "seed is not 64 lower-case hex characters (种子格式错误，应为 64 位小写十六进制字符)"
    ]


RECEIPTS_HASH_PROBLEM = (
    "receipts_hash does not match the published receipts (名单哈希与公布的报名名单不符)"
)


def test_verify_receipt_added():
    doc = document()
    doc["receipts"] = [*doc["receipts"], "A0A0A0A0A0A0"]
    problems = draw.verify(doc)
    assert problems[0] == RECEIPTS_HASH_PROBLEM
    assert len(problems) > 1  # the re-run draw has one more receipt to place


def test_verify_receipt_removed():
    doc = document()
    doc["receipts"] = [receipt for receipt in doc["receipts"] if receipt != "M5Q7R9T1W3Y5"]
    problems = draw.verify(doc)
    assert problems[0] == RECEIPTS_HASH_PROBLEM
    assert any("waitlist differ" in problem for problem in problems)


def test_verify_receipt_removed_and_list_rehashed():
    """Re-hashing a doctored list passes the hash check; the order still does not match."""
    doc = document()
    doc["receipts"].remove("7K3M9Q2XRTBW")
    doc["receipts_hash"] = draw.list_hash(doc["receipts"])
    assert draw.verify(doc)[0].startswith("winners differ from the re-run draw at place 1")


def test_verify_swapped_winners():
    doc = document()
    doc["winners"] = list(reversed(doc["winners"]))
    assert draw.verify(doc) == [
        "winners differ from the re-run draw at place 1: published ZZZZZZZZZZZZ, re-run "
        "gives 7K3M9Q2XRTBW (中签名单第 1 位与重新摇号结果不符：公示为 ZZZZZZZZZZZZ，"
        "重新计算为 7K3M9Q2XRTBW）"
    ]


def test_verify_winner_swapped_with_the_waitlist():
    doc = document()
    doc["winners"][1], doc["waitlist"][0] = doc["waitlist"][0], doc["winners"][1]
    problems = draw.verify(doc)
    assert len(problems) == 2
    assert problems[0].startswith("winners differ from the re-run draw at place 2: published ")
    assert problems[1].startswith("waitlist differ from the re-run draw at place 1: published ")


def test_verify_winner_left_out():
    doc = document()
    doc["winners"] = doc["winners"][:1]
    assert draw.verify(doc) == [
        "winners differ from the re-run draw at place 2: published (none), re-run gives "
        "ZZZZZZZZZZZZ (中签名单第 2 位与重新摇号结果不符：公示为 （无），重新计算为 "
        "ZZZZZZZZZZZZ）"
    ]


def test_verify_winners_count_changed():
    doc = document()
    doc["winners_count"] = 3
    problems = draw.verify(doc)
    assert problems[0].startswith("winners differ from the re-run draw at place 3")


def test_verify_malformed_documents():
    assert draw.verify([]) == ["the document is not a JSON object (公示文件不是 JSON 对象)"]
    doc = document()
    del doc["waitlist"], doc["public_value"]
    assert draw.verify(doc) == [
        "missing field(s): public_value, waitlist (公示文件缺少字段：public_value、waitlist)"
    ]
    doc = document()
    doc["receipts"] = [*doc["receipts"], doc["receipts"][0]]
    assert "duplicate receipt number" in draw.verify(doc)[0]
    count_problem = "winners_count is not a whole number >= 0 (中签名额应为非负整数)"
    for field, value, problem in [
        ("winners_count", -1, count_problem),
        ("winners_count", "2", count_problem),
        ("winners", "x", "winners is not a list (中签名单不是列表)"),
        ("public_value", None, "public_value is not text (公开随机数应为文本)"),
        ("receipts", "x", "receipts is not a list (报名名单不是列表)"),
    ]:
        doc = document()
        doc[field] = value
        assert draw.verify(doc) == [problem]


def test_position():
    doc = document()
    assert draw.position(doc, "7K3M9Q2XRTBW") == ("winner", 1)
    assert draw.position(doc, "ZZZZZZZZZZZZ") == ("winner", 2)
    assert draw.position(doc, "0A1B2C3D4E5F") == ("waitlist", 1)
    assert draw.position(doc, "M5Q7R9T1W3Y5") == ("waitlist", 3)
    assert draw.position(doc, "A0A0A0A0A0A0") is None
    # As a member may type it: lower case, dashes, O for 0, l for 1.
    assert draw.position(doc, "oa1b-2c3d-4e5f") == ("waitlist", 1)
    assert draw.position(doc, "h8j6 n4p2 s0vl") == ("waitlist", 2)


# --- The command line and the standard-library-only promise ------------------------------


def write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_cli_ok(tmp_path):
    path = write(tmp_path / "公示.json", document(public_value=PUBLIC_VALUE))
    result = run_cli(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "OK: 2 winners, 3 on the waitlist, all checks pass"
    assert COMMITMENT in result.stdout and LIST_HASH in result.stdout


def test_cli_receipt(tmp_path):
    path = write(tmp_path / "draw.json", document())
    result = run_cli(path, "--receipt", "zzzz-zzzz-zzzz")
    assert result.returncode == 0
    assert "receipt ZZZZZZZZZZZZ: winner, place 2 (中签，第 2 名)" in result.stdout
    result = run_cli(path, "--receipt", "M5Q7R9T1W3Y5")
    assert "receipt M5Q7R9T1W3Y5: waitlist, place 3 (候补第 3 位)" in result.stdout
    result = run_cli(path, "--receipt", "A0A0A0A0A0A0")
    assert result.returncode == 0
    assert "receipt A0A0A0A0A0A0: not in this draw (本次摇号中没有该回执号)" in result.stdout
    result = run_cli(path, "--receipt", "not-a-receipt")
    assert result.returncode == 2
    assert "is not a receipt number" in result.stderr


def test_cli_problems(tmp_path):
    doc = document()
    doc["commitment"] = "0" * 64
    doc["winners"] = list(reversed(doc["winners"]))
    result = run_cli(write(tmp_path / "draw.json", doc), "--receipt", "7K3M9Q2XRTBW")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "FAILED: commitment does not match the revealed seed (承诺值与公布的种子不符)"
    )
    assert lines[1].startswith("FAILED: winners differ from the re-run draw at place 1")
    assert lines[2] == "receipt 7K3M9Q2XRTBW: winner, place 2 (中签，第 2 名)"  # as published
    assert "OK" not in result.stdout


def test_cli_unreadable(tmp_path):
    bad = tmp_path / "draw.json"
    bad.write_text("{not json", encoding="utf-8")
    result = run_cli(bad)
    assert result.returncode == 1
    assert result.stdout.startswith("FAILED: cannot read")
    result = run_cli(tmp_path / "missing.json")
    assert result.returncode == 1
    assert result.stdout.startswith("FAILED: cannot read")


def test_cli_accepts_a_byte_order_mark(tmp_path):
    path = tmp_path / "draw.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(document(), ensure_ascii=False).encode())
    assert run_cli(path).returncode == 0


def test_main_in_process(tmp_path, capsys):
    path = write(tmp_path / "draw.json", document())
    assert draw.main([str(path), "--receipt", "0A1B2C3D4E5F"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "receipt 0A1B2C3D4E5F: waitlist, place 1 (候补第 1 位)"
    )


def test_imports_only_the_standard_library():
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            imported.add(node.module.split(".")[0])
    assert imported  # the walk saw the imports
    assert imported <= sys.stdlib_module_names | {"__future__"}, imported
