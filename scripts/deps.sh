#!/usr/bin/env bash
# Installs what the test suite drives: real clients (ffmpeg, GStreamer with
# its RTSP server for the side-by-side benchmark) and qemu-user for the ARM
# builds. A no-op when everything is present.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have ffmpeg || need+=(ffmpeg)
have ffprobe || need+=(ffmpeg)
have gst-launch-1.0 || need+=(gstreamer1.0-tools)
have qemu-aarch64-static || need+=(qemu-user-static)
have Xvfb || need+=(xvfb)
have xmessage || need+=(x11-utils)
have xprop || need+=(x11-utils)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstrtsp.so ] || need+=(gstreamer1.0-plugins-good)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstlibav.so ] || need+=(gstreamer1.0-libav)
# The FFmpeg (cgo) codecs: headers and pkg-config files.
pkg-config --exists libavcodec libavutil libswscale 2>/dev/null || need+=(pkg-config libavcodec-dev libswscale-dev libavutil-dev)
[ -e /usr/lib/x86_64-linux-gnu/girepository-1.0/GstRtspServer-1.0.typelib ] || need+=(gir1.2-gst-rtsp-server-1.0)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing test tools; run as root or install: ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
for i in 1 2 3; do apt-get -o DPkg::Lock::Timeout=600 update -q && break; sleep 5; done
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
  ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp \
  gir1.2-gst-rtsp-server-1.0 python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 \
  qemu-user-static xvfb x11-utils pkg-config libavcodec-dev libswscale-dev libavutil-dev
