// Package firmware is the application: it owns the configuration, the
// listeners, the live sources and the path resolution, and wires them to
// the RTSP server.
package firmware

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"rtspcam/drivers/audio"
	"rtspcam/drivers/v4l2"
	"rtspcam/firmware/config"
	"rtspcam/firmware/notify"
	"rtspcam/firmware/source"
	"rtspcam/firmware/source/testpattern"
	"rtspcam/hwenc"
	"rtspcam/rtsp"
	"rtspcam/rtsp/auth"
	"rtspcam/rtsp/payload"
)

// Version is set at build time with -ldflags "-X rtspcam/firmware.Version=…".
var Version = "dev"

// FallbackRTSPPort is used when binding the configured port (554 by
// default) is refused for lack of privilege.
const FallbackRTSPPort = 8554

// supported names the configuration features this build has; the rest are
// accepted and logged once as not yet supported.
var supported = map[string]bool{
	config.FeatureAuth: true, config.FeatureIPv6: true, config.FeatureUDPBasePort: true,
	config.FeatureRTSPS: true, config.FeatureOutput: true, config.FeatureRTSPOverHTTP: true, config.FeatureRTSPOverHTTPS: true,
	config.FeatureHTTPNotify: true, config.FeaturePusher: true,
	config.FeatureMulticast: true,
}

// Ports tried when binding a configured privileged port is refused.
const (
	FallbackRTSPSPort = 8322
	FallbackHTTPPort  = 8080
	FallbackHTTPSPort = 8443
)

// listener is one bound address and what it speaks.
type listener struct {
	l      net.Listener
	scheme string // "rtsp", "rtsps", "http", "https"
}

// App is a running rtspcam.
type App struct {
	log       *slog.Logger
	cfg       atomic.Pointer[config.Config]
	server    *rtsp.Server
	validator *auth.Validator
	pattern   *source.Live

	mu        sync.Mutex
	listeners []listener
	pushers   []runningPusher // see pushers.go
	serving   sync.WaitGroup

	notifier atomic.Pointer[notify.Client] // see hooks.go

	screensMu sync.Mutex
	screens   map[string]*screenLive // by lower-cased path; see screen.go
	noSHMOnce sync.Once              // logs the first display without MIT-SHM

	pubsMu  sync.Mutex
	pubs    map[string]*publication // by path; see publish.go
	pubOpts PublishOptions

	cams      v4l2.System // the V4L2 devices; a fake in tests
	camerasMu sync.Mutex
	cameras   map[string]*cameraLive // by device and request; see camera.go
	encoders  *hwenc.Selector        // see output_sources.go
	transMu   sync.Mutex
	trans     map[string]*transcodedLive // by transcodeKey
	// fileXcodeLogged holds the file transcodings logged at info once.
	fileXcodeLogged sync.Map
	audio           audio.System // PulseAudio or ALSA; see audio_system.go
	micsMu          sync.Mutex
	mics            map[string]*source.Live // by device and encoding
}

// New builds the application for cfg; Start makes it listen.
func New(cfg *config.Config, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tp, err := testpattern.New(testpattern.DefaultOptions())
	if err != nil {
		return nil, fmt.Errorf("test pattern: %w", err)
	}
	a := &App{
		log:       log,
		validator: auth.NewValidator("rtspcam", nil, 5*time.Minute),
		pattern:   source.NewLive("testpattern", patternRunner{tp}, log),
		cams:      v4l2.Host{},
		encoders:  newEncoderSelector(log),
	}
	var sysName, why string
	a.audio, sysName, why = AudioSystem()
	log.Info("audio system", "system", sysName, "why", why)
	a.server = &rtsp.Server{
		Handler:        a,
		ServerName:     "rtspcam/" + Version,
		SessionTimeout: cfg.SessionTimeout,
		UDPBasePort:    cfg.UDPBasePort,
		Multicast:      cfg.Multicast,
		Logger:         log,
	}
	if err := a.apply(cfg); err != nil {
		return nil, err
	}
	for _, name := range cfg.Unsupported(supported) {
		log.Warn("setting accepted but not yet supported by this build", "setting", name)
	}
	return a, nil
}

// patternRunner adapts the test pattern to source.Runner.
type patternRunner struct{ p *testpattern.Pattern }

func (r patternRunner) Formats() []payload.Format                      { return r.p.Formats() }
func (r patternRunner) Run(ctx context.Context, w source.Writer) error { return r.p.Run(ctx, w) }

// Config returns the configuration in force.
func (a *App) Config() *config.Config { return a.cfg.Load() }

// apply puts the reloadable parts of cfg in force.
func (a *App) apply(cfg *config.Config) error {
	n, err := newNotifier(cfg)
	if err != nil {
		return fmt.Errorf("http_notify: %w", err)
	}
	a.setNotifier(n)
	a.SetPublishOptions(publishOptions(cfg))
	a.cfg.Store(cfg)
	a.validator.SetUsers(cfg.UserMap())
	if cfg.NeedAuth {
		a.server.SetAuth(a.validator)
	} else {
		a.server.SetAuth(nil)
	}
	return nil
}

// Reload puts a new configuration in force without dropping sessions:
// users, authentication, outputs, loop count and media folder. Listening
// ports change only with a restart.
func (a *App) Reload(cfg *config.Config) {
	old := a.cfg.Load()
	if old.RTSPPort != cfg.RTSPPort || old.ServerIP != cfg.ServerIP || old.IPv6 != cfg.IPv6 ||
		old.RTSPS != cfg.RTSPS || old.RTSPOverHTTP != cfg.RTSPOverHTTP || old.HTTPPort != cfg.HTTPPort ||
		old.RTSPOverHTTPS != cfg.RTSPOverHTTPS || old.HTTPSPort != cfg.HTTPSPort ||
		old.HTTPSCert != cfg.HTTPSCert || old.HTTPSKey != cfg.HTTPSKey {
		a.log.Warn("listener and certificate changes take effect after a restart")
	}
	if err := a.apply(cfg); err != nil {
		a.log.Error("configuration not reloaded", "file", cfg.Path, "err", err)
		return
	}
	a.log.Info("configuration reloaded", "file", cfg.Path, "users", len(cfg.Users), "need_auth", cfg.NeedAuth)
}

// Start binds the listeners and serves them in the background: RTSP, and
// as configured RTSPS, RTSP over HTTP and over HTTPS (the HTTP ports also
// take RTSP over WebSocket).
func (a *App) Start() error {
	cfg := a.cfg.Load()
	port := cfg.RTSPPort
	if port == 0 {
		port = 554
	}
	if err := a.startListener(cfg, "rtsp", port, FallbackRTSPPort, nil); err != nil {
		return err
	}
	// The other listeners are extras: a camera whose web UI holds port 80,
	// or whose certificate file is damaged, still streams over RTSP.
	optional := func(scheme string, port, fallback int, certFile, keyFile string, useTLS bool) {
		var tc *tls.Config
		if useTLS {
			var err error
			if tc, err = a.tlsConfig(cfg, scheme, certFile, keyFile); err != nil {
				a.log.Error("listener disabled", "listener", scheme, "err", err)
				return
			}
		}
		if err := a.startListener(cfg, scheme, port, fallback, tc); err != nil {
			a.log.Error("listener disabled", "listener", scheme, "err", err)
		}
	}
	if cfg.RTSPS.Enable {
		optional("rtsps", orDefault(cfg.RTSPS.Port, config.DefaultRTSPSPort), FallbackRTSPSPort, cfg.RTSPS.Cert, cfg.RTSPS.Key, true)
	}
	if cfg.RTSPOverHTTP {
		optional("http", orDefault(cfg.HTTPPort, config.DefaultHTTPPort), FallbackHTTPPort, "", "", false)
	}
	if cfg.RTSPOverHTTPS {
		optional("https", orDefault(cfg.HTTPSPort, config.DefaultHTTPSPort), FallbackHTTPSPort, cfg.HTTPSCert, cfg.HTTPSKey, true)
	}
	a.startPushers(cfg)
	return nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// startListener binds port (fallback when the port needs a privilege we
// lack) and serves it, in TLS when tc is set.
func (a *App) startListener(cfg *config.Config, scheme string, port, fallback int, tc *tls.Config) error {
	l, err := a.listen(cfg, port)
	if err != nil && errors.Is(err, syscall.EACCES) {
		a.log.Warn("no privilege to bind the port, falling back", "listener", scheme, "port", port, "fallback", fallback)
		l, err = a.listen(cfg, fallback)
	}
	if err != nil {
		return fmt.Errorf("%s listen: %w", scheme, err)
	}
	a.mu.Lock()
	a.listeners = append(a.listeners, listener{l: l, scheme: scheme})
	a.mu.Unlock()
	a.serving.Add(1)
	go func() {
		defer a.serving.Done()
		var err error
		if tc != nil {
			err = a.server.ServeTLS(l, tc)
		} else {
			err = a.server.Serve(l)
		}
		if err != nil && !errors.Is(err, rtsp.ErrServerClosed) {
			a.log.Error("listener stopped", "listener", scheme, "err", err)
		}
	}()
	a.log.Info(scheme+" listening", "addr", l.Addr().String())
	return nil
}

func (a *App) listen(cfg *config.Config, port int) (net.Listener, error) {
	network := "tcp4"
	host := cfg.ServerIP
	if cfg.IPv6 {
		network = "tcp" // dual stack on the wildcard address
	}
	if host != "" && net.ParseIP(host) != nil && net.ParseIP(host).To4() == nil {
		network = "tcp6"
	}
	return net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
}

// Addrs are the bound listener addresses, the RTSP one first.
func (a *App) Addrs() []net.Addr {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []net.Addr
	for _, l := range a.listeners {
		out = append(out, l.l.Addr())
	}
	return out
}

// Addr is the bound address of the listener speaking scheme ("rtsp",
// "rtsps", "http", "https"), nil when there is none.
func (a *App) Addr(scheme string) net.Addr {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, l := range a.listeners {
		if l.scheme == scheme {
			return l.l.Addr()
		}
	}
	return nil
}

// Shutdown ends every session cleanly (RTCP BYE) and stops listening.
func (a *App) Shutdown(ctx context.Context) error {
	a.closePushers()
	a.closePublications()
	err := a.server.Shutdown(ctx)
	a.pattern.Close()
	a.closeScreens()
	a.closeCameras()
	a.closeTranscoded()
	a.closeMics()
	a.serving.Wait()
	if n := a.notifier.Swap(nil); n != nil {
		n.Close() // after the sessions: their on_done calls go out first
	}
	return err
}

// Close stops now.
func (a *App) Close() error {
	a.closePushers()
	a.closePublications()
	err := a.server.Close()
	a.pattern.Close()
	a.closeScreens()
	a.closeCameras()
	a.closeTranscoded()
	a.closeMics()
	a.serving.Wait()
	if n := a.notifier.Swap(nil); n != nil {
		n.Close() // after the sessions: their on_done calls go out first
	}
	return err
}
