"""What the benchmarks share: the sandbox in its own process, a shared sped-up clock, request counting,
peak RSS, the machine's description, tables and the closing JSON line.

The sandbox process: `python -m bench.common serve --catalog-size N --speed S --start T [--enforce]` prints
one JSON line `{"url", "env"}` when it listens, serves until its standard input is closed, then prints one
JSON line with the requests it answered (`calls`) and its own peak RSS. `SandboxProcess` drives it.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
THROTTLE_STATUSES = frozenset({420, 429})  # Yandex 420 Enhance Your Calm; 429 everywhere else


# ------------------------------------------------------------------------------------------ measuring
def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average() -> float | None:
    """The 1-minute load average: other work on the machine (two cores) skews timings; benchmarks record it."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu": model or platform.processor(), "cores": os.cpu_count(), "mem_gib": mem_gib,
            "python": platform.python_version(), "os": f"{platform.system()} {platform.release()}"}


def shared_clock(speed: float, start: float | None = None):
    """A connectors.http.ScaledClock whose origin is `start` (unix seconds), so two processes that make one
    with the same (speed, start) tell the same marketplace time. Give the same object to the clients and to
    the sandbox (SandboxState(clock=clock.now)) inside one process."""
    from connectors.clock import ScaledClock

    clock = ScaledClock(speed)
    if start is not None:
        clock._start = start  # the one private detail used here: a common origin across processes
    return clock


class CountingTransport(httpx.AsyncBaseTransport):
    """An httpx transport that counts replies by (method, path, status) on their way back to the client, and
    (with `timeline=True`) keeps (method, path, status, sent, answered) per request, perf_counter seconds."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None, *, timeline: bool = False):
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.replies: Counter[tuple[str, str, int]] = Counter()
        self.timeline: list[tuple[str, str, int, float, float]] | None = [] if timeline else None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        self.replies[(request.method, request.url.path, response.status_code)] += 1
        if self.timeline is not None:
            self.timeline.append((request.method, request.url.path, response.status_code, sent, time.perf_counter()))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def throttled(self) -> int:
        return sum(n for (_, _, status), n in self.replies.items() if status in THROTTLE_STATUSES)

    def errors(self) -> int:
        return sum(n for (_, _, status), n in self.replies.items()
                   if status >= 400 and status not in THROTTLE_STATUSES)


# ------------------------------------------------------------------------------------------- printing
def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "-" if value is None else str(value)


def emit(result: dict[str, Any]) -> None:
    """The closing line: one JSON object."""
    sys.stdout.flush()
    print(json.dumps(result, ensure_ascii=False, separators=(",", ":")), flush=True)


def last_json_line(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


# ------------------------------------------------------------------------------------------ processes
def log_file(name: str) -> Path:
    directory = Path(tempfile.gettempdir()) / "scx-bench"
    directory.mkdir(exist_ok=True)
    return directory / f"{name}-{os.getpid()}.log"


def run_worker(module: str, args: Sequence[str], *, timeout: float, name: str) -> dict[str, Any]:
    """Run `python -m <module> <args>` from the repo root; its last stdout line parsed as JSON.
    On a timeout the worker (our own child, by its pid) is killed and {"timeout": True} is returned."""
    log = log_file(name)
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=REPO, stdout=subprocess.PIPE,
                                stderr=err, text=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return {"timeout": True, "log": str(log)}
    result = last_json_line(out)
    if proc.returncode != 0 or result is None:
        return {"failed": True, "returncode": proc.returncode, "log": str(log),
                "tail": Path(log).read_text()[-2000:]}
    return result


class SandboxProcess:
    """The four sandbox marketplaces in their own process (so a reader's RSS and CPU are its own)."""

    def __init__(self, *, catalog_size: int, speed: float, start: float, enforce: bool = True, name: str = "sandbox"):
        self.args = ["serve", "--catalog-size", str(catalog_size), "--speed", repr(speed), "--start", repr(start)]
        if enforce:
            self.args.append("--enforce")
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.env: dict[str, str] = {}
        self.url = ""
        self.final: dict[str, Any] = {}

    def __enter__(self) -> SandboxProcess:
        self.log = log_file(self.name)
        self._err = open(self.log, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.common", *self.args], cwd=REPO,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise RuntimeError(f"the sandbox process did not start; see {self.log}")
        info = json.loads(line)
        self.env, self.url = info["env"], info["url"]
        return self

    def finish(self, timeout: float = 30.0) -> dict[str, Any]:
        """Stop serving; the sandbox's request counts and its peak RSS."""
        if self.proc is None or self.final:
            return self.final
        out, _ = self.proc.communicate(timeout=timeout)  # closes its stdin first: the sandbox stops
        self.final = last_json_line(out) or {}
        return self.final

    def calls(self) -> Counter[tuple[str, str, str]]:
        return Counter({(m, method, path): n for m, method, path, n in self.finish().get("calls", [])})

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.finish(timeout=10)
            except Exception:
                self.proc.kill()
                self.proc.wait()
        self._err.close()


async def _serve(args: argparse.Namespace) -> None:
    from sandbox.marketplaces import MarketplaceSandbox, SandboxState

    clock = shared_clock(args.speed, args.start)
    state = SandboxState(catalog_size=args.catalog_size, enforce_rate_limits=args.enforce, clock=clock.now)
    state.orders.clock = clock.now
    sandbox = MarketplaceSandbox(state=state)
    await sandbox.start()
    print(json.dumps({"url": sandbox.url, "env": sandbox.env()}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes it
    calls = [[m, method, path, n] for (m, method, path), n in sorted(sandbox.calls.items())]
    await sandbox.stop()
    print(json.dumps({"calls": calls, "peak_rss_mb": round(peak_rss_mb(), 1), "cpu_s": round(cpu_seconds(), 2)}),
          flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.common")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the sandbox marketplaces until stdin is closed")
    serve.add_argument("--catalog-size", type=int, required=True)
    serve.add_argument("--speed", type=float, default=1.0)
    serve.add_argument("--start", type=float, default=time.time())
    serve.add_argument("--enforce", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "serve":
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
