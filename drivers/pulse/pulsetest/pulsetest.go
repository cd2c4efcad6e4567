// Package pulsetest starts a private PulseAudio daemon for tests: its own
// runtime directory, a null sink whose monitor is a capture source, and
// pacat to play a tone into it.
package pulsetest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Server is a running PulseAudio daemon.
type Server struct {
	// Dir is its runtime directory (PULSE_RUNTIME_PATH); the socket is
	// Dir/native.
	Dir string
	// Sink is the null sink's name; Sink+".monitor" is its monitor source.
	Sink string
	env  []string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs pulseaudio with a null sink named sink and stops it in
// t.Cleanup. A missing pulseaudio binary fails the test.
func Start(t testing.TB, sink string) *Server {
	t.Helper()
	bin, err := exec.LookPath("pulseaudio")
	if err != nil {
		t.Fatalf("pulseaudio not installed (scripts/deps.sh): %v", err)
	}
	// A short root keeps the socket path under the 108-byte limit.
	root, err := os.MkdirTemp("", "pa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	s := &Server{Dir: filepath.Join(root, "pulse"), Sink: sink}
	home := filepath.Join(root, "home")
	for _, d := range []string{s.Dir, home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s.env = append(os.Environ(), "XDG_RUNTIME_DIR="+root, "PULSE_RUNTIME_PATH="+s.Dir, "HOME="+home,
		"PULSE_STATE_PATH="+filepath.Join(home, "state"), "PULSE_SERVER=unix:"+filepath.Join(s.Dir, "native"))
	s.start(t, bin)
	return s
}

func (s *Server) start(t testing.TB, bin string) {
	t.Helper()
	var log bytes.Buffer
	s.cmd = exec.Command(bin, "--daemonize=no", "--system=false", "--exit-idle-time=-1", "-n",
		"--disable-shm=true", "--log-target=stderr",
		"--load=module-null-sink sink_name="+s.Sink+" norewinds=1",
		"--load=module-native-protocol-unix auth-anonymous=1")
	s.cmd.Env = s.env
	s.cmd.Stderr = &log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("pulseaudio: %v", err)
	}
	s.done = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := s.Command("pactl", "info").CombinedOutput()
		if err == nil {
			return
		}
		select {
		case <-s.done:
			t.Fatalf("pulseaudio exited: %s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pulseaudio did not answer: %v: %s", err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Env is the environment that points a client at this server.
func (s *Server) Env() []string { return s.env }

// Setenv points this process's clients at the server for the test.
func (s *Server) Setenv(t testing.TB) {
	t.Setenv("PULSE_SERVER", "unix:"+filepath.Join(s.Dir, "native"))
	t.Setenv("PULSE_RUNTIME_PATH", s.Dir)
}

// Command is a pulseaudio-utils command talking to this server.
func (s *Server) Command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = s.env
	return c
}

// Stop kills the daemon and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
}

// Restart starts the daemon again after Stop.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	bin, err := exec.LookPath("pulseaudio")
	if err != nil {
		t.Fatal(err)
	}
	s.start(t, bin)
}

// Tone is seconds of a freq Hz sine at amp (of full scale) as 16-bit
// little-endian mono PCM at rate.
func Tone(rate int, freq, amp, seconds float64) []byte {
	n := int(float64(rate) * seconds)
	b := make([]byte, 2*n)
	for i := range n {
		v := int16(math.Round(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

// PlayTone plays a freq Hz sine at amp into the null sink with pacat for
// seconds, in the background; the player is killed in t.Cleanup. A
// quarter second of buffer keeps a loaded machine from starving it.
func (s *Server) PlayTone(t testing.TB, freq, amp, seconds float64) {
	t.Helper()
	if _, err := exec.LookPath("pacat"); err != nil {
		t.Fatalf("pacat not installed (pulseaudio-utils): %v", err)
	}
	c := s.Command("pacat", "--playback", "--raw", "--device="+s.Sink, "--format=s16le", "--rate=48000",
		"--channels=1", "--latency-msec=250")
	c.Stdin = bytes.NewReader(Tone(48000, freq, amp, seconds))
	if err := c.Start(); err != nil {
		t.Fatalf("pacat: %v", err)
	}
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	t.Cleanup(func() {
		c.Process.Kill()
		<-done
	})
}

// LoadSink adds another null sink named name.
func (s *Server) LoadSink(t testing.TB, name string) {
	t.Helper()
	if out, err := s.Command("pactl", "load-module", "module-null-sink", "sink_name="+name,
		fmt.Sprintf("sink_properties=device.description=%s", name)).CombinedOutput(); err != nil {
		t.Fatalf("pactl load-module: %v: %s", err, out)
	}
}
