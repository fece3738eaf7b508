"""A small HTTP/1.1 load generator: N keep-alive connections to one loopback port, for a while.

It speaks just enough HTTP to measure a server (one GET at a time per connection, bodies sized by
Content-Length or chunked encoding), so that the client costs far less than the server it
measures. Only 127.0.0.1 is ever contacted, and every run is bounded in time and connections.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import uvloop

LOOPBACK = "127.0.0.1"
MAX_CONNECTIONS = 1024
MAX_DURATION_S = 600.0
MAX_WARMUP_S = 60.0
GRACE_S = 10.0  # after the window closes, requests still in flight this long count as errors
MAX_BODY_BYTES = 16 * 1024 * 1024
NO_BODY_STATUSES = frozenset({204, 304})


class ProtocolError(Exception):
    """The server's response could not be parsed as HTTP/1.1."""


@dataclass(frozen=True)
class LoadResult:
    """What one measurement window saw; latencies are in milliseconds."""

    requests: int  # completed inside the window, whatever their status
    errors: int  # connection failures, unparsable or timed-out responses
    non_2xx: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    client_cpu: float  # share of one core the load generator used during the window
    server_cpu: float  # share of one core the server used during the window (NaN if unknown)


@dataclass
class _Window:
    start: float
    end: float


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    non_2xx: int = 0


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (NaN when there are none)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def _request_bytes(port: int, path: str) -> bytes:
    if not path.startswith("/") or any(c.isspace() for c in path):
        raise ValueError(f"path must start with / and contain no whitespace: {path!r}")
    return (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {LOOPBACK}:{port}\r\n"
        "User-Agent: ponctuel-bench\r\n"
        "Accept: text/html,*/*\r\n"
        "\r\n"
    ).encode("ascii")


async def _read_chunked(reader: asyncio.StreamReader) -> None:
    total = 0
    while True:
        size_line = await reader.readline()
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError as error:
            raise ProtocolError(f"bad chunk size line {size_line!r}") from error
        total += size
        if total > MAX_BODY_BYTES:
            raise ProtocolError("chunked body too large")
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return
        await reader.readexactly(size + 2)  # the chunk and its CRLF


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one full response; return its status and whether the server closes the connection."""
    head = await reader.readuntil(b"\r\n\r\n")  # status line and headers in one read
    status_line, *header_lines = head[:-4].split(b"\r\n")
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"bad status line {status_line!r}")
    status = int(parts[1])
    length: int | None = None
    chunked = False
    closes = parts[0] == b"HTTP/1.0"
    for line in header_lines:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            closes = b"close" in value.lower()
    if status in NO_BODY_STATUSES or 100 <= status < 200:
        return status, closes
    if chunked:
        await _read_chunked(reader)
    elif length is not None:
        if length > MAX_BODY_BYTES:
            raise ProtocolError(f"body of {length} bytes is too large")
        await reader.readexactly(length)
    else:
        await reader.read(MAX_BODY_BYTES)  # the body runs until the server closes
        closes = True
    return status, closes


async def _connection(port: int, request: bytes, window: _Window, tally: _Tally) -> None:
    """One client connection sending requests back to back until the window closes."""
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while time.perf_counter() < window.end:
            started = time.perf_counter()
            try:
                if reader is None or writer is None:
                    reader, writer = await asyncio.open_connection(LOOPBACK, port)
                writer.write(request)
                status, closes = await read_response(reader)
            except (OSError, EOFError, ValueError, asyncio.LimitOverrunError, ProtocolError):
                if started >= window.start:
                    tally.errors += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.01)
                continue
            finished = time.perf_counter()
            if started >= window.start and finished <= window.end:
                tally.latencies.append(finished - started)
                if not 200 <= status < 300:
                    tally.non_2xx += 1
            if closes and writer is not None:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def measure(
    port: int,
    path: str,
    connections: int,
    duration: float,
    warmup: float,
    server_cpu_seconds: Callable[[], float] | None = None,
) -> LoadResult:
    """Load `path` on the loopback `port`; only requests both started and finished count.

    `server_cpu_seconds`, when given, reads the server's CPU time so its load can be reported.
    """
    if not 1 <= connections <= MAX_CONNECTIONS:
        raise ValueError(f"connections must be between 1 and {MAX_CONNECTIONS}")
    if not 0 < duration <= MAX_DURATION_S:
        raise ValueError(f"duration must be more than 0 and at most {MAX_DURATION_S:.0f} s")
    if not 0 <= warmup <= MAX_WARMUP_S:
        raise ValueError(f"warm-up must be between 0 and {MAX_WARMUP_S:.0f} s")
    request = _request_bytes(port, path)
    now = time.perf_counter()
    window = _Window(start=now + warmup, end=now + warmup + duration)
    tally = _Tally()
    tasks = [
        asyncio.create_task(_connection(port, request, window, tally)) for _ in range(connections)
    ]
    await asyncio.sleep(max(0.0, window.start - time.perf_counter()))
    read_server_cpu = server_cpu_seconds or (lambda: math.nan)
    server_cpu_start = read_server_cpu()
    cpu_start = time.process_time()
    await asyncio.sleep(max(0.0, window.end - time.perf_counter()))
    cpu_used = time.process_time() - cpu_start
    server_cpu_used = read_server_cpu() - server_cpu_start

    done, pending = await asyncio.wait(tasks, timeout=GRACE_S)
    tally.errors += len(pending)  # each of these is stuck waiting for a response
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()  # a bug in the client must not pass for a measurement

    latencies = sorted(tally.latencies)
    return LoadResult(
        requests=len(latencies),
        errors=tally.errors,
        non_2xx=tally.non_2xx,
        seconds=duration,
        rps=len(latencies) / duration,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        client_cpu=cpu_used / duration,
        server_cpu=server_cpu_used / duration,
    )


def run_load(
    port: int,
    path: str = "/",
    *,
    connections: int = 32,
    duration: float = 5.0,
    warmup: float = 1.0,
    server_cpu_seconds: Callable[[], float] | None = None,
) -> LoadResult:
    """Run `measure` on its own uvloop event loop and return the result."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(measure(port, path, connections, duration, warmup, server_cpu_seconds))
