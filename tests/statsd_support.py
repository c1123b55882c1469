"""A StatsD server for tests: a real UDP socket on 127.0.0.1 (port 0: the kernel picks a free one)
that reads what the package sends and parses it.

No sleeps: `wait_for` blocks in recv (with a timeout that only bounds a failure) until the lines it
needs have arrived, and `drain` takes whatever is already queued without blocking.
"""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

RECV_TIMEOUT_S = 10.0
"""How long wait_for blocks for one datagram before it gives up (a failing test's cost only)."""
_LINE = re.compile(r"(?P<name>[^,:|]+)(?P<tags>(,[^,=:|]+=[^,=:|]*)*):(?P<value>[^|]+)\|(?P<kind>[a-z]+)")


@dataclass(frozen=True)
class Line:
    name: str
    tags: dict[str, str]
    value: float
    kind: str  # c, g, ms
    raw: str


def parse(datagram: bytes) -> list[Line]:
    """Each `name,k=v,...:value|type` line of a datagram (AssertionError on anything else)."""
    out = []
    for raw in datagram.decode("ascii").split("\n"):
        m = _LINE.fullmatch(raw)
        assert m, f"not a StatsD line with InfluxDB tags: {raw!r}"
        tags = dict(t.split("=", 1) for t in m["tags"].split(",")[1:])
        out.append(Line(m["name"], tags, float(m["value"]), m["kind"], raw))
    return out


@dataclass
class StatsdListener:
    sock: socket.socket
    lines: list[Line] = field(default_factory=list)
    datagrams: int = 0

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def env(self) -> dict[str, str]:
        """The environment that points this package's metrics here."""
        return {
            "MLOPS_METRICS": "statsd",
            "MLOPS_STATSD_HOST": "127.0.0.1",
            "MLOPS_STATSD_PORT": str(self.port),
        }

    def _take(self, data: bytes) -> None:
        self.datagrams += 1
        self.lines.extend(parse(data))

    def drain(self) -> list[Line]:
        """Everything queued so far, without waiting."""
        self.sock.setblocking(False)
        try:
            while True:
                self._take(self.sock.recv(65535))
        except BlockingIOError:
            pass
        finally:
            self.sock.setblocking(True)
        return self.lines

    def wait_for(self, done: Callable[[list[Line]], bool], timeout: float = RECV_TIMEOUT_S) -> list[Line]:
        """Receive until `done(lines)` holds; AssertionError (with what did arrive) after `timeout`
        seconds without a datagram."""
        self.drain()
        self.sock.settimeout(timeout)
        try:
            while not done(self.lines):
                try:
                    self._take(self.sock.recv(65535))
                except TimeoutError:
                    raise AssertionError(
                        f"no more StatsD datagrams within {timeout}s; got: {[x.raw for x in self.lines]}"
                    ) from None
        finally:
            self.sock.settimeout(None)
        return self.drain()

    def named(self, name: str, **tags: str) -> list[Line]:
        """The lines of metric `name` whose tags include `tags`."""
        return [x for x in self.lines if x.name == name and tags.items() <= x.tags.items()]

    def gauge(self, name: str, **tags: str) -> float | None:
        """A gauge's value as a StatsD server would hold it: a signed value after `0|g` is absolute."""
        value: float | None = None
        for x in self.named(name, **tags):
            assert x.kind == "g", x.raw
            signed = x.raw.rsplit(":", 1)[1][:1] in "+-"
            value = (value or 0.0) + x.value if signed and value is not None else x.value
        return value

    def clear(self) -> None:
        self.drain()
        self.lines.clear()


@contextlib.contextmanager
def statsd_listener() -> Iterator[StatsdListener]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)  # room for a whole DAG story
    sock.bind(("127.0.0.1", 0))
    try:
        yield StatsdListener(sock)
    finally:
        sock.close()
