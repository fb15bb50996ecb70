import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")
application = get_wsgi_application()
# Import every view and build the API's routes now, not in a worker's first request: with
# gunicorn's --preload this happens once in the master and a worker restarted after
# --max-requests serves at once (a cold worker's first request took ~450 ms).
get_resolver().url_patterns  # noqa: B018
