"""The JSON API under /api/v1: one router per app, domain errors mapped to JSON once here."""

import re
from datetime import date
from functools import wraps
from typing import get_args

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, JsonResponse
from django.middleware import common
from django.urls import get_urlconf, is_valid_path
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.operation import Operation
from ninja.parser import Parser
from pydantic_core.core_schema import ErrorType

from gonghui.common.errors import DomainError, ValidationFailed
from gonghui.common.schemas import (
    DATE_REASON,
    DATETIME_REASON,
    NUL,
    NUL_REASON,
    UNKNOWN_FIELD,
    not_json,
)
from gonghui.orgs.auth import CsrfFailed, TokenAuth, session_auth


class NotJson(Exception):
    """A request body that is not declared as JSON."""

    def __init__(self, content_type: str):
        super().__init__(content_type)
        self.content_type = content_type


class JsonOnlyParser(Parser):
    """Every operation with a body takes JSON: a text/plain or form body is refused (415)
    instead of being parsed as if it were JSON."""

    def parse_body(self, request):
        kind = request.content_type or ""
        if kind != "application/json" and not kind.endswith("+json"):
            raise NotJson(kind)
        return super().parse_body(request)


api = NinjaAPI(
    title="工会平台 API",
    version="1",
    description="劳模工匠与会员服务平台的数据接口。权限与数据范围与网页相同。"
    "请求体一律为 JSON（Content-Type: application/json），数字与布尔值须为 JSON 的数字与"
    " true/false，日期为 ISO 8601 字符串，不接受未列出的字段或查询参数，任何文字都不能含空字符"
    "（NUL）；上传文件的接口只接受 multipart/form-data 与所列字段。地址以文档所列为准，"
    "不会自动补全结尾的斜杠。",
    auth=[TokenAuth(), session_auth],
    parser=JsonOnlyParser(),
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    body = {"code": exc.code, "message": exc.message}
    if isinstance(exc, ValidationFailed):
        body["fields"] = exc.fields
    body.update(getattr(exc, "details", None) or {})  # e.g. the record a 409 is about
    return api.create_response(request, body, status=exc.status)


# Pydantic's reasons for the usual mistakes, in the API's language ({name}: from the
# error's context). A type not listed falls back by its family, then to a plain "无效":
# pydantic's own English never reaches a client.
REASONS = {
    "missing": "必填",
    "extra_forbidden": UNKNOWN_FIELD,
    "int_type": "应为整数（JSON 数字，不加引号）",
    "int_parsing": "应为整数",
    "int_parsing_size": "整数超出范围",
    "int_from_float": "应为整数",
    "float_type": "应为数字（JSON 数字，不加引号）",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "multiple_of": "应为 {multiple_of} 的整数倍",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为字符串",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "string_unicode": "应为有效的文本",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "list_type": "应为数组",
    "set_type": "应为数组",
    "tuple_type": "应为数组",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "literal_error": "不是可选的值之一",
    "enum": "不是可选的值之一",
    "json_invalid": "应为有效的 JSON",
    "none_required": "应为 null",
    "is_instance_of": "应为上传的文件",
    "date_type": DATE_REASON,
    "datetime_type": DATETIME_REASON,
}
REASON_FAMILIES = {
    "date_": "应为有效日期（YYYY-MM-DD）",
    "datetime_": "应为有效时间（ISO 8601，如 2026-03-01T09:30:00+08:00）",
    "time_": "应为有效时间",
    "timezone_": "应为有效时间（ISO 8601，如 2026-03-01T09:30:00+08:00）",
    "url_": "应为有效网址",
    "uuid_": "应为有效的 UUID",
    "decimal_": "应为有效的数字",
    "bytes_": "应为有效的内容",
    "union_tag_": "不是可选的类型之一",
}
INVALID = "无效"
PYDANTIC_TYPES = frozenset(get_args(ErrorType))


_DATE_REPR = re.compile(r"datetime\.date\((\d+), (\d+), (\d+)\)")


def _context(value) -> str:
    """A bound from an error's context, as a client writes it (pydantic gives a date bound
    as its Python repr)."""
    if isinstance(value, date):
        return value.isoformat()
    if found := _DATE_REPR.fullmatch(str(value)):
        return date(*map(int, found.groups())).isoformat()
    return str(value)


def reason(error: dict) -> str:
    """One pydantic error, said in Chinese."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in REASONS:
        text = REASONS[kind].format_map({k: _context(v) for k, v in ctx.items()})
        expected = ctx.get("expected")
        if expected and kind in ("literal_error", "enum"):
            choices = [c for c in re.findall(r"'([^']*)'", str(expected)) if c]
            text += f"（可选：{'、'.join(choices)}）"
        return text
    family = next((text for prefix, text in REASON_FAMILIES.items() if kind.startswith(prefix)), "")
    if family:
        return family
    # Our own validators say why in Chinese (a PydanticCustomError's own type and message;
    # a ValueError's message in ``ctx``); pydantic's English for its own types never passes.
    if kind in ("value_error", "assertion_error"):
        message = str(ctx.get("error") or "")
    else:
        message = "" if kind in PYDANTIC_TYPES else str(error.get("msg") or "")
    return message if message and not message.isascii() else INVALID


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    fields = {}
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", []) if p not in SOURCES]
        fields.setdefault(".".join(loc) or "body", reason(error))
    return invalid(request, fields)


SOURCES = ("body", "query", "path", "payload", "form", "file")


def invalid(request, fields: dict[str, str]):
    """The API's 422: what is wrong, by field or parameter name."""
    return api.create_response(
        request, {"code": "validation", "message": "提交的数据有误", "fields": fields}, status=422
    )


HTTP_MESSAGES = {
    400: ("bad_request", "请求内容无法解析（应为有效的 JSON）"),
    401: ("unauthorized", "请先登录或提供有效令牌"),
    403: ("forbidden", "没有执行此操作的权限"),
    404: ("not_found", "请求的地址不存在"),
    405: ("method_not_allowed", "不支持此请求方法"),
    413: ("too_large", "请求内容过大"),
    429: ("throttled", "请求过于频繁，请稍后再试"),
    500: ("server_error", "服务器内部错误，已记录，请稍后再试"),
}


CSRF_MESSAGE = "请求缺少有效的 CSRF 令牌：请刷新页面后重试，或使用 API 令牌"


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if isinstance(exc, CsrfFailed):
        return api.create_response(
            request, {"code": "csrf_failed", "message": CSRF_MESSAGE}, status=403
        )
    if isinstance(exc.__cause__, NotJson):  # ninja wraps every parser failure in a 400
        message = not_json(exc.__cause__.content_type)
        return api.create_response(
            request, {"code": "unsupported_media_type", "message": message}, status=415
        )
    code, message = HTTP_MESSAGES.get(exc.status_code, ("error", str(exc)))
    return api.create_response(request, {"code": code, "message": message}, status=exc.status_code)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(
        request, {"code": "not_found", "message": "记录不存在或无权访问"}, status=404
    )


TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def too_large(exc: Exception) -> JsonResponse:
    """A body over Django's limits (``DATA_UPLOAD_MAX_MEMORY_SIZE``, the number of fields or
    files): 413, not the 400 of a body that is not JSON."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
        message = f"请求内容过大（请求体最多 {limit:.3g} MB，上传的文件另计）"
    else:
        message = "请求中的字段或文件过多"
    return _json({"code": "too_large", "message": message}, 413)


@api.exception_handler(RequestDataTooBig)
@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def on_too_large(request, exc):
    return too_large(exc)


def _json(body: dict, status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


# --- Parameters: the declared ones only, and no NUL -------------------------------------------

UNKNOWN = {
    "query": "不接受此参数（接口未定义）",
    "form": UNKNOWN_FIELD,
    "file": "不接受此文件（接口未定义）",
}
REPEATED = "只能给出一次"


def _declared(operation: Operation) -> dict[str, tuple[frozenset, frozenset]]:
    """The names each source of ``operation`` takes (query, form, file), and those of them
    that may be given more than once (lists)."""
    declared: dict[str, tuple[frozenset, frozenset]] = {}
    for model in operation.models:
        source = model.__ninja_param_source__
        if source in ("query", "form"):
            names = frozenset(model.__ninja_flatten_map__)
        elif source == "file":
            names = frozenset(f.alias or n for n, f in model.model_fields.items())
        else:
            continue
        repeatable = frozenset(getattr(model, "__ninja_collection_fields__", ()))
        known, lists = declared.get(source, (frozenset(), frozenset()))
        declared[source] = (known | names, lists | repeatable)
    return declared


def _parameter_problems(request, path: dict, declared: dict) -> dict[str, str]:
    fields = {name: NUL_REASON for name, v in path.items() if isinstance(v, str) and NUL in v}
    given = [("query", request.GET)]
    if "form" in declared or "file" in declared:
        given += [("form", request.POST), ("file", request.FILES)]
    for source, data in given:
        known, lists = declared.get(source, (frozenset(), frozenset()))
        for name, values in data.lists():
            if name not in known:
                fields[name] = UNKNOWN[source]
            elif len(values) > 1 and name not in lists:
                fields[name] = REPEATED
            elif any(isinstance(v, str) and NUL in v for v in values):
                fields[name] = NUL_REASON  # (a file's name: Django drops the unprintable)
    return fields


def _wrong_media(request, declared: dict) -> str | None:
    """An upload takes multipart/form-data only (JSON there was a 422 "file 必填")."""
    if "file" not in declared and "form" not in declared:
        return None
    kind = request.content_type or ""
    allowed = ["multipart/form-data"]
    if "file" not in declared:
        allowed.append("application/x-www-form-urlencoded")
    if kind in allowed:
        return None
    return f"请求体应为 {' 或 '.join(allowed)}，收到的是 {kind[:80] or '未注明'}"


def strict_parameters(run):
    """Every operation takes only the query parameters (and, for an upload, the form
    fields and files) it declares: an unknown or repeated one is refused by name (422),
    as a body's unknown field is, instead of being ignored (``?levle=district`` listed
    everything). No value, path segments included, may carry a NUL. Applied to every
    operation by the API (a "view" decorator: before ninja reads the parameters)."""
    operation = run.__self__
    assert isinstance(operation, Operation), "strict_parameters wraps Operation.run"
    declared = _declared(operation)

    @wraps(run)
    def checked(request, **path):
        refusal = None
        if request.method in ("POST", "PUT", "PATCH") and (
            message := _wrong_media(request, declared)
        ):
            refusal = _json({"code": "unsupported_media_type", "message": message}, 415)
        elif fields := _parameter_problems(request, path, declared):
            refusal = invalid(request, fields)
        if refusal is None:
            return run(request, **path)
        # Authentication first, as for any other refusal: who may not call the operation
        # learns nothing from its parameters.
        return operation._run_checks(request) or refusal

    return checked


api.add_decorator(strict_parameters, mode="view")


# --- Outside the operations -------------------------------------------------------------------


def _under_api(request) -> bool:
    return request.path_info.startswith("/api/")


class CommonMiddleware(common.CommonMiddleware):
    """Django's, except that under /api/ a missing slash is never "fixed" by a redirect:
    a client would resend a POST as a GET (a create turned into a list), and in debug a
    POST raised RuntimeError. There the path is a 404 that names the right one."""

    def should_redirect_with_slash(self, request):
        return not _under_api(request) and super().should_redirect_with_slash(request)


def _slash_hint(request) -> str | None:
    path = request.path_info
    other = path[:-1] if path.endswith("/") else f"{path}/"
    if is_valid_path(other, getattr(request, "urlconf", None) or get_urlconf()):
        return f"请求的地址不存在；应为 {other}（/api/ 下不自动补全或去掉结尾的斜杠）"
    return None


class ApiMiddleware:
    """Under /api/, every answer is JSON. What is answered outside an operation (a path
    that names none, or whose parameter does not fit its converter: Django's 404 page; a
    method the operation lacks: ninja's plain-text 405; an uncaught error: the 500 page, or
    a traceback in debug; a body over Django's limits, found before the operation ran)
    becomes the operations' own ``{"code", "message"}`` body, with the same status. Django
    has already logged an error by then. HEAD is answered as GET is, without the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _under_api(request):
            return self.get_response(request)
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            response = self._as_json(request, response)
        if head:
            request.method = "HEAD"
            if response.streaming:
                response.streaming_content = []
            else:
                length = len(response.content)
                response.content = b""
                response["Content-Length"] = str(length)
        return response

    def process_exception(self, request, exc):
        if _under_api(request) and isinstance(exc, TOO_LARGE):
            return too_large(exc)
        return None

    @staticmethod
    def _as_json(request, response):
        status = response.status_code
        code, message = HTTP_MESSAGES.get(
            status,
            ("server_error", HTTP_MESSAGES[500][1]) if status >= 500 else ("error", "请求无法处理"),
        )
        if status == 404:
            message = _slash_hint(request) or message
        replaced = _json({"code": code, "message": message}, status)
        if response.has_header("Allow"):
            replaced["Allow"] = response["Allow"]
        return replaced


def _register_routers():
    from gonghui.audit.api import router as audit_router
    from gonghui.contests.api import router as contests_router
    from gonghui.jobs.api import router as jobs_router
    from gonghui.nominations.api import public_router as notices_router
    from gonghui.nominations.api import router as nominations_router
    from gonghui.orgs.api import router as orgs_router
    from gonghui.people.api import router as people_router
    from gonghui.perks.cards.api import router as cards_router
    from gonghui.perks.counter.api import pickups_router
    from gonghui.perks.counter.api import router as counter_router
    from gonghui.perks.giveaways.api import router as perks_router
    from gonghui.perks.merchants.api import router as merchants_router
    from gonghui.registry.api import public_router as wall_router
    from gonghui.registry.api import router as registry_router
    from gonghui.training.api import router as training_router
    from gonghui.treeimport.api import router as tree_import_router

    api.add_router("/orgs", orgs_router)
    api.add_router("/orgs", tree_import_router)
    api.add_router("/orgs", jobs_router)
    api.add_router("/people", people_router)
    api.add_router("/audit", audit_router)
    api.add_router("/registry", registry_router)
    api.add_router("/wall", wall_router)
    api.add_router("/nominations", nominations_router)
    api.add_router("/notices", notices_router)
    api.add_router("/perks", perks_router)
    api.add_router("/perks", pickups_router)
    api.add_router("/cards", cards_router)
    api.add_router("/counter", counter_router)
    api.add_router("/merchants", merchants_router)
    api.add_router("/contests", contests_router)
    api.add_router("/training", training_router)


_register_routers()
