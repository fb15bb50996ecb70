"""The registry workbook's one sheet: its columns (key -> header) and the values its
cells take, shared by the template, the import and the export."""

from gonghui.people.models import Person

SHEET = "人员与荣誉"
COLUMNS = {
    "record_id": "记录ID",
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "id_number": "身份证号",
    "no_id_reason": "无身份证号原因",
    "phone": "联系电话",
    "org_unit": "所属工会编码",
    "employer": "工作单位",
    "credit_code": "统一社会信用代码",
    "post_title": "职务",
    "rank": "岗位类别",
    "is_front_line": "一线职工",
    "trade": "工种",
    "skill_level": "技能等级",
    "status": "状态",
    "honour": "荣誉",
    "year": "年份",
    "batch": "批次",
    "categories": "类别",
    "deeds": "事迹",
}
REQUIRED = ("name", "org_unit")
PERSON_KEYS = tuple(COLUMNS)[: tuple(COLUMNS).index("honour")]
AWARD_KEYS = ("honour", "year", "batch", "categories", "deeds")
YES, NO = "是", "否"
GENDERS = {label: value for value, label in Person.Gender.choices}


def column_width(key: str) -> int:
    """A column's width in the template and the export (in characters)."""
    return {"id_number": 22, "deeds": 40}.get(key, 14)
