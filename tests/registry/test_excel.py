import gc
import io

import openpyxl
import pytest

from gonghui.audit.models import AuditEvent
from gonghui.common import pii
from gonghui.common.errors import Forbidden
from gonghui.common.imports import ImportRejected, RowError, error_report
from gonghui.people.models import Person, Unit
from gonghui.registry import excel, selectors, services
from gonghui.registry.models import Award, Category
from gonghui.registry.selectors import PersonFilters
from tests.common.test_pii import quoted_digits
from tests.factories import make_person

HEADER = list(excel.COLUMNS.values())


def new_id(body: str) -> str:
    """A valid resident ID from its first 17 digits."""
    return body + pii.id_check_digit(body)


ID_A = new_id("11010519850312001")  # a man born 1985-03-12
ID_B = new_id("11010519900101002")  # a woman born 1990-01-01
OLD_15 = "110105750615121"  # a 15-digit ID: 1975-06-15


def workbook(rows: list[dict], header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = excel.SHEET
    ws.append(header)
    for row in rows:
        ws.append([row.get(h) for h in header])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_back(data: bytes) -> list[dict]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def run(actor, rows, **kwargs):
    return excel.registry_import(
        actor=actor, data=workbook(rows, **kwargs), filename="名单.xlsx", progress=None
    )


def rejected(actor, rows) -> dict[tuple[int, str], str]:
    with pytest.raises(ImportRejected) as err:
        run(actor, rows)
    return {(e.row, e.column): e.reason for e in err.value.errors}


GOOD = [
    {
        "姓名": "李建国",
        "身份证号": " ".join([ID_A[:6], ID_A[6:14], ID_A[14:]]),  # spaces are tolerated
        "联系电话": "13800138000",
        "所属工会编码": "CY-G1",
        "工作单位": "北京精密机械厂",
        "统一社会信用代码": "91110000600037341L",  # the registry fixture's unit
        "职务": "班组长",
        "岗位类别": "一线工人",
        "一线职工": "是",
        "工种": "钳工",
        "技能等级": "一级/高级技师",
        "荣誉": "朝阳工匠",
        "年份": 2019,
        "批次": "第三届",
        "类别": "一线职工、科技创新人员",
        "事迹": "改进夹具二十余项。",
    },
    {  # the same person's second award: person cells may stay empty
        "身份证号": ID_A,
        "所属工会编码": "CY-G1",
        "荣誉": "朝阳能手",
        "年份": "2018年",
    },
    {  # full-width digits, a woman, a new employer without a credit code
        "姓名": "王芳",
        "身份证号": "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in ID_B),
        "所属工会编码": "CY-G1",
        "工作单位": "朝阳环卫中心",
        "状态": "在职",
    },
    {  # a historical record: no resident ID, the reason given
        "姓名": "张秉贵",
        "性别": "男",
        "出生日期": "1918-01-01",
        "无身份证号原因": "历史档案无记录",
        "所属工会编码": "CY-G1",
        "状态": "已故",
        "荣誉": "朝阳工匠",
        "年份": 2017,
    },
    {  # an existing person (registry fixture), found by ID number: a new award only
        "姓名": "赵郁",
        "身份证号": "11010519491231002X",
        "所属工会编码": "CY-G1",
        "荣誉": "朝阳匠心达人",
        "年份": 2020,
    },
]


def test_template_has_headers_lists_and_text_columns(users):
    book = openpyxl.load_workbook(io.BytesIO(excel.template_workbook(actor=users.admin)))
    ws = book[excel.SHEET]
    assert [c.value for c in ws[1]] == HEADER
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    letter = {label: openpyxl.utils.get_column_letter(i + 1) for i, label in enumerate(HEADER)}
    for label in ("荣誉", "工种", "技能等级", "岗位类别", "状态", "性别", "一线职工"):
        assert f"{letter[label]}2" in lists, label
    options = book["选项"]
    assert options.sheet_state == "hidden"
    values = {c.value for col in options.iter_cols() for c in col}
    assert {"北京市劳动模范", "朝阳工匠", "钳工", "首席技师", "是", "否"} <= values
    assert "北京市工人先锋号" not in values  # collective honours are not for people
    for label in ("身份证号", "联系电话", "记录ID", "所属工会编码"):
        assert ws.column_dimensions[letter[label]].number_format == "@"


def test_a_good_file_is_imported_through_the_rules(registry, users, honours):
    people_before = Person.objects.count()
    seen = []
    result = excel.registry_import(
        actor=users.cy,
        data=workbook(GOOD),
        filename="名单.xlsx",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert (result.people_created, result.people_unchanged) == (3, 1)
    assert (result.awards_created, result.units_created) == (4, 1)
    assert Person.objects.count() == people_before + 3
    li = Person.objects.get(name="李建国")
    assert li.id_number == ID_A and li.gender == "M" and str(li.birth_date) == "1985-03-12"
    assert li.employer == registry.employer  # matched by credit code
    assert (li.trade.name, li.skill_level, li.rank, li.is_front_line) == (
        "钳工",
        "1",
        "worker",
        True,
    )
    assert li.phone == "13800138000"
    craft = Award.objects.get(person=li, honour=honours["chaoyang-craftsman"])
    assert (craft.year, craft.batch, craft.org_unit.code) == (2019, "第三届", "CY-G1")
    assert {c.name for c in craft.categories.all()} == {"一线职工", "科技创新人员"}
    assert Award.objects.get(person=li, honour=honours["chaoyang-expert"]).year == 2018
    wang = Person.objects.get(name="王芳")
    assert wang.id_number == ID_B and wang.gender == "F"
    assert wang.employer.name == "朝阳环卫中心" and wang.employer.org_unit.code == "CY-G1"
    zhang = Person.objects.get(name="张秉贵")
    assert (zhang.id_number, zhang.status) == (None, "deceased")
    assert Award.objects.filter(person=registry.people["赵郁"]).count() == 1
    # Found by search at once (keys are built), by initials too.
    found = selectors.person_search(actor=users.cy, filters=PersonFilters(query="ljg"))
    assert [p.name for p in found] == ["李建国"]
    events = AuditEvent.objects.filter(action="registry.import")
    assert events.count() == 1
    assert seen[-1][0] == seen[-1][1] == 2 * len(GOOD)


def test_id_numbers_read_defensively(registry, users):
    rows = [
        {"姓名": "甲", "身份证号": OLD_15, "所属工会编码": "CY-G1"},  # 15 digits, as text
        {"姓名": "乙", "身份证号": int(ID_B), "所属工会编码": "CY-G1"},  # 18 digits as a number
        {"姓名": "丙", "身份证号": float(ID_A), "所属工会编码": "CY-G1"},  # 1.1e+17
        {"姓名": "丁", "身份证号": "1.10105E+17", "所属工会编码": "CY-G1"},  # from a CSV
    ]
    errors = rejected(users.cy, rows)
    assert set(errors) == {(3, "身份证号"), (4, "身份证号"), (5, "身份证号")}
    assert all("被 Excel 转成了数字，请将该列设为文本" in r for r in errors.values())
    # A 15-digit number survives Excel exactly, and becomes 18 digits.
    run(users.cy, [{"姓名": "甲", "身份证号": int(OLD_15), "所属工会编码": "CY-G1"}])
    assert Person.objects.get(name="甲").id_number == pii.normalize("id_number", OLD_15)


def test_a_file_with_bad_rows_is_refused_whole(registry, users, honours):
    zhao = registry.people["赵郁"]
    services.award_create(
        actor=users.cy, honour=honours["chaoyang-craftsman"], person=zhao, year=2019
    )
    revoked = services.award_create(
        actor=users.cy, honour=honours["chaoyang-expert"], person=zhao, year=2019
    )
    services.award_revoke(actor=users.cy, award=revoked, reason="材料不实")
    base = {"所属工会编码": "CY-G1", "无身份证号原因": "历史档案"}
    rows = [
        {**GOOD[0]},  # row 2: fine, but nothing of it may be written
        {**base, "姓名": "错校验", "身份证号": ID_A[:17] + str((int(ID_A[17]) + 1) % 10)},
        {**base, "姓名": "错日期", "出生日期": "1980-02-30"},
        {**base, "姓名": "无此荣誉", "荣誉": "全国十佳", "年份": 2015},
        {**base, "姓名": "无此组织", "所属工会编码": "NOPE"},
        {**base, "姓名": "越权", "所属工会编码": "HD-G1"},  # Haidian: not Chaoyang's
        {**base, "姓名": "集体荣誉", "荣誉": "北京市工人先锋号", "年份": 2015},
        {**base, "姓名": "太早", "荣誉": "朝阳工匠", "年份": 2015},  # first given 2017
        {**base, "姓名": "重复", "荣誉": "朝阳工匠", "年份": 2020},
        {**base, "姓名": "重复", "荣誉": "朝阳工匠", "年份": 2020},  # row 11: same as row 10
        {"身份证号": zhao.id_number, "所属工会编码": "CY-G1", "荣誉": "朝阳能手", "年份": 2019},
        {**base, "姓名": "数字身份证", "身份证号": float(ID_B)},
        {**base, "姓名": "无权", "荣誉": "北京市劳动模范", "年份": 2015},  # a city honour
        {**base, "姓名": "不是数字", "荣誉": "朝阳工匠", "年份": "二〇二〇"},
        {**base, "姓名": "缺荣誉", "年份": 2020},
    ]
    people, awards, events = Person.objects.count(), Award.objects.count(), AuditEvent.objects
    before_events = events.count()
    errors = rejected(users.cy, rows)
    expected = {
        (3, "身份证号"): "校验位错误",
        (4, "出生日期"): "日期不存在",
        (5, "荣誉"): "荣誉目录中没有“全国十佳”",
        (6, "所属工会编码"): "不存在或不在您的管理范围内",
        (7, "所属工会编码"): "不存在或不在您的管理范围内",
        (8, "荣誉"): "授予集体，不能授予个人",
        (9, "年份"): "自 2017 年起授予",
        (11, "年份"): "与第 10 行重复",
        (12, "年份"): "已撤销",
        (13, "身份证号"): "被 Excel 转成了数字",
        (14, "荣誉"): "无权授予",
        (15, "年份"): "年份应为四位数字",
        (16, "荣誉"): "未填写荣誉",
    }
    for key, words in expected.items():
        assert words in errors.get(key, ""), (key, errors.get(key))
    assert not any(row == 2 for row, _ in errors)
    assert (Person.objects.count(), Award.objects.count()) == (people, awards)
    assert events.count() == before_events
    assert not Unit.objects.filter(name="北京精密机械厂").exists()
    # The downloadable report lists them all.
    with pytest.raises(ImportRejected) as err:
        run(users.cy, rows)
    report = read_back(error_report(err.value.errors))
    assert list(report[0]) == ["行号", "列", "内容", "原因"]
    assert {(int(r["行号"]), r["列"]) for r in report} == set(errors)
    assert any(r["内容"] == "全国十佳" for r in report)
    # The report is kept with the job for others to read: ID numbers in it are masked.
    bad_id = ID_A[:17] + str((int(ID_A[17]) + 1) % 10)
    shown = {r["内容"] for r in report if r["列"] == "身份证号"}
    assert pii.mask("id_number", bad_id) in shown
    assert not any(ID_A[2:16] in value for value in shown)


def test_a_person_on_several_rows_must_agree_with_themselves(registry, users):
    rows = [
        {"姓名": "李建国", "身份证号": ID_A, "所属工会编码": "CY-G1", "职务": "班组长"},
        {"姓名": "李建国", "身份证号": ID_A, "所属工会编码": "CY-G1", "职务": "车间主任"},
        {"姓名": "另一人", "身份证号": ID_A, "所属工会编码": "CY-G1"},
    ]
    errors = rejected(users.cy, rows)
    assert "与第 2 行（同一人）的职务不一致" in errors[(3, "职务")]
    assert "与第 2 行（同一人）的姓名不一致" in errors[(4, "姓名")]


def test_prerequisites_may_come_from_the_same_file(registry, users):
    national = {"姓名": "李建国", "身份证号": ID_A, "所属工会编码": "CY-G1"}
    errors = rejected(users.admin, [{**national, "荣誉": "全国劳动模范", "年份": 2020}])
    assert "须先获得以下荣誉之一" in errors[(2, "荣誉")]
    result = run(
        users.admin,
        [
            {**national, "荣誉": "全国劳动模范", "年份": 2020},
            {"身份证号": ID_A, "荣誉": "北京市劳动模范", "年份": 2015},
        ],
    )
    assert result.awards_created == 2


def test_importing_the_same_file_again_creates_nothing(registry, users):
    data = workbook(GOOD)
    excel.registry_import(actor=users.cy, data=data, filename="a.xlsx")
    counts = (Person.objects.count(), Award.objects.count(), Unit.objects.count())
    again = excel.registry_import(actor=users.cy, data=data, filename="a.xlsx")
    assert (again.people_created, again.awards_created, again.units_created) == (0, 0, 0)
    assert (again.people_updated, again.awards_updated) == (0, 0)
    assert (again.people_unchanged, again.awards_unchanged) == (4, 4)
    assert (Person.objects.count(), Award.objects.count(), Unit.objects.count()) == counts
    assert AuditEvent.objects.filter(action="registry.import").count() == 2


def test_export_reimports_onto_the_same_records(registry, users, honours):
    run(users.cy, GOOD)
    out = io.BytesIO()
    rows = excel.registry_export(actor=users.cy, out=out, filters=PersonFilters())
    exported = read_back(out.getvalue())
    assert len(exported) == rows == 8  # 4 fixture people in Chaoyang + 3 new; 李 has 2 awards
    li = next(r for r in exported if r["姓名"] == "李建国" and r["荣誉"] == "朝阳工匠")
    assert li["身份证号"] == pii.mask("id_number", ID_A)  # masked by default
    assert li["联系电话"] == pii.mask("phone", "13800138000")
    assert (li["年份"], li["类别"], li["一线职工"]) == ("2019", "科技创新人员、一线职工", "是")
    # The office edits the file and sends it back.
    for r in exported:
        if r["姓名"] == "李建国":
            r["职务"] = "车间主任"
            if r["荣誉"] == "朝阳工匠":
                r["事迹"] = "改进夹具三十余项。"
    ids = set(Person.objects.values_list("pk", flat=True))
    result = excel.registry_import(
        actor=users.cy, data=workbook(exported, header=list(exported[0])), filename="b.xlsx"
    )
    assert (result.people_created, result.awards_created, result.units_created) == (0, 0, 0)
    assert (result.people_updated, result.awards_updated) == (1, 1)
    assert set(Person.objects.values_list("pk", flat=True)) == ids
    person = Person.objects.get(name="李建国")
    assert person.post_title == "车间主任"
    assert person.id_number == ID_A and person.phone == "13800138000"  # masked cells kept
    assert Award.objects.get(person=person, year=2019).deeds == "改进夹具三十余项。"
    assert AuditEvent.objects.filter(action="people.update", object_id=str(person.pk)).exists()
    assert AuditEvent.objects.filter(action="registry.award_update").count() == 1


def test_export_cells_are_text_never_formulas(registry, users):
    rows = [
        {
            "姓名": "=1+1",
            "无身份证号原因": "+1",
            "职务": "-2",
            "所属工会编码": "CY-G1",
            "工作单位": "@SUM(A1)",
            "荣誉": "朝阳工匠",
            "年份": 2020,
            "批次": "#N/A",
            "事迹": "@SUM(A1)",
        }
    ]
    header = HEADER
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(header)
    ws.append([rows[0].get(h) for h in header])
    for cell in ws[2]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # as the office typed them, text
    buffer = io.BytesIO()
    book.save(buffer)
    excel.registry_import(actor=users.cy, data=buffer.getvalue(), filename="f.xlsx")
    award = Award.objects.get(person__name="=1+1")
    services.award_update(actor=users.cy, award=award, deeds="@SUM(A1)\x07")  # no XML for \x07
    out = io.BytesIO()
    excel.registry_export(actor=users.cy, out=out, filters=PersonFilters())
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    cells = [c for row in book.active.iter_rows() for c in row if c.value is not None]
    assert cells and all(c.data_type == "s" for c in cells)
    values = {c.value for c in cells}
    assert {"=1+1", "+1", "-2", "@SUM(A1)", "#N/A"} <= values
    risky = [c for c in cells if str(c.value)[0] in "=+-@#"]
    assert all(c.quotePrefix for c in risky)
    report = openpyxl.load_workbook(
        io.BytesIO(error_report([RowError(2, "姓名", "=HYPERLINK(1)", "x")]))
    )
    assert all(c.data_type == "s" for row in report.active.iter_rows() for c in row if c.value)


def _export_garbage(actor) -> tuple[int, int]:
    """Rows an export wrote, and the objects it left for the garbage collector: reference
    cycles, which reference counting never frees, so they pile up until a full collection."""
    gc.collect()
    gc.disable()
    try:
        rows = excel.registry_export(actor=actor, out=io.BytesIO(), filters=PersonFilters())
        return rows, gc.collect()
    finally:
        gc.enable()


def test_the_export_leaves_no_garbage_growing_with_its_rows(users, tree, honours):
    """A streaming export's memory is that of one chunk, whatever its rows: nothing it
    reads may be kept alive by a cycle (a prefetch linked every award back to its person
    and every category list back to its award: ~100 bytes a row until the collector ran)."""
    medal, cats = honours["capital-labour-medal"], list(Category.objects.all()[:2])

    def add(count: int) -> None:
        for _ in range(count):
            person = make_person(tree.cy_grass, f"导出{Person.objects.count()}", id_number=None)
            for year in (2015, 2020):
                award = Award.objects.create(
                    honour=medal, person=person, org_unit=tree.cy_grass, year=year
                )
                award.categories.set(cats)

    add(5)
    small_rows, small = _export_garbage(users.cy)
    add(40)
    large_rows, large = _export_garbage(users.cy)
    assert (small_rows, large_rows) == (10, 90)
    assert large <= small + 10, (small, large)


def test_export_masks_unless_revealed_and_audits(registry, users):
    zhao = registry.people["赵郁"]
    out = io.BytesIO()
    excel.registry_export(actor=users.admin, out=out, filters=PersonFilters(query="赵郁"))
    (row,) = read_back(out.getvalue())
    assert row["身份证号"] == "11**************2X"
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()
    event = AuditEvent.objects.get(action="registry.export")
    assert "赵郁" in str(event.body) and '"rows"' in str(event.body)
    out = io.BytesIO()
    excel.registry_export(
        actor=users.admin, out=out, filters=PersonFilters(query="赵郁"), reveal=True
    )
    (row,) = read_back(out.getvalue())
    assert row["身份证号"] == zhao.id_number
    reveal = AuditEvent.objects.get(action="pii.reveal")
    assert reveal.object_id == str(zhao.pk)


def test_export_follows_scope_filters_and_permission(registry, users, honours):
    services.award_create(
        actor=users.admin,
        honour=honours["beijing-model-worker"],
        person=registry.people["赵郁"],
        year=2015,
    )
    services.award_create(
        actor=users.admin,
        honour=honours["capital-labour-medal"],
        person=registry.people["赵郁"],
        year=2018,
    )

    def names(actor, **filters):
        out = io.BytesIO()
        excel.registry_export(actor=actor, out=out, filters=PersonFilters(**filters))
        return sorted((r["姓名"], r["荣誉"] or "") for r in read_back(out.getvalue()))

    cy = names(users.cy)
    assert "钱学" not in {n for n, _ in cy} and len({n for n, _ in cy}) == 4
    assert names(users.hd) == [("钱学", "")]
    assert names(users.admin, honour=honours["beijing-model-worker"].pk) == [
        ("赵郁", "北京市劳动模范")
    ]
    with pytest.raises(Forbidden):
        excel.registry_export(actor=users.cy_grass, out=io.BytesIO(), filters=PersonFilters())


def test_every_bad_cell_of_a_row_is_named(registry, users):
    row = {
        "姓名": "某人",
        "出生日期": "1980-13-01",
        "联系电话": "12345",
        "工种": "炼丹",
        "一线职工": "也许",
        "统一社会信用代码": "91110000600037341X",
        "所属工会编码": "CY-G1",
    }
    errors = rejected(users.cy, [row])
    assert set(errors) == {
        (2, "出生日期"),
        (2, "联系电话"),
        (2, "工种"),
        (2, "一线职工"),
        (2, "统一社会信用代码"),
        (2, "无身份证号原因"),
    }
    assert "校验位错误" in errors[(2, "统一社会信用代码")]
    assert "手机号" in errors[(2, "联系电话")]


def test_the_error_report_never_quotes_what_the_id_mask_hides(registry, users):
    """An import report kept with the job once showed 11**************54 beside "出生日期
    19901314 不存在": 12 of 18 digits. Neither its cells nor its reasons may repeat a digit
    run the mask hides."""
    base = {"所属工会编码": "CY-G1"}
    numbers = [
        "110105199013140054",  # 13th month
        new_id("11990019900307003"),  # a region never assigned
        ID_A[:17] + str((int(ID_A[17]) + 1) % 10),  # check digit
        ID_B,  # valid, but the birth date beside it is not the number's
    ]
    rows = [{**base, "姓名": f"某{i}", "身份证号": n} for i, n in enumerate(numbers)]
    rows[3]["出生日期"] = "1991-05-05"
    with pytest.raises(ImportRejected) as err:
        run(users.cy, rows)
    report = read_back(error_report(err.value.errors))
    assert {(int(r["行号"]), r["列"]) for r in report} == {
        (2, "身份证号"),
        (3, "身份证号"),
        (4, "身份证号"),
        (5, "出生日期"),
    }
    for r in report:
        for number in numbers:
            assert quoted_digits(r["原因"], number) == [], r
            if r["列"] == "身份证号":
                assert quoted_digits(r["内容"], number) == [], r
    assert "出生日期" in next(r["原因"] for r in report if int(r["行号"]) == 2)


def test_numbers_issued_under_later_codes_import_for_people_born_before_them(registry, users):
    """An unmodified export of people born in 1960 in 通州/房山/昌平/大兴 imports again."""
    rows = [
        {"姓名": f"老{i}", "身份证号": new_id(f"{region}1960041500{i}"), "所属工会编码": "CY-G1"}
        for i, region in enumerate(["110112", "110111", "110114", "110115"])
    ]
    assert run(users.cy, rows).people_created == 4
