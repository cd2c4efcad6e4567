#!/usr/bin/env bash
# prepare.sh ARCH [CACHE] — fetches Debian's kernel for ARCH (amd64 or
# arm64), a static busybox for the guest, and builds the virtual mem2mem
# codec drivers Debian does not ship (vicodec, vim2m) out of tree from
# linux-source. Leaves CACHE/ARCH/{vmlinuz,kver,busybox,kpkg/lib/modules}
# for test/vm to boot. Idempotent: a second run with the same kernel does
# nothing, so CI pays the cost once per run.
set -euo pipefail
ARCH=${1:?amd64 or arm64}
CACHE=${2:-${RTSPCAM_VM_CACHE:-/tmp/rtspcam-vm}}
OUT=$CACHE/$ARCH
mkdir -p "$OUT"
cd "$OUT"
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=600)
if [ "$ARCH" = arm64 ]; then
  SUF=":arm64"
else
  SUF=""
fi
# The kernel ABI name moves with Debian's updates: read it from the
# meta-package instead of pinning it.
K=$(apt-cache depends "linux-image-$ARCH$SUF" 2>/dev/null | awk '/Depends: linux-image-[0-9]/{sub("linux-image-","",$2);sub(":arm64","",$2);print $2; exit}')
if [ -z "$K" ]; then
  echo "prepare.sh: apt knows no linux-image-$ARCH$SUF (run scripts/deps.sh)" >&2
  exit 1
fi
if [ -f stamp ] && [ "$(cat stamp)" = "$K" ]; then
  exit 0
fi
rm -rf kpkg bb hdr src oot ./*.deb stamp
"${APT[@]}" download "linux-image-$K$SUF" "busybox-static$SUF" >/dev/null 2>&1
# linux-source is the same for both guests: fetch it once per cache.
if ! ls "$CACHE"/linux-source-6.1_*.deb >/dev/null 2>&1; then
  (cd "$CACHE" && "${APT[@]}" download linux-source-6.1 >/dev/null 2>&1)
fi
dpkg -x linux-image-"$K"_*.deb kpkg
dpkg -x busybox-static_*.deb bb
cp bb/bin/busybox busybox
cp kpkg/boot/vmlinuz-"$K" vmlinuz
echo "$K" >kver
# Only the media driver sources are needed: about 10 MB out of the
# tarball, unpacked once per cache for both guests.
if [ ! -f "$CACHE/media-src/stamp" ]; then
  rm -rf "$CACHE/media-src"; mkdir -p "$CACHE/media-src"
  dpkg-deb --fsys-tarfile "$(ls "$CACHE"/linux-source-6.1_*.deb | tail -1)" | tar -xO ./usr/src/linux-source-6.1.tar.xz | xz -dc \
    | tar -x -C "$CACHE/media-src" --strip-components=1 --wildcards 'linux-source-6.1/drivers/media/test-drivers/*' 'linux-source-6.1/drivers/media/v4l2-core/*'
  touch "$CACHE/media-src/stamp"
fi
mkdir -p src && cp -r "$CACHE/media-src/drivers" src/
if [ "$ARCH" = arm64 ]; then
  "${APT[@]}" download "linux-headers-$K$SUF" >/dev/null 2>&1
  dpkg -x linux-headers-"$K"_*.deb hdr
  H=$OUT/hdr/usr/src/linux-headers-$K
  # The arm64 headers' build tools are arm64 binaries: borrow the host's
  # kbuild of the same series.
  for l in scripts tools; do ln -sfn /usr/lib/linux-kbuild-6.1/$l "$H/$l"; done
  MK=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
  EXTRA="" # arm64 Debian builds v4l2-mem2mem in
else
  H=/usr/src/linux-headers-$K
  MK=()
  EXTRA="v4l2-mem2mem.o" # amd64 Debian has no V4L2_MEM2MEM_DEV: build it too
fi
S=src/drivers/media
mkdir -p oot
cp $S/test-drivers/vim2m.c $S/test-drivers/vicodec/*.[ch] $S/v4l2-core/v4l2-mem2mem.c oot/
printf 'obj-m += vicodec.o vim2m.o %s\nvicodec-objs := vicodec-core.o codec-fwht.o codec-v4l2-fwht.o\n' "$EXTRA" >oot/Makefile
make -s -C "$H" M="$OUT/oot" -j"$(nproc)" "${MK[@]}" modules
mkdir -p kpkg/lib/modules/"$K"/extra
cp oot/*.ko kpkg/lib/modules/"$K"/extra/
depmod -b kpkg "$K"
rm -rf src hdr oot ./*.deb bb
echo "$K" >stamp
