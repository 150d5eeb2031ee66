"""Alerts that reach a person: after a run, what turned wrong (or right again), once per cause.

A run's *causes* come from its summary: per source ``drift``, ``failed`` (pages failed, a walk
ended short) and ``silent`` (pressbot.silence); for the run as a whole ``exit N`` when it ended
non-zero for none of those (the lock held, an internal error, a bad setting, interrupted). Each
channel (a webhook: an HTTP POST of JSON; a Slack incoming webhook; e-mail over SMTP) remembers
the causes it has announced, in ``PRESSBOT_ALERT_STATE`` (default ``alerts.json`` in the runs
folder), and is told only of a change: a cause that is new, or one that is gone (recovered) in
a run that looked at that source again. A channel that could not be reached is told again after
the next run. Nothing is sent when no channel is configured.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import smtplib
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pressbot import __version__, outcome, silence
from pressbot.options import ArgumentError

logger = logging.getLogger(__name__)

#: The whole run's causes are under this "source".
RUN = "*"
#: Errors, drift and traps listed per source in a notification.
LISTED = 5


def causes(summary: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """(source, cause) -> one line saying it, for what is wrong after this run."""
    found: dict[tuple[str, str], str] = {}
    for name, entry in (summary.get("sources") or {}).items():
        if not isinstance(entry, Mapping):
            continue
        if entry.get("drift"):
            first = entry["drift"][0]
            found[name, "drift"] = f"{name}: drift on {first.get('url')}: {first.get('problem')}"
        if entry.get("errors"):
            first = entry["errors"][0]
            more = f" (and {len(entry['errors']) - 1} more)" if len(entry["errors"]) > 1 else ""
            found[name, "failed"] = f"{name}: {first.get('url')}: {first.get('error')}{more}"
        verdict = entry.get("silence")
        if isinstance(verdict, Mapping) and verdict.get("silent"):
            found[name, "silent"] = silence.describe(name, verdict)
    code = summary.get("exit_code")
    if code not in (outcome.OK, None) and not found:
        what = summary.get("error") or summary.get("exit_meaning") or outcome.DESCRIPTIONS.get(code, "")
        found[RUN, f"exit {code}"] = f"the run ended with exit status {code}: {what}"
    return found


def looked_at(summary: Mapping[str, Any]) -> set[str]:
    """The sources (and the run, RUN) this run can say are well again."""
    seen = set(summary.get("sources") or {}) if summary.get("finish_reason") != "not started" else set()
    return seen | {RUN}


def changes(
    announced: Mapping[str, str], summary: Mapping[str, Any]
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """What a channel that has announced ``announced`` ("source|cause" -> line) must be told
    after this run, and what it will then have announced."""
    now = {f"{s}|{c}": line for (s, c), line in causes(summary).items()}
    seen = looked_at(summary)
    events = [
        {"source": key.split("|", 1)[0], "cause": key.split("|", 1)[1], "state": "new", "message": line}
        for key, line in now.items()
        if key not in announced
    ]
    kept = dict(announced)
    for key, line in announced.items():
        source = key.split("|", 1)[0]
        if key not in now and source in seen:
            events.append(
                {"source": source, "cause": key.split("|", 1)[1], "state": "recovered", "message": line}
            )
            del kept[key]
    kept.update(now)
    return events, kept


def payload(summary: Mapping[str, Any], events: list[dict[str, str]]) -> dict[str, Any]:
    """The notification: the events and the summary's essentials."""
    sources = {}
    for name, entry in (summary.get("sources") or {}).items():
        if not isinstance(entry, Mapping):
            continue
        sources[name] = {
            "new": entry.get("new"),
            "pages": entry.get("pages"),
            "stop_reason": entry.get("stop_reason"),
            "errors": list(entry.get("errors") or [])[:LISTED],
            "drift": list(entry.get("drift") or [])[:LISTED],
            "traps": list(entry.get("traps") or [])[:LISTED],
            "silence": entry.get("silence"),
        }
    return {
        "pressbot": __version__,
        "events": events,
        "run": {
            k: summary.get(k)
            for k in (
                "started_at",
                "finished_at",
                "finish_reason",
                "exit_code",
                "exit_meaning",
                "error",
                "written",
                "job",
                "host",
                "duration_seconds",
            )
        },
        "sources": sources,
    }


def text(message: Mapping[str, Any]) -> tuple[str, str]:
    """A subject and a plain-text body for people (e-mail, Slack)."""
    events = message["events"]
    run = message["run"]
    wrong = [ev for ev in events if ev["state"] == "new"]
    subject = (
        f"pressbot: {', '.join(sorted({ev['source'] + ' ' + ev['cause'] for ev in wrong}))}"
        if wrong
        else f"pressbot: recovered: {', '.join(sorted({ev['source'] + ' ' + ev['cause'] for ev in events}))}"
    )
    lines = [f"{'NEW' if ev['state'] == 'new' else 'RECOVERED'}: {ev['message']}" for ev in events]
    lines += [
        "",
        f"Run started {run.get('started_at')} on {run.get('host') or socket.gethostname()}"
        + (f" (job {run['job']})" if run.get("job") else "")
        + f": exit status {run.get('exit_code')} ({run.get('exit_meaning')}), {run.get('written')} written.",
    ]
    for name, entry in message["sources"].items():
        lines.append(
            f"  {name}: {entry.get('new')} new, {entry.get('pages')} pages, {entry.get('stop_reason')}"
        )
    return subject.replace("*", "run"), "\n".join(lines)


class Channel:
    """Where notifications go; ``send`` raises OSError when it could not deliver."""

    name = "channel"

    def send(self, message: dict[str, Any]) -> None:
        raise NotImplementedError


class Webhook(Channel):
    """An HTTP POST of the notification as JSON."""

    name = "webhook"

    def __init__(self, url: str, timeout: float = 10.0, slack: bool = False) -> None:
        self.url, self.timeout, self.slack = url, timeout, slack
        if slack:
            self.name = "slack"

    def send(self, message: dict[str, Any]) -> None:
        if self.slack:
            subject, body = text(message)
            message = {"text": f"*{subject}*\n{body}"}
        data = json.dumps(message, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": f"pressbot/{__version__}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - the operator's URL
                answer.read()
        except urllib.error.HTTPError as exc:
            raise OSError(f"{self.url} answered HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise OSError(f"{self.url}: {getattr(exc, 'reason', exc)}") from None


class Email(Channel):
    """A plain-text e-mail over SMTP (STARTTLS and a login where configured)."""

    name = "email"

    def __init__(
        self,
        to: list[str],
        sender: str,
        host: str,
        port: int = 25,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.to, self.sender, self.host, self.port = to, sender, host, port
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def send(self, message: dict[str, Any]) -> None:
        subject, body = text(message)
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = subject, self.sender, ", ".join(self.to)
        mail.set_content(body)
        mail.add_attachment(
            json.dumps(message, ensure_ascii=False, indent=2).encode("utf-8"),
            maintype="application",
            subtype="json",
            filename="pressbot-alert.json",
        )
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPException as exc:
            raise OSError(f"SMTP {self.host}:{self.port}: {exc}") from None


def channels(settings) -> list[Channel]:
    """The channels the PRESSBOT_ALERT_ settings configure (none: no alerts)."""
    timeout = settings.getfloat("PRESSBOT_ALERT_TIMEOUT")
    found: list[Channel] = []
    if settings.get("PRESSBOT_ALERT_WEBHOOK"):
        found.append(Webhook(settings.get("PRESSBOT_ALERT_WEBHOOK"), timeout))
    if settings.get("PRESSBOT_ALERT_SLACK_WEBHOOK"):
        found.append(Webhook(settings.get("PRESSBOT_ALERT_SLACK_WEBHOOK"), timeout, slack=True))
    to = settings.getlist("PRESSBOT_ALERT_EMAIL_TO")
    if to:
        host, _, port = (settings.get("PRESSBOT_ALERT_SMTP") or "localhost").rpartition(":")
        found.append(
            Email(
                [a.strip() for a in to if a.strip()],
                settings.get("PRESSBOT_ALERT_EMAIL_FROM") or f"pressbot@{socket.getfqdn()}",
                host or port,
                int(port) if host else 25,
                settings.get("PRESSBOT_ALERT_SMTP_USER"),
                settings.get("PRESSBOT_ALERT_SMTP_PASSWORD"),
                settings.getbool("PRESSBOT_ALERT_SMTP_STARTTLS"),
                timeout,
            )
        )
    return found


def check_settings(settings) -> None:
    """Refuse alert settings that cannot be used, before any request (exit 64)."""
    for name in ("PRESSBOT_ALERT_WEBHOOK", "PRESSBOT_ALERT_SLACK_WEBHOOK"):
        url = settings.get(name)
        if url and (not isinstance(url, str) or not url.lower().startswith(("http://", "https://"))):
            raise ArgumentError(f"setting {name}: {url!r} is not an http(s) URL")
    smtp = settings.get("PRESSBOT_ALERT_SMTP")
    if smtp:
        host, colon, port = str(smtp).rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ArgumentError(f"setting PRESSBOT_ALERT_SMTP: {smtp!r} is not HOST:PORT (e.g. localhost:25)")
    try:
        timeout = float(settings.get("PRESSBOT_ALERT_TIMEOUT"))
    except (TypeError, ValueError):
        timeout = -1
    if not timeout > 0 or timeout == float("inf"):
        raw = settings.get("PRESSBOT_ALERT_TIMEOUT")
        raise ArgumentError(f"setting PRESSBOT_ALERT_TIMEOUT: {raw!r} must be a number above 0")


def memory_path(settings) -> Path:
    return Path(
        settings.get("PRESSBOT_ALERT_STATE") or Path(settings.get("PRESSBOT_RUNS_DIR")) / "alerts.json"
    )


def after_run(summary: Mapping[str, Any], settings) -> list[dict[str, Any]]:
    """Tell each configured channel what changed with this run; return what was sent (per
    channel). Never raises: an alert that cannot be sent is logged, and sent after the next run."""
    try:
        chosen = channels(settings)
        if not chosen:
            return []
        return notify(summary, chosen, memory_path(settings))
    except Exception:
        logger.exception("pressbot could not send its alerts")
        return []


def notify(summary: Mapping[str, Any], chosen: list[Channel], memory: Path) -> list[dict[str, Any]]:
    memory.parent.mkdir(parents=True, exist_ok=True)
    sent = []
    fd = os.open(memory.with_name(memory.name + ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # (two runs ending at once: one announces each change)
        try:
            known = json.loads(memory.read_text(encoding="utf-8"))
            if not isinstance(known, dict):
                raise ValueError("not an object")
        except FileNotFoundError:
            known = {}
        except (OSError, ValueError) as exc:
            logger.warning("pressbot: %s cannot be read (%s): alerts start afresh", memory, exc)
            known = {}
        for channel in chosen:
            announced = known.get(channel.name)
            events, kept = changes(announced if isinstance(announced, dict) else {}, summary)
            if events:
                message = payload(summary, events)
                try:
                    channel.send(message)
                except OSError as exc:
                    logger.error(
                        "pressbot could not send its alert by %s: %s; it is sent after the next run",
                        channel.name,
                        exc,
                    )
                    continue
                logger.info(
                    "pressbot sent an alert by %s: %s",
                    channel.name,
                    "; ".join(f"{ev['state']} {ev['source']} {ev['cause']}" for ev in events),
                )
                sent.append({"channel": channel.name, **message})
            known[channel.name] = kept
        tmp = memory.with_name(f".{memory.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, memory)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
    return sent
