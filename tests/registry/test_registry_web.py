import io
import json
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from docx import Document

from gonghui.files.models import Attachment
from gonghui.files.services import attachment_add
from gonghui.jobs.models import Job
from gonghui.people.models import Person, Trade
from gonghui.people.services import person_create, person_update
from gonghui.registry import services
from gonghui.registry.models import Award
from tests.factories import PASSWORD


@pytest.fixture
def awarded(registry, users, honours):
    for name in ("赵郁", "武润泽", "单田芳", "钱学"):
        services.award_create(
            actor=users.admin,
            honour=honours["capital-labour-medal"],
            person=registry.people[name],
            year=2018,
            deeds=f"{name}的事迹：扎根一线二十年。",
        )
    return registry


def test_the_staff_search_page(client, awarded, users):
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get("/registry/?q=wrz").content.decode()
    assert "武润泽" in page and "2018 首都劳动奖章" in page and "赵郁" not in page
    page = client.get("/registry/?q=%25_%22%27").content.decode()
    assert "没有符合条件的记录" in page


def test_the_profile_page_masks_the_resident_id(client, awarded, users):
    client.login(username="cy_staff", password=PASSWORD)
    zhao = awarded.people["赵郁"]
    profile = client.get(f"/registry/people/{zhao.pk}/").content.decode()
    assert "首都劳动奖章" in profile and "扎根一线二十年" in profile
    assert "11**************2X" in profile and "11010519491231002X" not in profile


def test_award_form_shows_rule_errors_next_to_fields(client, awarded, users, honours):
    client.login(username="cy_staff", password=PASSWORD)
    zhao = awarded.people["赵郁"]
    craftsman = honours["chaoyang-craftsman"]
    page = client.post(
        f"/registry/people/{zhao.pk}/awards/new/", {"honour": craftsman.pk, "year": 2010}
    ).content.decode()
    assert "自 2017 年起授予" in page
    city = honours["beijing-model-worker"]
    page = client.post(
        f"/registry/people/{zhao.pk}/awards/new/", {"honour": city.pk, "year": 2015}
    ).content.decode()
    assert "选择一个有效的选项" in page  # a city honour is not offered to district staff
    response = client.post(
        f"/registry/people/{zhao.pk}/awards/new/",
        {"honour": craftsman.pk, "year": 2020, "batch": "2020年度"},
    )
    assert response.status_code == 302
    assert Award.objects.filter(person=zhao, honour=craftsman, year=2020).exists()


def test_revoke_from_the_page(client, awarded, users):
    award = Award.objects.get(person=awarded.people["赵郁"])
    client.login(username="admin_t", password=PASSWORD)
    client.post(f"/registry/awards/{award.pk}/revoke/", {"reason": "核查不实"})
    award.refresh_from_db()
    assert award.status == "revoked" and award.revoked_reason == "核查不实"


def test_honour_wall_shows_only_consented_people_and_fields(client, awarded):
    wall = client.get("/wall/").content.decode()
    assert "赵郁" in wall and "武润泽" in wall and "钱学" in wall and "2018年 首都劳动奖章" in wall
    assert "单田芳" not in wall  # no consent
    hidden = awarded.people["单田芳"]
    assert client.get(f"/wall/{hidden.pk}/").status_code == 404
    zhao = client.get(f"/wall/{awarded.people['赵郁'].pk}/").content.decode()
    assert "首都劳动奖章" in zhao and "北京地铁" not in zhao  # employer not consented
    assert "扎根一线" not in zhao  # deeds not consented
    wu = client.get(f"/wall/{awarded.people['武润泽'].pk}/").content.decode()
    assert "北京地铁运营公司" in wu
    # Searching the wall by a hidden employer finds only those who showed it.
    found = client.get("/wall/?q=地铁").content.decode()
    assert "武润泽" in found and "赵郁" not in found
    assert "11010519491231002X" not in wall + zhao + wu


def test_registry_api_search_masks_resident_ids(client, awarded, users):
    client.login(username="cy_staff", password=PASSWORD)
    found = client.get("/api/v1/registry/people?q=zy").json()
    assert [p["name"] for p in found["items"]] == ["赵郁"]
    zhao = found["items"][0]
    assert zhao["id_number_masked"] == "11**************2X"
    assert zhao["awards"][0]["honour"] == "首都劳动奖章"


def test_registry_api_records_an_award_by_the_rules_and_revokes_it(client, awarded, users, honours):
    client.login(username="cy_staff", password=PASSWORD)
    zhao = awarded.people["赵郁"]
    craftsman = honours["chaoyang-craftsman"].pk
    bad = client.post(
        "/api/v1/registry/awards",
        json.dumps({"person_id": zhao.pk, "honour_id": craftsman, "year": 2001}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and "2017" in bad.json()["fields"]["year"]
    ok = client.post(
        "/api/v1/registry/awards",
        json.dumps(
            {
                "person_id": zhao.pk,
                "honour_id": craftsman,
                "year": 2021,
                "categories": ["front-line"],
            }
        ),
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["categories"] == ["一线职工"]
    revoked = client.post(
        f"/api/v1/registry/awards/{ok.json()['id']}/revoke",
        json.dumps({"reason": "录入错误"}),
        content_type="application/json",
    )
    assert revoked.json()["status"] == "revoked"


def test_wall_api_shows_only_consented_fields(client, awarded):
    wall = client.get("/api/v1/wall/people?q=地铁").json()
    assert wall == [{"id": awarded.people["武润泽"].pk, "name": "武润泽", "gender": None}]


def test_statistics_page_and_workbook(client, awarded, users):
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get("/registry/statistics/").content.decode()
    assert "按荣誉" in page and "首都劳动奖章" in page and 'data-option-id="chart-honour"' in page
    # Chaoyang's staff count Chaoyang's three medals, not Haidian's.
    assert '<td>首都劳动奖章</td><td class="count">3</td>' in page.replace("\n", "")
    response = client.get("/registry/statistics/?format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "按荣誉" in book.sheetnames


def test_dictionary_downloads(
    client, awarded, users, honours, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client.login(username="cy_staff", password=PASSWORD)
    medal = honours["capital-labour-medal"].pk
    html = client.get(f"/registry/dictionary/?honour={medal}&format=html").content.decode()
    assert html.index("单田芳") < html.index("武润泽") < html.index("赵郁")
    assert "钱学" not in html  # Haidian's medallist is outside the scope
    # The Word book grows with the honour: a background job, started by a POST only.
    form = client.get(f"/registry/dictionary/?honour={medal}&format=docx")
    assert form.status_code == 200 and 'method="post"' in form.content.decode()
    assert not Job.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        job_page = client.post("/registry/dictionary/", {"honour": medal, "format": "docx"})
    assert job_page.status_code == 302
    assert "已生成，收录 3 人" in client.get(job_page["Location"]).content.decode()
    docx = client.get(f"{job_page['Location']}download")
    assert docx["Content-Disposition"].startswith("attachment")
    content = b"".join(docx.streaming_content)
    text = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    assert text.index("单田芳") < text.index("赵郁") and "钱学" not in text


def test_import_page_runs_a_job_with_an_error_report(
    client, registry, users, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.login(username="cy_staff", password=PASSWORD)
    template = client.get("/registry/import/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    row = {
        "姓名": "韩梅",
        "身份证号": "110101199003070039",
        "所属工会编码": "CY-G1",
        "荣誉": "朝阳工匠",
        "年份": "2021",
    }
    sheet.append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/registry/import/", {"file": SimpleUploadedFile("a.xlsx", out.getvalue())}
        )
    page = client.get(response["Location"]).content.decode()
    assert "失败" in page and "校验位" in page and "下载错误报告" in page
    job_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    report = client.get(f"/registry/import/{job_id}/errors.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(report.content)).worksheets[0].values)
    assert rows[1][0] == "2" and "校验位" in rows[1][3]  # row 2, written as text
    # Fixed, it goes in.
    sheet.cell(row=2, column=headers.index("身份证号") + 1, value="110101199003070038")
    out = io.BytesIO()
    book.save(out)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/registry/import/", {"file": SimpleUploadedFile("a.xlsx", out.getvalue())}
        )
    assert "已完成" in client.get(response["Location"]).content.decode()
    found = client.get("/registry/?q=hm").content.decode()
    assert "韩梅" in found and "2021 朝阳工匠" in found
    with django_capture_on_commit_callbacks(execute=True):  # the export job runs
        job_page = client.post("/registry/export/?q=hm")["Location"]
    exported = client.get(f"{job_page}download")
    values = [
        list(r)
        for r in openpyxl.load_workbook(io.BytesIO(b"".join(exported.streaming_content)))
        .worksheets[0]
        .values
    ]
    assert any("韩梅" in (v or "") for v in values[1]) and "110101199003070038" not in str(values)


def test_statistics_api(client, awarded, users, honours):
    client.login(username="cy_staff", password=PASSWORD)
    tables = {t["code"]: t for t in client.get("/api/v1/registry/statistics").json()}
    assert tables["honour"]["rows"][0][:2] == ["首都劳动奖章", 3]  # Chaoyang's only
    medal = honours["capital-labour-medal"].pk
    share = client.get(
        f"/api/v1/registry/statistics/share?honour={medal}&year=2018&category=front-line"
    ).json()
    assert share["total"] == 3 and share["count"] == 0
    bad = client.get(f"/api/v1/registry/statistics/share?honour={medal}&year=2018&category=x")
    assert bad.status_code == 422 and "category" in bad.json()["fields"]


def test_portrait_and_video_only_with_consent(client, awarded, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 40
    zhao = awarded.people["赵郁"]
    client.login(username="cy_staff", password=PASSWORD)
    bad = client.post(
        f"/registry/people/{zhao.pk}/media/",
        {"portrait": SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")},
        follow=True,
    )
    assert "照片须为 PNG 或 JPEG 图片" in bad.content.decode()
    client.post(
        f"/registry/people/{zhao.pk}/media/",
        {
            "portrait": SimpleUploadedFile("zhao.png", png),
            "video_url": "https://video.example.org/zhaoyu",
        },
    )
    client.logout()
    page = client.get(f"/wall/{zhao.pk}/").content.decode()
    assert "portrait" not in page and "video.example.org" not in page  # not consented yet
    assert client.get(f"/wall/{zhao.pk}/portrait").status_code == 404
    person_update(
        actor=users.admin,
        person=zhao,
        data={"public_fields": ["name", "portrait"], "is_public": True},
    )
    page = client.get(f"/wall/{zhao.pk}/").content.decode()
    assert f"/wall/{zhao.pk}/portrait" in page and "https://video.example.org/zhaoyu" in page
    photo = client.get(f"/wall/{zhao.pk}/portrait")
    assert b"".join(photo.streaming_content) == png and photo["Content-Type"] == "image/png"


def test_person_page_offers_the_media_form(client, awarded, users):
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get(f"/registry/people/{awarded.people['赵郁'].pk}/").content.decode()
    assert 'name="portrait"' in page and 'name="video_url"' in page


def test_entry_of_a_look_alike_offers_the_merge(client, registry, users, tree):
    zhao = registry.people["赵郁"]
    client.login(username="cy_staff", password=PASSWORD)
    response = client.post(
        "/people/new/",
        {
            "name": "赵郁",
            "no_id_reason": "旧档案",
            "birth_date": zhao.birth_date.isoformat(),
            "employer": registry.employer.pk,
            "org_unit": tree.cy_grass.pk,
        },
        follow=True,
    )
    page = response.content.decode()
    assert "疑似重复档案" in page and "合并到本档案" in page


def test_the_units_page_lists_and_registers_units(client, registry, users, tree):
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get("/registry/units/").content.decode()
    assert "北京地铁运营公司" in page
    response = client.post(
        "/registry/units/",
        {
            "name": "朝阳机械厂钳工班",
            "kind": "team",
            "org_unit": tree.cy_grass.pk,
            "credit_code": "123",
        },
    )
    assert "统一社会信用代码应为18位" in response.content.decode()
    response = client.post(
        "/registry/units/",
        {"name": "朝阳机械厂钳工班", "kind": "team", "org_unit": tree.cy_grass.pk},
    )
    assert response.status_code == 302


def test_the_honours_page_adds_honours_of_the_post_s_own_level(client, registry, users, tree):
    client.login(username="cy_staff", password=PASSWORD)
    bad = client.post(
        "/registry/honours/",
        {
            "code": "cy-star",
            "name": "朝阳之星",
            "level": "city",
            "subject": "individual",
            "conferred_by": "朝阳区总工会",
            "conferring_unit": tree.chaoyang.pk,
            "first_year": 2024,
        },
    )
    assert "全国和市级荣誉由市总工会管理" in bad.content.decode()
    ok = client.post(
        "/registry/honours/",
        {
            "code": "cy-star",
            "name": "朝阳之星",
            "level": "district",
            "subject": "individual",
            "conferred_by": "朝阳区总工会",
            "conferring_unit": tree.chaoyang.pk,
            "first_year": 2024,
        },
    )
    assert ok.status_code == 302 and "朝阳之星" in client.get("/registry/honours/").content.decode()


def test_award_documents(client, awarded, users, honours):
    zhao = awarded.people["赵郁"]
    client.login(username="admin_t", password=PASSWORD)
    response = client.post(
        f"/registry/people/{zhao.pk}/awards/new/",
        {
            "honour": honours["beijing-model-worker"].pk,
            "year": "2015",
            "document": SimpleUploadedFile("表彰决定.pdf", b"%PDF-1.4\n%award\n"),
        },
    )
    assert response.status_code == 302
    award = Award.objects.get(person=zhao, year=2015)
    assert [a.name for a in Attachment.objects.filter(object_id=str(award.pk))] == ["表彰决定.pdf"]
    client.post(
        f"/registry/awards/{award.pk}/documents/",
        {"document": SimpleUploadedFile("证书.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20)},
    )
    page = client.get(f"/registry/people/{zhao.pk}/").content.decode()
    assert "表彰决定.pdf" in page and "证书.png" in page


def test_honour_wall_reads_the_trades_people_show_with_the_page(client, awarded):
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as run:
            assert client.get(url).status_code == 200
        return len(run)

    wu = f"/wall/{awarded.people['武润泽'].pk}/"
    hidden_trade = queries("/wall/"), queries(wu)
    shown = ["赵郁", "武润泽", "钱学"]
    for i, name in enumerate(shown):
        trade = Trade.objects.create(code=f"T{i}", name=f"工种{i}")
        Person.objects.filter(name=name).update(trade=trade, public_fields=["name", "trade"])
    assert (queries("/wall/"), queries(wu)) == hidden_trade  # no query per shown trade
    assert "工种1" in client.get(wu).content.decode()


def test_the_wall_filters_only_by_what_it_shows(client, awarded, tree, honours):
    qian = awarded.people["钱学"]  # Haidian; shows only the name
    Person.objects.filter(pk=qian.pk).update(status=Person.Status.DECEASED)
    everyone = client.get("/wall/").content.decode()
    assert "赵郁" in everyone and "钱学" in everyone
    # A node, a status or a trade nobody showed cannot pick people out on the wall.
    for hidden in (f"org_unit={tree.hd_grass.pk}", "status=deceased", "trade=1", "category=1"):
        assert client.get(f"/wall/?{hidden}").content.decode().count("wall-card") == (
            everyone.count("wall-card")
        ), hidden
    # What it shows (honours and their years) filters; a bad year says so by the field.
    medal = honours["capital-labour-medal"].pk
    assert "钱学" in client.get(f"/wall/?honour={medal}&year_from=2018").content.decode()
    assert "钱学" not in client.get(f"/wall/?honour={medal}&year_from=2019").content.decode()
    bad = client.get("/wall/?q=钱学&year_from=2020&year_to=2018").content.decode()
    assert "不能早于起始年份 2020" in bad and "wall-card" not in bad


def test_a_bad_filter_is_named_and_never_widens_the_list_or_the_export(client, awarded, users):
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get("/registry/?q=赵郁&year_from=1900").content.decode()
    assert "确保该值大于或等于1949" in page and "没有符合条件的记录" in page
    assert "武润泽" not in page  # not the whole scope instead of 赵郁
    response = client.post("/registry/export/?q=赵郁&year_from=1900")
    assert response.status_code == 302
    assert response["Location"] == "/registry/?q=%E8%B5%B5%E9%83%81&year_from=1900"
    shown = client.get(response["Location"]).content.decode()
    assert "筛选条件有误，未导出" in shown and "确保该值大于或等于1949" in shown
    # The node (a hidden field, set from the org pages) likewise: 0 is no node, not "all".
    for node in ("0", "abc", str(10**20)):
        page = client.get(f"/registry/?org_unit={node}").content.decode()
        assert "所选工会无效" in page and "武润泽" not in page, node
        assert client.post(f"/registry/export/?org_unit={node}").status_code == 302, node
    assert not Job.objects.exists()  # a bad filter makes no job


def test_look_alikes_outside_the_scope_are_counted_not_shown(client, awarded, users, tree):
    wu = awarded.people["武润泽"]
    Person.objects.filter(pk=wu.pk).update(birth_date=date(1990, 3, 7))
    twin = person_create(
        actor=users.admin,
        org_unit=tree.hd_grass,  # Haidian: outside Chaoyang's scope
        data={
            "name": "武润泽",
            "birth_date": date(1990, 3, 7),
            "employer": awarded.employer,
            "no_id_reason": "历史档案",
        },
    )
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get(f"/registry/people/{wu.pk}/").content.decode()
    assert f"档案 {twin.pk}" not in page and tree.hd_grass.name not in page
    assert "另有 1 条疑似重复档案不在您的管理范围内" in page
    client.login(username="admin_t", password=PASSWORD)
    page = client.get(f"/registry/people/{wu.pk}/").content.decode()
    assert f"档案 {twin.pk}" in page and "另有" not in page


def test_api_ids_and_years_out_of_range_are_named_not_a_server_error(client, awarded, users):
    huge = 10**20
    wall = client.get(f"/api/v1/wall/people?honour={huge}")
    assert wall.status_code == 422 and "honour" in wall.content.decode()
    client.login(username="cy_staff", password=PASSWORD)
    for query in (f"trade={huge}", f"honour={huge}", f"category={huge}", "year_from=1800"):
        response = client.get(f"/api/v1/registry/people?{query}")
        assert response.status_code == 422, query
        assert query.split("=")[0] in response.content.decode(), query
    share = client.get(f"/api/v1/registry/statistics/share?honour=1&year={huge}&category=x")
    assert share.status_code == 422 and "year" in share.content.decode()


def test_api_search_reads_every_person_s_awards_with_the_page(client, awarded, users, honours):
    client.login(username="admin_t", password=PASSWORD)

    def search() -> tuple[int, list]:
        with CaptureQueriesContext(connection) as run:
            found = client.get("/api/v1/registry/people").json()["items"]
        return len(run), found

    queries, found = search()
    city = honours["beijing-model-worker"]
    for name, year in (("单田芳", 2015), ("曾志伟", 2015), ("赵郁", 2010)):
        person = awarded.people[name]
        services.award_create(actor=users.admin, honour=city, person=person, year=year)
    more_queries, found = search()
    assert more_queries == queries  # no query per person or per award
    zhao = next(p for p in found if p["name"] == "赵郁")
    assert [(a["year"], a["honour"]) for a in zhao["awards"]] == [
        (2010, "北京市劳动模范"),
        (2018, "首都劳动奖章"),
    ]


def test_a_record_lists_each_award_s_documents_in_one_query(
    client, awarded, users, honours, tree, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    zhao = awarded.people["赵郁"]
    url = f"/registry/people/{zhao.pk}/"

    def attach(award, name):
        pdf = SimpleUploadedFile(name, b"%PDF-1.4 " + name.encode(), "application/pdf")
        attachment_add(actor=users.cy, owner=award, org_unit=tree.cy_grass, upload=pdf)

    attach(Award.objects.get(person=zhao), "证书2018.pdf")
    client.login(username="cy_staff", password=PASSWORD)

    def queries() -> int:
        with CaptureQueriesContext(connection) as run:
            assert client.get(url).status_code == 200
        return len(run)

    one = queries()
    for year in (2019, 2021):
        award = services.award_create(
            actor=users.cy, honour=honours["chaoyang-craftsman"], person=zhao, year=year
        )
        attach(award, f"证书{year}.pdf")
    assert queries() == one  # no query per award for its documents
    page = client.get(url).content.decode()
    assert all(f"证书{y}.pdf" in page for y in (2018, 2019, 2021))
    client.login(username="hd_staff", password=PASSWORD)
    assert client.get(url).status_code == 404


def test_an_import_over_the_upload_cap_is_refused_by_its_field(client, registry, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    client.login(username="cy_staff", password=PASSWORD)
    big = SimpleUploadedFile("大.xlsx", b"PK\x03\x04" + b"0" * (1024 * 1024))
    page = client.post("/registry/import/", {"file": big}).content.decode()
    assert "文件过大：上限 1 MB" in page and not Job.objects.exists()
