#!/usr/bin/env python3
"""Foundation benchmarks (issue 2): binary size, bundle size, start-up, idle RSS and CPU,
/healthz and server-render latency. Prints a Markdown table for BENCHMARKS.md.

Usage: benches/foundation.py [--binary target/release/cocolu] [--seconds 10]

It runs the real binary from an empty temporary folder, drives it with wrk on loopback, and
measures Python's own http.server the same way as a baseline in the same run. Every loop is
bounded; only 127.0.0.1 is contacted.
"""

import argparse
import http.client
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), body


def wait_for_200(port, path, deadline):
    while time.monotonic() < deadline:
        try:
            status, _, _ = get(port, path)
            if status == 200:
                return True
        except OSError:
            time.sleep(0.0005)
    return False


# On a machine with two or more cores the server runs on core 0 and wrk on core 1, so that the
# load generator does not take the server's CPU; with one core both share it.
PIN = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


def pinned(core, command):
    return ["taskset", "-c", str(core)] + command if PIN else command


def start_cocolu(binary, workdir, port, pin=False):
    env = dict(os.environ, COCOLU_ADDR=f"127.0.0.1:{port}", RUST_LOG="warn")
    command = pinned(0, [binary]) if pin else [binary]
    return subprocess.Popen(command, cwd=workdir, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_python_server(workdir, port, pin=False):
    with open(os.path.join(workdir, "healthz"), "w") as f:
        f.write('{"status":"ok"}')
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    return subprocess.Popen(pinned(0, command) if pin else command,
                            cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def startup_ms(start, rounds=10):
    times = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as workdir:
            port = free_port()
            t0 = time.monotonic()
            proc = start(workdir, port)
            ok = wait_for_200(port, "/healthz", t0 + 10)
            elapsed = (time.monotonic() - t0) * 1000
            proc.terminate()
            proc.wait(timeout=10)
            if not ok:
                raise SystemExit("server did not answer within 10 s")
            times.append(elapsed)
    return statistics.median(times)


def wrk(port, path, connections, seconds):
    threads = 1 if PIN else min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
               f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(
        pinned(1, command),
        capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    def percentile(label):
        found = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return percentile(50), percentile(99), float(rps.group(1))


def idle(pid, seconds):
    before = cpu_ticks(pid)
    time.sleep(seconds)
    return cpu_ticks(pid) - before


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/cocolu")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--idle-seconds", type=int, default=30)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    rows = []
    size = os.path.getsize(binary)
    rows.append(("release binary, stripped, assets included", f"{size / 1e6:.2f} MB", "≤ 10 MB", ""))

    with tempfile.TemporaryDirectory() as workdir:
        port = free_port()
        proc = start_cocolu(binary, workdir, port, pin=True)
        wait_for_200(port, "/healthz", time.monotonic() + 10)
        time.sleep(2)
        cocolu_rss = rss_kib(proc.pid)
        # A fresh install serves the set-up page (every other page redirects to it).
        _, _, page = get(port, "/setup")
        html = page.decode()
        links = re.findall(r'(?:href|src)="(/pkg/[^"]+\.(?:js|wasm))"', html)
        bundle = 0
        for link in set(links):
            _, headers, body = get(port, link, {"Accept-Encoding": "br"})
            bundle += len(body)
        idle_ticks = idle(proc.pid, args.idle_seconds)
        health_p50, health_p99, health_rps = wrk(port, "/healthz", 64, args.seconds)
        _, render_p99_1, render_rps = wrk(port, "/", 1, args.seconds)
        _, render_p99_64, _ = wrk(port, "/", 64, args.seconds)
        loaded_rss = rss_kib(proc.pid)
        proc.terminate()
        proc.wait(timeout=15)

    with tempfile.TemporaryDirectory() as workdir:
        port = free_port()
        base = start_python_server(workdir, port, pin=True)
        wait_for_200(port, "/healthz", time.monotonic() + 10)
        time.sleep(2)
        base_rss = rss_kib(base.pid)
        base_p50, base_p99, base_rps = wrk(port, "/healthz", 64, args.seconds)
        base.terminate()
        base.wait(timeout=15)

    cocolu_start = startup_ms(lambda d, p: start_cocolu(binary, d, p))
    base_start = startup_ms(start_python_server)

    rows += [
        ("code every page loads (glue, split loader, boot, main module; brotli)",
         f"{bundle / 1000:.1f} KB", "—",
         "each page's own files: `cargo bench --bench dashboard`"),
        ("RSS after start, idle", f"{cocolu_rss / 1024:.1f} MB", "≤ 15 MB",
         f"python3 http.server: {base_rss / 1024:.1f} MB"),
        ("start to first 200 on /healthz (median of 10)", f"{cocolu_start:.1f} ms", "≤ 100 ms",
         f"python3 http.server: {base_start:.1f} ms"),
        ("/healthz p99 at 64 connections", f"{health_p99:.2f} ms (p50 {health_p50:.2f} ms, {health_rps:,.0f} req/s)",
         "≤ 1 ms", f"python3 http.server: {base_p99:.2f} ms (p50 {base_p50:.2f} ms, {base_rps:,.0f} req/s)"),
        ("server render of / p99, 1 connection", f"{render_p99_1:.2f} ms ({render_rps:,.0f} pages/s)", "≤ 5 ms", ""),
        ("server render of / p99, 64 connections", f"{render_p99_64:.2f} ms", "", ""),
        (f"idle CPU over {args.idle_seconds} s", f"{idle_ticks} ticks ({idle_ticks * 10} ms)",
         "no timer faster than 1/s", ""),
        ("RSS after the load above", f"{loaded_rss / 1024:.1f} MB", "", ""),
    ]

    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.system()} {platform.release()}; {time.strftime('%Y-%m-%d')}; "
          + ("server pinned to core 0, wrk to core 1" if PIN else "server and wrk share the cores"))
    print()
    print("| figure | measured | target | baseline, same run |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
