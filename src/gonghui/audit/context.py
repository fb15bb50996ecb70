"""Who is acting, from where: set once per request by the middleware, read by record()."""

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("gonghui_ip", default=None)
