package firmware

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"rtspcam/drivers/x11"
	"rtspcam/firmware/config"
	"rtspcam/firmware/paths"
	"rtspcam/firmware/source"
	"rtspcam/firmware/source/screen"
	"rtspcam/rtsp"
	"rtspcam/rtsp/payload"
)

// screenLive is the shared live source of one screenlive/window path and
// the display connection it captures from.
type screenLive struct {
	live *source.Live
	dev  *x11.Display
	tgt  x11.Target
	fps  float64 // 0: the screen source's default
}

func (s *screenLive) close() {
	s.live.Close()
	s.dev.Close()
}

// screenRunner adapts screen.Source to source.Runner.
type screenRunner struct{ s *screen.Source }

func (r screenRunner) Formats() []payload.Format                      { return r.s.Formats() }
func (r screenRunner) Run(ctx context.Context, w source.Writer) error { return r.s.Run(ctx, w) }

// screenTarget reads the capture target from a screenlive[N] or
// window=Title path.
func screenTarget(t paths.Target) (x11.Target, error) {
	if t.Kind == paths.KindWindow {
		if t.Arg == "" {
			return x11.Target{}, errors.New("window= names no title")
		}
		return x11.Target{Window: t.Arg}, nil
	}
	if t.Arg == "" {
		return x11.Target{}, nil
	}
	n, err := strconv.Atoi(t.Arg)
	if err != nil || n < 0 {
		return x11.Target{}, fmt.Errorf("screenlive%s: want screenlive or screenliveN", t.Arg)
	}
	return x11.Target{Screen: n}, nil
}

// checkTarget tells whether tgt exists on dev now; the error names what
// does exist.
func checkTarget(dev x11.Device, tgt x11.Target) error {
	if tgt.Window != "" {
		ws, err := dev.Windows()
		if err != nil {
			return err
		}
		if _, err := x11.MatchWindow(ws, tgt.Window); err != nil {
			titles := make([]string, len(ws))
			for i, w := range ws {
				titles[i] = strconv.Quote(w.Title)
			}
			return fmt.Errorf("%w; the windows are: %s", err, strings.Join(titles, ", "))
		}
		return nil
	}
	ss, err := dev.Screens()
	if err != nil {
		return err
	}
	if tgt.Screen >= len(ss) {
		sizes := make([]string, len(ss))
		for i, s := range ss {
			sizes[i] = fmt.Sprintf("%d: %dx%d", i, s.Width, s.Height)
		}
		return fmt.Errorf("%w: %d; the screens are %s", x11.ErrNoScreen, tgt.Screen, strings.Join(sizes, ", "))
	}
	return nil
}

// openScreen returns a reader's handle on the shared live source of a
// screenlive or window= path, starting the display connection on first
// use.
func (a *App) openScreen(req *rtsp.Request, t paths.Target, cfg *config.Config) (rtsp.Media, error) {
	tgt, err := screenTarget(t)
	if err != nil {
		a.log.Info("no such screen", "path", req.Path, "err", err)
		return nil, rtsp.ErrNotFound
	}
	spec, err := a.outputFor(req, cfg)
	if err != nil {
		return nil, err
	}
	key := strings.ToLower(t.Name)
	a.screensMu.Lock()
	defer a.screensMu.Unlock()
	if s := a.screens[key]; s != nil {
		err := checkTarget(s.dev, tgt)
		if err == nil {
			if m, ok, err := a.openScreenTranscoded(req, t, tgt, s.dev, spec, s.fps); ok {
				return m, err
			}
			return s.live.Open(), nil
		}
		if errors.Is(err, x11.ErrNoWindow) || errors.Is(err, x11.ErrNoScreen) {
			a.log.Info("capture target not found", "path", req.Path, "err", err)
			return nil, rtsp.ErrNotFound
		}
		// The display connection broke (X server restarted?): start over.
		a.log.Warn("display connection lost, reconnecting", "path", req.Path, "err", err)
		s.close()
		delete(a.screens, key)
	}
	dev, err := x11.Open("")
	if err != nil {
		a.log.Warn("no X display to capture", "path", req.Path, "err", err)
		return nil, rtsp.ErrNotFound
	}
	if err := dev.SHM(); err != nil {
		a.noSHMOnce.Do(func() {
			a.log.Info("screen capture falls back to GetImage (every frame crosses the X socket)", "err", err)
		})
	}
	if err := checkTarget(dev, tgt); err != nil {
		dev.Close()
		a.log.Info("capture target not found", "path", req.Path, "err", err)
		return nil, rtsp.ErrNotFound
	}
	var opts screen.Options
	if o := cfg.MatchOutput(req.Path); o != nil && o.Video.FrameRate > 0 {
		opts.FPS = min(o.Video.FrameRate, screen.MaxFPS)
	}
	src, err := screen.New(dev, tgt, opts)
	if err != nil {
		dev.Close()
		a.log.Warn("cannot capture", "path", req.Path, "err", err)
		return nil, rtsp.ErrNotFound
	}
	s := &screenLive{live: source.NewLive(t.Name, screenRunner{src}, a.log), dev: dev, tgt: tgt, fps: opts.FPS}
	if a.screens == nil {
		a.screens = make(map[string]*screenLive)
	}
	a.screens[key] = s
	a.log.Info("capture source ready", "path", req.Path, "target", tgt.String())
	if m, ok, err := a.openScreenTranscoded(req, t, tgt, s.dev, spec, s.fps); ok {
		return m, err
	}
	return s.live.Open(), nil
}

// closeScreens stops every screen and window source and drops the display
// connections.
func (a *App) closeScreens() {
	a.screensMu.Lock()
	ss := a.screens
	a.screens = nil
	a.screensMu.Unlock()
	for _, s := range ss {
		s.close()
	}
}
