"""``gonghui contests ...``: the competition's notarised bundle, and the notary's own key.

``export-bundle COMPETITION [--out FILE]`` writes what a notary needs (see
``contests/notary/verify_contest.py``). ``notary-keygen`` and ``notary-sign`` run on the
NOTARY's machine and never touch the database: the private key stays there; the platform
receives only the public key (at registration) and each signature (on the notary's page)."""

import os
import sys
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from django.core.management.base import BaseCommand, CommandError

from gonghui.audit.verifier import fingerprint
from gonghui.common.errors import DomainError
from gonghui.contests.models import Competition
from gonghui.contests.notary.services import record_export


def _public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


class Command(BaseCommand):
    help = (
        "工匠选树与技能竞赛：export-bundle 导出竞赛的公证数据包；notary-keygen 在公证员本机生成"
        "密钥；notary-sign 在公证员本机为公证节点签名"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export-bundle", help="导出竞赛的公证数据包（zip，含独立校验程序）")
        export.add_argument("competition", type=int, help="竞赛编号")
        export.add_argument("--out", default=None, help="输出文件，默认 contest-<编号>.zip")
        keygen = sub.add_parser(
            "notary-keygen", help="（公证员本机）生成 Ed25519 密钥，打印公钥与指纹；不连接数据库"
        )
        keygen.add_argument("--out", required=True, help="私钥文件（PEM），仅本人可读")
        sign = sub.add_parser(
            "notary-sign", help="（公证员本机）为下载的公证节点消息签名，打印签名；不连接数据库"
        )
        sign.add_argument("--key", required=True, help="notary-keygen 生成的私钥文件")
        sign.add_argument("--message", required=True, help="公证员页面下载的消息文件")

    def handle(self, *args, action, **options):
        getattr(self, action.replace("-", "_"))(**options)

    def export_bundle(self, *, competition, out, **options):
        found = Competition.objects.filter(pk=competition).first()
        if found is None:
            raise CommandError(f"没有编号为 {competition} 的竞赛")
        out = Path(out or f"contest-{competition}.zip")
        # Written beside the target and renamed into place only once complete: a refusal
        # (or a crash) leaves whatever file was there before untouched.
        fd, temp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                count = record_export(actor=None, competition=found, out=fh)
            os.replace(temp, out)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        finally:
            Path(temp).unlink(missing_ok=True)
        self.stdout.write(
            f"{out}: {count} 条事件；解压后用 python verify_contest.py {out} --key 审计公钥指纹 "
            f"--notary-key 公证员公钥指纹 独立校验"
        )

    def notary_keygen(self, *, out, **options):
        path = Path(out)
        if path.exists():
            raise CommandError(f"{path} 已存在：不覆盖已有的私钥")
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        public = _public_hex(key)
        self.stdout.write(f"私钥已写入 {path}（仅本人可读，请妥善保管，切勿交给平台）")
        self.stdout.write(f"公钥（登记到平台）: {public}")
        self.stdout.write(f"公钥指纹（打印、核对）: {fingerprint(public)}")

    def notary_sign(self, *, key, message, **options):
        try:
            loaded = load_pem_private_key(Path(key).read_bytes(), password=None)
            data = Path(message).read_bytes()
        except (OSError, ValueError, TypeError) as exc:
            raise CommandError(f"无法读取私钥或消息文件：{exc}") from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise CommandError("私钥不是 Ed25519 密钥")
        print(f"公钥指纹: {fingerprint(_public_hex(loaded))}", file=sys.stderr)
        self.stdout.write(loaded.sign(data).hex())
