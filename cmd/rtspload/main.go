// Command rtspload plays one RTSP URL with many concurrent TCP-interleaved
// readers and reports what they received:
//
//	rtspload -n 200 -d 20s [-json] rtsp://127.0.0.1:8554/testpattern
//
// It exits 1 when any reader failed (and 2 on bad usage). It is meant to
// run beside the server on the same machine, so it counts frames in place
// and allocates nothing per packet.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"rtspcam/rtsp/client"
)

type report struct {
	Readers  int     `json:"readers"`
	Seconds  float64 `json:"seconds"`
	Packets  uint64  `json:"packets"`
	Bytes    uint64  `json:"bytes"`
	Gaps     uint64  `json:"gaps"`
	Errors   int     `json:"errors"`
	FirstErr string  `json:"first_error,omitempty"`
}

func main() {
	n := flag.Int("n", 10, "concurrent readers")
	d := flag.Duration("d", 10*time.Second, "how long each reader plays")
	timeout := flag.Duration("timeout", client.DefaultTimeout, "bound on each request and read")
	asJSON := flag.Bool("json", false, "print the summary as JSON")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: rtspload [flags] rtsp://host:port/path\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *n < 1 || *d <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start := time.Now()
	s := client.Load(ctx, client.LoadOptions{URL: flag.Arg(0), Readers: *n, Duration: *d, Timeout: *timeout})
	rep := report{
		Readers: s.Readers, Seconds: time.Since(start).Seconds(),
		Packets: s.Packets, Bytes: s.Bytes, Gaps: s.Gaps, Errors: s.Errors,
	}
	for _, r := range s.Results {
		if r.Err != nil {
			rep.FirstErr = r.Err.Error()
			break
		}
	}
	if *asJSON {
		b, _ := json.Marshal(rep)
		fmt.Println(string(b))
	} else {
		fmt.Printf("readers %d  seconds %.1f  packets %d  bytes %d  gaps %d  errors %d\n",
			rep.Readers, rep.Seconds, rep.Packets, rep.Bytes, rep.Gaps, rep.Errors)
		if rep.FirstErr != "" {
			fmt.Printf("first error: %s\n", rep.FirstErr)
		}
	}
	if rep.Errors > 0 {
		os.Exit(1)
	}
}
