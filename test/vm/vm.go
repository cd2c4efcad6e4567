// Package vm boots Debian's kernels under QEMU (software emulation, amd64
// and arm64 guests) with an initramfs holding busybox, the kernel modules a
// test names and the test's own binaries, forwards TCP ports from the host
// to the guest and returns the serial console log. prepare.sh (run once per
// test process and cached across runs) fetches the kernels and builds the
// out-of-tree virtual drivers. Tests that use it fail, never skip, when
// QEMU or the kernel packages are missing.
package vm

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Kernel is a prepared guest kernel and its modules.
type Kernel struct {
	Arch    string // amd64 or arm64
	Version string // uname -r
	Image   string // vmlinuz
	Busybox string // static busybox for the guest
	ModRoot string // holds lib/modules/<Version>
}

var (
	prepMu sync.Mutex
	prep   = map[string]*Kernel{}
)

// CacheDir is where prepare.sh keeps kernels and built modules.
func CacheDir() string {
	if d := os.Getenv("RTSPCAM_VM_CACHE"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "rtspcam-vm")
}

func here() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Prepare returns the kernel for arch, running prepare.sh the first time
// in this process (it returns at once when its cache is current).
func Prepare(t testing.TB, arch string) *Kernel {
	t.Helper()
	if _, err := exec.LookPath(qemuBinary(arch)); err != nil {
		t.Fatalf("vm: %s is not installed (run scripts/deps.sh): %v", qemuBinary(arch), err)
	}
	prepMu.Lock()
	defer prepMu.Unlock()
	if k := prep[arch]; k != nil {
		return k
	}
	cmd := exec.Command("bash", filepath.Join(here(), "prepare.sh"), arch, CacheDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vm: prepare.sh %s: %v\n%s", arch, err, out)
	}
	dir := filepath.Join(CacheDir(), arch)
	ver, err := os.ReadFile(filepath.Join(dir, "kver"))
	if err != nil {
		t.Fatalf("vm: %v", err)
	}
	k := &Kernel{
		Arch: arch, Version: strings.TrimSpace(string(ver)),
		Image: filepath.Join(dir, "vmlinuz"), Busybox: filepath.Join(dir, "busybox"),
		ModRoot: filepath.Join(dir, "kpkg"),
	}
	prep[arch] = k
	return k
}

func qemuBinary(arch string) string {
	if arch == "arm64" {
		return "qemu-system-aarch64"
	}
	return "qemu-system-x86_64"
}

// BuildStatic builds the Go package pkg (an import path or a folder) for
// the guest's arch as a static binary, with cgo (go4vl and the V4L2 ioctl
// code need it; arm64 uses the aarch64-linux-gnu cross compiler).
func BuildStatic(t testing.TB, arch, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg)+"-"+arch)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -extldflags -static", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "GOOS=linux", "GOARCH="+arch)
	if arch == "arm64" && runtime.GOARCH != "arm64" {
		cmd.Env = append(cmd.Env, "CC=aarch64-linux-gnu-gcc")
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vm: build %s for %s: %v\n%s", pkg, arch, err, b)
	}
	return out
}

// Options say what the guest holds and runs.
type Options struct {
	// Modules are loaded in dependency order (modprobe names), with
	// parameters from Params.
	Modules []string
	Params  map[string]string
	// Files maps guest paths (e.g. "/bin/app") to host files; they are
	// executable in the guest.
	Files map[string]string
	// Script is shell run by /init once modules and network are up; the
	// guest powers off when it ends.
	Script string
	// Forward lists guest TCP ports to reach from the host.
	Forward []int
	// MemoryMB defaults to 512.
	MemoryMB int
}

// Guest is a running VM.
type Guest struct {
	cmd   *exec.Cmd
	ports map[int]int
	done  chan struct{}

	mu  sync.Mutex
	log bytes.Buffer
}

type syncWriter struct{ g *Guest }

func (w syncWriter) Write(p []byte) (int, error) {
	w.g.mu.Lock()
	defer w.g.mu.Unlock()
	return w.g.log.Write(p)
}

// Boot starts a guest; it is stopped at the end of the test.
func Boot(t testing.TB, k *Kernel, o Options) *Guest {
	t.Helper()
	mods := append([]string(nil), o.Modules...)
	if len(o.Forward) > 0 {
		if k.Arch == "arm64" {
			mods = append([]string{"virtio_mmio", "virtio_net"}, mods...)
		} else {
			mods = append([]string{"virtio_pci", "virtio_net"}, mods...)
		}
	}
	initrd := filepath.Join(t.TempDir(), "initrd.gz")
	if err := buildInitrd(k, mods, o, initrd); err != nil {
		t.Fatalf("vm: initramfs: %v", err)
	}
	g := &Guest{ports: map[int]int{}, done: make(chan struct{})}
	var fwd []string
	for _, p := range o.Forward {
		hp := freePort(t)
		g.ports[p] = hp
		fwd = append(fwd, fmt.Sprintf("hostfwd=tcp:127.0.0.1:%d-:%d", hp, p))
	}
	mem := o.MemoryMB
	if mem == 0 {
		mem = 512
	}
	args := []string{"-accel", "tcg", "-m", strconv.Itoa(mem), "-smp", "2", "-kernel", k.Image, "-initrd", initrd,
		"-nographic", "-no-reboot"}
	console := "ttyS0"
	if k.Arch == "arm64" {
		args = append([]string{"-M", "virt", "-cpu", "cortex-a53"}, args...)
		console = "ttyAMA0"
	}
	args = append(args, "-append", "console="+console+" panic=-1 quiet")
	netdev := "user,id=n0"
	if len(fwd) > 0 {
		netdev += "," + strings.Join(fwd, ",")
		dev := "virtio-net-pci,netdev=n0"
		if k.Arch == "arm64" {
			dev = "virtio-net-device,netdev=n0"
		}
		args = append(args, "-netdev", netdev, "-device", dev)
	} else {
		args = append(args, "-nic", "none")
	}
	g.cmd = exec.Command(qemuBinary(k.Arch), args...)
	g.cmd.Stdout = syncWriter{g}
	g.cmd.Stderr = syncWriter{g}
	if err := g.cmd.Start(); err != nil {
		t.Fatalf("vm: %v", err)
	}
	go func() {
		_ = g.cmd.Wait()
		close(g.done)
	}()
	t.Cleanup(func() {
		g.Stop()
		if t.Failed() {
			t.Logf("guest console:\n%s", g.Log())
		}
	})
	return g
}

// HostPort is the host port forwarded to the guest's TCP port p.
func (g *Guest) HostPort(p int) int { return g.ports[p] }

// Log is the console output so far.
func (g *Guest) Log() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.log.String()
}

// WaitFor waits until the console shows s; false if the guest ended or
// timeout passed first.
func (g *Guest) WaitFor(s string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if strings.Contains(g.Log(), s) {
			return true
		}
		select {
		case <-g.done:
			return strings.Contains(g.Log(), s)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// Wait waits for the guest to power off, up to timeout.
func (g *Guest) Wait(timeout time.Duration) bool {
	select {
	case <-g.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Stop ends the VM now.
func (g *Guest) Stop() {
	select {
	case <-g.done:
		return
	default:
	}
	_ = g.cmd.Process.Kill()
	<-g.done
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("vm: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// initScript brings the guest up: busybox applets, kernel file systems,
// modules in order, loopback and the user network, then the test's
// script, then power off.
const initScript = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in /mods/*.ko; do
  insmod "$m" $(cat "${m%.ko}.params" 2>/dev/null) || echo "VM: insmod $m failed"
done
ifconfig lo 127.0.0.1 up
if [ -e /sys/class/net/eth0 ]; then
  ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up; route add default gw 10.0.2.2
fi
echo "VM: up after $(cut -d' ' -f1 /proc/uptime)s"
sh /test.sh
echo "VM: script ended rc=$?"
poweroff -f
`

func buildInitrd(k *Kernel, mods []string, o Options, out string) error {
	e := map[string]cpioEntry{}
	for _, d := range []string{"bin", "dev", "proc", "sys", "tmp", "mods", "etc"} {
		e[d] = cpioEntry{mode: modeDir}
	}
	bb, err := os.ReadFile(k.Busybox)
	if err != nil {
		return err
	}
	e["bin/busybox"] = cpioEntry{mode: modeExec, data: bb}
	e["init"] = cpioEntry{mode: modeExec, data: []byte(initScript)}
	e["test.sh"] = cpioEntry{mode: modeExec, data: []byte(o.Script)}
	files, err := moduleFiles(k, mods)
	if err != nil {
		return err
	}
	for i, f := range files {
		data, err := readModule(f)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".xz"), ".ko")
		base := fmt.Sprintf("mods/%02d-%s", i, name)
		e[base+".ko"] = cpioEntry{mode: modeFile, data: data}
		if p := o.Params[strings.ReplaceAll(name, "-", "_")]; p != "" {
			e[base+".params"] = cpioEntry{mode: modeFile, data: []byte(p)}
		}
	}
	for guest, host := range o.Files {
		data, err := os.ReadFile(host)
		if err != nil {
			return err
		}
		guest = strings.TrimPrefix(guest, "/")
		for d := filepath.Dir(guest); d != "."; d = filepath.Dir(d) {
			if _, ok := e[d]; !ok {
				e[d] = cpioEntry{mode: modeDir}
			}
		}
		e[guest] = cpioEntry{mode: modeExec, data: data}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err := writeCPIO(zw, e); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// moduleFiles asks modprobe for the insmod order of mods and their
// dependencies, without duplicates; built-in modules need no file.
func moduleFiles(k *Kernel, mods []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, m := range mods {
		b, err := exec.Command("modprobe", "-d", k.ModRoot, "-S", k.Version, "--show-depends", m).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("modprobe %s: %v: %s", m, err, b)
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "insmod" && !seen[f[1]] {
				seen[f[1]] = true
				out = append(out, f[1])
			}
		}
	}
	return out, nil
}

func readModule(path string) ([]byte, error) {
	if strings.HasSuffix(path, ".xz") {
		return exec.Command("xz", "-dc", path).Output()
	}
	return os.ReadFile(path)
}
