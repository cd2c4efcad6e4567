#!/usr/bin/env bash
# Side-by-side benchmark: rtspcam against GStreamer's RTSP server on this
# machine. `make bench` runs it from the repository root.
#
# For each server, source (a 1080p H.264+AAC MP4 file, the live MJPEG+PCMU
# test pattern) and reader count (50, 200 TCP-interleaved readers via
# cmd/rtspload), a fresh server process is started and measured:
#   idle RSS   VmRSS before any reader
#   CPU s/GB   utime+stime of the server (/proc/PID/stat) over the run,
#              per gigabyte rtspload counted as delivered
#   peak RSS   VmHWM of the server after the run
# Then `go test -bench . -benchmem ./rtsp/stream/` runs, and the tables
# replace the section between the bench markers in BENCHMARKS.md.
#
# Environment: BENCH_SECONDS (20), BENCH_READERS ("50 200"),
# BENCH_DIR (/tmp/rtspcam-bench), BENCH_PORT (28654, and the next one for
# GStreamer), BENCH_UPDATE_DOC (1: rewrite BENCHMARKS.md).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${BENCH_SECONDS:-20}
READERS=${BENCH_READERS:-50 200}
DIR=${BENCH_DIR:-/tmp/rtspcam-bench}
UPDATE_DOC=${BENCH_UPDATE_DOC:-1}
PY=/usr/bin/python3
PORT_CAM=${BENCH_PORT:-28654}
PORT_GST=$((PORT_CAM + 1))
TICK=$(getconf CLK_TCK)

for tool in ffmpeg gst-launch-1.0 "$PY" /usr/bin/time go; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
"$PY" -c 'import gi; gi.require_version("GstRtspServer", "1.0")' ||
	{ echo "bench: python3-gi / gir1.2-gst-rtsp-server-1.0 missing" >&2; exit 1; }

mkdir -p "$DIR/media"
echo "bench: building rtspserver and rtspload" >&2
go build -trimpath -o "$DIR/rtspserver" ./cmd/rtspserver
go build -trimpath -o "$DIR/rtspload" ./cmd/rtspload

MP4=$DIR/media/bench1080.mp4
if [ ! -s "$MP4" ]; then
	echo "bench: making $MP4 (1080p30 H.264 ~4 Mbit/s + AAC, 30 s)" >&2
	ffmpeg -nostdin -loglevel error -y \
		-f lavfi -i testsrc2=size=1920x1080:rate=30 \
		-f lavfi -i sine=frequency=440:sample_rate=48000 \
		-t 30 -c:v libx264 -preset veryfast -pix_fmt yuv420p \
		-b:v 4M -maxrate 4M -bufsize 8M -g 60 \
		-c:a aac -b:a 128k -ac 2 -movflags +faststart "$MP4.tmp.mp4"
	mv "$MP4.tmp.mp4" "$MP4"
fi

cat >"$DIR/rtspserver.cfg" <<CFG
<config>
  <rtsp_port>$PORT_CAM</rtsp_port>
  <media_dir>$DIR/media</media_dir>
  <loop_nums>-1</loop_nums>
  <log_enable>0</log_enable>
</config>
CFG

GST_FILE="( filesrc location=$MP4 ! qtdemux name=d d.video_0 ! queue ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97 )"
GST_LIVE="( videotestsrc is-live=true pattern=smpte ! video/x-raw,format=I420,width=640,height=480,framerate=25/1 ! jpegenc quality=75 ! rtpjpegpay name=pay0 pt=26 audiotestsrc is-live=true ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay1 pt=0 )"

SERVER_PID=
stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}
trap stop_server EXIT

wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: nothing listens on port $1" >&2
	return 1
}

# cpu_ticks PID: utime+stime in clock ticks (fields 14 and 15 of stat,
# counted after the ")" that ends the command name).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
json_field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }

RESULTS=$DIR/results.tsv
: >"$RESULTS"

# measure SERVER SOURCE N: one fresh server, one load run.
measure() {
	local server=$1 source=$2 n=$3 url port
	for port in $PORT_CAM $PORT_GST; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "bench: port $port is already taken; set BENCH_PORT" >&2
			exit 1
		fi
	done
	if [ "$server" = rtspcam ]; then
		port=$PORT_CAM
		"$DIR/rtspserver" -c "$DIR/rtspserver.cfg" >"$DIR/rtspcam.log" 2>&1 &
		SERVER_PID=$!
		if [ "$source" = file ]; then url=rtsp://127.0.0.1:$port/bench1080.mp4; else url=rtsp://127.0.0.1:$port/testpattern; fi
	else
		port=$PORT_GST
		local launch=$GST_LIVE
		[ "$source" = file ] && launch=$GST_FILE
		"$PY" "$ROOT/bench/gst_server.py" "$port" /stream "$launch" >"$DIR/gst.log" 2>&1 &
		SERVER_PID=$!
		url=rtsp://127.0.0.1:$port/stream
	fi
	wait_port "$port"
	sleep 1
	local idle_kb c0 c1 out hwm_kb bytes gaps errors load_cpu
	idle_kb=$(status_kb "$SERVER_PID" VmRSS)
	c0=$(cpu_ticks "$SERVER_PID")
	out=$(/usr/bin/time -f 'loadcpu %U %S' -o "$DIR/loadcpu.txt" \
		"$DIR/rtspload" -json -n "$n" -d "${SECS}s" "$url" || true)
	c1=$(cpu_ticks "$SERVER_PID")
	hwm_kb=$(status_kb "$SERVER_PID" VmHWM)
	load_cpu=$(awk '$1 == "loadcpu" {print $2 + $3}' "$DIR/loadcpu.txt")
	stop_server
	bytes=$(json_field "$out" bytes)
	gaps=$(json_field "$out" gaps)
	errors=$(json_field "$out" errors)
	if [ -z "$bytes" ]; then
		echo "bench: $server $source $n: rtspload said: $out" >&2
		bytes=0 gaps=0 errors=$n
	fi
	local cpu
	cpu=$(awk -v a="$c0" -v b="$c1" -v t="$TICK" 'BEGIN {printf "%.2f", (b - a) / t}')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$source" "$n" "$cpu" "$bytes" \
		"$idle_kb" "$hwm_kb" "$gaps" "$errors" "$load_cpu" | tee -a "$RESULTS" >&2
	if [ "$errors" != 0 ]; then echo "bench: $server $source $n: $out" >&2; fi
}

echo "bench: server source readers cpu_s bytes idle_kb peak_kb gaps errors load_cpu_s" >&2
for source in file live; do
	for n in $READERS; do
		measure rtspcam "$source" "$n"
		measure gstreamer "$source" "$n"
	done
done

TABLE=$DIR/table.md
"$PY" "$ROOT/bench/table.py" "$RESULTS" "$SECS" >"$TABLE"

echo "bench: go test -bench . -benchmem ./rtsp/stream/" >&2
GOBENCH=$DIR/gobench.txt
go test -run '^$' -bench . -benchmem ./rtsp/stream/ | grep -E '^(Benchmark|goos|goarch|cpu)' >"$GOBENCH"
{
	echo
	echo '`go test -bench . -benchmem ./rtsp/stream/`:'
	echo
	echo '```'
	cat "$GOBENCH"
	echo '```'
} >>"$TABLE"

cat "$TABLE"
if [ "$UPDATE_DOC" = 1 ]; then
	"$PY" - "$ROOT/BENCHMARKS.md" "$TABLE" <<'PY'
import sys
doc, table = sys.argv[1], open(sys.argv[2]).read()
begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
text = open(doc).read()
i, j = text.index(begin) + len(begin), text.index(end)
open(doc, "w").write(text[:i] + "\n" + table + text[j:])
PY
	echo "bench: BENCHMARKS.md updated" >&2
fi
