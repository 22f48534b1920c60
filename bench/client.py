"""A small HTTP/1.1 client on asyncio streams for the load phases (P2, P5).

httpx/httpcore's pool does work proportional to (waiting requests × connections) on every state change; at a
few hundred requests in flight against a slow server that starves the bench's own event loop for seconds, and
the client, not the server, is then measured. This one keeps a free list of keep-alive connections, opens a
new one when none is free (up to `max_connections`), and bounds each request by one total timeout.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Optional


class HttpError(Exception):
    pass


class Client:
    def __init__(self, base_url: str, headers: Optional[dict[str, str]] = None, max_connections: int = 512,
                 timeout_s: float = 10.0):
        host_port = base_url.removeprefix("http://").rstrip("/")
        self.host, _, port = host_port.partition(":")
        self.port = int(port or 80)
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in {"Host": host_port, **(headers or {})}.items())
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(max_connections)
        self.timeout_s = timeout_s

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        idle, self.idle = self.idle, []
        for _, w in idle:
            w.close()

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """(status, body bytes); raises asyncio.TimeoutError past the timeout, HttpError/OSError on a broken reply."""
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        head = f"{method} {path} HTTP/1.1\r\n{self.fixed}Content-Length: {len(data)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        payload = (head + "\r\n").encode() + data
        async with self.slots:
            return await asyncio.wait_for(self._exchange(payload), self.timeout_s)

    async def _exchange(self, payload: bytes) -> tuple[int, bytes]:
        reader, writer = self.idle.pop() if self.idle else await asyncio.open_connection(self.host, self.port)
        keep = False
        try:
            writer.write(payload)
            status_line = await reader.readline()
            if not status_line:
                raise HttpError("connection closed before the status line")
            status = int(status_line.split()[1])
            length, chunked, close = None, False, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value:
                    chunked = True
                elif name == "connection" and value == "close":
                    close = True
            if chunked:
                parts = []
                while True:
                    size = int((await reader.readline()).split(b";")[0], 16)
                    if size == 0:
                        await reader.readline()
                        break
                    parts.append(await reader.readexactly(size))
                    await reader.readline()
                content = b"".join(parts)
            elif length is not None:
                content = await reader.readexactly(length)
            else:
                content, close = await reader.read(), True
            keep = not close
            return status, content
        finally:
            if keep:
                self.idle.append((reader, writer))
            else:
                writer.close()

    async def get_json(self, path: str) -> tuple[int, Any]:
        status, content = await self.request("GET", path)
        return status, (json.loads(content) if content else None)
