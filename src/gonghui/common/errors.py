"""Domain errors, raised by services and mapped once to pages (forms) and JSON (api.py)."""


class DomainError(Exception):
    """A request the platform refuses for a reason the user can act on."""

    status = 400

    def __init__(self, message: str = "", *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


class ValidationFailed(DomainError):
    """Bad input; ``fields`` maps each field name to its message (Chinese, for the user)."""

    status = 422

    def __init__(self, fields: dict[str, str], message: str = "提交的数据有误"):
        super().__init__(message, code="validation")
        self.fields = fields

    def __str__(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in self.fields.items())


class NotFound(DomainError):
    """Absent *or* outside the actor's scope: the two are never told apart."""

    status = 404

    def __init__(self, message: str = "记录不存在或无权访问"):
        super().__init__(message, code="not_found")


class Forbidden(DomainError):
    """The actor may see the record but not do this to it."""

    status = 403

    def __init__(self, message: str = "没有执行此操作的权限"):
        super().__init__(message, code="forbidden")


class Conflict(DomainError):
    status = 409

    def __init__(self, message: str):
        super().__init__(message, code="conflict")


class Throttled(DomainError):
    """Too many requests from one account or address in a short time."""

    status = 429

    def __init__(self, message: str = "操作过于频繁，请稍后再试"):
        super().__init__(message, code="throttled")
