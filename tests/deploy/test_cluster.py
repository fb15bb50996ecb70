"""Two `gonghui serve` on two ports behind nginx (the shipped deploy/nginx/gonghui.conf, TLS
included), sharing the test's PostgreSQL database, Redis and an S3 server (moto): sign in
through the proxy, upload an attachment on one server, download it from the other and
through the proxy; nothing lands in either server's own folder. The PostgreSQL leg runs it
(`make test-postgres`; in CI a missing PostgreSQL or nginx fails it); with GONGHUI_REDIS_URL
set as well the servers share that Redis, else their cache and counters live in the shared
database."""

import re
import uuid

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from gonghui.files.models import Attachment
from tests.conftest import need_service
from tests.deploy.cluster import BUCKET, HOST, Browser, Cluster, multipart, nginx_binary, request
from tests.factories import PASSWORD, make_person
from tests.second_factor import mark_browser_verified

pytestmark = pytest.mark.postgres
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + uuid.uuid4().hex.encode()


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def real_hash(user) -> None:
    """The servers know the production hashers, not the tests' fast MD5 one."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_upload_on_one_server_downloads_from_the_other_and_through_the_proxy(
    postgres, users, tree, tmp_path
):
    nginx = nginx_binary()
    need_service("nginx", nginx is not None, "run scripts/install-nginx.sh")
    person = make_person(tree.chaoyang, "钱多多")
    real_hash(users.admin)
    real_hash(users.hd)
    cluster = Cluster(
        tmp_path,
        database_url=database_url(),
        redis_url=settings.REDIS_URL,
        keys=settings.KEYS,
        workers=1,
        nginx=nginx,
        extra={2: {"GONGHUI_DB_POOL": "2"}},  # the second server through psycopg's pool
    )
    with cluster:
        one, two = cluster.web_ports
        # Plain HTTP is sent to HTTPS.
        status, answer, _ = request(cluster.proxy_http, "GET", "/login/")
        assert status == 301 and answer["Location"] == f"https://{HOST}/login/"
        # Another host name never reaches the servers.
        with pytest.raises(ConnectionError):
            request(
                cluster.proxy_https, "GET", "/login/", tls=True, headers={"Host": "evil.example"}
            )

        staff = Browser()
        staff.sign_in(cluster.proxy_https, "admin_t", PASSWORD)
        mark_browser_verified(staff.cookies["sessionid"], "admin_t")  # the second step
        body, headers = multipart(
            {"csrfmiddlewaretoken": staff.cookies["csrftoken"]}, "file", "推荐表.pdf", PDF
        )
        status, answer, _ = staff.go(
            one, "POST", f"/people/{person.pk}/attach/", tls=False, body=body, headers=headers
        )
        assert status == 302 and answer["Location"] == f"/people/{person.pk}/"
        attachment = Attachment.objects.get(object_id=str(person.pk))
        # In the bucket, under its random name; in neither server's own folder.
        stored = cluster.s3_client().get_object(Bucket=BUCKET, Key=attachment.file.name)
        assert stored["Body"].read() == PDF
        for n in (1, 2):
            assert not (tmp_path / f"server{n}" / "media").exists()

        path = f"/files/{attachment.pk}/"
        status, _, content = staff.go(two, "GET", path, tls=False)
        assert status == 200 and content == PDF
        # Through the proxy: each server answers in turn, both with the file.
        for _ in range(2):
            status, answer, content = staff.go(cluster.proxy_https, "GET", path, tls=True)
            assert status == 200 and content == PDF
            assert re.fullmatch(r"[0-9a-f]{32}", answer["X-Request-ID"])

        # A district's staff outside the person's district: not on either server.
        other = Browser()
        other.sign_in(cluster.proxy_https, "hd_staff", PASSWORD)
        mark_browser_verified(other.cookies["sessionid"], "hd_staff")
        for port, tls in ((cluster.proxy_https, True), (two, False), (one, False)):
            status, _, content = other.go(port, "GET", path, tls=tls)
            assert status in (403, 404) and PDF not in content
        # Nor may that account upload to the person: nothing is stored.
        body, headers = multipart(
            {"csrfmiddlewaretoken": other.cookies["csrftoken"]}, "file", "x.pdf", PDF
        )
        status, _, _ = other.go(
            two, "POST", f"/people/{person.pk}/attach/", tls=False, body=body, headers=headers
        )
        assert status in (403, 404)
        assert Attachment.objects.filter(object_id=str(person.pk)).count() == 1
        listed = cluster.s3_client().list_objects_v2(Bucket=BUCKET)["Contents"]
        assert [o["Key"] for o in listed] == [attachment.file.name]
