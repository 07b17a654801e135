#!/usr/bin/env python3
"""Load script for the face step against a running Visage (stdlib only).

Signs in a password account (no face needed to call the face API), gives
biometric consent, enrols from the carphone frames, then runs face
verifications (challenge + N frames) from W threads for D seconds.
Reports the server time of each check (Server-Timing: face;dur=…), the
client latency, throughput and errors.

The server must use a challenge these frames perform:
  VISAGE__FACE__CHALLENGE_ACTIONS='["center","turn_right"]'
Usage: scripts/face_load.py ISSUER EMAIL PASSWORD [--threads 2] [--seconds 20] [--frames 5]
"""
import argparse, base64, hashlib, http.cookiejar, json, statistics, sys, threading, time, urllib.parse, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Frontal frames first, then turned to the image's right (yaw ≥ 0.12).
FRAMES = ["f001", "f003", "f005", "f013", "f015", "f016", "f017"]


class Client:
    def __init__(self, issuer):
        self.issuer = issuer.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def csrf(self):
        return next(c.value for c in self.jar if c.name == "visage_csrf")

    def get(self, path):
        return self.http.open(self.issuer + path)

    def form(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        return self.http.open(urllib.request.Request(self.issuer + path, data=data))

    def json(self, path, body):
        req = urllib.request.Request(self.issuer + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "X-CSRF-Token": self.csrf()})
        try:
            r = self.http.open(req)
        except urllib.error.HTTPError as e:
            r = e
        return r.status, r.headers.get("Server-Timing", ""), json.loads(r.read() or b"{}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp
    http_error_303 = http_error_302


def frame(action, i):
    """The carphone frame for step i of `action` (frontal or turned right)."""
    names = FRAMES[:3] if action == "center" else FRAMES[3:]
    jpeg = (ROOT / "target/testdata/carphone" / f"{names[i % len(names)]}.jpg").read_bytes()
    return jpeg


def check(c, purpose, n):
    """One check, paced as the page paces it: the server reveals a step, the
    client waits the step's wait, commits to the frame's SHA-256, and gets
    the next step; then the frames go in one request (`n` is ignored: the
    server's `face.frames` decides)."""
    base = "/face/enrol" if purpose == "enrol" else "/face"
    status, _, ch = c.json(base + "/challenge", {})
    if status != 200:
        return status, None, 0.0, ch
    step, frames = ch["step"], []
    while True:
        time.sleep(step["wait_ms"] / 1000)
        jpeg = frame(step["action"], step["index"])
        frames.append({"t": 0, "jpeg": base64.b64encode(jpeg).decode()})
        status, _, r = c.json(base + "/step", {"nonce": ch["nonce"], "index": step["index"],
                                               "sha256": hashlib.sha256(jpeg).hexdigest()})
        if status != 200:
            return status, None, 0.0, r
        if r.get("done"):
            break
        step = r["step"]
    body = {"tx": "", "nonce": ch["nonce"], "frames": frames}
    t0 = time.perf_counter()
    status, timing, res = c.json(base + "/frames", body)
    latency = (time.perf_counter() - t0) * 1000
    dur = float(timing.split("dur=")[1]) if "dur=" in timing else None
    return status, dur, latency, res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("issuer"); ap.add_argument("email"); ap.add_argument("password")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--frames", type=int, default=5)
    a = ap.parse_args()
    c = Client(a.issuer)
    c.get("/login")
    r = c.form("/login", {"csrf": c.csrf(), "tx": "", "email": a.email, "password": a.password})
    assert r.status in (302, 303), f"sign-in failed: {r.status}"
    c.form("/face/consent", {"csrf": c.csrf(), "decision": "agree"})
    status, _, _, res = check(c, "enrol", 5)
    assert status == 200, f"enrolment failed: {status} {res}"
    server, client, errors = [], [], []
    lock = threading.Lock()
    stop = time.time() + a.seconds

    def worker():
        while time.time() < stop:
            status, dur, lat, res = check(c, "verify", a.frames)
            with lock:
                if status == 200 and dur is not None:
                    server.append(dur); client.append(lat)
                else:
                    errors.append((status, res))

    t0 = time.time()
    threads = [threading.Thread(target=worker) for _ in range(a.threads)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    wall = time.time() - t0
    q = lambda xs, p: statistics.quantiles(xs, n=100)[p - 1] if len(xs) >= 2 else float("nan")
    print(f"face verifications: {len(server)} ok, {len(errors)} errors in {wall:.1f} s "
          f"({len(server) / wall:.1f}/s) with {a.threads} threads, {a.frames} frames each")
    print(f"server time ms: p50 {q(server, 50):.1f}  p95 {q(server, 95):.1f}  max {max(server or [0]):.1f}")
    print(f"client latency ms (upload + check): p50 {q(client, 50):.1f}  p95 {q(client, 95):.1f}")
    if errors:
        print("first error:", errors[0])
        sys.exit(1)


if __name__ == "__main__":
    main()
