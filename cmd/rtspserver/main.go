// Command rtspserver is rtspcam's server: a drop-in for the Happytime RTSP
// Server's binary of the same name.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"rtspcam/drivers/v4l2"
	"rtspcam/drivers/x11"
	"rtspcam/firmware"
	"rtspcam/firmware/config"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfgPath := flag.String("c", "", "configuration file (default: rtspserver.cfg in the working folder, else built-in defaults)")
	list := flag.String("l", "", "list what can be streamed: device, videodevice, audiodevice or window")
	version := flag.Bool("v", false, "print the version and exit")
	flag.Parse()
	if *version {
		fmt.Println("rtspserver (rtspcam)", firmware.Version)
		return 0
	}
	if *list != "" {
		return listDevices(*list)
	}

	// Catch signals before anything starts: an init script's SIGHUP or
	// SIGTERM right after start must not kill the process uncleanly.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)

	cfg, err := config.Find(*cfgPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtspserver:", err)
		return 2
	}
	level := new(slog.LevelVar)
	log := newLogger(cfg, level)
	app, err := firmware.New(cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtspserver:", err)
		return 1
	}
	if err := app.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "rtspserver:", err)
		return 1
	}
	if cfg.Path != "" {
		log.Info("configuration loaded", "file", cfg.Path)
	} else {
		log.Info("no configuration file, using built-in defaults")
	}
	fmt.Println("rtspcam", firmware.Version, "serving; play any of:")
	for _, u := range app.URLs() {
		fmt.Println("  " + u)
	}

	for sig := range sigs {
		if sig == syscall.SIGHUP {
			path := cfg.Path
			next, err := config.Find(path)
			if err != nil {
				log.Error("reload refused, keeping the running configuration", "err", err)
				continue
			}
			level.Set(slogLevel(next.LogLevel))
			app.Reload(next)
			cfg = next
			continue
		}
		log.Info("shutting down", "signal", sig.String())
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := app.Shutdown(ctx)
		cancel()
		if err != nil {
			app.Close()
		}
		return 0
	}
	return 0
}

// newLogger honours log_enable and log_level (0 TRACE … 5 FATAL).
func newLogger(cfg *config.Config, level *slog.LevelVar) *slog.Logger {
	if !cfg.LogEnable {
		return slog.New(slog.DiscardHandler)
	}
	level.Set(slogLevel(cfg.LogLevel))
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func slogLevel(l int) slog.Level {
	switch l {
	case 0:
		return slog.LevelDebug - 4
	case 1:
		return slog.LevelDebug
	case 2:
		return slog.LevelInfo
	case 3:
		return slog.LevelWarn
	case 4:
		return slog.LevelError
	default:
		return slog.LevelError + 4
	}
}

func listDevices(kind string) int {
	switch kind {
	case "videodevice":
		return listCameras(v4l2.Host{})
	case "audiodevice":
		return listAudio()
	case "device":
		if rc := listCameras(v4l2.Host{}); rc != 0 {
			return rc
		}
		if rc := listAudio(); rc != 0 {
			return rc
		}
		return listScreens()
	case "window":
		return listWindows()
	}
	fmt.Fprintf(os.Stderr, "rtspserver: -l takes device, videodevice, audiodevice or window, not %q\n", kind)
	return 2
}

// listCameras prints the V4L2 capture devices as rtsp paths, with the
// formats and sizes each offers.
func listCameras(sys v4l2.System) int {
	devs, err := sys.Devices()
	if err != nil {
		fmt.Printf("no videodevice sources: %v\n", err)
		return 0
	}
	if len(devs) == 0 {
		fmt.Println("no videodevice sources: no V4L2 capture devices")
		return 0
	}
	fmt.Println("video devices (play videodeviceN or videodevice=Name; videodevice is device 0):")
	for _, d := range devs {
		fmt.Printf("%d: videodevice%d %s (%s, %s)\n", d.Index, d.Index, d.Name, d.Path, d.Driver)
		for _, f := range d.Formats {
			sizes := make([]string, len(f.Sizes))
			for i, s := range f.Sizes {
				sizes[i] = fmt.Sprintf("%dx%d", s.Width, s.Height)
			}
			fmt.Printf("   %s (%s): %s\n", f.Pixel, f.Description, strings.Join(sizes, " "))
		}
	}
	return 0
}

// listScreens prints the X11 monitors as rtsp paths: screenliveN.
func listScreens() int {
	d, err := x11.Open("")
	if err != nil {
		fmt.Printf("no screen sources: %v\n", err)
		return 0
	}
	defer d.Close()
	ss, err := d.Screens()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtspserver:", err)
		return 1
	}
	fmt.Println("screens (play screenliveN; screenlive is screen 0):")
	for _, s := range ss {
		name := ""
		if s.Name != "" {
			name = " " + s.Name
		}
		fmt.Printf("%d: screenlive%d (%dx%d at %d,%d)%s\n", s.Index, s.Index, s.Width, s.Height, s.X, s.Y, name)
	}
	return 0
}

// listWindows prints the titled windows, one per line: "index: title (WxH)";
// play one as window=<title>.
func listWindows() int {
	d, err := x11.Open("")
	if err != nil {
		fmt.Printf("no window sources: %v\n", err)
		return 0
	}
	defer d.Close()
	ws, err := d.Windows()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtspserver:", err)
		return 1
	}
	for i, w := range ws {
		fmt.Printf("%d: %s (%dx%d)\n", i, w.Title, w.Width, w.Height)
	}
	return 0
}

// listAudio prints the capture sources of the sound system the server
// would use (PulseAudio, else ALSA), one per line:
// "index: name (description, rate Hz, channels ch)"; play one as
// audiodeviceN or audiodevice=<name>.
func listAudio() int {
	sys, name, why := firmware.AudioSystem()
	devs, err := sys.Sources()
	if err != nil {
		fmt.Printf("no audiodevice sources: %v (%s)\n", err, why)
		return 0
	}
	fmt.Printf("audio devices from %s (play audiodeviceN or audiodevice=Name; audiodevice is the default):\n", name)
	for _, d := range devs {
		def := ""
		if d.Default {
			def = " default"
		}
		fmt.Printf("%d: %s (%s, %d Hz, %d ch)%s\n", d.Index, d.Name, d.Description, d.Format.Rate, d.Format.Channels, def)
	}
	return 0
}
