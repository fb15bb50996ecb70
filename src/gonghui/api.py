"""The JSON API under /api/v1: one router per app, domain errors mapped to JSON once here."""

import re

from django.http import Http404, JsonResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, django_auth

from gonghui.common.errors import DomainError, ValidationFailed
from gonghui.orgs.services import token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer gh_...`` for machine clients; only the token's hash is stored,
    and a token stops with its owner's password or account (orgs.services)."""

    def authenticate(self, request, token):
        user = token_authenticate(raw=token)
        if user is not None:
            request.user = user
        return user


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
    " true/false，不接受未列出的字段。",
    auth=[TokenAuth(), django_auth],
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


# Pydantic's reasons for the usual mistakes, in the API's language.
REASONS = {
    "missing": "必填",
    "extra_forbidden": "不接受此字段（接口未定义）",
    "int_type": "应为整数（JSON 数字，不加引号）",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字（JSON 数字，不加引号）",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为字符串",
    "list_type": "应为数组",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "literal_error": "不是可选的值之一",
    "enum": "不是可选的值之一",
}


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    fields = {}
    for error in exc.errors:
        loc = [
            str(p) for p in error.get("loc", []) if p not in ("body", "query", "path", "payload")
        ]
        reason = REASONS.get(error.get("type", ""), error.get("msg", "无效"))
        expected = (error.get("ctx") or {}).get("expected")
        if expected and error.get("type") in ("literal_error", "enum"):
            choices = [c for c in re.findall(r"'([^']*)'", str(expected)) if c]
            reason += f"（可选：{'、'.join(choices)}）"
        fields.setdefault(".".join(loc) or "body", reason)
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


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, NotJson):  # ninja wraps every parser failure in a 400
        kind = exc.__cause__.content_type[:80] or "未注明"
        message = f"请求体应为 JSON（Content-Type: application/json），收到的是 {kind}"
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


class JsonErrorsMiddleware:
    """Under /api/, every answer is JSON. What is answered outside an operation (a path
    that names none, or whose parameter does not fit its converter: Django's 404 page; a
    method the operation lacks: ninja's plain-text 405; an uncaught error: the 500 page, or
    a traceback in debug) becomes the operations' own ``{"code", "message"}`` body, with
    the same status. Django has already logged an error by then."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path_info.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = HTTP_MESSAGES.get(
                response.status_code,
                ("server_error", HTTP_MESSAGES[500][1])
                if response.status_code >= 500
                else ("error", "请求无法处理"),
            )
            replaced = JsonResponse(
                {"code": code, "message": message},
                status=response.status_code,
                json_dumps_params={"ensure_ascii": False},
            )
            if response.has_header("Allow"):
                replaced["Allow"] = response["Allow"]
            return replaced
        return response


def _register_routers():
    from gonghui.audit.api import router as audit_router
    from gonghui.nominations.api import public_router as notices_router
    from gonghui.nominations.api import router as nominations_router
    from gonghui.orgs.api import router as orgs_router
    from gonghui.people.api import router as people_router
    from gonghui.perks.api import router as perks_router
    from gonghui.perks.network_api import cards_router, counter_router, merchants_router
    from gonghui.registry.api import public_router as wall_router
    from gonghui.registry.api import router as registry_router

    api.add_router("/orgs", orgs_router)
    api.add_router("/people", people_router)
    api.add_router("/audit", audit_router)
    api.add_router("/registry", registry_router)
    api.add_router("/wall", wall_router)
    api.add_router("/nominations", nominations_router)
    api.add_router("/notices", notices_router)
    api.add_router("/perks", perks_router)
    api.add_router("/cards", cards_router)
    api.add_router("/counter", counter_router)
    api.add_router("/merchants", merchants_router)


_register_routers()
