"""The campaign's papers: 推荐表 (Word), 公示名单 (Word and Excel), 表彰名单 (Excel)."""

import io
import zipfile
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document
from docx.oxml.ns import qn

from gonghui.jobs.models import Job
from gonghui.nominations import exports, services
from gonghui.nominations.models import NOTICE_FIELDS, Nomination
from gonghui.people.models import Person, Unit
from tests.factories import PASSWORD, make_person
from tests.nominations.conftest import MATERIALS, at

ID_NUMBER = "11010519491231002X"
FORMULA_BRIEF = '=HYPERLINK("http://evil.example","点击") 扎根一线三十年'
DEEDS = "第一段：带领班组完成技术攻关十余项。\n\n第二段：培养徒弟三十余名。"


@pytest.fixture
def anning(campaign, users, tree):
    """安宁 (an ning: first in pinyin order), with everything the papers show, an ID number
    they must not show, and a brief that Excel would take for a formula."""
    employer = Unit.objects.create(name="北京某机械有限公司", org_unit=tree.cy_grass)
    person = make_person(
        tree.cy_grass,
        "安宁",
        id_number=ID_NUMBER,
        birth_date=date(1949, 12, 31),
        gender=Person.Gender.FEMALE,
        employer=employer,
        post_title="班组长",
        rank=Person.Rank.WORKER,
        is_front_line=True,
    )
    return services.nomination_save(
        actor=users.cy_grass,
        campaign=campaign,
        person_id=person.pk,
        categories=["科技创新人员", "农民工"],
        document=SimpleUploadedFile("推荐表.pdf", b"%PDF-1.4\n%test\n"),
        submit=True,
        **{**MATERIALS, "brief": FORMULA_BRIEF, "deeds": DEEDS},
    )


def rows_of(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows()]


def values(row) -> list[str]:
    return [cell.value or "" for cell in row]


def every_part(content: bytes) -> str:
    """All the text of a .docx package: body, styles, properties."""
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        return "".join(package.read(name).decode("utf-8", "replace") for name in package.namelist())


def table_text(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_every_notice_field_has_a_value():
    assert list(exports.NOTICE_VALUES) == list(NOTICE_FIELDS)


@pytest.fixture
def notice(campaign, nominees, anning, users):
    """Chaoyang's first notice of 赵郁, 武润泽 and 安宁."""
    return services.notice_publish(
        actor=users.cy_grass,
        campaign=campaign,
        stage="first",
        nominations=[nominees["赵郁"], nominees["武润泽"], anning],
    )


def test_the_notice_list_in_excel(notice):
    assert notice.fields == ["name", "gender", "unit_post", "brief"]
    header, *body = rows_of(exports.notice_list_xlsx(notice))
    assert values(header) == ["姓名", "性别", "工作单位及职务", "主要事迹（简要）"]
    # One row per nominee, in pinyin order: an, wu, zhao.
    assert [values(row) for row in body] == [
        ["安宁", "女", "北京某机械有限公司 班组长", FORMULA_BRIEF],
        ["武润泽", "", "", MATERIALS["brief"]],
        ["赵郁", "", "", MATERIALS["brief"]],
    ]
    brief = body[0][3]
    assert brief.data_type == "s" and brief.value.startswith("=")
    assert all(cell.data_type == "s" for row in [header, *body] for cell in row if cell.value)


def test_the_notice_list_shows_the_fields_chosen_as_the_public_page_does(notice, anning):
    # The fields the campaign chose, in its order; the same row as the public page's.
    notice.fields = ["brief", "name", "birth_year", "rank"]
    header, first, *_ = rows_of(exports.notice_list_xlsx(notice))
    assert values(header) == ["主要事迹（简要）", "姓名", "出生年份", "岗位类别"]
    assert values(first) == [FORMULA_BRIEF, "安宁", "1949", "一线工人"]
    assert exports.notice_row(anning, notice.fields) == values(first)
    assert exports.notice_headers(notice.fields) == values(header)


def test_the_notice_list_in_word(notice):
    content = exports.notice_list_docx(notice)
    document = Document(io.BytesIO(content))
    text = [p.text for p in document.paragraphs]
    assert text[0] == notice.title == "2025年首都劳动奖章评选基层公示"
    assert "公示期：2025年9月22日 至 2025年9月26日" in text
    assert "异议受理方式：电话 010-12345678" in text
    assert "朝阳某公司工会" in text and "2025年9月22日" in text
    (table,) = document.tables
    header, *body = table_text(table)
    assert header == ["姓名", "性别", "工作单位及职务", "主要事迹（简要）"]
    assert body == [
        ["安宁", "女", "北京某机械有限公司 班组长", FORMULA_BRIEF],
        ["武润泽", "", "", MATERIALS["brief"]],
        ["赵郁", "", "", MATERIALS["brief"]],
    ]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated per page
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert ID_NUMBER not in every_part(content)


def test_the_nomination_form(campaign, anning, users):
    services.clearance_record(
        actor=users.cy, nomination=anning, department="纪检监察", opinion="无违纪违法记录"
    )
    anning = Nomination.objects.get(pk=anning.pk)
    content = exports.nomination_form_docx(anning)
    document = Document(io.BytesIO(content))
    title = document.paragraphs[0]
    assert title.text == "2025年首都劳动奖章推荐表"
    assert title.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "宋体" and normal.get(qn("w:asciiTheme")) is None
    (table,) = document.tables
    form = dict(table_text(table))
    assert list(form) == [
        "姓名",
        "性别",
        "出生年月",
        "工作单位及职务",
        "岗位类别",
        "是否一线职工",
        "类别",
        "推荐单位",
        "事迹报告会（日期、参会人数、民主评议结果）",
        "简要事迹",
        "部门意见",
    ]
    assert form["姓名"] == "安宁" and form["性别"] == "女"
    assert form["出生年月"] == "1949年12月"
    assert form["工作单位及职务"] == "北京某机械有限公司 班组长"
    assert form["岗位类别"] == "一线工人" and form["是否一线职工"] == "是"
    assert form["类别"] == "科技创新人员、农民工"
    assert form["推荐单位"] == "朝阳某公司工会"
    assert form["事迹报告会（日期、参会人数、民主评议结果）"] == (
        "日期：2025年9月20日\n参会人数：56人\n民主评议结果：民主评议赞成票 52 票"
    )
    assert form["简要事迹"] == FORMULA_BRIEF
    assert form["部门意见"] == "纪检监察：无违纪违法记录"
    text = [p.text for p in document.paragraphs]
    deeds = text[text.index("主要事迹") + 1 :]
    assert deeds == ["第一段：带领班组完成技术攻关十余项。", "第二段：培养徒弟三十余名。"]
    # The resident ID is nowhere in the package (body, properties, styles).
    assert anning.person.id_number == ID_NUMBER
    package = every_part(content)
    assert ID_NUMBER not in package and ID_NUMBER[-6:] not in package


def test_the_form_without_clearances_has_no_opinions_row(campaign, nominees):
    document = Document(io.BytesIO(exports.nomination_form_docx(nominees["赵郁"])))
    form = dict(table_text(document.tables[0]))
    assert "部门意见" not in form and form["是否一线职工"] == "是" and form["类别"] == ""


def test_the_final_list_holds_only_the_approved(clock, campaign, nominees, anning, users, tree):
    zhao, wu, qian = nominees["赵郁"], nominees["武润泽"], nominees["钱学"]
    services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage="first", nominations=[zhao, wu, anning]
    )
    services.notice_publish(
        actor=users.hd_grass, campaign=campaign, stage="first", nominations=[qian]
    )
    clock.move_to(at(2025, 9, 27, 0, 0))
    services.nominations_advance(
        actor=users.cy, nominations=[zhao, wu, anning], action="first_pass"
    )
    services.nominations_advance(actor=users.hd, nominations=[qian], action="first_pass")
    services.node_list_submit(actor=users.cy, campaign=campaign, org_unit=tree.chaoyang)
    services.node_list_submit(actor=users.hd, campaign=campaign, org_unit=tree.haidian)
    clock.move_to(at(2025, 9, 28, 9))
    services.notice_publish(
        actor=users.admin, campaign=campaign, stage="second", nominations=[zhao, wu, qian, anning]
    )
    clock.move_to(at(2025, 10, 11, 8))
    services.nominations_advance(
        actor=users.admin, nominations=[zhao, qian, anning], action="second_pass"
    )
    services.nominations_advance(
        actor=users.admin, nominations=[wu], action="second_reject", opinion="事迹不够突出"
    )
    assert names_in(exports.final_list_xlsx(campaign)) == []  # none approved yet
    services.notice_publish(
        actor=users.admin, campaign=campaign, stage="final", nominations=[zhao, qian, anning]
    )
    clock.move_to(at(2025, 10, 20, 9))
    services.nominations_advance(
        actor=users.admin, nominations=[zhao, qian, anning], action="approve"
    )

    header, *body = rows_of(exports.final_list_xlsx(campaign))
    assert (
        values(header)
        == exports.FINAL_HEADERS
        == [
            "序号",
            "姓名",
            "性别",
            "工作单位及职务",
            "推荐单位",
            "所属区（产业）工会",
            "类别",
        ]
    )
    chaoyang = [
        [
            "安宁",
            "女",
            "北京某机械有限公司 班组长",
            "朝阳某公司工会",
            tree.chaoyang.name,
            "科技创新人员、农民工",
        ],
        ["赵郁", "", "", "朝阳某公司工会", tree.chaoyang.name, ""],
    ]
    haidian = [["钱学", "", "", "海淀某公司工会", tree.haidian.name, ""]]
    # Grouped by district union in the tree's order, in pinyin order within each; numbered.
    ordered = chaoyang + haidian if tree.chaoyang.path < tree.haidian.path else haidian + chaoyang
    expected = [[str(number), *row] for number, row in enumerate(ordered, start=1)]
    assert [values(row) for row in body] == expected
    assert all(cell.data_type == "s" for row in body for cell in row if cell.value)


def names_in(content: bytes) -> list[str]:
    _, *body = rows_of(content)
    return [row[1].value for row in body]


def test_the_final_list_is_made_by_a_job_for_its_approvers(
    client, campaign, users, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    url = f"/nominations/{campaign.pk}/final/"
    client.login(username="cy_staff", password=PASSWORD)  # sees the campaign, approves none
    assert client.post(url).status_code == 404 and not Job.objects.exists()
    client.login(username="admin_t", password=PASSWORD)
    with django_capture_on_commit_callbacks() as queued:
        job_page = client.post(url)["Location"]
    job = Job.objects.get(kind="nominations.final_list")
    assert job.status == Job.Status.QUEUED and len(queued) == 1  # nothing made in the request
    queued[0]()  # the worker runs the task
    assert "表彰名单已生成" in client.get(job_page).content.decode()
    download = client.get(f"{job_page}download")
    header, *body = rows_of(b"".join(download.streaming_content))
    assert values(header) == exports.FINAL_HEADERS and body == []  # none approved yet
    client.login(username="cy_staff", password=PASSWORD)
    assert client.get(f"{job_page}download").status_code == 404
