import io
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from docx import Document

from gonghui.people.models import Person
from gonghui.registry import services
from tests.registry.test_excel import GOOD, workbook


def gonghui(*args) -> str:
    out = io.StringIO()
    call_command("registry", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_prints_a_summary(registry, users, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(workbook(GOOD))
    output = gonghui("import", str(path), "--user", users.cy.username)
    assert "新增人员 3" in output
    assert Person.objects.filter(name="李建国").exists()


def test_a_refused_import_fails_and_prints_the_report(registry, users, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(
        workbook(
            [
                {"姓名": "甲", "身份证号": "110105198503120010", "所属工会编码": "CY-G1"},
                {"姓名": "乙", "所属工会编码": "NOPE", "无身份证号原因": "历史档案"},
            ]
        )
    )
    report = tmp_path / "report.xlsx"
    out = io.StringIO()
    with pytest.raises(CommandError) as err:
        call_command(
            "registry",
            "import",
            str(path),
            "--user",
            users.cy.username,
            "--report",
            str(report),
            stdout=out,
            stderr=io.StringIO(),
        )
    assert err.value.returncode != 0 and "2 处错误" in str(err.value)
    lines = out.getvalue().splitlines()
    assert lines[0] == "行\t列\t内容\t原因"
    assert lines[1].startswith("2\t身份证号\t11**************10\t")  # masked, as kept
    assert lines[2].startswith("3\t所属工会编码\tNOPE\t")
    assert openpyxl.load_workbook(report).active.max_row == 3
    assert not Person.objects.filter(name="甲").exists()


def test_import_needs_a_known_user_and_file(registry, users, tmp_path):
    with pytest.raises(CommandError, match="--user"):
        call_command("registry", "import", "x.xlsx")
    with pytest.raises(CommandError, match="没有名为"):
        gonghui("import", "x.xlsx", "--user", "nobody")
    with pytest.raises(CommandError, match="找不到文件"):
        gonghui("import", str(tmp_path / "x.xlsx"), "--user", users.cy.username)


def test_export_writes_the_scoped_filtered_file(registry, users, honours, tmp_path):
    services.award_create(
        actor=users.admin,
        honour=honours["beijing-model-worker"],
        person=registry.people["赵郁"],
        year=2015,
    )
    path = tmp_path / "out.xlsx"
    output = gonghui("export", str(path), "--user", users.hd.username)
    assert "已导出 1 行" in output
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["钱学"]
    gonghui(
        "export",
        str(path),
        "--user",
        users.admin.username,
        "--honour",
        "北京市劳动模范",
        "--year-from",
        "2010",
        "--year-to",
        "2016",
    )
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert [(r[1], r[16], r[17]) for r in rows[1:]] == [("赵郁", "北京市劳动模范", "2015")]
    with pytest.raises(CommandError, match="荣誉目录中没有"):
        gonghui("export", str(path), "--user", users.admin.username, "--honour", "无此荣誉")
    with pytest.raises(CommandError, match="没有导出档案的权限"):
        gonghui("export", str(path), "--user", users.cy_grass.username)


def test_search_prints_one_person_a_line(registry, users, honours):
    zhao = registry.people["赵郁"]
    for honour, year in (("capital-labour-medal", 2018), ("beijing-model-worker", 2015)):
        services.award_create(actor=users.admin, honour=honours[honour], person=zhao, year=year)
    output = gonghui("search", "zy", "--user", users.cy.username)
    assert output.splitlines() == ["赵郁\t北京地铁运营公司\t北京市劳动模范、首都劳动奖章"]
    output = gonghui("search", "地铁", "--limit", "2", "--user", users.cy.username)
    assert len(output.splitlines()) == 2
    assert gonghui("search", "钱学", "--user", users.cy.username) == ""  # Haidian's


@pytest.mark.django_db
def test_dictionary_command(registry, users, honours, tmp_path):
    for name in ("赵郁", "单田芳"):
        services.award_create(
            actor=users.admin,
            honour=honours["beijing-model-worker"],
            person=registry.people[name],
            year=2015,
            deeds=f"{name}的事迹",
        )
    out = StringIO()
    call_command(
        "registry",
        "dictionary",
        "--honour",
        "北京市劳动模范",
        "--out",
        str(tmp_path / "book.docx"),
        "--user",
        "admin_t",
        stdout=out,
    )
    assert "收录 2 人" in out.getvalue()
    text = "\n".join(p.text for p in Document(tmp_path / "book.docx").paragraphs)
    assert text.index("单田芳") < text.index("赵郁")
    with pytest.raises(CommandError, match="没有“不存在的荣誉”"):
        call_command(
            "registry",
            "dictionary",
            "--honour",
            "不存在的荣誉",
            "--out",
            str(tmp_path / "x.docx"),
            "--user",
            "admin_t",
        )
