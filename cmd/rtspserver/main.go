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
	"syscall"
	"time"

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
	case "device", "videodevice", "audiodevice", "window":
		fmt.Printf("no %s sources are supported by this build yet\n", kind)
		return 0
	}
	fmt.Fprintf(os.Stderr, "rtspserver: -l takes device, videodevice, audiodevice or window, not %q\n", kind)
	return 2
}
