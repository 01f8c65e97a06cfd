"""Benchmarks: warm call, cold start, memory, pure work, import and tokens, printed as a table.

    python benchmarks/run.py            # the full run (a few minutes)
    python benchmarks/run.py --quick    # a smoke run, as CI does
    python benchmarks/run.py --markdown docs/performance.md

Each client runs in its own fresh process against one canned loopback server,
interleaved over several rounds; figures are medians, compared as ratios
measured in the same run. The official `gr4vy` SDK is included when installed.

gr4vy_fn is measured as a deployment has it: the package is copied to a scratch
directory and byte-compiled there (`python -m compileall`), and every child
process imports it from that copy, with its `.pyc` files; the copy is removed at
the end, so no `.pyc` is left in the checkout.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CLIENTS = HERE / "clients.py"
ASYNC_CLIENTS = HERE / "async_clients.py"
SESSION_ID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"


def cart_items(count: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Item {n}",
            "quantity": 1 + n % 3,
            "unit_amount": 1000 + n,
            "discount_amount": 0,
            "tax_amount": 80,
            "external_identifier": f"item-{n}",
            "sku": f"sku-{n}",
            "product_url": f"https://example.com/items/{n}",
            "image_url": f"https://example.com/images/{n}.png",
            "categories": ["camera", "outdoor"],
            "product_type": "physical",
        }
        for n in range(count)
    ]


def session_body(items: int = 20) -> bytes:
    session = {
        "type": "checkout-session",
        "id": SESSION_ID,
        "expires_at": "2026-11-26T19:04:05.123456Z",
        "cart_items": cart_items(items),
        "metadata": {"order": "1042", "channel": "web"},
        "payment_method": {
            "type": "payment-method",
            "id": "77a76f7e-d2de-4bbc-ada9-d6a0015e6bd5",
            "method": "card",
            "scheme": "visa",
            "label": "1111",
            "fingerprint": "a50b85c200ee0795d6fd33a5c66f37a4",
            "details": {
                "bin": "411111",
                "card_type": "credit",
                "card_country": "US",
                "card_issuer_name": None,
            },
        },
        "buyer": None,
        "airline": None,
        "amount": None,
        "currency": None,
        "payment_service_id": None,
    }
    return json.dumps(session).encode()


class CannedServer:
    def __init__(self, body: bytes, status: int = 200) -> None:
        self._file = tempfile.NamedTemporaryFile(suffix=".json", delete=False)  # noqa: SIM115
        self._file.write(body)
        self._file.close()
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "canned_server.py"), self._file.name, str(status)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{self.process.stdout.readline().strip()}"

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)
        os.unlink(self._file.name)


Env = dict[str, str]


@contextlib.contextmanager
def compiled_package() -> Iterator[tuple[Env, int]]:
    """Yield the environment of child processes that import a byte-compiled copy of gr4vy_fn,
    and how many of its modules `import gr4vy_fn` loads from `.pyc` files there.

    The package this interpreter would import is copied to a scratch directory
    and compiled there, as a deployment's zip should be; the copy goes first on
    PYTHONPATH. PYTHONDONTWRITEBYTECODE only stops writing `.pyc` files, never
    reading them, so the children use them; `compileall` writes them whatever it says.
    """
    spec = importlib.util.find_spec("gr4vy_fn")
    if spec is None or not spec.submodule_search_locations:
        msg = "gr4vy_fn is not installed"
        raise RuntimeError(msg)
    with tempfile.TemporaryDirectory(prefix="gr4vy_fn-compiled-") as scratch:
        target = Path(scratch) / "gr4vy_fn"
        shutil.copytree(
            spec.submodule_search_locations[0], target, ignore=shutil.ignore_patterns("__pycache__")
        )
        if not compileall.compile_dir(target, quiet=1):
            msg = f"compileall failed on {target}"
            raise RuntimeError(msg)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [scratch, os.environ.get("PYTHONPATH")])),
        }
        yield env, loaded_from_pyc(env, target)


def loaded_from_pyc(env: Env, package: Path) -> int:
    """Check that `import gr4vy_fn` in a child loads every module from `package`'s .pyc files.

    `python -v` names where each module's code object came from: a `.pyc`, or a
    source file it had to compile. Returns how many modules were loaded.
    """
    result = subprocess.run(
        [sys.executable, "-v", "-c", "import gr4vy_fn"],
        env=env,
        cwd=HERE,
        capture_output=True,
        text=True,
        check=True,
    )
    sources = re.findall(r"^# code object from '?(.+?gr4vy_fn.+?)'?$", result.stderr, re.MULTILINE)
    stray = [
        source for source in sources if not source.endswith(".pyc") or package not in Path(source).parents
    ]
    if not sources or stray:
        msg = f"gr4vy_fn was not imported from the compiled copy at {package}: {stray or 'no module seen'}"
        raise RuntimeError(msg)
    return len(sources)


def run_child(args: list[str], env: Env) -> tuple[float, int, str]:
    """Run a fresh Python process with `env`; return wall seconds, peak RSS (KiB) and its stdout."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        msg = f"{args} exited {process.returncode}"
        raise RuntimeError(msg)
    return elapsed, usage.ru_maxrss, out


def clients() -> list[str]:
    names = ["urllib3", "deps", "gr4vy_fn"]
    if importlib.util.find_spec("gr4vy") is not None:
        names.append("official")
    return names


Series = dict[str, list[float]]


def rounds_of(count: int, clients_measured: list[str]) -> Iterator[list[str]]:
    """The clients in a new order each round, so none is always measured right after another."""
    shuffler = random.Random(1042)
    for _ in range(count):
        names = list(clients_measured)
        shuffler.shuffle(names)
        yield names


def warm(url: str, rounds: int, calls: int, env: Env, names: list[str]) -> Series:
    """Per round, each client's median warm call in µs."""
    series: Series = {name: [] for name in names}
    for order in rounds_of(rounds, names):
        for name in order:
            _, _, out = run_child([str(CLIENTS), "warm", name, url, str(calls)], env)
            series[name].append(statistics.median(json.loads(out)) / 1000)
    return series


def threads(url: str, rounds: int, calls: int, env: Env) -> Series:
    """Per round, the calls per second of 8 threads sharing one client (gr4vy_fn: the default transport)."""
    names = ["urllib3", "gr4vy_fn"]
    series: Series = {name: [] for name in names}
    for order in rounds_of(rounds, names):
        for name in order:
            _, _, out = run_child([str(CLIENTS), "threads", name, url, str(calls)], env)
            series[name].append(json.loads(out)[0])
    return series


def cold(url: str, runs: int, env: Env) -> tuple[Series, Series]:
    """Per run, each client's cold start in ms and its peak RSS in MiB."""
    times: Series = {name: [] for name in clients()}
    memory: Series = {name: [] for name in clients()}
    for names in rounds_of(runs, clients()):
        for name in names:
            elapsed, rss, _ = run_child([str(CLIENTS), "cold", name, url], env)
            times[name].append(elapsed * 1000)
            memory[name].append(rss / 1024)
    return times, memory


def median(series: Series, name: str) -> float:
    return statistics.median(series[name])


def ratio(series: Series, name: str, floor: str) -> float:
    """The median over rounds of name / floor, each pair measured in the same round."""
    return statistics.median(a / b for a, b in zip(series[name], series[floor], strict=True))


def per_call(functions: dict[str, Callable[[], object]], budget: float) -> dict[str, float]:
    """Microseconds per call of each function: the best of 15 interleaved repeats.

    Interleaving puts every function under the same load, so their ratio holds
    on a busy machine even when the absolute figures move.
    """
    timers = {name: timeit.Timer(function) for name, function in functions.items()}
    numbers = {}
    for name, timer in timers.items():
        number, elapsed = timer.autorange()
        numbers[name] = max(1, int(number * budget / max(elapsed, 1e-9) / 15))
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(15):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(numbers[name]) / numbers[name] * 1e6)
    return best


def pure(budget: float) -> dict[str, float]:
    import gr4vy_fn as g
    from gr4vy_fn import operations

    items = cart_items(20)
    body = session_body(20)
    request = operations.get_checkout_session(SESSION_ID)
    response = g.HttpResponse(status=200, headers={"Content-Type": "application/json"}, body=body)

    def build() -> object:
        cart = [g.CartItem(**{**item, "product_type": g.ProductType.PHYSICAL}) for item in items]
        return operations.new_checkout_session(
            g.CheckoutSessionCreateRequest(cart_items=cart, metadata={"order": "1042"})
        )

    def dumps() -> object:
        return json.dumps({"cart_items": items, "metadata": {"order": "1042"}}).encode()

    session = g.decode(request, response)
    assert isinstance(session, g.CheckoutSession)
    return per_call(
        {
            "build": build,
            "dumps": dumps,
            "decode": lambda: g.decode(request, response),
            "loads": lambda: json.loads(body),
            "from_dict": lambda: g.from_dict(g.CheckoutSession, json.loads(body)),
            "to_json": lambda: g.to_json(session),
        },
        budget,
    )


def import_profile(env: Env) -> tuple[float, float, list[str]]:
    """`import gr4vy_fn` in fresh processes: median ms in our modules and in all; what was imported."""
    command = [sys.executable, "-X", "importtime", "-c", "import gr4vy_fn"]
    owns, everythings = [], []
    modules: list[str] = []
    for _ in range(9):  # one import is a few tens of ms: a median over several steadies it
        result = subprocess.run(command, capture_output=True, text=True, check=True, env=env, cwd=HERE)
        own = everything = 0.0
        modules = []
        for line in result.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
            if match:
                name = match.group(4)
                modules.append(name)
                if name.split(".")[0] == "gr4vy_fn":
                    own += int(match.group(1)) / 1000
                if name == "gr4vy_fn":
                    everything = int(match.group(2)) / 1000
        owns.append(own)
        everythings.append(everything)
    return statistics.median(owns), statistics.median(everythings), modules


def tokens(budget: float) -> dict[str, float] | None:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        from gr4vy_fn.auth import get_token, token_provider
    except ImportError:
        return None
    key = (
        ec.generate_private_key(ec.SECP521R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    provide = token_provider(key)
    return per_call({"fresh": lambda: get_token(key), "reused": provide}, budget)


def async_clients() -> list[str]:
    """The async clients that can run here: each bare client next to gr4vy_fn.aio over it."""
    names = []
    for library in ("aiohttp", "httpx"):
        if importlib.util.find_spec(library) is not None:
            names += [library, f"aio-{library}"]
    if importlib.util.find_spec("gr4vy") is not None:
        names.append("official-async")
    return names


def async_series(mode: str, url: str, rounds: int, count: int, scale: float, env: Env) -> Series:
    """Per round, each async client's median figure of `mode` (warm: µs a call; burst: calls/s)."""
    series: Series = {name: [] for name in async_clients()}
    for names in rounds_of(rounds, async_clients()):
        for name in names:
            _, _, out = run_child([str(ASYNC_CLIENTS), mode, name, url, str(count)], env)
            series[name].append(statistics.median(json.loads(out)) * scale)
    return series


def async_cold(url: str, runs: int, env: Env) -> Series:
    """Per run, each async client's cold start in ms: import, open, first call."""
    times: Series = {name: [] for name in async_clients()}
    for names in rounds_of(runs, async_clients()):
        for name in names:
            elapsed, _, _ = run_child([str(ASYNC_CLIENTS), "cold", name, url], env)
            times[name].append(elapsed * 1000)
    return times


def async_report(url: str, args: argparse.Namespace, env: Env) -> tuple[list[str], list[Target]]:
    """The async rows (gr4vy_fn.aio over each adapter next to the same client bare), and their targets."""
    names = async_clients()
    if not names:
        return [], []
    warm_us = async_series("warm", url, args.rounds, args.calls, 1 / 1000, env)
    burst = async_series("burst", url, args.rounds, args.bursts, 1.0, env)
    cold_ms = async_cold(url, args.cold_runs, env)
    rows = [
        ("sequential warm call, median (µs)", warm_us),
        ("100 calls in flight (calls/s)", burst),
        ("cold start: import + first call (ms)", cold_ms),
    ]
    pairs = [(f"aio-{library}", library) for library in ("aiohttp", "httpx") if library in names]
    lines = [
        "",
        "Async (gr4vy_fn.aio over each adapter, next to the same client used bare with json.loads; "
        "100 in flight is `asyncio.gather` of 100 calls):",
        "",
        "| async figure | " + " | ".join(names) + " | " + " | ".join(f"{a} ratio" for a, _ in pairs) + " |",
        "| --- | " + " | ".join("---:" for _ in names) + " | " + " | ".join("---:" for _ in pairs) + " |",
    ]
    for title, series in rows:
        cells = " | ".join(f"{median(series, name):.1f}" for name in names)
        ratios = " | ".join(f"{ratio(series, ours, bare):.2f}x {bare}" for ours, bare in pairs)
        lines.append(f"| {title} | {cells} | {ratios} |")
    targets: list[Target] = []
    if "aio-aiohttp" in names and "aiohttp" in names:
        targets = [
            (
                "async sequential warm get / bare aiohttp",
                1.20,
                ratio(warm_us, "aio-aiohttp", "aiohttp"),
                True,
            ),
            (
                "async, 100 in flight, throughput / bare aiohttp",
                0.85,
                ratio(burst, "aio-aiohttp", "aiohttp"),
                False,
            ),
        ]
    return lines, targets


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


# (figure, target, this run's ratio, True when the ratio must stay at or under the target)
Target = tuple[str, float, float, bool]


def targets_table(targets: list[Target]) -> list[str]:
    """The targets, this run's ratio for each, and whether it is met."""
    lines = ["| target | limit | this run | |", "| --- | ---: | ---: | --- |"]
    for figure, limit, measured, at_most in targets:
        met = measured <= limit if at_most else measured >= limit
        bound = "at most" if at_most else "at least"
        lines.append(f"| {figure} | {bound} {limit:.2f}x | {measured:.2f}x | {'met' if met else 'not met'} |")
    return lines


def report(args: argparse.Namespace) -> str:
    with compiled_package() as (env, compiled):
        server, small = CannedServer(session_body(20)), CannedServer(session_body(1))
        created = CannedServer(session_body(20), status=201)
        try:
            warm_us = warm(server.url, args.rounds, args.calls, env, clients())
            warm_small_us = warm(small.url, args.rounds, args.calls, env, clients())
            creates = warm(created.url, args.rounds, args.calls, env, ["urllib3-create", "gr4vy_fn-create"])
            threaded = threads(server.url, args.rounds, args.calls * 4, env)
            cold_ms, rss_mb = cold(server.url, args.cold_runs, env)
            async_lines, async_targets = async_report(server.url, args, env)
        finally:
            server.close()
            small.close()
            created.close()
        own_ms, import_ms, modules = import_profile(env)
    create_us = {"urllib3": creates["urllib3-create"], "gr4vy_fn": creates["gr4vy_fn-create"]}
    work = pure(args.budget)
    signing = tokens(args.budget)
    forbidden = sorted(
        {m for m in modules if m.split(".")[0] in {"jwt", "argparse", "cryptography"}}
        | {m for m in modules if m in {"http.server", "gr4vy_fn.testing", "gr4vy_fn._cli", "gr4vy_fn.auth"}}
    )
    rows = [
        ("warm call, 20-item session, median (µs)", warm_us, "urllib3"),
        ("warm call, 1-item session, median (µs)", warm_small_us, "urllib3"),
        ("20-item create (build, send, decode), median (µs)", create_us, "urllib3"),
        ("8 threads, 20-item session (calls/s)", threaded, "urllib3"),
        ("cold start, median (ms)", cold_ms, "deps"),
        ("peak RSS, cold start (MiB)", rss_mb, "deps"),
    ]
    names = clients()
    lines = [
        f"Machine: {machine()}.",
        f"Run: {args.rounds} warm rounds of {args.calls} calls and {args.cold_runs} cold starts "
        "per client, in a new order each round. Figures are medians over rounds; ratios are "
        "medians of the ratios measured within each round. gr4vy_fn is imported from a "
        f"byte-compiled copy of the package ({compiled} modules loaded from `.pyc` files), as a "
        "deployment has it.",
        "",
        "| figure | " + " | ".join(names) + " | gr4vy_fn ratio |",
        "| --- | " + " | ".join("---:" for _ in names) + " | ---: |",
    ]
    for title, series, floor in rows:
        cells = " | ".join(f"{median(series, name):.1f}" if name in series else "" for name in names)
        lines.append(f"| {title} | {cells} | {ratio(series, 'gr4vy_fn', floor):.2f}x {floor} |")
    empty = " |" * len(names)
    lines.append(
        f"| cold start vs bare urllib3 |{empty} {ratio(cold_ms, 'gr4vy_fn', 'urllib3'):.2f}x urllib3 |"
    )
    lines += [
        "",
        "The create's floor is `json.dumps` of the same cart, a urllib3 POST and `json.loads`; the "
        "threads share gr4vy_fn's default transport, or one urllib3 PoolManager.",
        "",
        *targets_table(
            [
                ("cold start / dependency floor", 1.10, ratio(cold_ms, "gr4vy_fn", "deps"), True),
                (
                    "warm get, 1-item session / bare urllib3",
                    1.10,
                    ratio(warm_small_us, "gr4vy_fn", "urllib3"),
                    True,
                ),
                (
                    "warm get, 20-item session / bare urllib3",
                    1.20,
                    ratio(warm_us, "gr4vy_fn", "urllib3"),
                    True,
                ),
                ("20-item create / bare POST", 1.35, ratio(create_us, "gr4vy_fn", "urllib3"), True),
                ("decode 20-item session / `json.loads`", 2.0, work["decode"] / work["loads"], True),
                ("8 threads, throughput / bare urllib3", 0.80, ratio(threaded, "gr4vy_fn", "urllib3"), False),
                *async_targets,
            ]
        ),
    ]
    if "official" in names:
        lines.append(
            f"\nThe official SDK: warm call {ratio(warm_us, 'official', 'urllib3'):.1f}x the urllib3 "
            f"floor, cold start {ratio(cold_ms, 'official', 'deps'):.2f}x the dependency floor "
            f"({ratio(cold_ms, 'official', 'gr4vy_fn'):.1f}x gr4vy_fn's)."
        )
    lines += async_lines
    lines += [
        "",
        "| pure work (20 cart items) | µs per call | multiple of json |",
        "| --- | ---: | ---: |",
        f"| build a create request (models, rules, JSON) | {work['build']:.1f} "
        f"| {work['build'] / work['dumps']:.1f}x json.dumps |",
        f"| json.dumps of the same data | {work['dumps']:.1f} | |",
        f"| decode a 200 session | {work['decode']:.1f} | {work['decode'] / work['loads']:.2f}x json.loads |",
        f"| json.loads of the same body | {work['loads']:.1f} | |",
        f"| `from_dict` of the same body (unknown keys refused) | {work['from_dict']:.1f} "
        f"| {work['from_dict'] / work['loads']:.2f}x json.loads |",
        f"| `to_json` of the decoded session | {work['to_json']:.1f} "
        f"| {work['to_json'] / work['loads']:.2f}x json.loads |",
        "",
        f"`import gr4vy_fn` (python -X importtime, median of 9): {own_ms:.1f} ms in gr4vy_fn's own modules, "
        f"{import_ms:.1f} ms with its dependencies; {len(modules)} modules; "
        "not imported: jwt, cryptography, argparse, http.server, the emulator"
        + (f" (FAILED: {', '.join(forbidden)})" if forbidden else "")
        + ".",
    ]
    if signing is not None:
        lines.append(
            f"\nTokens: a fresh ES512 signature {signing['fresh']:.0f} µs; a reused token from "
            f"token_provider {signing['reused']:.2f} µs ({signing['fresh'] / signing['reused']:.0f}x less)."
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: one round, few calls")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--cold-runs", type=int, default=21)
    parser.add_argument(
        "--bursts", type=int, default=30, help="rounds of 100 async calls in flight per client"
    )
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per pure-work figure")
    parser.add_argument("--markdown", help="also write the table into this Markdown file, between markers")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.calls, args.cold_runs, args.budget, args.bursts = 1, 100, 1, 0.05, 3
    table = report(args)
    print(table)
    if args.markdown:
        path = Path(args.markdown)
        text = path.read_text(encoding="utf-8")
        start, end = "<!-- benchmark:start -->", "<!-- benchmark:end -->"
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        path.write_text(f"{before}{start}\n{table}{end}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
