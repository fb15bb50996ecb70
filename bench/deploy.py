"""Two servers behind the proxy (issue 21): ``python bench/run.py deploy [--scale small|full]``
(PostgreSQL: several servers refuse SQLite).

Two ``gonghui serve`` (production settings, S3 storage on moto's server, one PostgreSQL
database) behind nginx with the shipped deploy/nginx/gonghui.conf (TLS), beside one of them
hit directly: wrk sends the trivial endpoint (``/api/v1/perks/ping``, as bench/perks.py)
to each in turn, the rounds interleaved, and the throughput through the proxy is compared
with the one server's (target: the direct figure at most 1.5 × the proxy's). Then an
upload on one server is downloaded from the other (the bytes compared).
"""

import os
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import loadgen
from django.conf import settings
from django.db import connection
from measure import figure, note

from gonghui.files.models import Attachment
from gonghui.orgs.models import OrgUnit
from gonghui.people.services import person_create

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.deploy.cluster import HOST, Browser, Cluster, multipart, nginx_binary  # noqa: E402

SCALES = {"small": (2, 5), "full": (3, 20)}  # rounds, seconds per round and side
PATH = "/api/v1/perks/ping"
PASSWORD = f"Bd-{uuid.uuid4().hex}"  # this run's account only


def run(scale: str) -> Iterator[str]:
    if connection.vendor != "postgresql":
        raise SystemExit("bench deploy: several servers need PostgreSQL (--db postgres)")
    rounds, seconds = SCALES[scale]
    nginx = nginx_binary()
    if nginx is None:
        raise SystemExit("bench deploy: nginx is missing (scripts/install-nginx.sh)")
    person, username = make_data()
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    folder = loadgen.LOG_DIR / f"deploy-{os.getpid()}"
    requests = folder / "ping.txt"
    loadgen.write_requests(requests, [("GET", PATH, {"Host": HOST}, "")])
    with Cluster(
        folder,
        database_url=url,
        redis_url=os.environ.get("GONGHUI_REDIS_URL"),
        keys=settings.KEYS,
        workers=settings.SERVE_WORKERS,
        nginx=nginx,
    ) as cluster:
        note(
            f"servers {cluster.web_ports} ({settings.SERVE_WORKERS} workers each), nginx {cluster.proxy_https}"
        )
        sides = {
            "direct": f"http://127.0.0.1:{cluster.web_ports[0]}",
            "proxy": f"https://127.0.0.1:{cluster.proxy_https}",
        }
        rps: dict[str, list[float]] = {side: [] for side in sides}
        p50: dict[str, list[float]] = {side: [] for side in sides}
        for base in sides.values():  # warm-up: every worker's first requests
            loadgen.run(base, requests, connections=8, duration_s=2, cycle=True)
        for n in range(rounds):
            for side, base in sides.items():
                result = loadgen.run(base, requests, connections=16, duration_s=seconds, cycle=True)
                bad = sum(result["errors"].values()) + result["non_2xx_3xx"]
                note(
                    f"round {n + 1} {side}: {result['rps']:.0f} req/s, p50 {result['latency_ms']['p50']} ms, errors {bad}"
                )
                if bad:
                    raise SystemExit(f"bench deploy: {side} answered errors: {result['statuses']}")
                rps[side].append(result["rps"])
                p50[side].append(result["latency_ms"]["p50"])
        direct, proxy = (sum(rps[s]) / rounds for s in ("direct", "proxy"))
        yield figure(
            "deploy.ping_through_proxy", proxy, "req/s", "direct_over_proxy", direct / proxy, 1.5
        )
        note(
            f"one server directly: {direct:.0f} req/s; p50 direct {min(p50['direct'])} ms, proxy {min(p50['proxy'])} ms"
        )
        yield shared_upload(cluster, person, username)


def make_data() -> tuple:
    """A city administrator and a person to attach a file to, in the bench's database."""
    from django.contrib.auth import get_user_model

    from gonghui.orgs.models import Post, Role

    city = OrgUnit.objects.get(parent=None)
    username = f"bench_deploy_{uuid.uuid4().hex[:6]}"
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    Post.objects.create(
        user=user, org_unit=city, role=Role.objects.get(code="city_admin"), scope="subtree"
    )
    person = person_create(
        actor=user,
        org_unit=city,
        data={
            "name": "孙部署",
            "no_id_reason": "历史档案无身份证号",
            "birth_date": date(1980, 1, 1),
        },
    )
    return person, username


def shared_upload(cluster: Cluster, person, username: str) -> str:
    one, two = cluster.web_ports
    content = b"%PDF-1.4\n" + os.urandom(1024 * 1024) + b"\n%%EOF\n"
    staff = Browser()
    staff.sign_in(cluster.proxy_https, username, PASSWORD)
    body, headers = multipart(
        {"csrfmiddlewaretoken": staff.cookies["csrftoken"]}, "file", "bench.pdf", content
    )
    status, _, _ = staff.go(
        one, "POST", f"/people/{person.pk}/attach/", tls=False, body=body, headers=headers
    )
    attachment = Attachment.objects.filter(object_id=str(person.pk)).latest("pk")
    got, _, downloaded = staff.go(two, "GET", f"/files/{attachment.pk}/", tls=False)
    same = status == 302 and got == 200 and downloaded == content
    note(f"upload on :{one} ({status}), download from :{two} ({got}), {len(downloaded)} bytes")
    return figure(
        "deploy.upload_on_one_download_from_other", len(content) / 1024, "KB", "same_bytes",
        1.0 if same else 0.0, 1, at_least=True,
    )  # fmt: skip
