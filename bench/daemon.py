"""The daemon at rest and at its fire times: start-up time, RSS and idle CPU of
`driftwatch serve` with N schedules, and the fire-time jitter of the live executions.

    python3 bench/daemon.py DRIFTWATCH_BINARY N [N ...]

Each run writes N schedules (90 % hourly, 10 % every 5 minutes, all on empty local data so
executions end quickly as Failed) and starts `serve --lookback 0`. Start-up time is from
spawn to /readyz = 200; idle CPU is utime+stime over 60 s with no fire time inside; RSS is
VmRSS after that; jitter is started_at - scheduled_time of the executions of the next
5-minute fire, read from their records.
"""
import datetime as dt
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def rss_mb(pid, key="VmRSS"):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read()
    except Exception:
        return None, b""


def seconds_to_next_5m(now):
    return 300 - (now.minute % 5) * 60 - now.second - now.microsecond / 1e6


def run(binary, n):
    root = pathlib.Path(tempfile.mkdtemp(prefix=f"dw-daemon-{n}-"))
    (root / "analysis.json").write_text(json.dumps({
        "dataset_type": "text/csv", "headers": ["a", "sex", "label"], "label": "label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
    }))
    lines = ["schedules:"]
    for i in range(n):
        cadence = "{every: 5m}" if i % 10 == 0 else "hourly"
        lines += [f"  - name: s{i:04d}", "    type: model_bias", "    endpoint: ep",
                  f"    cadence: {cadence}", f"    data_capture: data/{i}", f"    ground_truth: truth/{i}",
                  "    output: out", "    analysis_config: analysis.json"]
    (root / "schedules.yaml").write_text("\n".join(lines) + "\n")
    # Keep clear of a 5-minute fire during start-up and the idle minute.
    if seconds_to_next_5m(dt.datetime.now(dt.timezone.utc)) < 80:
        time.sleep(seconds_to_next_5m(dt.datetime.now(dt.timezone.utc)) + 20)
    port = free_port()
    log = open(root / "serve.log", "w")
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "serve", "--config", str(root / "schedules.yaml"), "--listen",
                          f"127.0.0.1:{port}", "--lookback", "0", "--log-format", "json"],
                         stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, "DRIFTWATCH_LOG": "info"})
    while get(port, "/readyz")[0] != 200:
        if p.poll() is not None:
            sys.exit(f"serve exited: see {root / 'serve.log'}")
        time.sleep(0.01)
    startup = time.monotonic() - t0
    time.sleep(5)  # let the start-up catch-up (last 15 min) finish
    c0 = cpu_seconds(p.pid)
    time.sleep(60)
    idle = (cpu_seconds(p.pid) - c0) / 60 * 100
    rss = rss_mb(p.pid)
    # The next 5-minute fire: every tenth schedule runs.
    now = dt.datetime.now(dt.timezone.utc)
    wait = seconds_to_next_5m(now)
    fire = (now + dt.timedelta(seconds=wait)).replace(microsecond=0)
    time.sleep(wait + 15)
    p.terminate()
    p.wait(timeout=120)
    log.close()
    stamp = fire.strftime("%Y-%m-%dT%H:%M:%SZ")
    lags = []
    for line in open(root / "serve.log"):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        span = e.get("span") or {}
        if e.get("fields", {}).get("message") == "execution started" and span.get("scheduled_time") == stamp:
            at = dt.datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00"))
            lags.append((at - fire).total_seconds())
    lags.sort()
    return {"schedules": n, "startup_s": startup, "idle_cpu_pct": idle, "rss_mb": rss,
            "fires": len(lags),
            "jitter_first_s": lags[0] if lags else float("nan"),
            "jitter_median_s": lags[len(lags) // 2] if lags else float("nan"),
            "jitter_max_s": lags[-1] if lags else float("nan")}


def main():
    binary = sys.argv[1]
    print("| schedules | start-up to ready | RSS at rest | idle CPU (60 s) | live fires | jitter first / median / last start |")
    print("|---:|---:|---:|---:|---:|---|")
    for n in map(int, sys.argv[2:]):
        r = run(binary, n)
        print(f"| {n} | {r['startup_s'] * 1000:.0f} ms | {r['rss_mb']:.1f} MB | {r['idle_cpu_pct']:.3f} % | "
              f"{r['fires']} | {r['jitter_first_s']:.3f} / {r['jitter_median_s']:.3f} / {r['jitter_max_s']:.3f} s |",
              flush=True)


if __name__ == "__main__":
    main()
