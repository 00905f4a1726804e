"""The fault-injection soak driven by scripts/soak (see there). Needs boto3 (moto's venv has it).

1. `driftwatch demo` writes a day of census traffic; capture and ground truth go to a bucket on
   moto, the configs and baselines stay local.
2. A fault proxy on 127.0.0.1 forwards the daemon's S3 requests to moto, one request per
   connection, and injects 503 SlowDown, 500 InternalError, connection resets and stalls.
3. The daemon (`serve --lookback 24h`) catches up the day; the soak kills it with -9 at random
   points and restarts it, `--restarts` times, then lets it finish (bounded by `--minutes`).
   Meanwhile, `--outages` times, the proxy turns into a storage outage for `--outage-seconds`:
   every request, reads and writes alike, gets 503 ServiceUnavailable, so executions can
   write neither their files nor their records.
4. Checks: every scheduled time of the look-back has one execution record, terminal, with a
   failure class when Failed; no scheduled time was executed to completion twice (from the
   daemons' logs: "execution finished" lines with a success status).
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import boto3

BUCKET = "driftwatch-soak"


class FaultProxy:
    """A one-request-per-connection HTTP proxy to `upstream` that injects faults."""

    def __init__(self, upstream, rng, rates):
        host, port = upstream.split("//", 1)[1].split(":")
        self.upstream = (host, int(port))
        self.rng = rng
        self.rates = rates
        self.counts = Counter()
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = False
        # Until when (time.monotonic()) every request is refused: a storage outage.
        self.outage_until = 0.0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def pick(self):
        with self.lock:
            r = self.rng.random()
            acc = 0.0
            for kind, rate in self.rates:
                acc += rate
                if r < acc:
                    self.counts[kind] += 1
                    return kind
            self.counts["forwarded"] += 1
            return "forward"

    @staticmethod
    def read_request(conn):
        conn.settimeout(30)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower()] = v.strip()
        if b"content-length" in headers:
            n = int(headers[b"content-length"])
            while len(body) < n:
                chunk = conn.recv(65536)
                if not chunk:
                    return None
                body += chunk
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            while not body.endswith(b"0\r\n\r\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    return None
                body += chunk
        kept = [l for l in lines[1:] if not l.lower().startswith(b"connection:")]
        return b"\r\n".join([lines[0]] + kept + [b"Connection: close"]) + b"\r\n\r\n" + body

    def error(self, conn, status, code):
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>injected by the soak</Message></Error>"
        ).encode()
        reason = {503: "Service Unavailable", 500: "Internal Server Error"}[status]
        conn.sendall(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
        )

    def handle(self, conn):
        try:
            request = self.read_request(conn)
            if request is None:
                return
            if time.monotonic() < self.outage_until:
                with self.lock:
                    self.counts["outage"] += 1
                self.error(conn, 503, "ServiceUnavailable")
                return
            kind = self.pick()
            if kind == "slowdown":
                self.error(conn, 503, "SlowDown")
            elif kind == "internal":
                self.error(conn, 500, "InternalError")
            elif kind == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            else:
                if kind == "stall":
                    time.sleep(self.rng.uniform(2, 6))
                up = socket.create_connection(self.upstream, timeout=60)
                up.sendall(request)
                while True:
                    chunk = up.recv(65536)
                    if not chunk:
                        break
                    conn.sendall(chunk)
                up.close()
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self.stopped = True
        self.sock.close()


def upload(s3, root, prefix):
    n = 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            path = os.path.join(dirpath, f)
            key = prefix + "/" + os.path.relpath(path, root)
            s3.upload_file(path, BUCKET, key)
            n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--moto", required=True)
    ap.add_argument("--restarts", type=int, default=10)
    ap.add_argument("--minutes", type=float, default=12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--outages", type=int, default=3,
                    help="storage outages: every S3 request refused for --outage-seconds")
    ap.add_argument("--outage-seconds", type=float, default=25.0)
    ap.add_argument("--faults", type=float, default=1.0,
                    help="scale of the fault rates (1: 8%% SlowDown, 4%% 500, 4%% resets, 2%% stalls)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    deadline = time.monotonic() + a.minutes * 60
    work = tempfile.mkdtemp(prefix="driftwatch-soak-")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_REGION="us-east-1", DRIFTWATCH_LOG="info")
    now = datetime.now(timezone.utc)
    end = now.replace(minute=0, second=0, microsecond=0)
    subprocess.run([a.binary, "demo", "--dir", f"{work}/demo", "--hours", "26", "--seed", str(a.seed),
                    "--end", end.strftime("%Y-%m-%dT%H:%M:%SZ")], check=True,
                   env=dict(env, DRIFTWATCH_LOG="error"), stdout=subprocess.DEVNULL)
    s3 = boto3.client("s3", endpoint_url=a.moto, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    run_prefix = f"run-{int(time.time())}-{a.seed}"
    objects = upload(s3, f"{work}/demo/capture", f"{run_prefix}/capture")
    objects += upload(s3, f"{work}/demo/ground-truth", f"{run_prefix}/ground-truth")
    for d in ("config", "baselines"):
        shutil.copytree(f"{work}/demo/{d}", f"{work}/{d}")
    config = f"{work}/schedules.yaml"
    with open(config, "w") as f:
        f.write(f"""schedules:
  - name: census-bias
    type: model_bias
    endpoint: census-xgb
    cadence: hourly
    data_capture: s3://{BUCKET}/{run_prefix}/capture
    ground_truth: s3://{BUCKET}/{run_prefix}/ground-truth
    output: s3://{BUCKET}/{run_prefix}/output
    analysis_config: config/census-bias-analysis.json
    baseline_constraints: baselines/bias/analysis.json
    probability_threshold_attribute: 0.5
    check: {{mode: significant}}
    max_runtime: 2m
""")
    rates = [("slowdown", 0.08), ("internal", 0.04), ("reset", 0.04), ("stall", 0.02)]
    proxy = FaultProxy(a.moto, rng, [(k, min(r * a.faults, 0.24)) for k, r in rates])
    denv = dict(env, AWS_ENDPOINT_URL_S3=proxy.url, RUST_BACKTRACE="0")
    logs = []

    def start():
        log = open(f"{work}/daemon-{len(logs)}.log", "w")
        logs.append(log.name)
        return subprocess.Popen(
            [a.binary, "serve", "--config", config, "--listen", "127.0.0.1:0", "--lookback", "24h",
             "--concurrency", "2", "--retry-after", "2s", "--max-attempts", "6", "--grace", "10s",
             "--log-format", "json"],
            env=denv, stdout=log, stderr=subprocess.STDOUT)

    expected = [end - timedelta(hours=h) for h in range(0, 24)]
    keys = {t: f"{run_prefix}/output/census-xgb/census-bias/{t:%Y/%m/%d/%H}/execution.json" for t in expected}

    def records():
        out = {}
        for t, k in keys.items():
            try:
                out[t] = json.loads(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read())
            except s3.exceptions.NoSuchKey:
                pass
        return out

    def outages():
        for _ in range(a.outages):
            time.sleep(rng.uniform(5.0, 40.0))
            if proxy.stopped:
                return
            proxy.outage_until = time.monotonic() + a.outage_seconds
            time.sleep(a.outage_seconds)

    threading.Thread(target=outages, daemon=True).start()
    daemon = start()
    kills = 0
    for _ in range(a.restarts):
        if time.monotonic() > deadline:
            break
        time.sleep(rng.uniform(1.0, 8.0))
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()
        kills += 1
        daemon = start()
    # Let it finish: every expected time terminal and nothing retryable left, or the deadline.
    while time.monotonic() < deadline:
        recs = records()
        done = len(recs) == len(expected) and all(
            r["status"] != "Failed" or r.get("failure_class") == "permanent" or r.get("attempt", 1) >= 6
            for r in recs.values())
        if done:
            break
        time.sleep(3)
    daemon.send_signal(signal.SIGTERM)
    try:
        daemon.wait(timeout=30)
    except subprocess.TimeoutExpired:
        daemon.kill()
    proxy.stop()

    recs = records()
    finished = defaultdict(list)
    started = Counter()
    for name in logs:
        for line in open(name):
            try:
                e = json.loads(line)
            except ValueError:
                continue
            fields = e.get("fields", {})
            span = e.get("span", {}) or {}
            t = span.get("scheduled_time")
            if fields.get("message") == "execution started" and t:
                started[t] += 1
            if fields.get("message") == "execution finished" and t:
                finished[t].append(fields.get("status", "").strip('"'))
    terminal = ("Completed", "CompletedWithViolations", "Failed", "Stopped")
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Lost: an execution started but left no terminal record. Not reached: the time bound ran
    # out while the daemon (oldest first) was still catching up to it.
    lost = [t for t in expected if started[iso(t)] and
            (t not in recs or recs[t]["status"] not in terminal)]
    not_reached = [t for t in expected if not started[iso(t)] and t not in recs]
    no_class = [t for t, r in recs.items() if r["status"] == "Failed" and not r.get("failure_class")]
    duplicated = [t for t, st in finished.items()
                  if sum(1 for s in st if s.startswith("Completed")) > 1]
    statuses = Counter(r["status"] for r in recs.values())
    injected = sum(v for k, v in proxy.counts.items() if k != "forwarded")
    print(f"{'restarts (kill -9)':<34} {kills}")
    print(f"{'S3 requests through the proxy':<34} {sum(proxy.counts.values())}")
    print(f"{'storage outages':<34} {a.outages} x {a.outage_seconds:g} s")
    for k in ("slowdown", "internal", "reset", "stall", "outage"):
        print(f"{'  injected ' + k:<34} {proxy.counts[k]}")
    print(f"{'faults injected':<34} {injected}")
    print(f"{'executions started':<34} {sum(started.values())}")
    print(f"{'executions finished':<34} {sum(len(v) for v in finished.values())}")
    print(f"{'scheduled times':<34} {len(expected)}")
    print(f"{'records by status':<34} {dict(statuses)}")
    print(f"{'lost':<34} {len(lost)} {[x.isoformat() for x in lost]}")
    print(f"{'not reached within --minutes':<34} {len(not_reached)} {[x.isoformat() for x in not_reached]}")
    print(f"{'Failed without a class':<34} {len(no_class)}")
    print(f"{'duplicated':<34} {len(duplicated)} {duplicated}")
    print(f"(logs and data in {work})")
    return 0 if not lost and not duplicated and not no_class else 1


if __name__ == "__main__":
    sys.exit(main())
