"""The registry in a real browser: district staff import a workbook, fix the rejected row,
find the person by initials and open the public honour-wall entry."""

import io

import openpyxl
import pytest

from gonghui.people.models import Person
from gonghui.registry.excel import template_workbook
from tests.browser import desktop_context, in_thread, login, phone_context

pytestmark = pytest.mark.browser

GOOD_ID, BAD_ID = "110101199003070038", "110101199003070039"


def workbook(id_number: str, actor) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template_workbook(actor=actor)))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    row = {
        "姓名": "韩梅",
        "身份证号": id_number,
        "所属工会编码": "CY-G1",
        "荣誉": "朝阳工匠",
        "年份": "2021",
        "事迹": "三十年扎根一线，带出徒弟百余名。",
    }
    sheet.append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def files(users, tmp_path):
    """The workbooks, made before the browser starts (the ORM refuses Playwright's loop)."""
    bad, good = tmp_path / "档案.xlsx", tmp_path / "档案（已改）.xlsx"
    bad.write_bytes(workbook(BAD_ID, users.cy))
    good.write_bytes(workbook(GOOD_ID, users.cy))
    return bad, good


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_import_fix_find_and_wall(live_server, enforced_csp, users, files, browser, shots):
    base = live_server.url
    bad, good = files
    context, console = desktop_context(browser)
    page = login(context, base, users.cy.username, landing=f"{base}/")

    # A rejected file: every bad cell listed, nothing written.
    page.goto(f"{base}/registry/import/")
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="上传并导入").click()
    page.wait_for_url(f"{base}/jobs/*/")
    page.get_by_text("失败").wait_for()
    assert "身份证号校验位错误" in page.locator("body").inner_text()
    assert page.get_by_role("link", name="下载错误报告").is_visible()
    page.screenshot(path=shots / "registry_import_rejected.png", full_page=True)

    # The fixed file goes in.
    page.goto(f"{base}/registry/import/")
    page.set_input_files("input[type=file]", str(good))
    page.get_by_role("button", name="上传并导入").click()
    page.wait_for_url(f"{base}/jobs/*/")
    page.get_by_text("已完成").wait_for()

    # A year range the wrong way round is named by its field, and finds nobody.
    page.goto(f"{base}/registry/")
    page.get_by_label("年份自").fill("2020")
    page.get_by_label("至").fill("2010")
    page.get_by_role("button", name="查询").click()
    page.locator(".field.error").get_by_text("不能早于起始年份 2020").wait_for()
    assert page.get_by_text("没有符合条件的记录").is_visible()
    page.screenshot(path=shots / "registry_search_bad_filter.png", full_page=True)

    # Found by initials; the record shows the honour and a masked ID number.
    page.goto(f"{base}/registry/")
    page.get_by_label("姓名、拼音、首字母或单位").fill("hm")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name="韩梅").click()
    body = page.locator("body").inner_text()
    assert "朝阳工匠" in body and "11**************38" in body and GOOD_ID not in body
    page.screenshot(path=shots / "registry_person.png", full_page=True)
    person_pk = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    context.close()

    # The person consents; the public wall (no login) shows the entry, on a phone.
    def consent():
        Person.objects.filter(pk=person_pk).update(is_public=True, public_fields=["name", "deeds"])

    in_thread(consent)
    phone, phone_console = phone_context(browser)
    wall = phone.new_page()
    wall.goto(f"{base}/wall/{person_pk}/")
    text = wall.locator("body").inner_text()
    assert "韩梅" in text and "朝阳工匠" in text and "带出徒弟百余名" in text
    wall.screenshot(path=shots / "wall_person_phone.png", full_page=True)
    phone.close()
    assert not console.errors + phone_console.errors
