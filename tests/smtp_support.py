"""An SMTP server for tests: aiosmtpd on 127.0.0.1, port 0 (the kernel picks a free one), that keeps
every message it receives, parsed, and the Airflow connection that points at it.

No sleeps: `wait_for` waits on a condition the server's thread signals on each message (its timeout
only bounds a failing test). SmtpHook's `sendmail` returns after the server accepted the DATA, so a
message sent by a task callback is already here when `dag.test()` returns.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest

WAIT_S = 10.0
"""How long wait_for waits for the next message before it fails (a failing test's cost only)."""


@dataclass(frozen=True)
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None, f"no HTML part in {self.subject!r}"
        return str(part.get_content())  # type: ignore[attr-defined]


@dataclass
class Mailbox:
    port: int = 0
    mails: list[Mail] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        with self._arrived:
            self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), msg))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def connection(self, **extra: Any) -> str:
        """An AIRFLOW_CONN_<ID> value (JSON) for this server: plain SMTP, no TLS, fail fast."""
        return json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": self.port,
                "extra": {"disable_ssl": True, "disable_tls": True, "timeout": 5, "retry_limit": 0, **extra},
            }
        )

    def wait_for(self, done: Callable[[list[Mail]], bool], timeout: float = WAIT_S) -> list[Mail]:
        with self._arrived:
            if not self._arrived.wait_for(lambda: done(self.mails), timeout):
                raise AssertionError(f"no such mail within {timeout}s; got {[m.subject for m in self.mails]}")
            return list(self.mails)

    def about(self, *words: str) -> list[Mail]:
        """The mails whose subject contains every one of `words`."""
        with self._arrived:
            return [m for m in self.mails if all(w in m.subject for w in words)]

    def clear(self) -> None:
        with self._arrived:
            self.mails.clear()


@contextlib.contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A running aiosmtpd server on loopback and its mailbox; stopped on exit."""
    from aiosmtpd.controller import Controller

    box = Mailbox()

    class _AnyPort(Controller):  # Controller checks it is up by connecting to `port`: the bound one
        def _trigger_server(self) -> None:
            assert self.server is not None
            self.port = box.port = int(self.server.sockets[0].getsockname()[1])
            super()._trigger_server()

    controller = _AnyPort(box, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    """A module's SMTP server, and the Airflow connection `smtp_default` pointing at it (environment:
    read by the module's task runs, in process under `dag.test()`)."""
    mp = pytest.MonkeyPatch()
    with smtp_server() as box:
        mp.setenv("AIRFLOW_CONN_SMTP_DEFAULT", box.connection())
        try:
            yield box
        finally:
            mp.undo()


def notifications(*events: str, conn_id: str = "smtp_default") -> dict[str, Any]:
    """A config's `notifications` section that mails ml-team@example.com on `events` (default all)."""
    section: dict[str, Any] = {
        "smtp_conn_id": conn_id,
        "from_email": "mlops@example.com",
        "to": ["ml-team@example.com"],
    }
    if events:
        section["events"] = list(events)
    return section
