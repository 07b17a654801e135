#!/usr/bin/env python3
"""Measure the admin API's user search at 100,000 accounts (stdlib only).

Fills a fresh SQLite data dir (or a PostgreSQL database with --pg URL, via
psql) with N accounts, starts `visage serve` on it, gives a client the auditor
role, then times GET /admin/api/users for several searches (R requests each)
and prints p50/p95 client latency in milliseconds.

Usage: scripts/admin_search_load.py BINARY [--users 100000] [--requests 40] [--pg ADMIN_URL]
"""
import argparse, base64, json, os, socket, sqlite3, statistics, subprocess, sys, tempfile, time, urllib.request, uuid

FIRST = ["lan", "minh", "anh", "hoa", "tuan", "alice", "bob", "carol", "dave", "erin", "linh", "khanh"]
LAST = ["nguyen", "tran", "le", "pham", "hoang", "smith", "jones", "garcia", "miller", "vu"]


def rows(n, now):
    for i in range(n):
        f, l = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        yield (str(uuid.uuid4()), f"{f}.{l}{i}@example.com", f"{f.title()} {l.title()} {i}", now - i)


def run(binary, args, *extra):
    return subprocess.run([binary, *args, *extra], check=True, capture_output=True, text=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--pg")
    a = ap.parse_args()
    work = tempfile.mkdtemp()
    args = ["--data-dir", work]
    now = int(time.time())
    if a.pg:
        db = f"visage_search_{os.getpid()}"
        subprocess.run(["psql", "-q", a.pg, "-c", f"CREATE DATABASE {db}"], check=True)
        url = a.pg.rsplit("/", 1)[0] + "/" + db
        args += ["--database-url", url]
    run(a.binary, args, "migrate")
    started = time.time()
    if a.pg:
        csv = os.path.join(work, "users.csv")
        with open(csv, "w") as f:
            for r in rows(a.users, now):
                f.write(",".join([r[0], r[1], f'"{r[2]}"', str(r[3]), str(r[3])]) + "\n")
        subprocess.run(["psql", "-q", url, "-c",
                        f"\\copy users(id,email,name,created_at,updated_at) FROM '{csv}' CSV"], check=True)
    else:
        con = sqlite3.connect(os.path.join(work, "visage.db"))
        con.executemany("INSERT INTO users (id, email, email_verified, name, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?)",
                        ((r[0], r[1], r[2], r[3], r[3]) for r in rows(a.users, now)))
        con.commit()
        con.close()
    print(f"inserted {a.users} accounts in {time.time() - started:.1f} s ({'postgres' if a.pg else 'sqlite'})")
    secret = [l.split()[1] for l in run(a.binary, args, "client", "add", "--name", "ops", "--id", "ops",
                                        "--grant-type", "client_credentials").splitlines() if l.startswith("client_secret:")][0]
    run(a.binary, args, "admin", "grant", "--client", "ops", "--role", "auditor")
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    issuer = f"http://127.0.0.1:{port}"
    env = dict(os.environ, VISAGE__SERVER__ACCESS_LOG="false", VISAGE__FACE__ENABLED="false")
    server = subprocess.Popen([a.binary, *args, "serve", "--listen", f"127.0.0.1:{port}", "--issuer", issuer],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(issuer + "/health"); break
            except OSError:
                time.sleep(0.05)
        basic = base64.b64encode(f"ops:{secret}".encode()).decode()
        req = urllib.request.Request(issuer + "/token", data=b"grant_type=client_credentials&scope=admin:read",
                                     headers={"Authorization": "Basic " + basic})
        token = json.load(urllib.request.urlopen(req))["access_token"]
        cases = [("first page, no query", ""), ("exact address", "lan.nguyen0@example.com"),
                 ("name fragment", "khanh"), ("email fragment 'tran13'", "tran13"),
                 ("no match", "zzzz-nobody"), ("page 2000 of all", "")]
        print(f"{'search':32} {'total':>7} {'p50 ms':>8} {'p95 ms':>8}")
        for name, q in cases:
            page = 2000 if name.startswith("page") else 1
            url = f"{issuer}/admin/api/users?q={urllib.parse.quote(q)}&page={page}&per_page=50"
            times, total = [], None
            for _ in range(a.requests):
                t = time.perf_counter()
                body = json.load(urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": "Bearer " + token})))
                times.append((time.perf_counter() - t) * 1000)
                total = body["total"]
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(f"{name:32} {total:>7} {statistics.median(times):>8.1f} {p95:>8.1f}")
    finally:
        server.terminate()
        server.wait()


import urllib.parse  # noqa: E402
if __name__ == "__main__":
    main()
