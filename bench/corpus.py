#!/usr/bin/env python3
"""Benchmark `mcpvet scan` over every package of bench/corpus.tsv.

1. cold: fetch, verify, unpack and analyse each package into a fresh (or --keep-cache) cache;
   checks that the digest mcpvet verified is the one pinned in the corpus.
2. warm: scan each package again from the cache (--offline), --repeat times; prints the median
   whole-process milliseconds, the bytes of JS/TS/Python analysed, MB/s, peak RSS and findings.
3. guarddog (when installed: `python3 -m venv v && v/bin/pip install guarddog`, then
   --guarddog v/bin/guarddog or guarddog on PATH): `guarddog npm|pypi scan` on the very same
   cached artifact, and the time ratio guarddog/mcpvet.

    cargo build --release && python3 bench/corpus.py [--bin target/release/mcpvet]
        [--keep-cache DIR] [--skip-cold] [--repeat 3] [--guarddog PATH] [--only SUBSTRING]
"""
import argparse, base64, json, os, shutil, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
SOURCE = {"javascript", "typescript", "tsx", "python"}


def spec_of(eco, name, version):
    return f"npm:{name}@{version}" if eco == "npm" else f"pypi:{name}=={version}"


def expected_digest(eco, integrity):
    # corpus: npm SRI as-is; PyPI as "sha256-<hex>", which mcpvet prints as "sha256:<hex>"
    return integrity if eco == "npm" else integrity.replace("sha256-", "sha256:", 1)


def artifact_path(cache, digest):
    """Where mcpvet's cache keeps the artifact of a digest (artifacts/<algo>/<xx>/<hex>)."""
    if ":" in digest:
        algo, hexd = digest.split(":", 1)
    else:
        algo, b64 = digest.split("-", 1)
        hexd = base64.b64decode(b64).hex()
    return os.path.join(cache, "artifacts", algo, hexd[:2], hexd)


def scan(binary, spec, cache, offline):
    cmd = [binary, "scan", spec, "--format", "json"] + (["--offline"] if offline else [])
    env = dict(os.environ, MCPVET_CACHE_DIR=cache)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = p.communicate()
    dt = time.perf_counter() - t0
    return p.returncode, out, err, dt


def scan_rss(binary, spec, cache):
    """Peak RSS (MB) of one offline scan, via wait4's rusage."""
    env = dict(os.environ, MCPVET_CACHE_DIR=cache)
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execve(binary, [binary, "scan", spec, "--format", "json", "--offline"], env)
    _, _, ru = os.wait4(pid, 0)
    return ru.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(here, "..", "target", "release", "mcpvet"))
    ap.add_argument("--keep-cache", help="use (and keep) this cache dir instead of a temp one")
    ap.add_argument("--skip-cold", action="store_true", help="the cache is filled already")
    ap.add_argument("--repeat", type=int, default=3, help="warm runs per package (median)")
    ap.add_argument("--guarddog", default=shutil.which("guarddog"), help="guarddog executable")
    ap.add_argument("--only", help="only packages whose name contains this")
    args = ap.parse_args()
    rows = []
    with open(os.path.join(here, "corpus.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            if line.strip():
                r = dict(zip(header, line.rstrip("\n").split("\t")))
                if not args.only or args.only in r["name"]:
                    rows.append(r)
    cache = args.keep_cache or tempfile.mkdtemp(prefix="mcpvet-bench-")
    failures = 0

    if not args.skip_cold:
        total = 0.0
        for r in rows:
            spec = spec_of(r["ecosystem"], r["name"], r["version"])
            code, out, err, dt = scan(args.bin, spec, cache, False)
            total += dt
            if code != 0:
                failures += 1
                print(f"cold FAIL {spec}: {err.decode(errors='replace').strip()}")
                continue
            rep = json.loads(out)
            want = expected_digest(r["ecosystem"], r["integrity"])
            if rep["package"]["digest"] != want or not rep["package"]["verified"]:
                failures += 1
                print(f"cold BAD DIGEST {spec}: {rep['package']['digest']} != {want}")
        print(f"cold: {len(rows)} packages fetched and scanned in {total:.2f} s")

    print(f"{'package':58} {'ms':>7} {'src MB':>7} {'MB/s':>6} {'RSS MB':>6} {'find':>5}"
          + (f" {'guarddog ms':>11} {'ratio':>6}" if args.guarddog else ""))
    results = []
    for r in rows:
        spec = spec_of(r["ecosystem"], r["name"], r["version"])
        times = []
        rep = None
        for _ in range(max(1, args.repeat)):
            code, out, err, dt = scan(args.bin, spec, cache, True)
            if code != 0:
                failures += 1
                print(f"warm FAIL {spec}: {err.decode(errors='replace').strip()}")
                break
            times.append(dt)
            rep = json.loads(out)
        if rep is None:
            continue
        ms = statistics.median(times) * 1000
        src = sum(f["bytes"] for f in rep["files"] if f["language"] in SOURCE and f["analyzed"])
        rss = scan_rss(args.bin, spec, cache)
        line = (f"{spec[:58]:58} {ms:7.0f} {src/1e6:7.2f} {src/1e6/(ms/1000):6.1f} {rss:6.0f} "
                f"{len(rep['findings']):5d}")
        gd_ms = None
        if args.guarddog:
            art = artifact_path(cache, rep["package"]["digest"])
            ext = ".tgz" if r["ecosystem"] == "npm" else (
                ".whl" if rep["package"].get("source", "").endswith(".whl") else (
                    ".zip" if rep["package"].get("source", "").endswith(".zip") else ".tar.gz"))
            with tempfile.TemporaryDirectory() as d:
                base = r["name"].replace("/", "-").lstrip("@")
                tarball = os.path.join(d, f"{base}-{r['version']}{ext}")
                shutil.copyfile(art, tarball)
                t0 = time.perf_counter()
                g = subprocess.run([args.guarddog, r["ecosystem"], "scan", tarball],
                                   capture_output=True)
                gd = time.perf_counter() - t0
            if g.returncode == 0:
                gd_ms = gd * 1000
                line += f" {gd_ms:11.0f} {gd_ms/ms:6.1f}"
            else:
                line += f" {'error':>11}"
        print(line, flush=True)
        results.append((spec, ms, src, rss, gd_ms))

    if results:
        mss = [m for _, m, _, _, _ in results]
        total_src = sum(s for _, _, s, _, _ in results)
        print(f"SUMMARY warm: {len(results)} packages, median {statistics.median(mss):.0f} ms, "
              f"max {max(mss):.0f} ms ({max(results, key=lambda x: x[1])[0]}), "
              f"total {sum(mss)/1000:.2f} s, {total_src/1e6:.1f} MB of source at "
              f"{total_src/1e6/(sum(mss)/1000):.1f} MB/s overall, "
              f"peak RSS {max(r for _, _, _, r, _ in results):.0f} MB")
        ratios = [g / m for _, m, _, _, g in results if g]
        if ratios:
            print(f"SUMMARY guarddog: {len(ratios)} packages, time ratio guarddog/mcpvet median "
                  f"{statistics.median(ratios):.1f}x, min {min(ratios):.1f}x, max {max(ratios):.1f}x")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
