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
have pulseaudio || need+=(pulseaudio)
have pacat || need+=(pulseaudio-utils)
have pactl || need+=(pulseaudio-utils)
have ip || need+=(iproute2)         # multicast tests: a route for 232/8 in a private netns
have unshare || need+=(util-linux)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstrtsp.so ] || need+=(gstreamer1.0-plugins-good)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstlibav.so ] || need+=(gstreamer1.0-libav)
# The FFmpeg (cgo) codecs: headers and pkg-config files.
pkg-config --exists libavcodec libavutil libswscale 2>/dev/null || need+=(pkg-config libavcodec-dev libswscale-dev libavutil-dev)
[ -e /usr/lib/x86_64-linux-gnu/girepository-1.0/GstRtspServer-1.0.typelib ] || need+=(gir1.2-gst-rtsp-server-1.0)
# Kernel driver tests (test/vm): QEMU system emulators, the tools that build
# an initramfs and the out-of-tree vicodec/vim2m modules, the arm64 cross
# compiler for the static guest binaries, and the amd64 kernel headers of
# the kernel Debian ships now (test/vm/prepare.sh fetches the kernels).
have qemu-system-x86_64 || need+=(qemu-system-x86)
have qemu-system-aarch64 || need+=(qemu-system-arm)
have modprobe || need+=(kmod)
have cpio || need+=(cpio)
have xz || need+=(xz-utils)
have make || need+=(make)
have aarch64-linux-gnu-gcc || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
[ -d /usr/lib/linux-kbuild-6.1 ] || need+=(linux-kbuild-6.1)
dpkg --print-foreign-architectures | grep -qx arm64 || need+=(arm64-arch)
kernel_headers() {
  local k
  k=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{sub("linux-image-","",$2);print $2; exit}')
  [ -n "$k" ] && echo "linux-headers-$k linux-headers-${k%-amd64}-common"
}
kh=$(kernel_headers || true)
if [ -z "$kh" ] || [ ! -d "/usr/src/$(echo "$kh" | cut -d' ' -f1)" ]; then need+=(kernel-headers); fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing test tools; run as root or install: ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# arm64 packages are only downloaded (the guest kernel and busybox).
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
for i in 1 2 3; do apt-get -o DPkg::Lock::Timeout=600 update -q && break; sleep 5; done
kh=$(kernel_headers || true)
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
  ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp \
  gir1.2-gst-rtsp-server-1.0 python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 \
  qemu-user-static xvfb x11-utils pkg-config libavcodec-dev libswscale-dev libavutil-dev \
  qemu-system-x86 qemu-system-arm kmod cpio xz-utils make gcc gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
  linux-kbuild-6.1 $kh \
  pulseaudio pulseaudio-utils iproute2 util-linux
