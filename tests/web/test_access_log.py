"""gunicorn's access log as JSON with the request id (issue 21, point 7), and the serving
processes' metrics added up across processes (prometheus-client's multiprocess mode)."""

import json
import logging
import os
import subprocess
import sys
import textwrap
import urllib.request
from datetime import timedelta
from types import SimpleNamespace

from gonghui import gunicorn_conf
from gonghui.common.logs import ErrorSink
from tests.web.test_serving import ROOT, _wait_listening, start_gunicorn

NUMBER = "110115197209162914"
CFG = SimpleNamespace(
    loglevel="info",
    errorlog="-",
    accesslog="-",
    capture_output=False,
    syslog=False,
    logconfig=None,
    logconfig_dict={},
    logconfig_json=None,
    disable_redirect_access_to_syslog=False,
    access_log_format="",
    user=None,
)


def test_the_access_line_is_json_with_the_answered_request_id(capsys):
    logger = gunicorn_conf.JsonLogger(CFG)
    resp = SimpleNamespace(
        status="404 Not Found", sent=123, headers=[("X-Request-ID", "0f3c9a2b7e1d4c5a")]
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": f"/people/{NUMBER}/",
        "QUERY_STRING": f"id={NUMBER}",
        "REMOTE_ADDR": "127.0.0.1",
    }
    logger.access(resp, None, environ, timedelta(milliseconds=12, microseconds=300))
    logger.error("worker booted")
    written = capsys.readouterr()
    access, error = written.out.splitlines()[-1], written.err
    line = json.loads(access)
    assert line["logger"] == "gunicorn.access" and line["request_id"] == "0f3c9a2b7e1d4c5a"
    assert line["fields"]["status"] == 404 and line["fields"]["bytes"] == 123
    assert line["fields"]["ms"] == 12.3 and line["fields"]["peer"] == "127.0.0.1"
    assert line["fields"]["path"] == "/people/11**************14/"
    assert NUMBER not in access and "id=" not in access  # never the query string
    assert json.loads(error.splitlines()[-1])["message"] == "worker booted"


def test_gunicorns_own_errors_go_to_the_error_sink_too(tmp_path):
    sink = ErrorSink(f"file://{tmp_path / 'errors.jsonl'}")
    logging.getLogger().addHandler(sink)
    try:
        logger = gunicorn_conf.JsonLogger(CFG)
        gunicorn_conf.when_ready(SimpleNamespace(log=logger))
        logger.critical("WORKER TIMEOUT (pid:%s)", 4242)
        logger.info("Booting worker")
        sink.flush()
    finally:
        logging.getLogger().removeHandler(sink)
        logger.error_log.removeHandler(sink)
    (report,) = [json.loads(line) for line in (tmp_path / "errors.jsonl").read_text().splitlines()]
    assert report["logger"] == "gunicorn.error" and report["message"] == "WORKER TIMEOUT (pid:4242)"


def test_a_wall_screens_token_in_its_url_is_cut_to_its_prefix_on_the_access_line(capsys):
    from gonghui.dashboards.models import DisplayToken

    raw = DisplayToken.new_raw()
    logger = gunicorn_conf.JsonLogger(CFG)
    resp = SimpleNamespace(status="200 OK", sent=9, headers=[])
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": f"/dashboards/screen/{raw}/data"}
    logger.access(resp, None, environ, timedelta(milliseconds=3))
    access = capsys.readouterr().out.splitlines()[-1]
    assert raw[8:] not in access
    assert json.loads(access)["fields"]["path"] == f"/dashboards/screen/{raw[:8]}…/data"


def test_a_failed_requests_error_line_names_its_path_without_the_query(capsys):
    logger = gunicorn_conf.JsonLogger(CFG)
    try:
        raise RuntimeError("handler failed")
    except RuntimeError:  # as gunicorn's worker reports it (workers/base.py)
        logger.exception("Error handling request %s %s", "GET", f"/api/v1/x?token=t&id={NUMBER}")
    line = json.loads(capsys.readouterr().err.splitlines()[-1])
    assert line["message"] == "Error handling request GET /api/v1/x"
    assert "handler failed" in line["exc"]


def test_a_real_gunicorn_logs_json_access_lines_carrying_the_proxys_request_id(tmp_path):
    server, port, out_path = start_gunicorn(tmp_path, GONGHUI_TRUSTED_PROXIES="127.0.0.1")
    url = f"http://127.0.0.1:{port}/api/v1/perks/ping"
    try:
        _wait_listening(port)
        given = urllib.request.Request(url, headers={"X-Request-ID": "nginx-0123456789abcdef"})
        answered = [
            urllib.request.urlopen(r, timeout=10).headers["X-Request-ID"]  # noqa: S310
            for r in (given, url)
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = out_path.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [e for e in lines if e["logger"] == "gunicorn.access"]
    assert answered[0] == "nginx-0123456789abcdef" and len(answered[1]) == 32, text
    assert [e["request_id"] for e in access] == answered, text
    assert all(e["fields"]["path"] == "/api/v1/perks/ping" for e in access)
    assert any(e["logger"] == "gunicorn.error" for e in lines), text  # gunicorn's own, as JSON
    assert all(line.startswith("{") for line in text.splitlines() if line.strip()), text


def test_several_processes_counters_are_added_up(tmp_path):
    script = textwrap.dedent(
        """
        import os, sys
        from gonghui.common import metrics
        pids = []
        for n in range(3):
            pid = os.fork()
            if pid == 0:
                metrics.REQUESTS.labels("GET", "healthz", "2xx").inc(n + 1)
                metrics.LATENCY.labels("healthz").observe(0.02)
                os._exit(0)
            pids.append(pid)
        for pid in pids[:2]:  # two workers recycled, the third still serving
            os.waitpid(pid, 0)
            metrics.worker_gone(pid)
        os.waitpid(pids[2], 0)
        sys.stdout.write(metrics.exposition().decode())
        sys.stdout.write(" ".join(sorted(os.listdir(os.environ["PROMETHEUS_MULTIPROC_DIR"]))))
        """
    )
    env = dict(
        os.environ,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="gonghui.settings",
    )
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert 'gonghui_http_requests_total{method="GET",route="healthz",status="2xx"} 6.0' in out
    assert 'gonghui_http_request_duration_seconds_count{route="healthz"} 3.0' in out
    assert 'gonghui_http_request_duration_seconds_bucket{le="0.025",route="healthz"} 3.0' in out
    # The recycled workers' counts were folded into *_gone.db; the serving one keeps its own.
    files = out.splitlines()[-1].split()
    assert sorted(f for f in files if f.endswith(".db")) == sorted(
        ["counter_gone.db", "histogram_gone.db"]
        + [f"{kind}_{pid}.db" for kind in ("counter", "histogram") for pid in [files_pid(files)]]
    )


def files_pid(files: list[str]) -> str:
    (pid,) = {f.split("_")[1][:-3] for f in files if f.endswith(".db") and "gone" not in f}
    return pid
