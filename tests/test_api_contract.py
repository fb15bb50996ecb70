"""What the API says about itself and what it accepts: every answer under /api/ is JSON,
request bodies are strict (JSON's own types, known fields, JSON only), enum-like query
parameters are checked, and the OpenAPI document names each schema once."""

import json
from typing import get_args
from urllib.parse import quote, urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from ninja.openapi.schema import OpenAPISchema
from pydantic import BaseModel
from pydantic_core.core_schema import ErrorType

from gonghui.api import api, reason
from gonghui.common.schemas import StrictSchema
from gonghui.jobs.models import Job
from gonghui.orgs import selectors
from gonghui.people.models import Person
from gonghui.perks import passes
from tests.factories import make_user

pytestmark = pytest.mark.django_db


# --- Every answer is JSON ------------------------------------------------------------------------


def assert_json_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["message"]
    return body


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/v1/no-such-thing"),
        ("get", "/api/"),
        ("post", "/api/v1/perks/giveaways/-1/claim"),  # no int converter match
        ("post", "/api/v1/perks/giveaways/abc/claim"),
        ("get", "/api/v1/orgs/abc"),
        ("get", "/api/v1/people/99999999999999999999999"),
    ],
)
def test_unknown_paths_and_unmatched_parameters_answer_json_404(
    client, users, settings, debug, method, url
):
    settings.DEBUG = debug
    client.force_login(users.admin)
    assert_json_error(getattr(client, method)(url), 404, "not_found")


def test_a_method_an_operation_lacks_answers_json_405(client, users):
    client.force_login(users.admin)
    response = client.put("/api/v1/orgs/me", "{}", content_type="application/json")
    assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.parametrize("debug", [False, True])
def test_an_uncaught_error_answers_json_500_without_a_traceback(
    client, users, settings, monkeypatch, debug
):
    def broken(**kwargs):
        raise RuntimeError("secret detail 110105194912310021")

    settings.DEBUG = debug
    monkeypatch.setattr(selectors, "org_unit_list", broken)
    client.raise_request_exception = False
    client.force_login(users.admin)

    response = client.get("/api/v1/orgs/")

    assert_json_error(response, 500, "server_error")
    assert b"secret detail" not in response.content and b"Traceback" not in response.content


def test_pages_outside_the_api_keep_their_html_404(client, users):
    client.force_login(users.admin)
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_head_answers_as_get_without_a_body(client, users):
    """HEAD on a GET operation answered 405."""
    client.force_login(users.admin)
    got = client.get("/api/v1/orgs/?level=district")
    head = client.head("/api/v1/orgs/?level=district")
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Type"] == got["Content-Type"]
    assert int(head["Content-Length"]) == len(got.content)
    # Its refusals are the GET's too, as JSON (without the body).
    for url, status in [("/api/v1/orgs/99999", 404), ("/api/v1/orgs/?levle=district", 422)]:
        refused = client.head(url)
        assert refused.status_code == status and refused.content == b""
        assert refused["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "method, url, right",
    [
        ("post", "/api/v1/people", "/api/v1/people/"),
        ("get", "/api/v1/orgs", "/api/v1/orgs/"),
        ("get", "/api/v1/orgs/me/", "/api/v1/orgs/me"),
    ],
)
def test_a_missing_or_extra_slash_is_a_json_404_naming_the_path(
    client, users, settings, debug, method, url, right
):
    """POST /api/v1/people raised RuntimeError in debug and, without debug, was redirected
    (301, HTML): a client resent it as a GET, and a create became a list."""
    settings.DEBUG = debug
    client.force_login(users.admin)
    people = Person.objects.count()
    if method == "post":
        response = client.post(url, "{}", content_type="application/json")
    else:
        response = client.get(url)
    body = assert_json_error(response, 404, "not_found")
    assert right in body["message"]
    assert Person.objects.count() == people


def test_a_body_over_the_limit_is_413_with_a_reason(client, users, settings, tree):
    """It answered 400 "应为有效的 JSON"."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    client.force_login(users.admin)
    big = json.dumps({"org_unit_id": tree.cy_grass.pk, "name": "张三", "no_id_reason": "x" * 4000})
    body = assert_json_error(
        client.post("/api/v1/people/", big, content_type="application/json"), 413, "too_large"
    )
    assert "请求内容过大" in body["message"]
    # A form's fields over the limit, met before the operation reads them.
    upload = client.post("/api/v1/orgs/import", {"note": "x" * 4000})
    assert_json_error(upload, 413, "too_large")


def test_a_csrf_failure_says_so(users):
    """It said "没有执行此操作的权限", as if the account lacked a permission."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users.admin)
    response = browser.post("/api/v1/people/", "{}", content_type="application/json")
    body = assert_json_error(response, 403, "csrf_failed")
    assert "CSRF" in body["message"] and "API 令牌" in body["message"]
    # Without a session there is nothing a CSRF token would protect: not signed in.
    stranger = Client(enforce_csrf_checks=True)
    response = stranger.post("/api/v1/people/", "{}", content_type="application/json")
    assert_json_error(response, 401, "unauthorized")


# --- Request bodies are strict -------------------------------------------------------------------


def json_operations():
    """Every operation with a JSON body, from the OpenAPI document: (method, path, schema)."""
    document = api.get_openapi_schema()
    components = document["components"]["schemas"]
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                if "$ref" in schema:  # a ninja schema; else written out by the operation
                    schema = components[schema["$ref"].rsplit("/", 1)[1]]
                found.append((method, path.replace("{pk}", "1"), schema))
    return found


def property_types(prop: dict) -> set[str]:
    return {p.get("type") for p in prop.get("anyOf", [prop])} - {"null", None}


@pytest.fixture
def caller(client, users):
    client.force_login(users.admin)

    def send(method, path, body, content_type="application/json"):
        data = body if isinstance(body, str) else json.dumps(body)
        return getattr(client, method)(
            path, data, content_type=content_type, HTTP_X_MEMBER_PASS=passes.issue(1)
        )

    return send


def test_every_json_operation_refuses_unknown_fields_by_name(caller):
    operations = json_operations()
    assert len(operations) >= 20  # the document lists them all; none is skipped
    for method, path, _schema in operations:
        response = caller(method, path, {"no_such_field": 1})
        assert response.status_code == 422, (method, path, response.content)
        assert "不接受此字段" in response.json()["fields"]["no_such_field"], (method, path)


def test_every_json_operation_takes_numbers_and_booleans_only_as_json_ones(caller):
    checked = 0
    for method, path, schema in json_operations():
        for name, prop in schema["properties"].items():
            types = property_types(prop)
            if "integer" in types:
                wrong = ["1", True, 1.0]
            elif "boolean" in types:
                wrong = ["true", 1, "yes"]
            elif types == {"string"}:
                wrong = [1]
            else:
                continue
            for value in wrong:
                response = caller(method, path, {name: value})
                assert response.status_code == 422, (method, path, name, value)
                assert name in response.json()["fields"], (method, path, name, value)
                checked += 1
    assert checked >= 60


def test_every_json_operation_refuses_a_body_that_is_not_json(caller):
    for method, path, _schema in json_operations():
        for kind, body in [
            ("text/plain", '{"reason": "x"}'),
            ("application/x-www-form-urlencoded", "reason=x"),
        ]:
            response = caller(method, path, body, content_type=kind)
            assert response.status_code == 415, (method, path, kind, response.content)
            assert kind in response.json()["message"]


def test_a_claim_counts_only_a_json_number(client, db):
    """The issue's case: quantity "1", true or 1.0 were coerced to 1 and the claim went on."""
    for quantity in ["1", True, 1.0]:
        response = client.post(
            "/api/v1/perks/giveaways/1/claim",
            json.dumps({"key": "abcdefgh12", "quantity": quantity}),
            content_type="application/json",
            HTTP_X_MEMBER_PASS=passes.issue(1),
        )
        assert response.status_code == 422
        assert response.json()["fields"] == {"quantity": "应为整数（JSON 数字，不加引号）"}


def test_dates_stay_iso_strings(client, users, tree):
    client.force_login(users.admin)
    created = client.post(
        "/api/v1/people/",
        json.dumps(
            {
                "org_unit_id": tree.cy_grass.pk,
                "name": "孙立",
                "birth_date": "1980-02-03",
                "no_id_reason": "历史档案",
                "is_public": False,
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["birth_date"] == "1980-02-03"


def test_query_parameters_stay_coerced(client, users, tree):
    client.force_login(users.admin)
    assert client.get("/api/v1/orgs/?page=1&root=" + str(tree.chaoyang.pk)).status_code == 200
    bad_page = client.get("/api/v1/orgs/?page=x")
    assert bad_page.status_code == 422 and bad_page.json()["fields"] == {"page": "应为整数"}


# --- Enum-like query parameters ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, name",
    [
        ("/api/v1/merchants?plan=xyz", "plan"),  # it listed nothing
        ("/api/v1/merchants?sort=price", "sort"),
        ("/api/v1/cards?sort=age", "sort"),  # unknown orders were silently the default
        ("/api/v1/orgs/?level=province", "level"),
        ("/api/v1/orgs/?sort=size", "sort"),
        ("/api/v1/people/?sort=salary", "sort"),
        ("/api/v1/registry/people?status=retird", "status"),
        ("/api/v1/perks/giveaways?status=open", "status"),
        ("/api/v1/nominations/campaigns/1/nominations?state=pending", "state"),
    ],
)
def test_an_unknown_choice_in_a_query_is_refused_naming_the_parameter(client, users, url, name):
    client.force_login(users.admin)
    response = client.get(url)
    assert response.status_code == 422, response.content
    assert list(response.json()["fields"]) == [name]
    assert response.json()["fields"][name].startswith("不是可选的值之一（可选：")


def test_known_choices_still_filter(client, users):
    client.force_login(users.admin)
    for url in [
        "/api/v1/merchants?plan=partner&sort=-name",
        "/api/v1/merchants?plan=",
        "/api/v1/orgs/?level=district&sort=-code",
        "/api/v1/people/?sort=-birth",
        "/api/v1/registry/people?status=retired",
        "/api/v1/perks/giveaways?status=published",
    ]:
        assert client.get(url).status_code == 200, url
    districts = client.get("/api/v1/orgs/?level=district").json()["items"]
    assert districts and {u["level"] for u in districts} == {"district"}


def test_the_openapi_document_lists_the_choices(client):
    document = client.get("/api/v1/openapi.json").json()
    merchants = document["paths"]["/api/v1/merchants"]["get"]["parameters"]
    plan = next(p for p in merchants if p["name"] == "plan")
    assert set(plan["schema"]["enum"]) == {"", "card", "partner"}


# --- The OpenAPI document ------------------------------------------------------------------------


def model_classes(annotation, found: set) -> None:
    """Every pydantic model an annotation reaches (through lists, unions, fields...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            model_classes(field.annotation, found)
        return
    for arg in get_args(annotation):
        model_classes(arg, found)


def test_every_schema_of_the_document_has_a_name_of_its_own(monkeypatch):
    """ninja merges the schemas of all operations into one components table by class name:
    two classes of one name silently became one (GET /people/ was documented with the
    registry's PersonPage)."""
    # The document as generated: a name must never be given two different definitions.
    given: dict[str, set[str]] = {}
    merge = OpenAPISchema.add_schema_definitions

    def add(self, definitions):
        for name, definition in definitions.items():
            given.setdefault(name, set()).add(json.dumps(definition, sort_keys=True))
        return merge(self, definitions)

    monkeypatch.setattr(OpenAPISchema, "add_schema_definitions", add)
    document = api.get_openapi_schema()
    assert {n for n, defs in given.items() if len(defs) > 1} == set()
    assert len(document["components"]["schemas"]) >= 40

    # And no two classes behind the operations share a name, even with the same fields.
    classes: set = set()
    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for wrapper in [*operation.models, *operation.response_models.values()]:
                    for field in getattr(wrapper, "model_fields", {}).values():
                        model_classes(field.annotation, classes)
    by_name: dict[str, list] = {}
    for cls in classes:
        by_name.setdefault(cls.__name__, []).append(f"{cls.__module__}.{cls.__qualname__}")
    assert {n: paths for n, paths in by_name.items() if len(paths) > 1} == {}
    assert len(classes) >= 40


# --- What an operation accepts besides its body: declared parameters, no NUL -----------------

NUL_REASON = "不能包含空字符（NUL）"


def all_operations():
    """Every operation of the OpenAPI document: (method, path template, operation)."""
    document = api.get_openapi_schema()
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def filled(path: str, operation: dict, text: str = "ABCD") -> str:
    """``path`` with its integer parameters 1 and its string parameters ``text`` (quoted)."""
    for p in operation.get("parameters", []):
        if p["in"] == "path":
            value = "1" if p["schema"].get("type") == "integer" else quote(text)
            path = path.replace("{" + p["name"] + "}", value)
    return path


def body_for(method, path) -> str:
    return "{}" if method in ("post", "put", "patch") else ""


def test_a_nul_in_any_query_or_path_parameter_is_refused_naming_it(caller):
    """On PostgreSQL, ?q=%00 on /orgs/, /people/, /cards, /merchants, actor_name=%00 on the
    audit events, and /notices/objections/AB%00CD answered 500 (no text column holds a NUL);
    on SQLite the NUL was searched for."""
    checked = 0
    for method, path, operation in all_operations():
        for p in operation.get("parameters", []):
            if p["in"] == "query":
                url = f"{filled(path, operation)}?{urlencode({p['name']: 'a' + chr(0)})}"
            elif p["in"] == "path" and p["schema"].get("type") == "string":
                url = filled(path, operation, text="AB\x00CD")
            else:
                continue
            response = caller(method, url, body_for(method, path))
            assert response.status_code == 422, (method, url, response.content)
            assert response.json()["fields"] == {p["name"]: NUL_REASON}, (method, url)
            checked += 1
    assert checked >= 50


def test_a_nul_in_any_string_of_a_body_is_refused_naming_the_field(caller, tree):
    """PATCH /orgs/<pk> {"name": "a\\u0000b"} and POST /people/ with a NUL in the name
    answered 500 on PostgreSQL."""
    checked = 0
    for method, path, schema in json_operations():
        for name, prop in schema["properties"].items():
            alternatives = prop.get("anyOf", [prop])
            if property_types(prop) != {"string"} or any(
                "format" in a or "enum" in a for a in alternatives
            ):
                continue  # dates and choices say their own reason
            response = caller(method, path, {name: "a\x00b"})
            assert response.status_code == 422, (method, path, name, response.content)
            assert response.json()["fields"][name] == NUL_REASON, (method, path, name)
            checked += 1
    assert checked >= 25


def test_every_model_a_body_reaches_is_strict():
    """The rules above (NUL, JSON's types, ISO dates, unknown fields) live in StrictSchema:
    a nested model of a body that is a plain Schema would escape all of them."""
    reached: set = set()
    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in operation.models:
                    if model.__ninja_param_source__ == "body":
                        for f in model.model_fields.values():
                            model_classes(f.annotation, reached)
    assert len(reached) >= 20
    assert {c.__qualname__ for c in reached if not issubclass(c, StrictSchema)} == set()


def test_the_issues_writes_with_a_nul_write_nothing(client, users, tree):
    client.force_login(users.admin)
    people = Person.objects.count()
    renamed = client.patch(
        f"/api/v1/orgs/{tree.chaoyang.pk}",
        json.dumps({"name": "a\x00b"}),
        content_type="application/json",
    )
    created = client.post(
        "/api/v1/people/",
        json.dumps({"org_unit_id": tree.cy_grass.pk, "name": "张\x00三", "no_id_reason": "无"}),
        content_type="application/json",
    )
    assert renamed.json()["fields"] == {"name": NUL_REASON}
    assert created.json()["fields"] == {"name": NUL_REASON}
    name = tree.chaoyang.name
    tree.chaoyang.refresh_from_db()
    assert tree.chaoyang.name == name and Person.objects.count() == people


def get_operations():
    return [(path, op) for method, path, op in all_operations() if method == "get"]


def test_every_get_operation_refuses_an_unknown_query_parameter_by_name(caller):
    """``/orgs/?levle=district`` listed every unit: the misspelt filter was dropped."""
    for path, operation in get_operations():
        url = filled(path, operation)
        response = caller("get", f"{url}?levle=district", "")
        assert response.status_code == 422, (url, response.content)
        assert response.json()["fields"] == {"levle": "不接受此参数（接口未定义）"}, url
    assert len(get_operations()) >= 30


def test_a_parameter_given_twice_is_refused_and_known_ones_still_work(client, users):
    client.force_login(users.admin)
    twice = client.get("/api/v1/orgs/?level=district&level=street")
    assert twice.status_code == 422 and twice.json()["fields"] == {"level": "只能给出一次"}
    assert client.get("/api/v1/orgs/?level=district&page=1&q=").status_code == 200


def test_parameters_are_checked_after_authentication(client):
    """A caller who may not use the operation learns nothing from its parameters."""
    response = client.get("/api/v1/orgs/?levle=district")
    assert_json_error(response, 401, "unauthorized")


# --- Uploads: multipart only, the declared parts only --------------------------------------------


def upload(client, **parts):
    data = {
        name: SimpleUploadedFile(value[0], value[1]) if isinstance(value, tuple) else value
        for name, value in parts.items()
    }
    return client.post("/api/v1/orgs/import", data)


TREE_CSV = ("tree.csv", "上级组织编码,组织编码,名称,级别\n".encode())


def upload_operations():
    return [
        (method, path)
        for method, path, operation in all_operations()
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    ]


def test_an_upload_refuses_unknown_fields_and_extra_files_by_name(client, users):
    # Every one is tested here, or (the nominations' two) in tests/nominations/test_api.py,
    # or (the registry's two) in tests/registry/test_award_documents.py.
    assert upload_operations() == [
        ("post", "/api/v1/orgs/import"),
        ("post", "/api/v1/registry/people/{pk}/awards"),
        ("post", "/api/v1/registry/awards/{pk}/documents"),
        ("post", "/api/v1/nominations/campaigns/{pk}/nominations"),
        ("post", "/api/v1/nominations/nominations/{pk}/replace"),
    ]
    client.force_login(users.admin)
    jobs = Job.objects.count()
    cases = [
        ({"file": TREE_CSV, "note": "x"}, {"note": "不接受此字段（接口未定义）"}),
        ({"file": TREE_CSV, "other": ("b.csv", b"x")}, {"other": "不接受此文件（接口未定义）"}),
    ]
    for parts, fields in cases:
        response = upload(client, **parts)
        assert response.status_code == 422, (parts, response.content)
        assert response.json()["fields"] == fields
    two = client.post(
        "/api/v1/orgs/import",
        {"file": [SimpleUploadedFile(*TREE_CSV), SimpleUploadedFile("t2.csv", TREE_CSV[1])]},
    )
    assert two.status_code == 422 and two.json()["fields"] == {"file": "只能给出一次"}
    assert Job.objects.count() == jobs
    assert upload(client, file=TREE_CSV).status_code == 202


def test_an_upload_refuses_json_as_unsupported(client, users):
    """JSON there answered 422 "file.file 必填"."""
    client.force_login(users.admin)
    response = client.post(
        "/api/v1/orgs/import", json.dumps({"file": "x"}), content_type="application/json"
    )
    body = assert_json_error(response, 415, "unsupported_media_type")
    assert "multipart/form-data" in body["message"] and "application/json" in body["message"]


# --- Dates are ISO strings; reasons are Chinese ----------------------------------------------


@pytest.mark.parametrize("birth_date", [0, 1.5, "0", "19900102", 631152000])
def test_a_date_is_an_iso_string_only(client, users, tree, birth_date):
    """{"birth_date": 0} registered a person born on 1970-01-01."""
    client.force_login(users.admin)
    people = Person.objects.count()
    response = client.post(
        "/api/v1/people/",
        json.dumps(
            {
                "org_unit_id": tree.cy_grass.pk,
                "name": "孙立",
                "birth_date": birth_date,
                "no_id_reason": "历史档案",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert response.json()["fields"] == {"birth_date": "应为日期字符串（YYYY-MM-DD）"}
    assert Person.objects.count() == people


def test_a_date_as_a_query_parameter_is_an_iso_string_only(client, users, tree):
    client.force_login(make_user("audit_admin_t", tree.city, "audit_admin"))
    assert client.get("/api/v1/audit/events?since=2026-01-01").status_code == 200
    response = client.get("/api/v1/audit/events?since=0")
    assert response.status_code == 422
    assert response.json()["fields"] == {"since": "应为日期字符串（YYYY-MM-DD）"}


# Requests that meet pydantic's usual error types, and the reason each must give.
COMMON_MISTAKES = [
    ("post", "/api/v1/people/", {"birth_date": "1990-02-30"}, "birth_date", "应为有效日期"),
    ("post", "/api/v1/people/", {"name": "张" * 61}, "name", "最多 60 个字符"),
    ("post", "/api/v1/people/", {"public_fields": "name"}, "public_fields", "应为数组"),
    ("post", "/api/v1/people/", {"is_public": "yes"}, "is_public", "应为 true 或 false"),
    ("post", "/api/v1/people/", {"org_unit_id": "1"}, "org_unit_id", "应为整数"),
    ("post", "/api/v1/nominations/campaigns/1/advance", {"ids": []}, "ids", "至少 1 项"),
    ("post", "/api/v1/nominations/campaigns/1/advance", {"ids": [0]}, "ids.0", "应不小于 1"),
    ("post", "/api/v1/nominations/campaigns/1/advance", {"ids": 1}, "ids", "应为数组"),
    ("post", "/api/v1/perks/giveaways/1/claim", {"key": "k", "quantity": 1.5}, "quantity", None),
    ("get", "/api/v1/orgs/?page=x", None, "page", "应为整数"),
    ("get", "/api/v1/merchants?plan=xyz", None, "plan", "不是可选的值之一"),
    ("get", "/api/v1/audit/events?since=1900-01-01", None, "since", "应不小于 1949-01-01"),
    ("get", "/api/v1/audit/events?since=2026-13-01", None, "since", "应为有效日期"),
    ("get", "/api/v1/registry/statistics/share?honour=1&year=1800", None, "year", "应不小于"),
]


def looks_english(text: str) -> bool:
    return text.isascii() and any(c.isalpha() for c in text)


@pytest.mark.parametrize("method, url, body, field, expected", COMMON_MISTAKES)
def test_no_reason_is_pydantics_english(caller, method, url, body, field, expected):
    """ "Input should be a valid date" and "String should have at most 120 characters" were
    answered as they came."""
    response = caller(method, url, body if body is not None else "")
    assert response.status_code == 422, response.content
    reasons = response.json()["fields"]
    assert field in reasons, reasons
    assert not any(looks_english(r) for r in reasons.values()), reasons
    if expected:
        assert expected in reasons[field], reasons


def test_every_pydantic_error_type_has_a_chinese_reason():
    """Whatever pydantic says, in whatever context, the client reads Chinese."""
    context = {
        "max_length": 3, "min_length": 1, "ge": 1, "gt": 0, "le": 9, "lt": 10,
        "multiple_of": 2, "expected": "'a' or 'b'", "error": "invalid", "actual_length": 4,
    }  # fmt: skip
    for kind in get_args(ErrorType):
        said = reason({"type": kind, "msg": "Input should be valid", "ctx": context})
        assert said and not looks_english(said), (kind, said)
    # Our own validators' Chinese passes as it is.
    own = {"type": "string_nul", "msg": "不能包含空字符（NUL）"}
    assert reason(own) == "不能包含空字符（NUL）"
