"""A small TCP round-robin load balancer in front of a service's replicas (what `make up REPLICAS=N` runs).

    python -m buildingblocks.balancer --listen 127.0.0.1:8001 --backend 127.0.0.1:18001 --backend 127.0.0.1:28001

Each accepted connection goes to the next backend in turn; a backend that refuses the connection (or does
not accept it within `--connect-timeout`) is skipped and the next one tried, so killing a replica keeps the
port answering. Bytes pass through unchanged both ways (no HTTP parsing, the replicas answer `/health`
themselves). A client that keeps its connection alive stays on one replica for that connection. When no
backend accepts, the client gets `502 Bad Gateway` and the connection is closed.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import signal

log = logging.getLogger("balancer")

NO_BACKEND = (b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 22\r\n"
              b"Connection: close\r\n\r\nno backend is running\n")


def parse_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


class Balancer:
    def __init__(self, backends: list[tuple[str, int]], connect_timeout_s: float = 2.0):
        if not backends:
            raise ValueError("at least one backend")
        self.backends = backends
        self.connect_timeout_s = connect_timeout_s
        self._turn = itertools.cycle(range(len(backends)))
        self.served = [0] * len(backends)  # connections handed to each backend (for tests and the log)
        self.server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> asyncio.Server:
        self.server = await asyncio.start_server(self._handle, host, port, reuse_address=True)
        return self.server

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _connect(self):
        """The next backend in turn that accepts, skipping those that refuse; None if none does."""
        first = next(self._turn)
        for i in range(len(self.backends)):
            index = (first + i) % len(self.backends)
            host, port = self.backends[index]
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), self.connect_timeout_s)
            except (OSError, asyncio.TimeoutError) as e:
                log.debug("backend %s:%s skipped: %s", host, port, e)
                continue
            self.served[index] += 1
            return reader, writer
        return None

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            backend = await self._connect()
            if backend is None:
                log.warning("no backend of %s accepted a connection", self.backends)
                client_writer.write(NO_BACKEND)
                await client_writer.drain()
                return
            backend_reader, backend_writer = backend
            try:
                await asyncio.gather(_pipe(client_reader, backend_writer), _pipe(backend_reader, client_writer))
            finally:
                backend_writer.close()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            client_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until EOF, then half-close the other side (so a request-then-EOF client still gets its answer)."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        writer.close()


async def serve(listen: tuple[str, int], backends: list[tuple[str, int]], connect_timeout_s: float) -> None:
    balancer = Balancer(backends, connect_timeout_s)
    await balancer.start(*listen)
    log.info("balancing %s:%s over %s", *listen, ", ".join(f"{h}:{p}" for h, p in backends))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await balancer.close()
    log.info("stopped; connections per backend: %s", balancer.served)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m buildingblocks.balancer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT to listen on")
    parser.add_argument("--backend", action="append", required=True, help="HOST:PORT of a replica (repeat)")
    parser.add_argument("--connect-timeout", type=float, default=2.0, help="seconds before a backend is skipped")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(parse_address(args.listen), [parse_address(b) for b in args.backend], args.connect_timeout))


if __name__ == "__main__":
    main()
