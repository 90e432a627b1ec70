#!/usr/bin/env python3
"""Fetch, verify and unpack every package of bench/corpus.tsv with `mcpvet scan`, twice:
cold (empty cache) and warm (--offline, cache only). Checks that the digest mcpvet verified
is the one pinned in the corpus and prints per-package and total wall times.

    cargo build --release && python3 bench/corpus.py [--bin target/release/mcpvet] [--keep-cache DIR]
"""
import argparse, base64, json, os, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))

def spec_of(eco, name, version):
    return f"npm:{name}@{version}" if eco == "npm" else f"pypi:{name}=={version}"

def expected_digest(eco, integrity):
    # corpus: npm SRI as-is; PyPI as "sha256-<hex>", which mcpvet prints as "sha256:<hex>"
    return integrity if eco == "npm" else integrity.replace("sha256-", "sha256:", 1)

def run(binary, spec, cache, offline):
    cmd = [binary, "scan", spec, "--format", "json"] + (["--offline"] if offline else [])
    env = dict(os.environ, MCPVET_CACHE_DIR=cache)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, env=env)
    dt = time.perf_counter() - t0
    return p, dt

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(here, "..", "target", "release", "mcpvet"))
    ap.add_argument("--keep-cache", help="use (and keep) this cache dir instead of a temp one")
    args = ap.parse_args()
    rows = []
    with open(os.path.join(here, "corpus.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            if line.strip():
                rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    cache = args.keep_cache or tempfile.mkdtemp(prefix="mcpvet-bench-")
    failures = 0
    totals = {}
    for phase, offline in (("cold", False), ("warm", True)):
        total = 0.0
        slowest = (0.0, "")
        for r in rows:
            spec = spec_of(r["ecosystem"], r["name"], r["version"])
            p, dt = run(args.bin, spec, cache, offline)
            total += dt
            slowest = max(slowest, (dt, spec))
            if p.returncode != 0:
                failures += 1
                print(f"{phase} FAIL {spec}: {p.stderr.decode(errors='replace').strip()}")
                continue
            rep = json.loads(p.stdout)
            want = expected_digest(r["ecosystem"], r["integrity"])
            ok = rep["package"]["digest"] == want and rep["package"]["verified"]
            if not ok:
                failures += 1
            print(f"{phase} {'ok  ' if ok else 'BAD '} {dt*1000:8.1f} ms  files={rep['stats']['files']:5d}  "
                  f"bytes={rep['stats']['bytes']:10d}  findings={len(rep['findings'])}  {spec}")
        totals[phase] = (total, slowest)
        print(f"{phase}: {len(rows)} packages in {total:.2f} s; slowest {slowest[0]*1000:.0f} ms ({slowest[1]})")
    for phase, (total, slowest) in totals.items():
        print(f"SUMMARY {phase}: total {total:.2f} s, slowest {slowest[0]*1000:.0f} ms {slowest[1]}")
    sys.exit(1 if failures else 0)

if __name__ == "__main__":
    main()
