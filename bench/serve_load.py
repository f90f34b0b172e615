"""Load on the HTTP API: 50 concurrent ``POST /api/edit`` requests against a real server.

Starts ``retouch serve`` (uvicorn) as a subprocess on a free loopback port with a
temporary data directory, sends the edits with bounded concurrency (httpx,
async), and checks every one: status 200, a plan, its own fetchable output
image (each upload differs by one pixel, so each output is a distinct file),
and its own session with two history entries. Prints throughput and latency
percentiles (after one untimed warm-up edit), next to the same edits run
in-process with ``retouch.edit``.

Run: ``.venv/bin/python bench/serve_load.py [--requests 50] [--concurrency 8]``
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image
from skimage import data

INSTRUCTION = "make it brighter and a bit warmer"
SIDE = 256
DEADLINE_S = 300


def photo(index: int) -> bytes:
    """A small JPEG of the astronaut, made unique by one pixel so no two uploads share a hash."""
    array = np.asarray(Image.fromarray(data.astronaut()).resize((SIDE, SIDE))).copy()
    array[:8, :8] = (index * 5 % 256, index * 11 % 256, index * 17 % 256)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, data_dir: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "retouch.cli", "serve", "--port", str(port), "--data", str(data_dir)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited: {server.stderr.read()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/ops", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("server did not answer within 60 s")


async def one_edit(client: httpx.AsyncClient, gate: asyncio.Semaphore, index: int) -> dict:
    """Send one edit and check everything about its answer; returns its latency and ids."""
    payload = photo(index)
    async with gate:
        started = time.perf_counter()
        reply = await client.post(
            "/api/edit",
            files={"image": (f"photo{index}.jpg", payload, "image/jpeg")},
            data={"instruction": INSTRUCTION},
        )
        latency = time.perf_counter() - started
    problems = []
    if reply.status_code != 200:
        return {"index": index, "latency": latency, "problems": [f"status {reply.status_code}: {reply.text}"]}
    body = reply.json()
    ops = [step["op"] for step in body["plan"]["steps"]]
    if "brightness" not in ops:
        problems.append(f"unexpected plan {ops}")
    image = await client.get(body["image_url"])
    if image.status_code != 200:
        problems.append(f"image fetch status {image.status_code}")
    else:
        edited = np.asarray(Image.open(io.BytesIO(image.content)))
        source = np.asarray(Image.open(io.BytesIO(payload)))
        if edited.shape != source.shape or edited.mean() <= source.mean():
            problems.append("output is not the brightened input")
    history = (await client.get(f"/api/history/{body['session']}")).json()
    if len(history.get("entries", [])) != 2 or history.get("current_image") != body["image_id"]:
        problems.append("history does not hold the edit")
    return {
        "index": index,
        "latency": latency,
        "problems": problems,
        "image": body["image_id"],
        "session": body["session"],
    }


async def load(port: int, requests: int, concurrency: int) -> tuple[list[dict], float]:
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency + 4)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120, limits=limits) as client:
        warm_up = await one_edit(client, gate, requests)  # untimed: the server loads its models
        if warm_up["problems"]:
            raise RuntimeError(f"warm-up edit failed: {warm_up['problems']}")
        started = time.perf_counter()
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(one_edit(client, gate, i) for i in range(requests))), DEADLINE_S
        )
        return outcomes, time.perf_counter() - started


def in_process_per_edit(repeats: int = 5) -> float:
    """Median seconds of the same edit through the Python API, no HTTP (after a warm-up)."""
    import retouch

    retouch.edit(photo(0), INSTRUCTION)
    times = []
    for i in range(repeats):
        started = time.perf_counter()
        retouch.edit(photo(i), INSTRUCTION)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="retouch-load-") as folder:
        server = start_server(port, Path(folder))
        try:
            outcomes, wall = asyncio.run(load(port, args.requests, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=30)
    single = in_process_per_edit()

    latencies = sorted(o["latency"] for o in outcomes)
    failed = [o for o in outcomes if o["problems"]]
    images = {o.get("image") for o in outcomes if not o["problems"]}
    sessions = {o.get("session") for o in outcomes if not o["problems"]}
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, int(np.ceil(0.95 * len(latencies))) - 1)]
    throughput = len(outcomes) / wall
    print(f"retouch serve: {args.requests} x POST /api/edit ({SIDE}x{SIDE} JPEG, {INSTRUCTION!r})")
    cpus = os.cpu_count() or 1
    print(f"  concurrency {args.concurrency}, server workers {min(4, cpus)}, cpus {cpus}")
    print(f"  {'wall time':<28} {wall:8.2f} s")
    print(f"  {'throughput':<28} {throughput:8.2f} edits/s")
    print(f"  {'latency p50 / p95 / max':<28} {p50:8.3f} / {p95:.3f} / {latencies[-1]:.3f} s")
    print(f"  {'in-process retouch.edit':<28} {single:8.3f} s per edit (median of 5)")
    print(f"  {'HTTP vs in-process':<28} {1 / throughput / single:8.2f}x time per edit (serial equivalent)")
    for outcome in failed[:5]:
        print(f"  request {outcome['index']}: {'; '.join(outcome['problems'])}")
    targets = [
        (f"all {args.requests} complete correctly (200, plan, image, history)", not failed),
        ("none lost (distinct outputs and sessions)", len(images) == len(sessions) == args.requests),
        (f"bounded time (< {DEADLINE_S} s)", wall < DEADLINE_S),
    ]
    for name, ok in targets:
        print(f"  {name:<60} {'met' if ok else 'NOT MET'}")
    return 0 if all(ok for _, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
