import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gonghui.audit.services import checkpoint_all, export_bundle, streams, verify_stream


class Command(BaseCommand):
    help = "审计日志：verify 校验链条与签名检查点；export 导出数据包；checkpoint 签名当前链头"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="校验（默认全部流）")
        verify.add_argument("--stream", default=None)
        export = sub.add_parser("export", help="导出某个流的数据包（zip）")
        export.add_argument("--stream", default="platform")
        export.add_argument("--out", default=None, help="输出文件，默认 audit-<流>.zip")
        sub.add_parser("checkpoint", help="为每个流的当前链头签名")

    def handle(self, *args, action, **options):
        if action == "verify":
            names = [options["stream"]] if options["stream"] else streams()
            failed = False
            for name in names:
                report = verify_stream(name)
                if report.ok:
                    self.stdout.write(
                        f"OK {name}: {report.events} 条事件, {report.checkpoints} 个签名检查点"
                    )
                else:
                    failed = True
                    self.stdout.write(f"FAILED {name}: {report.problems[0]}")
            if failed:
                sys.exit(1)
        elif action == "export":
            stream = options["stream"]
            if stream not in streams():
                raise CommandError(f"没有名为 {stream} 的审计流")
            out = Path(options["out"] or f"audit-{stream}.zip")
            with out.open("wb") as fh:
                count = export_bundle(stream=stream, out=fh)
            self.stdout.write(f"{out}: {count} 条事件；用 python verifier.py {out} 独立校验")
        else:
            self.stdout.write(f"已签名 {checkpoint_all()} 个检查点")
