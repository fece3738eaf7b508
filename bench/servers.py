"""The servers under test: uvicorn subprocesses on free loopback ports, plus what the app needs.

Every helper is a context manager, so servers and the embedded Redis are stopped on the way out
whether the benchmark finished, failed or was interrupted.
"""

from __future__ import annotations

import http.client
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.dev.stack import run_migrations as migrate

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


class ServerError(RuntimeError):
    """A server or a setup step did not come up; the message carries its output."""


@dataclass(frozen=True)
class RunningServer:
    port: int
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far; NaN off Linux."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return math.nan
        fields = stat.rsplit(")", 1)[1].split()  # the command name may contain spaces
        user_ticks, system_ticks = int(fields[11]), int(fields[12])
        return (user_ticks + system_ticks) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def app_environment(database_url: str, redis_url: str) -> dict[str, str]:
    """The current environment, pointed at the given database and Redis."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        ENVIRONMENT="development",
        REDIS_URL=redis_url,
        REDIS_PREFIX="ponctuel-bench",
        PICCOLO_CONF="app.piccolo_conf",
    )
    return env


def run_migrations(env: Mapping[str, str]) -> None:
    """Bring the database named by env's DATABASE_URL up to date, as `make migrate` would."""
    try:
        migrate(env)
    except (OSError, RuntimeError) as error:
        raise ServerError(str(error)) from error


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _answers(port: int, path: str) -> bool:
    """True once the server returns any HTTP response (its status is judged by the load run)."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        connection.request("GET", path)
        connection.getresponse().read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    return True


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def uvicorn_server(
    app: str,
    *,
    factory: bool,
    env: Mapping[str, str],
    log_path: Path,
    ready_path: str = "/",
) -> Iterator[RunningServer]:
    """Serve `app` ("module:attribute") with one uvicorn worker; yield it once it answers.

    The server's output goes to `log_path`, whose tail is shown if the server fails to start.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if factory:
        command.append("--factory")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=dict(env), stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    try:
        deadline = time.perf_counter() + STARTUP_TIMEOUT_S
        while not _answers(port, ready_path):
            if process.poll() is not None:
                raise ServerError(
                    f"{app} exited with status {process.returncode} while starting:\n"
                    f"{_tail(log_path)}"
                )
            if time.perf_counter() > deadline:
                raise ServerError(
                    f"{app} did not answer within {STARTUP_TIMEOUT_S:.0f} s:\n{_tail(log_path)}"
                )
            time.sleep(0.05)
        yield RunningServer(port=port, pid=process.pid)
    finally:
        _stop(process)
