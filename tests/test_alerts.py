"""Alerts: what a run's summary makes a cause, once per channel until it changes; the webhook,
Slack and e-mail channels against receivers on 127.0.0.1; and real crawls that turn silent,
recover, and fail, alerted once each."""

from __future__ import annotations

import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scrapy.settings import Settings

from pressbot import alerts, outcome
from pressbot import settings as project_settings
from pressbot.options import ArgumentError
from tests.conftest import FIXTURES, ROOT, run_crawl


def summary(code=0, finish="finished", **sources):
    return {
        "started_at": "2026-03-01T10:00:00.000Z",
        "finish_reason": finish,
        "exit_code": code,
        "exit_meaning": outcome.DESCRIPTIONS.get(code),
        "written": 0,
        "sources": sources,
    }


SILENT = {
    "silence": {
        "silent": True,
        "newest_release": "2026-01-01",
        "silent_days": 59,
        "allowed_days": 14,
        "allowed_by": "max_silence",
    }
}
FAILED = {"errors": [{"url": "https://a.example/p2", "page": "listing", "error": "HTTP 503"}]}
DRIFT = {"drift": [{"url": "https://a.example/", "problem": "no entries"}]}


def test_causes_per_source_and_for_the_run():
    assert alerts.causes(summary()) == {}
    found = alerts.causes(summary(69, a=FAILED, b=SILENT, c=DRIFT, d={}))
    assert set(found) == {("a", "failed"), ("b", "silent"), ("c", "drift")}
    assert found["a", "failed"] == "a: https://a.example/p2: HTTP 503"
    assert "b is silent: its newest release is of 2026-01-01" in found["b", "silent"]
    # A run that failed for no source's reason: the run itself.
    locked = {**summary(75, "not started"), "error": "pressbot: error: another run holds the lock"}
    assert alerts.causes(locked) == {
        ("*", "exit 75"): "the run ended with exit status 75: pressbot: error: another run holds the lock"
    }


def test_a_cause_is_announced_once_then_its_recovery_once():
    events, known = alerts.changes({}, summary(66, a=SILENT, b={}))
    assert [(e["source"], e["cause"], e["state"]) for e in events] == [("a", "silent", "new")]
    assert alerts.changes(known, summary(66, a=SILENT, b={}))[0] == []  # still silent: nothing
    # A run that did not look at the source says nothing of it.
    assert alerts.changes(known, summary(0, b={}))[0] == []
    assert alerts.changes(known, summary(75, "not started"))[0][0]["cause"] == "exit 75"
    events, known = alerts.changes(known, summary(0, a={}))
    assert [(e["source"], e["cause"], e["state"]) for e in events] == [("a", "silent", "recovered")]
    assert known == {}
    # Another cause of the same source is another alert.
    events, known = alerts.changes({"a|silent": "…"}, summary(65, a={**SILENT, **DRIFT}))
    assert [(e["cause"], e["state"]) for e in events] == [("drift", "new")]
    # The run's own cause recovers with the next run that ends for no such reason.
    _, known = alerts.changes({}, summary(70))
    assert [(e["cause"], e["state"]) for e in alerts.changes(known, summary(0))[0]] == [
        ("exit 70", "recovered")
    ]


def settings(**values):
    s = Settings()
    s.setmodule(project_settings)
    s.setdict(values, priority="cmdline")
    return s


@pytest.mark.parametrize(
    "name, value, problem",
    [
        ("PRESSBOT_ALERT_WEBHOOK", "ftp://x/", "is not an http(s) URL"),
        ("PRESSBOT_ALERT_SLACK_WEBHOOK", "hooks.slack.invalid/x", "is not an http(s) URL"),
        ("PRESSBOT_ALERT_SMTP", "localhost", "is not HOST:PORT"),
        ("PRESSBOT_ALERT_SMTP", "localhost:99999", "is not HOST:PORT"),
        ("PRESSBOT_ALERT_TIMEOUT", "0", "must be a number above 0"),
        ("PRESSBOT_ALERT_TIMEOUT", "soon", "must be a number above 0"),
    ],
)
def test_bad_alert_settings(name, value, problem):
    with pytest.raises(ArgumentError, match=re.escape(problem)) as err:
        alerts.check_settings(settings(**{name: value}))
    assert str(err.value).startswith(f"setting {name}: ")


def test_no_channel_no_alert_and_no_memory(tmp_path):
    assert alerts.after_run(summary(69, a=FAILED), settings(PRESSBOT_RUNS_DIR=str(tmp_path))) == []
    assert list(tmp_path.iterdir()) == []


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every POST (and can be told to fail)."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append(
                    {"path": self.path, "type": self.headers["Content-Type"], "json": json.loads(body)}
                )
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Keep(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

    handler = Keep()
    with socket.socket() as probe:  # (aiosmtpd checks its own server on the port it is given)
        probe.bind(("127.0.0.1", 0))
        handler.port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.mark.integration
def test_webhook_slack_and_email_each_once(tmp_path, receiver, smtp):
    s = settings(
        PRESSBOT_RUNS_DIR=str(tmp_path / "runs"),
        PRESSBOT_ALERT_WEBHOOK=receiver.url + "/hook",
        PRESSBOT_ALERT_SLACK_WEBHOOK=receiver.url + "/slack",
        PRESSBOT_ALERT_EMAIL_TO="ops@example.org, oncall@example.org",
        PRESSBOT_ALERT_EMAIL_FROM="pressbot@example.org",
        PRESSBOT_ALERT_SMTP=f"127.0.0.1:{smtp.port}",
    )
    sent = alerts.after_run(summary(69, a=FAILED, b={}), s)
    assert [m["channel"] for m in sent] == ["webhook", "slack", "email"]
    hook, slack = receiver.posts
    assert (hook["path"], hook["type"]) == ("/hook", "application/json")
    assert hook["json"]["events"] == [
        {"source": "a", "cause": "failed", "state": "new", "message": "a: https://a.example/p2: HTTP 503"}
    ]
    assert (
        hook["json"]["run"]["exit_code"] == 69 and hook["json"]["sources"]["a"]["errors"] == FAILED["errors"]
    )
    assert slack["path"] == "/slack" and slack["json"]["text"].startswith(
        "*pressbot: a failed*\nNEW: a: https://a.example/p2"
    )
    (mail,) = smtp.messages
    assert mail["Subject"] == "pressbot: a failed" and mail["To"] == "ops@example.org, oncall@example.org"
    assert "NEW: a: https://a.example/p2: HTTP 503" in mail.get_payload()[0].get_payload(decode=True).decode()
    # The same again: nothing. Recovered: once, everywhere.
    assert alerts.after_run(summary(69, a=FAILED, b={}), s) == []
    sent = alerts.after_run(summary(0, a={}, b={}), s)
    assert [m["events"][0]["state"] for m in sent] == ["recovered"] * 3
    assert len(receiver.posts) == 4 and len(smtp.messages) == 2
    assert smtp.messages[1]["Subject"] == "pressbot: recovered: a failed"


@pytest.mark.integration
def test_a_channel_that_failed_is_told_after_the_next_run(tmp_path, receiver):
    s = settings(PRESSBOT_RUNS_DIR=str(tmp_path / "runs"), PRESSBOT_ALERT_WEBHOOK=receiver.url)
    receiver.status = 503
    assert alerts.after_run(summary(69, a=FAILED), s) == []
    receiver.status = 200
    assert len(alerts.after_run(summary(69, a=FAILED), s)) == 1
    assert alerts.after_run(summary(69, a=FAILED), s) == []
    assert len(receiver.posts) == 2  # the refused one, then the one that went through
    # A receiver that is gone: the run goes on, and says so once.
    gone = settings(PRESSBOT_RUNS_DIR=str(tmp_path / "r2"), PRESSBOT_ALERT_WEBHOOK="http://127.0.0.1:9/")
    assert alerts.after_run(summary(69, a=FAILED), gone) == []
    assert json.loads((tmp_path / "r2" / "alerts.json").read_text()) == {}
    # A memory that is not JSON starts afresh.
    (tmp_path / "runs" / "alerts.json").write_text("{torn")
    assert len(alerts.after_run(summary(69, a=FAILED), s)) == 1


def profile_copy(tmp_path, max_silence: str) -> str:
    text = (ROOT / "pressbot" / "sources" / "amnesty-ca.toml").read_text()
    path = tmp_path / f"amnesty-{max_silence}.toml"
    path.write_text(text + f'\n[checks]\nmax_silence = "{max_silence}"\n')
    return str(path)


@pytest.mark.integration
def test_real_crawls_a_silent_source_and_a_failing_run_are_alerted_once(tmp_path, receiver):
    # (the failing runs retry their page at once: the wait between tries is not what is tested)
    hook = {"PRESSBOT_ALERT_WEBHOOK": receiver.url, "PRESSBOT_RETRY_BACKOFF": "0.05"}
    work = tmp_path / "work"
    fixtures = FIXTURES.as_uri()
    silent = profile_copy(tmp_path, "14d")  # the fixture's releases are of 2020
    for _ in range(2):
        result = run_crawl(work, fixtures, "-a", f"profile={silent}", settings=hook)
        assert result.returncode == outcome.SILENT == 66, result.stderr
        assert "amnesty-ca is silent: its newest release is of 2020-08-20" in result.stderr
    latest = json.loads((work / "runs" / "latest.json").read_text())
    assert latest["exit_code"] == 66 and latest["sources"]["amnesty-ca"]["silence"]["silent"] is True
    assert [[(e["source"], e["cause"], e["state"]) for e in p["json"]["events"]] for p in receiver.posts] == [
        [("amnesty-ca", "silent", "new")]
    ]
    result = run_crawl(work, fixtures, "-a", f"profile={profile_copy(tmp_path, 'off')}", settings=hook)
    assert result.returncode == 0, result.stderr
    assert receiver.posts[-1]["json"]["events"][0]["state"] == "recovered"
    # A failing run (a listing page that cannot be read: wp-news needs HTTP), twice: one alert.
    for _ in range(2):
        result = run_crawl(work, fixtures, "-a", "source=wp-news", settings=hook)
        assert result.returncode == outcome.PAGES_FAILED, result.stderr
    assert [p["json"]["events"][0]["cause"] for p in receiver.posts] == ["silent", "silent", "failed"]
    assert receiver.posts[-1]["json"]["run"]["exit_code"] == 69
    # A run refused at the start (a bad setting) is alerted too.
    result = run_crawl(work, fixtures, settings={**hook, "PRESSBOT_FLUSH_ITEMS": "lots"})
    assert result.returncode == 64
    assert receiver.posts[-1]["json"]["events"][0]["cause"] == "exit 64"
    assert "PRESSBOT_FLUSH_ITEMS" in receiver.posts[-1]["json"]["events"][0]["message"]
