"""Network faults between the stack and a server, at a chosen moment.

`FaultyLink` is a TCP forwarder on loopback that the stack talks to instead of the real server (the
MLflow tracking server, the S3 server). A test takes the link down (new connections are refused and
open ones reset: what a crashed server looks like to its clients) and brings it back, or arms it to go
down exactly when a given request passes, before the server sees it; or armed to cut the connection
after the server has done the work but before the client hears the answer (a lost response: the case
that makes retries, MLflow's own HTTP retries included, duplicate things).
"""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import threading
from dataclasses import dataclass, field


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), as a dying peer does."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    _close_socket(sock)


def _close_socket(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # wakes a thread blocked in recv() on it; close() alone would not
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class _Pair:
    client: socket.socket
    upstream: socket.socket
    drop_responses: bool = False


@dataclass
class FaultyLink:
    upstream_host: str
    upstream_port: int
    port: int = field(default_factory=_free_port)
    fired: threading.Event = field(default_factory=threading.Event)
    outages: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listener: socket.socket | None = None
    _socks: dict[int, _Pair] = field(default_factory=dict)
    _armed: tuple[re.Pattern[bytes], bool] | None = None

    def __post_init__(self) -> None:
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_up(self) -> bool:
        return self._listener is not None

    def up(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(128)
            listener.settimeout(0.2)
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            pairs = list(self._socks.values())
            self._socks.clear()
            if listener is not None:
                self.outages += 1
        if listener is not None:
            listener.close()
        for pair in pairs:
            _reset(pair.client)
            _reset(pair.upstream)

    def arm(self, pattern: bytes, *, lose_response: bool = False) -> None:
        """Fault the next request matching `pattern` (regex over the request's bytes): go down before
        it reaches the server, or (`lose_response`) let it through and cut the connection mid-answer."""
        self.fired.clear()
        self._armed = (re.compile(pattern), lose_response)

    def disarm(self) -> None:
        self._armed = None

    def _fire(self) -> None:
        self.down()
        self.fired.set()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection((self.upstream_host, self.upstream_port), timeout=10)
            except OSError:
                _reset(client)
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            pair = _Pair(client, upstream)
            with self._lock:
                if self._listener is not listener:
                    _reset(client)
                    _reset(upstream)
                    return
                self._socks[id(pair)] = pair
            threading.Thread(target=self._requests, args=(pair,), daemon=True).start()
            threading.Thread(target=self._responses, args=(pair,), daemon=True).start()

    def _close(self, pair: _Pair) -> None:
        with self._lock:
            self._socks.pop(id(pair), None)
        _close_socket(pair.client)
        _close_socket(pair.upstream)

    def _requests(self, pair: _Pair) -> None:
        tail = b""
        try:
            while True:
                data = pair.client.recv(65536)
                if not data:
                    break
                tail = (tail + data)[-16384:]
                armed = self._armed
                if armed is not None and armed[0].search(tail):
                    self._armed = None
                    if not armed[1]:
                        self._fire()  # the server never sees this request
                        return
                    pair.drop_responses = True  # the server does the work; its answer is lost
                pair.upstream.sendall(data)
        except OSError:
            pass
        self._close(pair)

    def _responses(self, pair: _Pair) -> None:
        try:
            while True:
                data = pair.upstream.recv(65536)
                if not data:
                    break
                if pair.drop_responses:  # cut the connection mid-answer
                    self.fired.set()
                    break
                pair.client.sendall(data)
        except OSError:
            pass
        self._close(pair)
