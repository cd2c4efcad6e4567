#!/usr/bin/env bash
# Publish relay benchmark: server CPU per delivered gigabyte of a published
# H.264 stream (720p30, ~2 Mbit/s, GOP 2 s) relayed to 50 and 200 TCP
# readers (cmd/rtspload), rtspcam and GStreamer's RTSP server in the same
# run, the same clip, the same publisher (ffmpeg -c copy) and load client.
#   rtspcam-rtsp:   ffmpeg publishes with RTSP ANNOUNCE/RECORD over TCP.
#   rtspcam-pusher: ffmpeg sends plain RTP over UDP to a <pusher> node.
#   gstreamer:      ffmpeg sends the same plain RTP over UDP to
#                   gst-rtsp-server (bench/gst_server.py, one shared
#                   media) whose factory relays it:
#                   ( udpsrc ! rtph264depay ! h264parse ! rtph264pay name=pay0 ).
#                   Its record-mode mounts (transport-mode RECORD) take a
#                   publisher but serve no reader, so this is the relay it
#                   offers; it re-packetizes where rtspcam copies packets.
# Server CPU is utime+stime from /proc/PID/stat over the load run; the
# publisher (ffmpeg) is not counted for either.
# Environment: BENCH_SECONDS (15), BENCH_READERS ("50 200"),
# BENCH_DIR (/tmp/rtspcam-bench-pub), BENCH_PORT (28754 and up).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${BENCH_SECONDS:-15}
READERS=${BENCH_READERS:-50 200}
DIR=${BENCH_DIR:-/tmp/rtspcam-bench-pub}
PY=/usr/bin/python3
PORT_CAM=${BENCH_PORT:-28754}
PORT_GST=$((PORT_CAM + 1))
PORT_RTP=$((PORT_CAM + 10))  # GStreamer's udpsrc
PORT_PUSH=$((PORT_CAM + 20)) # rtspcam's <pusher> vport (aport +2)
TICK=$(getconf CLK_TCK)

for tool in ffmpeg "$PY" go; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
mkdir -p "$DIR"
go build -trimpath -o "$DIR/rtspserver" ./cmd/rtspserver
go build -trimpath -o "$DIR/rtspload" ./cmd/rtspload
MP4=$DIR/pub720.mp4
if [ ! -s "$MP4" ]; then
	ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -t 20 \
		-c:v libx264 -preset veryfast -pix_fmt yuv420p -b:v 2M -maxrate 2M -bufsize 4M -g 60 "$MP4.tmp.mp4"
	mv "$MP4.tmp.mp4" "$MP4"
fi
cat >"$DIR/rtspserver.cfg" <<CFG
<config>
  <rtsp_port>$PORT_CAM</rtsp_port>
  <media_dir>$DIR</media_dir>
  <log_enable>0</log_enable>
  <pusher>
    <suffix>push</suffix>
    <video><codec>H264</codec></video>
    <transfer><mode>UDP</mode><ip>127.0.0.1</ip><vport>$PORT_PUSH</vport><aport>$((PORT_PUSH + 2))</aport></transfer>
  </pusher>
</config>
CFG

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; PIDS=(); }
trap cleanup EXIT
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
json_field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }
wait_port() {
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
	echo "bench: nothing on port $1" >&2; return 1
}
# Plain RTP, SPS/PPS in-band before each IDR (the relays learn them there).
rtp_out() { ffmpeg -nostdin -loglevel error -re -stream_loop -1 -i "$MP4" -c copy -bsf:v h264_mp4toannexb -f rtp "rtp://127.0.0.1:$1?pkt_size=1400" >/dev/null & PIDS+=("$!"); }

measure() {
	local server=$1 n=$2 url spid
	case $server in
	rtspcam-*)
		"$DIR/rtspserver" -c "$DIR/rtspserver.cfg" >"$DIR/rtspcam.log" 2>&1 &
		spid=$!; PIDS+=("$spid")
		wait_port "$PORT_CAM"
		if [ "$server" = rtspcam-rtsp ]; then
			ffmpeg -nostdin -loglevel error -re -stream_loop -1 -i "$MP4" -c copy -f rtsp -rtsp_transport tcp \
				"rtsp://127.0.0.1:$PORT_CAM/pub" &
			PIDS+=("$!")
			url=rtsp://127.0.0.1:$PORT_CAM/pub
		else
			rtp_out "$PORT_PUSH"
			url=rtsp://127.0.0.1:$PORT_CAM/push
		fi
		;;
	gstreamer)
		"$PY" "$ROOT/bench/gst_server.py" "$PORT_GST" /stream \
			"( udpsrc port=$PORT_RTP caps=application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=96 ! rtph264depay ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 mtu=1400 )" \
			>"$DIR/gst.log" 2>&1 &
		spid=$!; PIDS+=("$spid")
		wait_port "$PORT_GST"
		rtp_out "$PORT_RTP"
		url=rtsp://127.0.0.1:$PORT_GST/stream
		;;
	esac
	sleep 3
	local c0 c1 out
	c0=$(cpu_ticks "$spid")
	out=$("$DIR/rtspload" -json -n "$n" -d "${SECS}s" "$url" || true)
	c1=$(cpu_ticks "$spid")
	cleanup
	local bytes errors gaps
	bytes=$(json_field "$out" bytes); errors=$(json_field "$out" errors); gaps=$(json_field "$out" gaps)
	awk -v s="$server" -v n="$n" -v a="$c0" -v b="$c1" -v t="$TICK" -v by="${bytes:-0}" -v e="${errors:-?}" -v g="${gaps:-?}" \
		'BEGIN { cpu = (b - a) / t; gb = by / 1e9; printf "%s\t%d readers\tcpu %.2f s\t%.3f GB\tcpu s/GB %.2f\tgaps %s\terrors %s\n", s, n, cpu, gb, (gb > 0 ? cpu / gb : 0), g, e }'
}

for n in $READERS; do
	measure rtspcam-rtsp "$n"
	measure rtspcam-pusher "$n"
	measure gstreamer "$n"
done
