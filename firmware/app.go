// Package firmware is the application: it owns the configuration, the
// listeners, the live sources and the path resolution, and wires them to
// the RTSP server.
package firmware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"rtspcam/firmware/config"
	"rtspcam/firmware/source"
	"rtspcam/firmware/source/testpattern"
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
var supported = map[string]bool{"auth": true, "ipv6": true, "udp_base_port": true}

// App is a running rtspcam.
type App struct {
	log       *slog.Logger
	cfg       atomic.Pointer[config.Config]
	server    *rtsp.Server
	validator *auth.Validator
	pattern   *source.Live

	mu        sync.Mutex
	listeners []net.Listener
	serving   sync.WaitGroup

	screensMu sync.Mutex
	screens   map[string]*screenLive // by lower-cased path; see screen.go
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
	}
	a.server = &rtsp.Server{
		Handler:        a,
		ServerName:     "rtspcam/" + Version,
		SessionTimeout: cfg.SessionTimeout,
		UDPBasePort:    cfg.UDPBasePort,
		Logger:         log,
	}
	a.apply(cfg)
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
func (a *App) apply(cfg *config.Config) {
	a.cfg.Store(cfg)
	a.validator.SetUsers(cfg.UserMap())
	if cfg.NeedAuth {
		a.server.SetAuth(a.validator)
	} else {
		a.server.SetAuth(nil)
	}
}

// Reload puts a new configuration in force without dropping sessions:
// users, authentication, outputs, loop count and media folder. Listening
// ports change only with a restart.
func (a *App) Reload(cfg *config.Config) {
	old := a.cfg.Load()
	if old.RTSPPort != cfg.RTSPPort || old.ServerIP != cfg.ServerIP || old.IPv6 != cfg.IPv6 {
		a.log.Warn("listening address changes take effect after a restart")
	}
	a.apply(cfg)
	a.log.Info("configuration reloaded", "file", cfg.Path, "users", len(cfg.Users), "need_auth", cfg.NeedAuth)
}

// Start binds the listeners and serves them in the background.
func (a *App) Start() error {
	cfg := a.cfg.Load()
	port := cfg.RTSPPort
	if port == 0 {
		port = 554
	}
	l, err := a.listen(cfg, port)
	if err != nil && errors.Is(err, syscall.EACCES) {
		a.log.Warn("no privilege to bind the RTSP port, falling back", "port", port, "fallback", FallbackRTSPPort)
		l, err = a.listen(cfg, FallbackRTSPPort)
	}
	if err != nil {
		return fmt.Errorf("rtsp listen: %w", err)
	}
	a.mu.Lock()
	a.listeners = append(a.listeners, l)
	a.mu.Unlock()
	a.serving.Add(1)
	go func() {
		defer a.serving.Done()
		if err := a.server.Serve(l); err != nil && !errors.Is(err, rtsp.ErrServerClosed) {
			a.log.Error("rtsp server stopped", "err", err)
		}
	}()
	a.log.Info("rtsp listening", "addr", l.Addr().String())
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

// Addrs are the bound listener addresses.
func (a *App) Addrs() []net.Addr {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []net.Addr
	for _, l := range a.listeners {
		out = append(out, l.Addr())
	}
	return out
}

// Shutdown ends every session cleanly (RTCP BYE) and stops listening.
func (a *App) Shutdown(ctx context.Context) error {
	err := a.server.Shutdown(ctx)
	a.pattern.Close()
	a.closeScreens()
	a.serving.Wait()
	return err
}

// Close stops now.
func (a *App) Close() error {
	err := a.server.Close()
	a.pattern.Close()
	a.closeScreens()
	a.serving.Wait()
	return err
}
