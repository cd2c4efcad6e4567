package firmware

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"rtspcam/firmware/config"
)

// e2eStartWith starts the app on dir's media with the listeners tweak
// turns on; the configuration "lives" in cfgDir, where generated
// certificates go.
func e2eStartWith(t *testing.T, mediaDir, cfgDir string, tweak func(*config.Config)) *App {
	t.Helper()
	cfg := testConfig(t, mediaDir)
	cfg.Path = filepath.Join(cfgDir, "rtspserver.cfg")
	cfg.LoopNums = -1
	if tweak != nil {
		tweak(cfg)
	}
	return startTestApp(t, cfg, nil).app
}

func e2ePort(app *App, scheme string) int { return app.Addr(scheme).(*net.TCPAddr).Port }

// e2eAllSecure turns on RTSPS, RTSP over HTTP and over HTTPS, on free ports.
func e2eAllSecure(t *testing.T) func(*config.Config) {
	return func(c *config.Config) {
		c.RTSPS = config.RTSPS{Enable: true, Port: e2eFreePort(t)}
		c.RTSPOverHTTP, c.HTTPPort = true, e2eFreePort(t)
		c.RTSPOverHTTPS, c.HTTPSPort = true, e2eFreePort(t)
	}
}

// e2eGstRefused runs rtspsrc on url with TLS validation on and expects
// GStreamer to fail to connect.
func e2eGstRefused(t *testing.T, url string) {
	t.Helper()
	out, err := e2eRun(context.Background(), 20*time.Second, "timeout", "-k", "2", "-s", "INT", "8",
		"gst-launch-1.0", "rtspsrc", "location="+url, "!", "fakesink")
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) || ee.ExitCode() == 124 {
		t.Fatalf("GStreamer with TLS validation on played %s (err %v), want refused:\n%s", url, err, out)
	}
	// rtspsrc says "Could not open resource for reading and writing" /
	// "Failed to connect" when the certificate does not validate.
	if !bytes.Contains(out, []byte("ERROR")) || !bytes.Contains(out, []byte("connect")) {
		t.Fatalf("GStreamer failed, but not for the connection:\n%s", out)
	}
	t.Logf("refused as expected: %s", firstLine(out, "ERROR"))
}

// TestE2ESecure plays the test pattern and a file to ffprobe and
// GStreamer over RTSPS, the HTTP tunnel (on the HTTP port and detected on
// the RTSP port) and the HTTPS tunnel.
func TestE2ESecure(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe", "gst-launch-1.0", "timeout")
	dir := t.TempDir()
	clip := e2eClips[0]
	file := e2eMakeClip(t, dir, clip.name, clip.args)
	fp, err := e2eFFprobe(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	app := e2eStartWith(t, dir, t.TempDir(), e2eAllSecure(t))
	rtspP, rtspsP, httpP, httpsP := e2ePort(app, "rtsp"), e2ePort(app, "rtsps"), e2ePort(app, "http"), e2ePort(app, "https")

	sources := []struct {
		path string
		want []e2eStream
	}{{"testpattern", e2eTestPattern}, {clip.name, fp.Streams}}
	probes := []struct {
		name, url string
		opts      []string
	}{
		{"rtsps", "rtsps://127.0.0.1:%d/", nil},
		{"http-port", "rtsp://127.0.0.1:%d/", []string{"-rtsp_transport", "http"}},
		{"http-on-rtsp-port", "rtsp://127.0.0.1:%d/", []string{"-rtsp_transport", "http"}},
		{"https", "rtsp://127.0.0.1:%d/", []string{"-rtsp_transport", "https"}},
	}
	ports := map[string]int{"rtsps": rtspsP, "http-port": httpP, "http-on-rtsp-port": rtspP, "https": httpsP}
	for _, pr := range probes {
		for _, src := range sources {
			t.Run("ffprobe/"+pr.name+"/"+src.path, func(t *testing.T) {
				t.Parallel()
				url := fmt.Sprintf(pr.url, ports[pr.name]) + src.path
				p, err := e2eFFprobe(context.Background(), url, append([]string{"-tls_verify", "0"}, pr.opts...)...)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := e2eSummary(p.Streams), e2eSummary(src.want); !slices.Equal(got, want) {
					t.Errorf("ffprobe %s reports\n  %q\nwant\n  %q", url, got, want)
				}
			})
		}
	}
	gst := []struct{ name, url, proto string }{
		{"rtsps", fmt.Sprintf("rtsps://127.0.0.1:%d/", rtspsP), "tcp tls-validation-flags=0"},
		{"rtsph", fmt.Sprintf("rtsph://127.0.0.1:%d/", httpP), "tcp"},
		{"rtspsh", fmt.Sprintf("rtspsh://127.0.0.1:%d/", httpsP), "tcp tls-validation-flags=0"},
	}
	for _, g := range gst {
		for _, src := range sources {
			if g.name != "rtsps" && src.path != "testpattern" {
				continue // the file over each tunnel adds nothing the pattern does not show
			}
			t.Run("gstreamer/"+g.name+"/"+src.path, func(t *testing.T) {
				t.Parallel()
				e2eGstCheck(t, g.url+src.path, g.proto, src.want)
			})
		}
	}
	t.Run("gstreamer/validation-on/rtsps", func(t *testing.T) {
		t.Parallel()
		e2eGstRefused(t, fmt.Sprintf("rtsps://127.0.0.1:%d/testpattern", rtspsP))
	})
	t.Run("gstreamer/validation-on/rtspsh", func(t *testing.T) {
		t.Parallel()
		e2eGstRefused(t, fmt.Sprintf("rtspsh://127.0.0.1:%d/testpattern", httpsP))
	})
	t.Run("tls1.1-refused", func(t *testing.T) {
		t.Parallel()
		for _, p := range []int{rtspsP, httpsP} {
			c, err := tls.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", p), &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11})
			if err == nil {
				c.Close()
				t.Fatalf("port %d accepted TLS 1.1", p)
			}
		}
	})
}

// TestE2EGeneratedCertificate: with no certificate files, the first start
// makes a self-signed pair beside the configuration (key 0600), the
// listeners serve it, and a restart reuses it.
func TestE2EGeneratedCertificate(t *testing.T) {
	t.Parallel()
	media, cfgDir := t.TempDir(), t.TempDir()
	served := func(app *App, scheme string) []byte {
		c, err := tls.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", e2ePort(app, scheme)), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Raw
	}
	app := e2eStartWith(t, media, cfgDir, e2eAllSecure(t))
	certFile, keyFile := filepath.Join(cfgDir, DefaultCertFile), filepath.Join(cfgDir, DefaultKeyFile)
	st, err := os.Stat(keyFile)
	if err != nil {
		t.Fatalf("no key beside the configuration: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v, want 0600", st.Mode().Perm())
	}
	pem1, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	first := served(app, "rtsps")
	if !bytes.Equal(served(app, "https"), first) {
		t.Fatal("RTSPS and HTTPS serve different generated certificates")
	}
	if !slices.ContainsFunc(app.URLs(), func(u string) bool { return strings.HasPrefix(u, "rtsps://127.0.0.1:") }) {
		t.Fatalf("no rtsps:// URL printed: %q", app.URLs())
	}
	app.Close()

	again := e2eStartWith(t, media, cfgDir, e2eAllSecure(t))
	pem2, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pem1, pem2) {
		t.Fatal("the certificate file was rewritten on restart")
	}
	if !bytes.Equal(served(again, "rtsps"), first) {
		t.Fatal("after a restart the server presents another certificate")
	}
}

// TestE2EIPv6 plays over IPv6 loopback, UDP and TCP, with the server
// listening dual-stack, and prints bracketed URLs.
func TestE2EIPv6(t *testing.T) {
	t.Parallel()
	e2eRequireTools(t, "ffprobe")
	if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Fatalf("this machine has no IPv6 loopback: %v", err)
	} else {
		l.Close()
	}
	app := e2eStartWith(t, t.TempDir(), t.TempDir(), func(c *config.Config) { c.IPv6 = true })
	port := e2ePort(app, "rtsp")
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			url := fmt.Sprintf("rtsp://[::1]:%d/testpattern", port)
			p, err := e2eFFprobe(context.Background(), url, "-rtsp_transport", proto)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := e2eSummary(p.Streams), e2eSummary(e2eTestPattern); !slices.Equal(got, want) {
				t.Errorf("ffprobe %s over %s reports %q, want %q", url, proto, got, want)
			}
		})
	}
	t.Run("ipv4-too", func(t *testing.T) {
		t.Parallel()
		p, err := e2eFFprobe(context.Background(), fmt.Sprintf("rtsp://127.0.0.1:%d/testpattern", port), "-rtsp_transport", "udp")
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Streams) != len(e2eTestPattern) {
			t.Fatalf("IPv4 on the dual-stack listener: %d streams", len(p.Streams))
		}
	})
	want := fmt.Sprintf("rtsp://[::1]:%d/testpattern", port)
	if !slices.Contains(app.URLs(), want) {
		t.Errorf("URLs %q lack %s", app.URLs(), want)
	}
}

func firstLine(out []byte, prefix string) string {
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestE2EOptionalListenersFailAlone: a busy HTTP port and a damaged HTTPS
// certificate disable those listeners only, with an error logged; RTSP and
// RTSPS still serve.
func TestE2EOptionalListenersFailAlone(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfgDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfgDir, "bad.crt"), []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "bad.key"), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Path = filepath.Join(cfgDir, "rtspserver.cfg")
	cfg.RTSPPort = e2eFreePort(t)
	cfg.MediaDir = t.TempDir()
	cfg.RTSPS = config.RTSPS{Enable: true, Port: e2eFreePort(t)}
	cfg.RTSPOverHTTP, cfg.HTTPPort = true, busy.Addr().(*net.TCPAddr).Port
	cfg.RTSPOverHTTPS, cfg.HTTPSPort = true, e2eFreePort(t)
	cfg.HTTPSCert, cfg.HTTPSKey = "bad.crt", "bad.key"
	logs := &lockedBuffer{}
	app, err := New(cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(); err != nil {
		t.Fatalf("Start failed for an optional listener: %v", err)
	}
	defer app.Close()
	if app.Addr("http") != nil || app.Addr("https") != nil {
		t.Fatalf("listeners %v, want no http and no https", app.Addrs())
	}
	for _, want := range []string{"listener=http", "listener=https", "bad.crt"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	for _, scheme := range []string{"rtsp", "rtsps"} {
		nc, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", e2ePort(app, scheme)))
		if err != nil {
			t.Fatalf("%s: %v", scheme, err)
		}
		if scheme == "rtsps" {
			tc := tls.Client(nc, &tls.Config{InsecureSkipVerify: true})
			if err := tc.Handshake(); err != nil {
				t.Fatalf("rtsps handshake: %v", err)
			}
			nc = tc
		}
		fmt.Fprintf(nc, "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n")
		nc.SetReadDeadline(time.Now().Add(3 * time.Second))
		buf := make([]byte, 64)
		n, _ := nc.Read(buf)
		nc.Close()
		if !strings.HasPrefix(string(buf[:n]), "RTSP/1.0 200") {
			t.Fatalf("%s answered %q", scheme, buf[:n])
		}
	}
}

// TestE2EServerIPv6: serverip naming an IPv6 address listens there alone
// and prints it in brackets.
func TestE2EServerIPv6(t *testing.T) {
	t.Parallel()
	e2eRequireTools(t, "ffprobe")
	app := e2eStartWith(t, t.TempDir(), t.TempDir(), func(c *config.Config) { c.ServerIP = "::1" })
	port := e2ePort(app, "rtsp")
	want := fmt.Sprintf("rtsp://[::1]:%d/testpattern", port)
	if !slices.Contains(app.URLs(), want) {
		t.Fatalf("URLs %q lack %s", app.URLs(), want)
	}
	p, err := e2eFFprobe(context.Background(), want, "-rtsp_transport", "udp")
	if err != nil {
		t.Fatal(err)
	}
	if got := e2eSummary(p.Streams); !slices.Equal(got, e2eSummary(e2eTestPattern)) {
		t.Fatalf("ffprobe %s: %q", want, got)
	}
	if c, err := net.DialTimeout("tcp4", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
		c.Close()
		t.Fatal("listening on IPv4 too, with serverip ::1")
	}
}
