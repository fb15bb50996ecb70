"""Request ids on every log line (issue 21, point 7), and the error sink."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from gonghui.common.alerts import alert
from gonghui.common.logs import ErrorSink, JsonFormatter, request_context

NUMBER = "110115197209162914"
PHONE = "13800138000"

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.common.log_urls")]


def lines(caplog, logger: str) -> list[dict]:
    return [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == logger]


def test_every_line_of_a_request_carries_its_id_and_the_answer_names_it(client, caplog):
    with caplog.at_level(logging.INFO, logger="gonghui.tests.views"):
        first = client.get("/chatty/")
        second = client.get("/chatty/")
    ids = [first["X-Request-ID"], second["X-Request-ID"]]
    assert len(ids[0]) == 32 and ids[0] != ids[1]
    logged = lines(caplog, "gonghui.tests.views")
    assert [(e["message"], e["request_id"]) for e in logged] == [
        ("first line", ids[0]),
        ("second line", ids[0]),
        ("first line", ids[1]),
        ("second line", ids[1]),
    ]


def test_outside_a_request_the_line_says_none(caplog):
    with caplog.at_level(logging.INFO, logger="gonghui.x"):
        logging.getLogger("gonghui.x").info("alone")
        with request_context("job-0001-abcd"):
            logging.getLogger("gonghui.x").info("for a request")
    assert [e["request_id"] for e in lines(caplog, "gonghui.x")] == [None, "job-0001-abcd"]


@pytest.mark.parametrize(
    ("proxies", "given", "kept"),
    [
        (["127.0.0.1"], "0f3c9a2b7e1d4c5a8b6e9d0c1a2b3c4d", True),  # nginx's $request_id
        (["127.0.0.1"], "5b0e4d3c-1a2b-4c3d-8e9f-0a1b2c3d4e5f", True),  # a UUID
        ([], "0f3c9a2b7e1d4c5a8b6e9d0c1a2b3c4d", False),  # a client's own choice
        (["10.0.0.0/8"], "0f3c9a2b7e1d4c5a8b6e9d0c1a2b3c4d", False),  # not from the proxy
        (["127.0.0.1"], "short", False),
        (["127.0.0.1"], "x" * 65, False),
        (["127.0.0.1"], 'a"b\\c{d}e\nfgh', False),
    ],
)
def test_a_request_id_is_taken_only_from_a_trusted_proxy_and_well_formed(
    settings, proxies, given, kept
):
    settings.TRUSTED_PROXIES = proxies
    answered = Client().get("/chatty/", HTTP_X_REQUEST_ID=given)["X-Request-ID"]
    assert (answered == given) is kept and len(answered) >= 8


def test_an_alert_is_a_json_line_with_its_code_and_masked_fields(caplog):
    with caplog.at_level(logging.ERROR, logger="gonghui.alerts"):
        alert("backup.failed", f"备份失败：{NUMBER}", path="/var/x", phone=PHONE, note=NUMBER)
    (line,) = lines(caplog, "gonghui.alerts")
    assert line["level"] == "ERROR" and line["alert"] == "backup.failed"
    assert line["fields"]["path"] == "/var/x" and line["fields"]["note"] == "11**************14"
    assert PHONE not in json.dumps(line) and NUMBER not in json.dumps(line)


class Receiver(BaseHTTPRequestHandler):
    received: list

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.headers["Content-Type"], body.decode()))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sink_at():
    attached = []

    def attach(target: str) -> ErrorSink:
        sink = ErrorSink(target, timeout=1.0)
        logging.getLogger().addHandler(sink)
        attached.append(sink)
        return sink

    yield attach
    for sink in attached:
        logging.getLogger().removeHandler(sink)


def test_a_500_reaches_the_webhook_masked_with_its_request_id(webhook, sink_at):
    sink = sink_at(f"http://127.0.0.1:{webhook.server_port}/hook/secret-token")
    client = Client(raise_request_exception=False)
    response = client.post("/boom/?phone=" + PHONE, {"number": NUMBER, "phone": PHONE})
    sink.flush()
    assert response.status_code == 500
    ((kind, body),) = webhook.received
    report = json.loads(body)
    assert kind.startswith("application/json")
    assert report["request_id"] == response["X-Request-ID"] and report["level"] == "ERROR"
    assert report["logger"] == "django.request" and report["status"] == 500
    assert report["method"] == "POST" and report["path"] == "/boom/" and report["host"]
    assert "ValueError" in report["exc"] and "11**************14" in report["exc"]
    # Masked; no request body, no query string.
    assert NUMBER not in body and PHONE not in body and NUMBER[2:16] not in body


def test_an_alert_reaches_a_file_sink(tmp_path, sink_at):
    path = tmp_path / "errors.jsonl"
    sink = sink_at(f"file://{path}")
    with request_context("0123456789abcdef"):
        alert("jobs.worker_lost", f"任务 {NUMBER} 失联", job=7)
    sink.flush()
    (report,) = [json.loads(line) for line in path.read_text().splitlines()]
    assert report["alert"] == "jobs.worker_lost" and report["fields"] == {"job": 7}
    assert report["request_id"] == "0123456789abcdef" and NUMBER not in path.read_text()


def test_an_unreachable_sink_never_breaks_the_request_and_is_logged(sink_at, caplog):
    sink = sink_at("http://127.0.0.1:9/hook")  # discard port: nothing listens
    with caplog.at_level(logging.WARNING, logger="gonghui.errorsink"):
        response = Client(raise_request_exception=False).post("/boom/", {"number": "1"})
        assert response.status_code == 500  # answered before the sink is tried
        sink.flush()
    (warning,) = [r for r in caplog.records if r.name == "gonghui.errorsink"]
    assert "not reachable" in warning.getMessage() and "/hook" not in warning.getMessage()


def test_platform_tokens_are_cut_to_their_listed_prefix_wherever_they_stand():
    from gonghui.common.reporting import mask_text

    raw = "gd_" + "AbCdE" + "x1-_y" * 6
    for text, shown in [
        (f"/dashboards/screen/{raw}/data", "/dashboards/screen/gd_AbCdE…/data"),
        (f"令牌{raw}无效", "令牌gd_AbCdE…无效"),  # against Chinese, without a space
        (
            f"next=%2Fdashboards%2Fscreen%2F{raw}%2Fdata",
            "next=%2Fdashboards%2Fscreen%2Fgd_AbCdE…%2Fdata",
        ),
        (f"Bearer gh_{raw[3:]}", "Bearer gh_AbCdE…"),
    ]:
        assert mask_text(text) == shown
    assert (
        mask_text("/srv/gh_actions-runner/_work/file.py") == "/srv/gh_actions-runner/_work/file.py"
    )
