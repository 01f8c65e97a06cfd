"""Cold starts (and, with --warm, warm calls) counted in instructions under valgrind's callgrind.

    python benchmarks/instructions.py          # cold starts
    python benchmarks/instructions.py --warm   # and warm calls, per call (a few minutes more)

Each client's cold start (a fresh interpreter importing it and making its first
call, as `run.py` times it) runs once under `valgrind --tool=callgrind`
against the same canned loopback server, gr4vy_fn from the byte-compiled copy
`run.py` uses; printed: the instructions of each, and gr4vy_fn's over the
dependency floor's. With `--warm`, each warm call too, as 400 calls less 100
over 300, next to bare urllib3 with `json.loads`. Wall-clock figures on a
shared machine move with its load; these do not (within about 1%).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import run

CLIENTS = ["urllib3", "deps", "gr4vy_fn", "gr4vy_fn-create"]


def instructions(args: list[str], env: run.Env) -> int:
    """The instructions a fresh `python ARGS` runs, counted by callgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("valgrind is not installed")
    result = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, *args],
        env=env,
        cwd=run.HERE,  # not the checkout: `-c` imports from the working directory first
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Collected\s*:\s*(\d+)|refs:\s+([\d,]+)", result.stderr)
    if match is None:
        msg = f"no instruction count in callgrind's output: {result.stderr[-500:]}"
        raise RuntimeError(msg)
    return int((match.group(1) or match.group(2)).replace(",", ""))


def per_warm_call(name: str, url: str, env: run.Env) -> int:
    """The instructions one warm call of client `name` runs: 400 calls less 100, over 300."""
    many, few = (instructions([str(run.CLIENTS), "warm", name, url, str(calls)], env) for calls in (400, 100))
    return (many - few) // 300


def warm(env: run.Env) -> None:
    """Print each warm call's instructions next to the floor's (`--warm`)."""
    servers = {
        "1-item get": run.CannedServer(run.session_body(1)),
        "20-item get": run.CannedServer(run.session_body(20)),
        "20-item create": run.CannedServer(run.session_body(20), 201),
    }
    try:
        for figure, server in servers.items():
            suffix = "-create" if figure.endswith("create") else ""
            ours = per_warm_call(f"gr4vy_fn{suffix}", server.url, env)
            floor = per_warm_call(f"urllib3{suffix}", server.url, env)
            print(f"warm {figure}: {ours:,} instructions, floor {floor:,}: {ours / floor:.2f}x")
    finally:
        for server in servers.values():
            server.close()


def main() -> None:
    with run.compiled_package() as (env, compiled):
        if "--warm" in sys.argv[1:]:
            warm(env)
        get, created = run.CannedServer(run.session_body(20)), run.CannedServer(run.session_body(20), 201)
        try:
            counts = {
                name: instructions(
                    [str(run.CLIENTS), "cold", name, (created if name.endswith("create") else get).url], env
                )
                for name in CLIENTS
            }
            counts["import gr4vy_fn"] = instructions(["-c", "import gr4vy_fn"], env)
        finally:
            get.close()
            created.close()
    print(f"gr4vy_fn from a byte-compiled copy ({compiled} modules loaded from .pyc)")
    for name, count in counts.items():
        print(f"{name:>16}: {count:>13,} instructions")
    print(f"cold get over the dependency floor: {counts['gr4vy_fn'] / counts['deps']:.3f}x")
    print(f"cold create over the dependency floor: {counts['gr4vy_fn-create'] / counts['deps']:.3f}x")


if __name__ == "__main__":
    main()
