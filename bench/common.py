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


def machine_line(info: dict[str, Any], load: dict[str, Any] | None = None) -> str:
    """The "Machine: ..." line under a benchmark's title (with the load average at start / end when given)."""
    line = f"Machine: {info['cpu']}, {info['cores']} cores, {info['mem_gib']} GiB, Python {info['python']}"
    return line + (f"; load average at start / end {load['start']} / {load['end']}" if load else "")


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


class ServeProcess:
    """A `python -m <module> serve ...` child: it prints one JSON line once it listens, serves until its stdin is
    closed, then prints its figures as its last JSON line. Subclasses name the module and its arguments."""

    module = ""
    what = "the process"  # for the error when it does not start
    finish_timeout = 30.0  # seconds finish() waits for the last line
    exit_timeout = 10.0  # the same on leaving the `with` block

    def __init__(self, args: list[str], name: str):
        self.args, self.name = args, name
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.final: dict[str, Any] = {}

    def started(self, info: dict[str, Any]) -> None:
        """The first line it printed."""
        self.url = info["url"]

    def __enter__(self):
        self.log = log_file(self.name)
        self._err = open(self.log, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", self.module, *self.args], cwd=REPO,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise RuntimeError(f"{self.what} did not start; see {self.log}")
        self.started(json.loads(line))
        return self

    def finish(self, timeout: float | None = None) -> dict[str, Any]:
        """Stop serving; what it printed last."""
        if self.proc is None or self.final:
            return self.final
        # Closes its stdin first: the child stops.
        out, _ = self.proc.communicate(timeout=timeout if timeout is not None else self.finish_timeout)
        self.final = last_json_line(out) or {}
        return self.final

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.finish(timeout=self.exit_timeout)
            except Exception:
                self.proc.kill()  # our own child, by its handle
                self.proc.wait()
        self._err.close()


class SandboxProcess(ServeProcess):
    """The four sandbox marketplaces in their own process (so a reader's RSS and CPU are its own)."""

    module = "bench.common"
    what = "the sandbox process"

    def __init__(self, *, catalog_size: int, speed: float, start: float, enforce: bool = True, name: str = "sandbox"):
        args = ["serve", "--catalog-size", str(catalog_size), "--speed", repr(speed), "--start", repr(start)]
        super().__init__(args + (["--enforce"] if enforce else []), name)
        self.env: dict[str, str] = {}

    def started(self, info: dict[str, Any]) -> None:
        self.env, self.url = info["env"], info["url"]

    def calls(self) -> Counter[tuple[str, str, str]]:
        return Counter({(m, method, path): n for m, method, path, n in self.finish().get("calls", [])})


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
