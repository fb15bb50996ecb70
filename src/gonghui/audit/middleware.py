from gonghui.audit.context import current_ip
from gonghui.common.net import client_ip


class RequestContextMiddleware:
    """Remembers the client's address (common/net.py) for audit events of this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
