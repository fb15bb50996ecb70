"""The State Council's holiday notice, read as published (gonghui holidays)."""

from datetime import date, timedelta

import chinese_calendar
import pytest
from django.core.management import CommandError, call_command

from gonghui.audit.models import AuditEvent
from gonghui.calendar.notice import parse_notice
from gonghui.common.errors import ValidationFailed
from gonghui.common.models import CalendarDay, CalendarYear
from gonghui.common.workdays import add_workdays
from tests.factories import PASSWORD

NOTICE_2025 = """国务院办公厅关于2025年部分节假日安排的通知
国办发明电〔2024〕12号

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2025年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周三）放假1天，不调休。
二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
三、清明节：4月4日（周五）至6日（周日）放假，共3天。
四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。
六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。
"""

NOTICE_2026 = """国务院办公厅关于2026年部分节假日安排的通知
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
"""


NOTICE_2023 = """国务院办公厅关于2023年部分节假日安排的通知
国办发明电〔2022〕16号
一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。
二、春节：1月21日至27日放假调休，共7天。1月28日（星期六）、1月29日（星期日）上班。
三、清明节：4月5日放假，共1天。
四、劳动节：4月29日至5月3日放假调休，共5天。4月23日（星期日）、5月6日（星期六）上班。
五、端午节：6月22日至24日放假调休，共3天。6月25日（星期日）上班。
六、中秋节、国庆节：9月29日至10月6日放假调休，共8天。10月7日（星期六）、10月8日（星期日）上班。
"""


def _days(schedule):
    off = set()
    for first, last, _ in schedule.holidays:
        off |= {first + timedelta(days=i) for i in range((last - first).days + 1)}
    return off, {day for day, _ in schedule.workdays}


# chinese-calendar counts 2023-12-30/31 as 元旦 of 2024: the 2024 notice's "与周末连休"
NEXT_NOTICE = {date(2023, 12, 30), date(2023, 12, 31)}


@pytest.mark.parametrize(
    "year, text", [(2023, NOTICE_2023), (2025, NOTICE_2025), (2026, NOTICE_2026)]
)
def test_notice_reads_as_the_official_calendar(year, text):
    """The published notices give exactly chinese-calendar's days off and make-up days."""
    schedule = parse_notice(text)
    assert schedule.year == year
    off, worked = _days(schedule)
    assert off == {d for d in chinese_calendar.holidays if d.year == year} - NEXT_NOTICE
    assert worked == {d for d in chinese_calendar.workdays if d.year == year and d.weekday() >= 5}
    assert (
        next(n for f, _, n in schedule.holidays if f.month in (1, 2) and f.day > 10),
        next(n for d, n in schedule.workdays if d.month in (1, 2) and d.day > 10),
    ) == ("春节", "春节调休")


def test_full_width_digits_and_a_year_in_the_dates():
    text = "国务院办公厅关于２０２７年部分节假日安排的通知\n一、元旦：2027年1月1日（周五）至3日（周日）放假，共3天。"
    schedule = parse_notice(text)
    assert schedule.holidays == [(date(2027, 1, 1), date(2027, 1, 3), "元旦")]


@pytest.mark.parametrize(
    "text, year, fragment",
    [
        ("一、元旦：1月1日放假。", None, "请指明年份"),
        (NOTICE_2026, 2027, "与所填年份 2027 年不一致"),
        (
            "国务院办公厅关于2027年部分节假日安排的通知\n一、春节：2月30日（周二）放假。",
            None,
            "第 2 行（春节）：日期 2027年2月30日 不存在",
        ),
        (
            "国务院办公厅关于2027年部分节假日安排的通知\n一、春节：放假调休，共8天。",
            None,
            "没有日期",
        ),
        (
            "国务院办公厅关于2027年部分节假日安排的通知\n一、春节：2月6日至14日上班。",
            None,
            "上班日应逐日列出",
        ),
        ("国务院办公厅关于2027年部分节假日安排的通知\n各地区要安排好值班。", None, "没有读到任何"),
    ],
)
def test_what_cannot_be_read_is_refused_with_its_line(text, year, fragment):
    with pytest.raises(ValidationFailed) as caught:
        parse_notice(text, year)
    assert fragment in str(caught.value.fields)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        # a slip of the year: the whole range lies in another year
        ("二、国庆节：2025年10月1日至8日放假。", "2025-10-01 至 2025-10-08 不在 2026 年内"),
        ("一、元旦：2025年1月1日放假。", "2025-01-01 至 2025-01-01 不在 2026 年内"),
        # a range that would swallow the year
        ("一、元旦：2025年12月31日至2027年1月2日放假。", "长达 368 天"),
        ("二、国庆节：10月1日至11月8日放假。", "长达 39 天"),
        # a make-up day further off than the next January
        ("二、春节：2月1日至3日放假，2027年2月6日上班。", "上班日 2027-02-06 不在 2026 年内"),
    ],
)
def test_a_date_outside_the_year_or_a_holiday_too_long_is_refused_with_its_line(text, fragment):
    with pytest.raises(ValidationFailed) as caught:
        parse_notice(text, 2026)
    assert "第 1 行" in str(caught.value.fields) and fragment in str(caught.value.fields)


def test_after_a_range_into_the_next_year_its_dates_stay_in_that_year():
    schedule = parse_notice("一、元旦：12月31日至1月2日放假调休，1月3日上班。", 2027)
    assert schedule.holidays == [(date(2027, 12, 31), date(2027, 12, 31), "元旦")]
    assert schedule.elsewhere == [
        (date(2028, 1, 1), date(2028, 1, 2), "元旦"),
        (date(2028, 1, 3), date(2028, 1, 3), "元旦调休"),
    ]


def test_basis_is_the_title_and_number():
    assert (
        parse_notice(NOTICE_2025).basis
        == "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）"
    )
    assert parse_notice("一、元旦：1月1日放假。", 2027).basis == ""


def test_a_holiday_begun_the_year_before_is_cut_at_the_new_year_and_named_apart():
    """The 2023 notice's 元旦 starts on 2022-12-31: 2023 gets its own days, and the day of
    2022 is listed apart, never entered into 2023 (nor refused as outside it)."""
    schedule = parse_notice(NOTICE_2023)
    assert schedule.holidays[0] == (date(2023, 1, 1), date(2023, 1, 2), "元旦")
    assert schedule.elsewhere == [(date(2022, 12, 31), date(2022, 12, 31), "元旦")]
    year_end = parse_notice("一、元旦：12月31日（周五）至1月2日（周日）放假。", 2027)
    assert year_end.holidays == [(date(2027, 12, 31), date(2027, 12, 31), "元旦")]
    assert year_end.elsewhere == [(date(2028, 1, 1), date(2028, 1, 2), "元旦")]


NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月5日（周五）至11日（周四）放假调休，共7天。2月20日（周六）上班。
"""


def test_command_shows_then_enters_next_year(db, tmp_path, capsys):
    path = tmp_path / "notice.txt"
    path.write_bytes(NOTICE_2027.encode("gbk"))
    call_command("holidays", str(path))
    shown = capsys.readouterr().out
    assert "放假  春节  2027-02-05 至 2027-02-11（7 天）" in shown
    assert "上班  春节调休  2027-02-20（周六）" in shown
    assert not CalendarYear.objects.filter(year=2027).exists()  # nothing without --yes

    call_command("holidays", str(path), "--yes")
    entry = CalendarYear.objects.get(year=2027)
    assert entry.basis == "国务院办公厅关于2027年部分节假日安排的通知"
    assert CalendarDay.objects.filter(date__year=2027, is_workday=False).count() == 10
    assert add_workdays(date(2027, 2, 4), 2) == date(2027, 2, 12)
    event = AuditEvent.objects.get(action="calendar.year_set", object_id="2027")
    assert event.actor_id is None


def test_command_refuses_bad_notice_and_writes_nothing(db, tmp_path):
    path = tmp_path / "notice.txt"
    path.write_text(NOTICE_2027.replace("2月20日（周六）上班", "2月19日（周五）上班"))
    with pytest.raises(CommandError, match="是工作日"):
        call_command("holidays", str(path), "--yes")
    assert not CalendarYear.objects.filter(year=2027).exists()
    with pytest.raises(CommandError, match="读不到文件"):
        call_command("holidays", str(tmp_path / "missing.txt"))


def test_the_calendar_page_reads_a_pasted_notice(client, users):
    client.login(username="admin_t", password=PASSWORD)
    bad = client.post("/calendar/", {"year": "2027", "notice": NOTICE_2027.replace("5日", "35日")})
    assert "日期 2027年2月35日 不存在" in bad.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()
    both = client.post(
        "/calendar/", {"year": "2027", "notice": NOTICE_2027, "holidays": "元旦 2027-01-01"}
    )
    assert "请不要再逐行录入" in both.content.decode()
    empty = client.post("/calendar/", {"year": "2027", "basis": "x"})
    assert "请粘贴通知全文，或逐行录入放假安排" in empty.content.decode()

    done = client.post("/calendar/", {"year": "2027", "notice": NOTICE_2027})
    assert done.status_code == 302
    assert CalendarYear.objects.get(year=2027).basis == "国务院办公厅关于2027年部分节假日安排的通知"
    assert CalendarDay.objects.get(date=date(2027, 2, 20)).is_workday


def test_the_2023_notice_is_entered_with_its_day_of_2022_named_apart(client, users, tmp_path):
    path = tmp_path / "notice.txt"
    path.write_text(NOTICE_2023)
    year_2022 = list(CalendarDay.objects.filter(date__year=2022).values_list())
    call_command("holidays", str(path), "--yes")
    assert list(CalendarDay.objects.filter(date__year=2022).values_list()) == year_2022
    assert not CalendarDay.objects.get(date=date(2023, 1, 2)).is_workday
    client.login(username="admin_t", password=PASSWORD)
    page = client.post("/calendar/", {"year": "2023", "notice": NOTICE_2023}, follow=True)
    assert "元旦 2022-12-31 不在 2023 年内，未录入，请在 2022 年的安排中核对" in (
        page.content.decode()
    )
