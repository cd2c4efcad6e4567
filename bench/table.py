#!/usr/bin/python3
"""Turns bench/run.sh's results.tsv into the markdown tables of
BENCHMARKS.md. usage: table.py RESULTS.tsv SECONDS"""
import datetime
import os
import platform
import sys


def main():
    path, secs = sys.argv[1], float(sys.argv[2])
    rows = {}
    order = []
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        server, source, n = f[0], f[1], int(f[2])
        rows[(server, source, n)] = dict(
            cpu=float(f[3]), bytes=int(f[4]), idle=int(f[5] or 0), peak=int(f[6] or 0),
            gaps=int(f[7]), errors=int(f[8]), load=float(f[9] or 0))
        if (source, n) not in order:
            order.append((source, n))

    def per_gb(r):
        return r["cpu"] / (r["bytes"] / 1e9) if r["bytes"] else float("inf")

    def ratio(a, b):
        return "%.2f" % (a / b) if b else "n/a"

    names = {"file": "1080p H.264+AAC file", "live": "live MJPEG+PCMU pattern"}
    cpu_model = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    print("Run %s on %s, %d cores (%s), %s; %g s per run, one fresh server process per row.\n"
          % (datetime.date.today().isoformat(), platform.node() or "?", os.cpu_count(), cpu_model,
             platform.platform(), secs))
    print("| source | readers | server | delivered MB/s | server CPU s | CPU s/GB | idle RSS MB | peak RSS MB | gaps | errors | rtspload CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for source, n in order:
        for server in ("rtspcam", "gstreamer"):
            r = rows.get((server, source, n))
            if not r:
                continue
            print("| %s | %d | %s | %.1f | %.2f | %.2f | %.1f | %.1f | %d | %d | %.2f |" % (
                names.get(source, source), n, server, r["bytes"] / secs / 1e6, r["cpu"], per_gb(r),
                r["idle"] / 1024, r["peak"] / 1024, r["gaps"], r["errors"], r["load"]))
    print()
    print("Ratios rtspcam / GStreamer (below 1 means rtspcam uses less):\n")
    print("| source | readers | CPU per GB | peak RSS | idle RSS |")
    print("|---|---|---|---|---|")
    for source, n in order:
        a, b = rows.get(("rtspcam", source, n)), rows.get(("gstreamer", source, n))
        if not a or not b:
            continue
        print("| %s | %d | %s | %s | %s |" % (names.get(source, source), n, ratio(per_gb(a), per_gb(b)),
                                            ratio(a["peak"], b["peak"]), ratio(a["idle"], b["idle"])))


if __name__ == "__main__":
    main()
