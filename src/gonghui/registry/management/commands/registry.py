"""``gonghui registry``: the registry for operators — import and export Excel files, search.

Each subcommand acts as the account named by ``--user``, within that account's data scope,
through the same services and selectors as the pages. A new subcommand is one entry in
``SUBCOMMANDS``: a function adding its arguments and a method handling it.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Prefetch

from gonghui.common.errors import DomainError
from gonghui.common.imports import ImportRejected, error_report
from gonghui.registry import dictionary
from gonghui.registry.excel import registry_export, registry_import
from gonghui.registry.models import Award, Honour
from gonghui.registry.selectors import PersonFilters, award_list, person_search


def _user_argument(parser, required: bool = True) -> None:
    parser.add_argument(
        "--user",
        required=required,
        help="以哪个账号的身份与数据范围执行（用户名）",
    )


def _import_arguments(parser) -> None:
    parser.add_argument("file", help="Excel 文件（.xlsx），按导入模板填写")
    _user_argument(parser)
    parser.add_argument("--report", help="被拒绝时，把错误报告另存为此 .xlsx 文件")


def _export_arguments(parser) -> None:
    parser.add_argument("file", help="输出的 Excel 文件（.xlsx）")
    _user_argument(parser)
    parser.add_argument("--query", default="", help="姓名、拼音、首字母或单位名称片段")
    parser.add_argument("--honour", default="", help="荣誉名称，如 北京市劳动模范")
    parser.add_argument("--year-from", type=int, default=None)
    parser.add_argument("--year-to", type=int, default=None)
    parser.add_argument(
        "--reveal",
        action="store_true",
        help="导出完整身份证号与电话（须有查看个人信息权限，逐人记录审计）",
    )


def _search_arguments(parser) -> None:
    parser.add_argument("query", help="姓名片段、拼音（zhaoyu）、首字母（zy）或单位名称片段")
    parser.add_argument("--limit", type=int, default=20)
    _user_argument(parser)


def _dictionary_arguments(parser) -> None:
    parser.add_argument("--honour", required=True, help="荣誉名称，如 全国劳动模范")
    parser.add_argument("--out", required=True, help="输出文件：.docx（Word）或 .html（打印版）")
    _user_argument(parser)


# name -> (help, add_arguments, handler method name)
SUBCOMMANDS = {
    "import": ("导入人员与荣誉（全部成功或全部不导入）", _import_arguments, "do_import"),
    "export": ("按筛选条件导出为 Excel（可再导入）", _export_arguments, "do_export"),
    "search": ("检索：每行一人（姓名、单位、荣誉）", _search_arguments, "do_search"),
    "dictionary": ("生成劳模大辞典（按拼音排序）", _dictionary_arguments, "do_dictionary"),
}


class Command(BaseCommand):
    help = "劳模工匠档案：import 导入 Excel；export 导出 Excel；search 检索；dictionary 劳模大辞典"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, (text, arguments, _) in SUBCOMMANDS.items():
            arguments(sub.add_parser(name, help=text))

    def handle(self, *args, action, **options):
        try:
            getattr(self, SUBCOMMANDS[action][2])(**options)
        except DomainError as exc:
            raise CommandError(exc.message or str(exc)) from None

    def _actor(self, username: str | None):
        if not username:
            raise CommandError("请用 --user 指定账号：操作按该账号的权限与数据范围进行")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"没有名为 {username} 的有效账号")
        return user

    def do_import(self, *, file, user, report=None, **options):
        actor = self._actor(user)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件 {file}")
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                from tqdm import tqdm

                # Shown on a terminal for files worth waiting for; silent in scripts.
                bar = tqdm(total=total, unit="步", disable=None if total > 2000 else True)
            bar.update(done - bar.n)

        try:
            result = registry_import(
                actor=actor, data=path.read_bytes(), filename=path.name, progress=progress
            )
        except ImportRejected as exc:
            if bar is not None:
                bar.close()
            self.stdout.write("行\t列\t内容\t原因")
            for e in exc.errors:
                value = e.value.replace("\t", " ").replace("\n", " ")
                self.stdout.write(f"{e.row}\t{e.column}\t{value}\t{e.reason}")
            if report:
                Path(report).write_bytes(error_report(exc.errors))
                self.stderr.write(f"错误报告已保存到 {report}")
            raise CommandError(f"{path.name}：{len(exc.errors)} 处错误，文件未导入") from None
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(f"{path.name}：{result.summary()}")

    def do_export(self, *, file, user, query, honour, year_from, year_to, reveal, **options):
        actor = self._actor(user)
        honour_id = None
        if honour:
            honour_id = Honour.objects.filter(name=honour).values_list("pk", flat=True).first()
            if honour_id is None:
                raise CommandError(f"荣誉目录中没有“{honour}”")
        filters = PersonFilters(query=query, honour=honour_id, year_from=year_from, year_to=year_to)
        with open(file, "wb") as out:
            rows = registry_export(actor=actor, out=out, filters=filters, reveal=reveal)
        self.stdout.write(f"{file}：已导出 {rows} 行")

    def do_search(self, *, query, limit, user, **options):
        actor = self._actor(user)
        active = Award.objects.filter(status=Award.Status.ACTIVE).select_related("honour")
        people = person_search(actor=actor, filters=PersonFilters(query=query)).prefetch_related(
            Prefetch("awards", active.order_by("year", "honour__sort"), to_attr="active_awards")
        )[: max(limit, 0)]
        for person in people:
            honours = list(dict.fromkeys(a.honour.name for a in person.active_awards))
            employer = person.employer.name if person.employer_id else ""
            self.stdout.write(f"{person.name}\t{employer}\t{'、'.join(honours)}")

    def do_dictionary(self, *, honour, out, user, **options):
        actor = self._actor(user)
        chosen = Honour.objects.filter(name=honour).first()
        if chosen is None:
            raise CommandError(f"荣誉目录中没有“{honour}”")
        entries = dictionary.entries_for(honour=chosen, awards_qs=award_list(actor=actor))
        if out.lower().endswith(".html"):
            Path(out).write_text(
                dictionary.render_html(honour=chosen, entries=entries), encoding="utf-8"
            )
        elif out.lower().endswith(".docx"):
            dictionary.write_docx(honour=chosen, out=out, entries=entries)
        else:
            raise CommandError("--out 应为 .docx 或 .html 文件")
        self.stdout.write(f"{out}：{dictionary.title_of(chosen)}，收录 {len(entries)} 人")
