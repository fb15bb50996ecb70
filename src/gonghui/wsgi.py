import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")
application = get_wsgi_application()
# Never serve as a PostgreSQL role that could switch off the audit's guards (roles.py).
from gonghui.audit.roles import check_database_role  # noqa: E402
from gonghui.audit.witness import warn_same_host  # noqa: E402
from gonghui.common.servers import require_shared  # noqa: E402
from gonghui.orgs.demo import refuse_demo_passwords  # noqa: E402

require_shared()  # several servers: one PostgreSQL and the S3 store (docs/deploy.md)
check_database_role()
warn_same_host()  # production with only the default witness, on the database's host
refuse_demo_passwords()  # no production start while a demo account has the published password
# Import every view and build the API's routes now, not in a worker's first request: with
# gunicorn's --preload this happens once in the master and a worker restarted after
# --max-requests serves at once (a cold worker's first request took ~450 ms).
get_resolver().url_patterns  # noqa: B018
