"""The replicas' load balancer (buildingblocks/balancer.py) with two tiny local HTTP servers: round robin, a
dead backend skipped, 502 when none answers, and bytes passed through unchanged."""
from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from buildingblocks.balancer import Balancer, main, parse_address
from tests.support.processes import free_port


class Named(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, name: str):
        self.name = name
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.server_address[1]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self._answer(f"{self.server.name} {self.path}".encode())

    def do_POST(self):
        self._answer(self.rfile.read(int(self.headers["Content-Length"])))

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


async def request(port: int, method: str = "GET", path: str = "/health", body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.0 request on a new connection (as curl does): (status, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {path} HTTP/1.0\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), payload


@pytest.fixture
def backends():
    servers = [Named("a"), Named("b")]
    yield servers
    for s in servers:
        try:
            s.stop()
        except OSError:
            pass


async def started(addresses) -> Balancer:
    balancer = Balancer(list(addresses), connect_timeout_s=2.0)
    await balancer.start("127.0.0.1", 0)
    return balancer


async def test_connections_go_round_robin(backends):
    balancer = await started(s.address for s in backends)
    try:
        answers = [(await request(balancer.port))[1] for _ in range(10)]
    finally:
        await balancer.close()
    assert answers == [b"a /health", b"b /health"] * 5
    assert balancer.served == [5, 5]


async def test_a_backend_that_refuses_is_skipped_and_the_other_serves(backends):
    a, b = backends
    dead = ("127.0.0.1", free_port())  # nothing listens there: refused
    balancer = await started([a.address, dead, b.address])
    try:
        answers = [(await request(balancer.port))[1] for _ in range(6)]
        assert sorted(set(answers)) == [b"a /health", b"b /health"]
        assert balancer.served[1] == 0
        a.stop()  # one replica killed: the port keeps answering, from the other one
        after = [await request(balancer.port) for _ in range(6)]
    finally:
        await balancer.close()
    assert after == [(200, b"b /health")] * 6


async def test_no_backend_running_is_a_502(backends):
    for s in backends:
        s.stop()
    balancer = await started(s.address for s in backends)
    try:
        status, body = await request(balancer.port)
    finally:
        await balancer.close()
    assert status == 502 and b"no backend" in body


async def test_bodies_pass_through_unchanged(backends):
    balancer = await started(s.address for s in backends)
    payload = bytes(range(256)) * 4000  # 1 MB, every byte value
    try:
        answers = [await request(balancer.port, "POST", "/echo", payload) for _ in range(2)]
    finally:
        await balancer.close()
    assert answers == [(200, payload)] * 2


def test_addresses_and_arguments():
    assert parse_address("127.0.0.1:18001") == ("127.0.0.1", 18001)
    assert parse_address(":8001") == ("127.0.0.1", 8001)
    with pytest.raises(SystemExit):
        main(["--listen", "127.0.0.1:8001"])  # no backend
