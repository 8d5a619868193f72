"""Benchmark: what the key service costs beside the keys used in-process.

Starts ``cyberhub secrets serve`` as a process of its own on a Unix socket, then times
the same operations through :mod:`cyberhub.keyring` with the keys in-process and through
the service:

- ``sign + verify`` one CSRF-sized message (what every form post costs);
- ``digests`` of N deconfliction values in one call (a check or a partner's index);
- ``open`` a sealed value (a second-factor seed at sign-in, a victim's name per row);

beside a baseline measured in the same run: ``hmac.digest`` on the raw key, in a loop.

    .venv/bin/python bench/bench_keyring.py [--values 100000] [--rounds 2000]
"""

from __future__ import annotations

import argparse
import hmac
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cyberhub import keyring
from cyberhub.config import Settings, set_settings
from cyberhub.deconfliction import keys

console = Console()
KEY = "bench-secret-key-" * 4


def _rate(work: Callable[[], object], count: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return count / best


def _measure(values: int, rounds: int) -> dict[str, float]:
    pairs = [("ipv4", f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}") for i in range(values)]
    message = b"csrf:session:" + b"x" * 43
    sealed = keyring.encrypt("JBSWY3DPEHPK3PXP")

    def sign_verify() -> None:
        for _ in range(rounds):
            keyring.verify("secret", message, keyring.sign("secret", message))

    def opened() -> None:
        for _ in range(rounds):
            keyring.decrypt(sealed)

    key = keys.hub_key()
    return {"sign + verify": _rate(sign_verify, rounds),
            "digests": _rate(lambda: keys.digests(key, pairs), values),
            "open": _rate(opened, rounds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--values", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-keys-", dir="/tmp") as tmp:
        root = Path(tmp)
        common = {"secret_key": KEY, "deconfliction_key": KEY, "password_pepper": KEY}
        set_settings(Settings(var_dir=root / "app", **common))
        in_process = _measure(args.values, args.rounds)

        sock = root / "keys.sock"
        env = {**os.environ, "CYBERHUB_VAR_DIR": str(root / "service"),
               "CYBERHUB_SECRET_KEY": KEY, "CYBERHUB_DECONFLICTION_KEY": KEY,
               "CYBERHUB_PASSWORD_PEPPER": KEY}
        env.pop("CYBERHUB_KEY_SERVICE", None)
        service = subprocess.Popen([sys.executable, "-m", "cyberhub", "secrets", "serve",
                                    "--socket", str(sock)], env=env,
                                   stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not sock.exists():
                if service.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the key service did not start")
                time.sleep(0.05)
            set_settings(Settings(var_dir=root / "app2", key_service=str(sock)))
            through_service = _measure(args.values, args.rounds)
        finally:
            service.terminate()
            service.wait(timeout=30)

    raw_key = KEY.encode()
    baseline = _rate(lambda: [hmac.digest(raw_key, f"ipv4\x00{v}".encode(), "sha256")
                              for _k, v in [("ipv4", str(i)) for i in range(args.values)]],
                     args.values)

    table = Table(title=f"keyring: in-process and through the key service "
                        f"({args.values:,} digests, {args.rounds:,} rounds)")
    table.add_column("operation")
    table.add_column("in-process, per s", justify="right")
    table.add_column("key service, per s", justify="right")
    table.add_column("key service, µs each", justify="right")
    for name in in_process:
        table.add_row(name, f"{in_process[name]:,.0f}", f"{through_service[name]:,.0f}",
                      f"{1e6 / through_service[name]:,.1f}")
    table.add_row("baseline: hmac.digest on the raw key", f"{baseline:,.0f}", "", "")
    console.print(table)


if __name__ == "__main__":
    main()
