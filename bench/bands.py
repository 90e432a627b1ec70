#!/usr/bin/env python3
"""Risk band of every package of bench/corpus.tsv, as a Markdown table (for closing notes and
to watch how rule changes move real packages).

    cargo build --release && python3 bench/bands.py [--bin target/release/mcpvet]
        [--cache DIR] [--out DIR]

Scans online (dependency documents are fetched and cached in --cache); each report is kept
as JSON in --out.
"""
import argparse, json, os, subprocess

here = os.path.dirname(os.path.abspath(__file__))
ORDER = {"official": 0, "official-archived": 1, "vendor": 2, "community": 3}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(here, "..", "target", "release", "mcpvet"))
    ap.add_argument("--cache", default="/tmp/mcpvet-bands-cache")
    ap.add_argument("--out", default="/tmp/mcpvet-bands")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rows = []
    with open(os.path.join(here, "corpus.tsv")) as f:
        lines = f.read().splitlines()[1:]
    for line in lines:
        eco, name, version, cls = line.split("\t")[:4]
        spec = f"npm:{name}@{version}" if eco == "npm" else f"pypi:{name}=={version}"
        env = dict(os.environ, MCPVET_CACHE_DIR=a.cache)
        p = subprocess.run([a.bin, "scan", spec, "--format", "json"], env=env,
                           capture_output=True, text=True)
        if p.returncode == 2:
            rows.append((cls, spec, -1, "error", "", "", "", p.stderr.strip()[:90]))
            continue
        r = json.loads(p.stdout)
        with open(os.path.join(a.out, name.replace("/", "_").replace("@", "_") + ".json"), "w") as o:
            o.write(p.stdout)
        risk = r["risk"]
        d = r.get("dependencies") or {}
        flags = ", ".join(f"{k} {v}" for k, v in sorted((d.get("flags") or {}).items()))
        top = risk["reasons"][0]["text"] if risk["reasons"] else "(nothing to weigh)"
        rows.append((cls, spec, risk["score"], risk.get("band") or "-",
                     r["provenance"]["class"], d.get("count", ""), flags, top))
    print("| class | package | score | band | provenance | deps | dependency flags | top reason |")
    print("|---|---|---|---|---|---|---|---|")
    for x in sorted(rows, key=lambda x: (ORDER.get(x[0], 9), -x[2])):
        cells = [str(v) for v in x[:7]] + [x[7][:90].replace("|", "/")]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
