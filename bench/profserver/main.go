// Command profserver is rtspserver with profiling, for finding out what
// dominates the figures bench/run.sh measures. It serves the config like
// rtspserver does and, on SIGINT/SIGTERM, writes the CPU profile of the
// whole run and a heap profile, then exits:
//
//	go build -o /tmp/profserver ./bench/profserver
//	/tmp/profserver -c cfg -cpuprofile cpu.pprof -memprofile mem.pprof &
//	rtspload -n 200 -d 20s rtsp://127.0.0.1:PORT/file.mp4; kill %1
//	go tool pprof -top /tmp/profserver cpu.pprof
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"

	"flag"

	"rtspcam/firmware"
	"rtspcam/firmware/config"
)

func main() {
	cfgPath := flag.String("c", "", "configuration file")
	cpuPath := flag.String("cpuprofile", "cpu.pprof", "CPU profile written at exit")
	memPath := flag.String("memprofile", "mem.pprof", "heap profile written at exit (in-use at the peak is not kept: take it while readers play with SIGUSR1)")
	flag.Parse()
	if err := run(*cfgPath, *cpuPath, *memPath); err != nil {
		fmt.Fprintln(os.Stderr, "profserver:", err)
		os.Exit(1)
	}
}

func run(cfgPath, cpuPath, memPath string) error {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	app, err := firmware.New(cfg, nil)
	if err != nil {
		return err
	}
	cpu, err := os.Create(cpuPath)
	if err != nil {
		return err
	}
	defer cpu.Close()
	if err := pprof.StartCPUProfile(cpu); err != nil {
		return err
	}
	if err := app.Start(); err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGUSR1)
	for s := range sig {
		if s == syscall.SIGUSR1 {
			// A heap snapshot while readers are playing.
			if err := writeHeap(memPath); err != nil {
				return err
			}
			continue
		}
		break
	}
	pprof.StopCPUProfile()
	return app.Close()
}

func writeHeap(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.WriteHeapProfile(f)
}
