"""`make run`: the whole local stack in one command, stopped with Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType

from app.demo import DEMO_EMAIL, DEMO_PASSWORD
from app.dev.stack import local_stack
from app.settings import ROOT

WEB_PORT = int(os.environ.get("PORT", "8000"))
SMTP_PORT = int(os.environ.get("SMTP_PORT", "8025"))
OIDC_PORT = int(os.environ.get("OIDC_SANDBOX_PORT", "8090"))


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _health(base_url: str) -> dict[str, object]:
    try:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=3) as response:  # noqa: S310
            return dict(json.load(response))
    except OSError as error:
        body = getattr(error, "read", None)
        return dict(json.loads(body())) if callable(body) else {"ok": False}


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    var_dir = ROOT / "var"
    print("Démarrage de Ponctuel : Redis, boîte d'envoi SMTP, fournisseur OIDC local, worker, web…")
    try:
        with local_stack(
            base_env=os.environ,
            var_dir=var_dir,
            web_port=WEB_PORT,
            smtp_port=SMTP_PORT,
            oidc_port=OIDC_PORT,
            seed_demo=True,
            log_dir=var_dir / "log",
        ) as stack:
            deadline = time.monotonic() + 20
            health = _health(stack.base_url)
            while not health.get("ok") and time.monotonic() < deadline:
                time.sleep(0.5)
                health = _health(stack.base_url)
            print(
                f"""
  Ponctuel tourne sur      {stack.base_url}
  Compte créancier démo    {DEMO_EMAIL} / {DEMO_PASSWORD}
  Boîte d'envoi (e-mails)  {stack.base_url}/dev/outbox
  Santé                    {stack.base_url}/healthz  ({"OK" if health.get("ok") else health})
  Journaux                 {Path(var_dir / "log").relative_to(ROOT)}/web.log, worker.log

  Ctrl-C pour tout arrêter.
""",
                flush=True,
            )
            while True:
                time.sleep(1)
    except KeyboardInterrupt:
        print("\nArrêt de Ponctuel.")
        return 0
    except RuntimeError as error:
        print(f"Ponctuel n'a pas pu démarrer : {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
