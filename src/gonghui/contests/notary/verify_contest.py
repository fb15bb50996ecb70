#!/usr/bin/env python3
"""Stand-alone verifier of a competition's notarised record (竞赛公证数据包). Standard library only.

Usage (docs/notary.md)::

    python verify_contest.py contest-12.zip --key "AUDIT KEY FINGERPRINT" \\
        --notary-key "NOTARY KEY FINGERPRINT"

The bundle (``gonghui contests export-bundle COMPETITION``) holds the competition's audit
stream (``events.jsonl``, ``checkpoints.jsonl``, ``public_keys.json``, ``manifest.json``),
its milestones with the notary's countersignatures (``milestones.jsonl``), the notaries'
public keys (``notaries.json``), the record as the platform holds it (``record.json``:
every stage's marks, votes, scheme and published results) and copies of the rules that
score it (``scoring.py``, ``engine.py``, ``panels.py``), of the audit verifier
(``verifier.py``) and of this file; the manifest gives each copy's SHA-256.

NOTHING of the bundle is run. The rules this file checks with are ITS OWN: the
``verifier.py``, ``scoring.py``, ``engine.py`` and ``panels.py`` kept beside it (or in
``--rules DIR``), which the notary extracted once from a bundle they trusted, or
downloaded from the platform's public page, and keeps with their fingerprints; a forged
bundle cannot bring a lenient verifier. The bundle's copies are compared with them by
SHA-256 and a difference is reported (exit 1): a changed rule is a new version to look at
and keep, not something to accept silently. It checks, and prints the first problem
(exit 1):

1. the chain of events, the platform's signed checkpoints and the manifest, with the
   platform key whose fingerprint ``--key`` gives;
2. the bundle's rule files are the kept ones (SHA-256), as the manifest says;
3. every milestone: its (seq, head) is an event of the chain and a signed checkpoint, and
   its countersignature verifies with the notary's key, whose fingerprint ``--notary-key``
   gives (the platform holds only that public key; the notary signs on their own machine);
   every ``contests.countersign`` event of the chain has its countersigned milestone in
   the bundle (a countersignature removed from milestones.jsonl is caught) and every
   countersignature its event; the notary's key in notaries.json is the one the chain
   registered (``contests.notary_register``) or, failing that, the one whose fingerprint
   the countersign events record; with ``--notary-key``, at least one countersignature
   must have been checked;
4. the record agrees with the stream: every mark and vote of ``record.json`` has its
   ``contests.mark`` / ``contests.vote`` event with the same values (a mark's reason and
   batch included), and every such event its mark or vote (an edited mark, a missing
   event, an extra mark are each reported);
5. every stage's results, recomputed from the raw marks and votes with the kept
   ``engine.py``, equal both the published results of ``record.json`` and the stage's
   last ``contests.results_lock`` event (ranks edited in the record to "match" differ from
   the event; an edited event breaks the chain);
6. every panel draw (``contests.panel_draw``) follows an earlier ``contests.draw_commit``
   of the same stage and match with the same commitment, its seed matches that
   commitment, and re-run with the kept ``panels.py`` it gives the panel it records.

Trust comes from outside the bundle: without ``--key`` or without ``--notary-key`` the
signatures can only be checked with the keys the bundle carries, which whoever rewrote it
could have replaced: a loud warning, and exit status 3 even when everything else checks.
Exit 0: verified with the keys given; 1: a problem (the first is printed); 3: verified with
the bundle's own keys only. Scripts must treat anything but 0 as "not verified".

The countersigned message (what ``countersign_message`` builds, the notary's machine signs
with Ed25519 and the platform checks before storing): the UTF-8 bytes of the domain tag
``gonghui.contests.milestone.v1``, a newline, and the canonical JSON (keys sorted, no
spaces, no ASCII escaping) of {"competition", "milestone", "stream", "seq", "head",
"time"}: the competition's id, the milestone's name, and the signed checkpoint it is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import types
import zipfile
from pathlib import Path

DOMAIN = "gonghui.contests.milestone.v1"
EXIT_OK, EXIT_FAILED, EXIT_OWN_KEYS = 0, 1, 3
RULE_FILES = ("verifier", "scoring", "engine", "panels")
HERE = Path(__file__).resolve().parent
# Run from the platform's source tree (not from a notary's kept copy), the rule files are
# in their own places there.
SOURCE_TREE = {
    "verifier": HERE.parent.parent / "audit" / "verifier.py",
    "scoring": HERE.parent / "scoring.py",
    "engine": HERE.parent / "engine.py",
    "panels": HERE.parent / "panels.py",
}
# The import the shipped engine.py makes (``from gonghui.contests import scoring``): while it
# loads, these names point at the kept scoring.py, and are put back afterwards.
ENGINE_IMPORTS = ("gonghui", "gonghui.contests", "gonghui.contests.scoring")


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def countersign_message(
    *, competition: int, milestone: str, stream: str, seq: int, head: str, time: str
) -> bytes:
    """The bytes a notary signs for a milestone (see the module's docstring)."""
    body = {
        "competition": competition,
        "milestone": milestone,
        "stream": stream,
        "seq": seq,
        "head": head,
        "time": time,
    }
    return f"{DOMAIN}\n{canonical(body)}".encode()


def milestone_message(line: dict) -> bytes:
    """``countersign_message`` of a line of milestones.jsonl."""
    return countersign_message(
        competition=line["competition"],
        milestone=line["name"],
        stream=line["stream"],
        seq=line["seq"],
        head=line["head"],
        time=line["time"],
    )


# --- The rule files: the kept copy, never the bundle's ---------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class MissingRules(Exception):
    """The kept rule files are not where they should be."""


def kept_sources(where=None) -> tuple[dict[str, bytes], str]:
    """The rule files this verifier checks with (name -> bytes) and where they were found:
    ``where`` (``--rules``), else beside this file (the notary's kept copy), else, run from
    the platform's source tree, their places there. Never the bundle's."""
    base = Path(where) if where else HERE
    found = {name: base / f"{name}.py" for name in RULE_FILES}
    if where is None and not any(path.is_file() for path in found.values()):
        found, base = dict(SOURCE_TREE), HERE.parent
    missing = [path.name for path in found.values() if not path.is_file()]
    if missing:
        raise MissingRules(
            f"{base} 中缺少校验所用的规则文件 {'、'.join(missing)}：请把数据包中的 verify_contest.py、"
            f"verifier.py、scoring.py、engine.py、panels.py 一次性解压保存在同一目录"
            f"（或从平台公开页面下载），核对其 SHA-256 后再校验"
        )
    return {name: path.read_bytes() for name, path in found.items()}, str(base)


def _module(name: str, source: bytes, filename: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = filename
    saved = sys.modules.get(name)
    sys.modules[name] = module  # classes defined while it runs look their module up
    try:
        exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 (the bundle's rules)
    finally:
        if saved is None:
            del sys.modules[name]
        else:
            sys.modules[name] = saved
    return module


def load_rules(sources: dict[str, bytes], where: str = "kept") -> types.SimpleNamespace:
    """verifier, scoring, engine and panels, compiled from ``sources`` (name -> file bytes):
    the kept copy (``kept_sources``), never the bundle's files, never an installed copy."""
    rules = types.SimpleNamespace()
    for name in ("verifier", "scoring", "panels"):
        setattr(rules, name, _module(f"kept_{name}", sources[name], f"{where}/{name}.py"))
    package = types.ModuleType("gonghui.contests")
    package.__path__ = []
    package.scoring = rules.scoring
    root = types.ModuleType("gonghui")
    root.__path__ = []
    root.contests = package
    saved = {name: sys.modules.get(name) for name in ENGINE_IMPORTS}
    sys.modules.update(dict(zip(ENGINE_IMPORTS, (root, package, rules.scoring), strict=True)))
    try:
        rules.engine = _module("kept_engine", sources["engine"], f"{where}/engine.py")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return rules


# --- Reading the bundle --------------------------------------------------------------------


class Bundle:
    """Every member of the bundle, parsed once, with the kept rules it is checked with (its
    own rule files are only compared with them: ``copies``)."""

    def __init__(self, path, rules: types.SimpleNamespace, kept: dict[str, bytes]):
        with zipfile.ZipFile(path) as z:
            raw = {name: z.read(name) for name in z.namelist()}
        self.path = str(path)
        self.rules = rules
        self.kept = kept
        self.copies = {name: raw.get(f"{name}.py") for name in (*RULE_FILES, "verify_contest")}
        read_jsonl = self.rules.verifier.read_jsonl
        self.manifest = json.loads(raw["manifest.json"])
        self.audit_keys = json.loads(raw["public_keys.json"])
        self.events = read_jsonl(raw["events.jsonl"])
        self.checkpoints = read_jsonl(raw["checkpoints.jsonl"])
        self.milestones = read_jsonl(raw["milestones.jsonl"])
        self.notaries = json.loads(raw["notaries.json"])
        self.record = json.loads(raw["record.json"])
        self.stream = self.manifest["stream"]


class Report:
    def __init__(self, stream: str):
        self.stream = stream
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.own_audit_keys = False
        self.own_notary_keys = False
        self.summary: dict[str, int] = {}
        self.rules: dict[str, str] = {}  # file name -> SHA-256 of the kept copy checked with


def _value(changes: dict, name: str):
    """The new value of a change ([before, after])."""
    pair = changes.get(name)
    return pair[1] if isinstance(pair, list) and len(pair) == 2 else None


class ContestEvent:
    __slots__ = ("seq", "action", "object_id", "changes")

    def __init__(self, seq: int, body: dict):
        self.seq = seq
        self.action = body["action"]
        self.object_id = body["object"]["id"]
        self.changes = body.get("changes") or {}

    def get(self, name: str):
        return _value(self.changes, name)


def contest_events(events) -> list[ContestEvent]:
    """The events of the contests' own actions (contests.*), bodies parsed."""
    return [
        ContestEvent(e["seq"], json.loads(e["body"]))
        for e in events
        if '"action":"contests.' in e["body"]
    ]


# --- 1. The chain and the platform's signatures --------------------------------------------


def check_chain(b: Bundle, report: Report, fingerprints) -> bool:
    v = b.rules.verifier
    trust = v.trusted_keys(b.audit_keys, fingerprints)
    report.own_audit_keys = trust.own_only
    report.notes += trust.notes
    problems = v.check_stream(b.stream, b.events, b.checkpoints, trust.keys)
    if problems:
        report.problems.append(f"审计链：{problems[0]}")
        return False
    last = b.events[-1]["seq"] if b.events else 0
    end = b.checkpoints[-1] if b.checkpoints else None
    if end is None or end["seq"] != last:
        report.problems.append(f"审计链：数据包末尾（第 {last} 条）没有签名检查点覆盖")
        return False
    problem = v._manifest_problem(b.manifest, b.events, end)
    if problem:
        report.problems.append(f"审计链：{problem}")
        return False
    report.summary["events"] = len(b.events)
    report.end = end
    return True


# --- 2. The bundle's rule files are the kept ones ------------------------------------------


def check_rules(b: Bundle, report: Report, events) -> None:
    """The bundle's copies of the rules (and of this file) against the kept ones, and
    against the SHA-256 the manifest gives for them."""
    own = b.kept | {"verify_contest": Path(__file__).read_bytes()}
    claimed = b.manifest.get("rules") or {}
    report.rules = {f"{name}.py": sha256(data) for name, data in own.items()}
    for name, data in own.items():
        filename, copy = f"{name}.py", b.copies.get(name)
        if copy is None:
            report.problems.append(f"数据包中没有 {filename}")
            return
        if sha256(copy) != sha256(data):
            report.problems.append(
                f"数据包中的 {filename}（SHA-256 {sha256(copy)}）与本机保存的副本"
                f"（SHA-256 {sha256(data)}）不同：校验只用本机保存的副本，不运行数据包中的程序；"
                f"规则若已更新，请核对平台公布的指纹，更新保存的副本后再校验"
            )
            return
        if filename in claimed and claimed[filename] != sha256(copy):
            report.problems.append(
                f"清单（manifest.json）写明 {filename} 的 SHA-256 为 {claimed[filename]}，"
                f"数据包中的 {filename} 为 {sha256(copy)}"
            )
            return


# --- 3. Milestones and the notary's countersignatures ---------------------------------------


def _notary_key(b: Bundle, v, notary_id, registered: dict, countersigns: list, label: str):
    """The notary's public key from notaries.json, checked against the chain: the key its
    ``contests.notary_register`` event recorded (none in a competition made after the
    registration) and the fingerprint its countersign events record; at least one of them
    must be there. Returns (key, problem)."""
    notary = b.notaries.get(str(notary_id))
    if notary is None:
        return None, f"{label}的会签公证员不在 notaries.json 中"
    public_key = notary["public_key"]
    chained = registered.get(str(notary_id))
    if chained is not None and chained != public_key:
        return None, f"{label}：notaries.json 中公证员的公钥与审计流中登记的公钥不符"
    recorded = {
        e.get("fingerprint") for e in countersigns if str(e.get("notary")) == str(notary_id)
    }
    recorded.discard(None)
    if recorded and recorded != {v.fingerprint(public_key)}:
        return None, (
            f"{label}：notaries.json 中公证员的公钥（指纹 {v.fingerprint(public_key)}）与审计流"
            f"会签事件记录的公钥指纹（{'、'.join(sorted(recorded))}）不符"
        )
    if chained is None and not recorded:
        return None, f"{label}：公证员的公钥在审计流中既无登记也无会签记录，无法核对 notaries.json"
    return public_key, None


def check_milestones(b: Bundle, report: Report, events, notary_fingerprints) -> None:
    v = b.rules.verifier
    wanted = [v._plain_hex(f) for f in notary_fingerprints]
    report.own_notary_keys = not wanted
    registered = {}  # notary id -> public key, as the chain recorded its registration
    countersigns = []  # the chain's contests.countersign events
    for e in events:
        if e.action == "contests.notary_register":
            registered[str(e.object_id)] = e.get("public_key")
        elif e.action == "contests.countersign":
            countersigns.append(e)
    signed = {(cp["seq"], cp["head"], cp["time"]) for cp in b.checkpoints}
    last = len(b.events)
    countersigned = 0
    lines = {}  # seq -> the countersigned line
    for line in b.milestones:
        label = f"公证节点「{line['name']}」（第 {line['seq']} 条）"
        seq = line["seq"]
        if line["stream"] != b.stream or line["competition"] != b.record.get("competition"):
            report.problems.append(f"{label}不属于本竞赛的审计流")
            return
        if (
            type(seq) is not int
            or not 1 <= seq <= last
            or b.events[seq - 1]["hash"] != line["head"]
        ):
            report.problems.append(f"{label}不是本审计链中的事件（序号或链头哈希不符）")
            return
        if (seq, line["head"], line["time"]) not in signed:
            report.problems.append(f"{label}没有对应的平台签名检查点")
            return
        if not line.get("countersignature"):
            report.notes.append(f"{label}尚未由公证员会签")
            continue
        public_key, problem = _notary_key(b, v, line.get("notary"), registered, countersigns, label)
        if problem:
            report.problems.append(problem)
            return
        if (
            wanted
            and v._plain_hex(v.fingerprint(public_key)) not in wanted
            and (public_key.lower() not in wanted)
        ):
            report.problems.append(
                f"{label}的会签公钥（指纹 {v.fingerprint(public_key)}）不是给定的公证员公钥"
                f"（--notary-key）"
            )
            return
        try:
            ok = v.ed25519_verify(
                bytes.fromhex(public_key),
                milestone_message(line),
                bytes.fromhex(line["countersignature"]),
            )
        except (TypeError, ValueError):
            ok = False
        if not ok:
            report.problems.append(f"{label}的公证员会签无效（签名与公证员公钥不符）")
            return
        lines[seq] = line
        countersigned += 1
    # The chain's countersign events and the countersigned lines, one for one: a
    # countersignature removed from (or added to) milestones.jsonl is caught.
    recorded = set()
    for e in countersigns:
        line = lines.get(e.get("seq"))
        label = f"审计流第 {e.seq} 条记录的公证员会签（节点「{e.get('milestone')}」，第 {e.get('seq')} 条）"
        if line is None:
            report.problems.append(f"{label}在数据包的公证节点（milestones.jsonl）中没有")
            return
        if (
            line["head"] != e.get("head")
            or line["countersignature"] != e.get("signature")
            or str(line.get("notary")) != str(e.get("notary"))
            or line["name"] != e.get("milestone")
        ):
            report.problems.append(f"{label}与数据包中该节点的会签不符")
            return
        recorded.add(e.get("seq"))
    for seq, line in lines.items():
        if seq not in recorded:
            report.problems.append(
                f"公证节点「{line['name']}」（第 {seq} 条）的会签在审计流中没有会签事件"
            )
            return
    if wanted and not countersigned:
        report.problems.append(
            "给定了公证员公钥（--notary-key），数据包中却没有一处公证员会签可供校验"
        )
        return
    covered = {}
    for line in b.milestones:
        covered.setdefault(line["name"], []).append(line["seq"])
    for e in events:
        if e.action == "contests.milestone":
            name = e.get("name")
            if not any(seq >= e.seq for seq in covered.get(name, ())):
                report.notes.append(f"第 {e.seq} 条的节点「{name}」没有签名的公证节点")
    report.summary["milestones"] = len(b.milestones)
    report.summary["countersigned"] = countersigned


# --- 4. The record against the stream -------------------------------------------------------

MARK_FIELDS = ("stage", "entrant", "judge", "aspect", "value", "replaces", "reason", "batch")
VOTE_FIELDS = ("value", "late")


def _key(value):
    """An id as text (a mark named by ``replaces``, a stage): the same whichever side wrote
    it as a number."""
    return None if value is None else str(value)


def _mark(fields: dict) -> dict:
    return fields | {
        "stage": _key(fields["stage"]),
        "replaces": _key(fields["replaces"]),
        "batch": _key(fields["batch"]),
        "reason": fields["reason"] or "",
    }


def _mark_text(fields: dict) -> str:
    return (
        f"参赛人 {fields['entrant']}、裁判 {fields['judge']}、评分项 {fields['aspect']}、"
        f"分数 {fields['value']}"
    )


def check_record(b: Bundle, report: Report, events) -> None:
    record = b.record
    last = len(b.events)
    if record.get("stream") != b.stream or record.get("seq") != last:
        report.problems.append(
            f"记录（record.json）读取于第 {record.get('seq')} 条，数据包签名到第 {last} 条：二者不是同一时刻"
        )
        return
    in_record, votes_in_record = {}, {}
    for stage in record["stages"]:
        for m in stage["marks"]:
            in_record[str(m["id"])] = _mark(
                {"stage": stage["stage"]} | {k: m.get(k) for k in MARK_FIELDS if k != "stage"}
            )
        for vote in stage["votes"]:
            key = (_key(stage["stage"]), vote["juror"], vote["entrant"])
            votes_in_record[key] = {k: vote[k] for k in VOTE_FIELDS}
    in_stream, votes_in_stream = {}, {}
    for e in events:
        if e.action == "contests.mark":
            in_stream[str(e.object_id)] = (e.seq, _mark({k: e.get(k) for k in MARK_FIELDS}))
        elif e.action == "contests.vote":
            key = (_key(e.get("stage")), e.get("juror"), e.get("entrant"))
            votes_in_stream[key] = (e.seq, {k: e.get(k) for k in VOTE_FIELDS})
    for pk, fields in in_record.items():
        found = in_stream.get(pk)
        if found is None:
            report.problems.append(
                f"记录中的评分 #{pk}（{_mark_text(fields)}）在审计流中没有对应的评分事件"
            )
            return
        seq, recorded = found
        if recorded != fields:
            changed = [k for k in MARK_FIELDS if recorded[k] != fields[k]]
            report.problems.append(
                f"评分 #{pk} 在记录中与审计流第 {seq} 条不符（{'、'.join(changed)}：记录为 "
                f"{'、'.join(str(fields[k]) for k in changed)}，审计流为 "
                f"{'、'.join(str(recorded[k]) for k in changed)}）"
            )
            return
    for pk, (seq, fields) in in_stream.items():
        if pk not in in_record:
            report.problems.append(
                f"审计流第 {seq} 条的评分 #{pk}（{_mark_text(fields)}）不在记录中"
            )
            return
    for key, fields in votes_in_record.items():
        found = votes_in_stream.get(key)
        who = f"大众评委 {key[1]} 对参赛人 {key[2]}（赛段 {key[0]}）"
        if found is None:
            report.problems.append(f"记录中{who}的投票在审计流中没有对应的投票事件")
            return
        if found[1] != fields:
            report.problems.append(f"记录中{who}的投票与审计流第 {found[0]} 条不符")
            return
    for key, (seq, _) in votes_in_stream.items():
        if key not in votes_in_record:
            report.problems.append(
                f"审计流第 {seq} 条大众评委 {key[1]} 对参赛人 {key[2]} 的投票不在记录中"
            )
            return
    report.summary["marks"] = len(in_record)
    report.summary["votes"] = len(votes_in_record)


# --- 5. Results recomputed from the raw marks and votes -------------------------------------


def _rows(results) -> list[list]:
    return [[r["entrant"], r["score"], r["place"], r["advanced"]] for r in results]


def _first_difference(expected: list, found: list) -> str:
    for a, b in zip(expected, found, strict=False):
        if list(a) != list(b):
            return (
                f"参赛人 {a[0]}：重新计算为 {a[1]} 分、第 {a[2]} 名"
                f"{'、晋级' if a[3] else ''}，此处为 {b[0]} {b[1]} 分、第 {b[2]} 名"
                f"{'、晋级' if b[3] else ''}"
            )
    return f"重新计算有 {len(expected)} 人，此处有 {len(found)} 人"


def _ordered(rows) -> list[list]:
    return sorted((list(r) for r in rows), key=lambda r: (r[2], r[0]))


def check_results(b: Bundle, report: Report, events) -> None:
    engine, scoring = b.rules.engine, b.rules.scoring
    locks = {}
    for e in events:
        if e.action == "contests.results_lock":
            locks[e.get("stage")] = e  # the last lock of each stage counts
    recomputed = 0
    for stage in b.record["stages"]:
        pk, name = stage["stage"], stage.get("name") or f"#{stage['stage']}"
        label = f"赛段「{name}」"
        published = stage.get("results") or []
        lock = locks.pop(pk, None)
        if lock is None:
            if published:
                report.problems.append(f"{label}的成绩已公布，审计流中却没有锁定成绩的事件")
                return
            continue
        if lock.get("scheme_version") != stage["scheme_version"]:
            report.problems.append(
                f"{label}的评分规则版本（{stage['scheme_version']}）与第 {lock.seq} 条锁定成绩时的版本"
                f"（{lock.get('scheme_version')}）不符"
            )
            return
        try:
            rows = _rows(engine.stage_results(stage))
        except (scoring.SchemeError, KeyError, TypeError, ValueError) as exc:
            report.problems.append(f"{label}无法按评分规则重新计算：{exc}")
            return
        if rows != [list(r) for r in lock.get("results") or []]:
            report.problems.append(
                f"{label}按原始评分重新计算的成绩与审计流第 {lock.seq} 条锁定的成绩不符："
                + _first_difference(rows, lock.get("results") or [])
            )
            return
        if _ordered(rows) != _ordered(published):
            report.problems.append(
                f"{label}按原始评分重新计算的成绩与记录中公布的成绩不符："
                + _first_difference(_ordered(rows), _ordered(published))
            )
            return
        recomputed += 1
    for pk, lock in locks.items():
        report.problems.append(f"审计流第 {lock.seq} 条锁定了赛段 {pk} 的成绩，记录中没有该赛段")
        return
    report.summary["stages"] = recomputed


# --- 6. Panel draws re-run -----------------------------------------------------------------


def check_draws(b: Bundle, report: Report, events) -> None:
    panels = b.rules.panels
    count = 0
    committed = {}  # (stage, match) -> the commitments published so far
    for e in events:
        if e.action == "contests.draw_commit":
            where = (_key(e.get("stage")), e.get("match"))
            committed.setdefault(where, set()).add(e.get("commitment"))
            continue
        if e.action != "contests.panel_draw":
            continue
        label = f"第 {e.seq} 条的裁判组抽签（场次 {e.get('match')}）"
        seed = e.get("seed")
        if e.get("commitment") not in committed.get((_key(e.get("stage")), e.get("match")), ()):
            report.problems.append(
                f"{label}之前，审计流中没有同一赛段、同一场次公布该承诺值的事件"
                f"（contests.draw_commit）：种子可能是抽签时才选定的"
            )
            return
        try:
            if panels.commitment(seed) != e.get("commitment"):
                report.problems.append(f"{label}公开的种子与事先公布的承诺值不符")
                return
            panel = panels.draw_panel(
                seed=seed,
                match=e.get("match"),
                pool=e.get("pool") or {},
                size=e.get("size"),
                entrant_employers=e.get("entrant_employers") or [],
                declared=e.get("declared") or [],
            )
        except (panels.DrawError, TypeError, AttributeError) as exc:
            report.problems.append(f"{label}无法重新抽签：{exc}")
            return
        if panel != e.get("panel"):
            report.problems.append(
                f"{label}按种子重新抽签得到 {'、'.join(panel)}，记录的裁判组为 "
                f"{'、'.join(e.get('panel') or [])}"
            )
            return
        count += 1
    report.summary["draws"] = count


# --- All of it -----------------------------------------------------------------------------


def verify(path, fingerprints=(), notary_fingerprints=(), rules=None) -> Report:
    """The bundle at ``path`` checked with the kept rules (``kept_sources(rules)``)."""
    kept, where = kept_sources(rules)
    b = Bundle(path, load_rules(kept, where), kept)
    report = Report(b.stream)
    if not check_chain(b, report, fingerprints):
        return report
    events = contest_events(b.events)
    for check in (check_rules, check_milestones, check_record, check_results, check_draws):
        if check is check_milestones:
            check(b, report, events, notary_fingerprints)
        else:
            check(b, report, events)
        if report.problems:
            break
    return report


OWN_KEYS_WARNING = """\
!!! WARNING: no trusted {what} was given ({option} FINGERPRINT).
!!! Its signatures were checked with the public keys the bundle carries itself: whoever
!!! rewrote the bundle could have re-signed it with a key of their own. This run shows only
!!! that the bundle is self-consistent, NOT that {who} signed it."""


def _print_rules(report: Report) -> None:
    """The kept files checked with, by SHA-256 (to compare with the published ones)."""
    for filename, digest in report.rules.items():
        print(f"RULES {filename} sha256 {digest}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="verify_contest.py", description=__doc__.strip().splitlines()[0]
    )
    parser.add_argument("bundle")
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="FINGERPRINT",
        help="fingerprint of the platform's audit signing key (repeatable)",
    )
    parser.add_argument(
        "--notary-key",
        action="append",
        default=[],
        metavar="FINGERPRINT",
        help="fingerprint of the notary's own public key (repeatable)",
    )
    parser.add_argument(
        "--rules",
        default=None,
        metavar="DIR",
        help="the kept verifier.py, scoring.py, engine.py, panels.py (default: beside this file)",
    )
    args = parser.parse_args(argv[1:])
    try:
        report = verify(args.bundle, args.key, args.notary_key, args.rules)
    except MissingRules as exc:
        print(f"FAILED {args.bundle}: {exc}")
        return EXIT_FAILED
    except (OSError, KeyError, TypeError, ValueError, AttributeError, zipfile.BadZipFile) as exc:
        print(f"FAILED {args.bundle}: 数据包无法读取或格式错误（{type(exc).__name__}: {exc}）")
        return EXIT_FAILED
    for note in report.notes:
        print(f"NOTE {note}")
    own = []
    if report.own_audit_keys:
        own.append(("platform audit key", "--key", "the platform"))
    if report.own_notary_keys:
        own.append(("notary key", "--notary-key", "the notary"))
    for what, option, who in own:
        warning = OWN_KEYS_WARNING.format(what=what, option=option, who=who)
        print(warning)
        print(warning, file=sys.stderr)
    if report.problems:
        print(f"FAILED {report.stream}: {report.problems[0]}")
        _print_rules(report)
        return EXIT_FAILED
    s = report.summary
    how = "the bundle's OWN keys (untrusted)" if own else "trusted keys"
    print(
        f"OK {report.stream}: {s.get('events', 0)} events, signed up to seq {report.end['seq']}; "
        f"{s.get('milestones', 0)} milestones ({s.get('countersigned', 0)} countersigned by the "
        f"notary); {s.get('marks', 0)} marks and {s.get('votes', 0)} votes match the stream; "
        f"{s.get('stages', 0)} locked stages recomputed; {s.get('draws', 0)} panel draws re-run; "
        f"verified with {how}"
    )
    _print_rules(report)
    return EXIT_OWN_KEYS if own else EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv))
