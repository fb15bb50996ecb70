"""``gonghui crypto``: the installation's algorithms and keys (docs/crypto.md)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from tqdm import tqdm

from gonghui.audit.reencrypt import reencrypt
from gonghui.audit.services import crypto_suite_recorded, key_fingerprints
from gonghui.audit.verifier import SUITES


class Command(BaseCommand):
    help = (
        "密码算法：status 当前算法与各密钥；reencrypt 以当前密钥重新加密个人信息、重建检索索引"
        "（轮换密钥或切换算法之后）"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="当前算法、审计流记录的算法与各密钥的算法")
        again = sub.add_parser("reencrypt", help="以当前密钥重新加密个人信息、重建检索索引")
        again.add_argument("--batch", type=int, default=2000, help="每个事务的行数")

    def handle(self, *args, action, **options):
        getattr(self, action)(**options)

    def status(self, **options):
        self.stdout.write(f"GONGHUI_CRYPTO = {settings.CRYPTO}（{SUITES[settings.CRYPTO]}）")
        recorded = crypto_suite_recorded()
        self.stdout.write(f"审计流记录的算法 = {recorded}（{SUITES[recorded]}）")
        if recorded != settings.CRYPTO:
            self.stdout.write(
                f"注意: 尚未记录切换：运行 gonghui audit switch-crypto --to {settings.CRYPTO}"
            )
        for setting in (
            "GONGHUI_FIELD_KEYS",
            "GONGHUI_BLIND_INDEX_KEYS",
            "GONGHUI_AUDIT_SIGNING_KEYS",
        ):
            ring = settings.KEYS[setting]
            kinds = ", ".join(f"{kid}:{ring.kind(kid)}" for kid, _ in ring.keys)
            self.stdout.write(f"{setting}: {kinds}（第一个为当前密钥）")
        for kid, fp in key_fingerprints():
            self.stdout.write(f"审计公钥 {kid}  {fp}")

    def reencrypt(self, *, batch, **options):
        with tqdm(unit="行", disable=None) as bar:
            done = reencrypt(batch=max(batch, 1), progress=bar.update)
        for label, count in done.items():
            self.stdout.write(f"{label}: {count} 行已以当前密钥重新加密")
        self.stdout.write(f"完成：共 {sum(done.values())} 行" if done else "没有需要重新加密的数据")
