// Command m2mcheck runs inside a QEMU guest with vivid and vicodec loaded:
// it captures vivid's test pattern with drivers/v4l2, encodes the frames
// with hwenc/m2m through vicodec's stateful FWHT encoder, checks the coded
// stream (header magic and version, size, I-frame flags at the start and
// at a forced keyframe, frame count, no allocation per frame, every
// descriptor released on close) and prints "M2MCHECK frames=…" and then
// "M2MCHECK PASS …" or "M2MCHECK FAIL …", which the host test reads from
// the console.
package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"rtspcam/drivers/v4l2"
	"rtspcam/hwenc/m2m"
)

const (
	width, height = 640, 480
	frames        = 12
	forceAt       = 6
	gop           = 16 // vicodec's largest: no keyframe of its own within the run
)

func main() {
	if err := run(); err != nil {
		fmt.Println("M2MCHECK FAIL:", err)
		os.Exit(1)
	}
}

// openFDs counts the process's descriptors open on V4L2 nodes (the Go
// runtime's own epoll and eventfd come and stay; they are not counted).
func openFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(target, "/dev/video") {
			n++
		}
	}
	return n
}

func run() error {
	fds := openFDs()
	if err := check(); err != nil {
		return err
	}
	if n := openFDs(); n != fds {
		return fmt.Errorf("%d descriptors open after closing the camera and the encoder, %d before", n, fds)
	}
	fmt.Println("M2MCHECK PASS descriptors released")
	return nil
}

func check() error {
	fds := openFDs()
	devs, err := v4l2.Host{}.Devices()
	if err != nil {
		return err
	}
	cam, err := v4l2.Select(devs, "vivid")
	if err != nil {
		return err
	}
	encs, err := m2m.Find("")
	if err != nil {
		return err
	}
	var encDev *m2m.Device
	for i := range encs {
		if encs[i].Encodes(m2m.PixFWHT) && encs[i].Accepts(v4l2.PixYU12) {
			encDev = &encs[i]
		}
	}
	if encDev == nil {
		return fmt.Errorf("no FWHT encoder among %+v", encs)
	}
	fmt.Printf("m2mcheck: camera %q %s, encoder %q %s (mplane=%v)\n", cam.Name, cam.Path, encDev.Card, encDev.Path, encDev.MPlane)
	c, err := v4l2.Host{}.Open(cam, v4l2.Format{Pixel: v4l2.PixYU12, Width: width, Height: height, FPS: 30})
	if err != nil {
		return err
	}
	defer c.Close()
	opened := openFDs()
	if opened != fds+1 {
		return fmt.Errorf("%d V4L2 descriptors open with the camera open, want %d", opened, fds+1)
	}
	if f := c.Format(); f.Width != width || f.Height != height {
		return fmt.Errorf("vivid gave %v", f)
	}
	enc, err := m2m.Open(*encDev, m2m.Config{Input: v4l2.PixYU12, Coded: m2m.PixFWHT, Width: width, Height: height, FPS: 30, GOP: gop})
	if err != nil {
		return err
	}
	ctx := context.Background()
	out := make([]byte, 0, width*height*2)
	var keys []int
	var encodeTime time.Duration
	var lastTime time.Duration
	for i := 0; i < frames; i++ {
		fr, err := c.Next(ctx)
		if err != nil {
			return err
		}
		if i == forceAt {
			enc.ForceKeyFrame()
		}
		t0 := time.Now()
		pk, err := enc.Encode(fr.Data, fr.Time, out[:0])
		encodeTime += time.Since(t0)
		if err != nil {
			return fmt.Errorf("frame %d: %w", i, err)
		}
		out = pk.Data
		if err := checkHeader(pk.Data); err != nil {
			return fmt.Errorf("frame %d: %w", i, err)
		}
		if pk.Time != fr.Time || pk.Time <= lastTime {
			return fmt.Errorf("frame %d: timestamp %v, captured at %v", i, pk.Time, fr.Time)
		}
		lastTime = pk.Time
		if pk.Key {
			keys = append(keys, i)
		}
	}
	if fmt.Sprint(keys) != fmt.Sprint([]int{0, forceAt}) {
		return fmt.Errorf("keyframes at %v, want [0 %d]", keys, forceAt)
	}
	allocs := testing.AllocsPerRun(5, func() {
		fr, err := c.Next(ctx)
		if err == nil {
			var pk m2m.Packet
			pk, err = enc.Encode(fr.Data, fr.Time, out[:0])
			out = pk.Data
		}
		if err != nil {
			fmt.Println("M2MCHECK FAIL:", err)
			os.Exit(1)
		}
	})
	if allocs != 0 {
		return fmt.Errorf("%v allocations per captured and encoded frame", allocs)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if n := openFDs(); n != opened {
		return fmt.Errorf("%d descriptors open after closing the encoder, %d before opening it", n, opened)
	}
	fmt.Printf("M2MCHECK frames=%d keys=%v allocs=%v encode=%.1fms/frame (%dx%d YU12, TCG)\n",
		frames, keys, allocs, float64(encodeTime.Microseconds())/frames/1000, width, height)
	return nil
}

// checkHeader reads vicodec's frame header: two magic words, then
// big-endian version 3, width and height.
func checkHeader(b []byte) error {
	if len(b) < 44 {
		return fmt.Errorf("coded frame of %d bytes", len(b))
	}
	if binary.LittleEndian.Uint32(b[0:]) != 0x4f4f4f4f || binary.LittleEndian.Uint32(b[4:]) != 0xffffffff {
		return fmt.Errorf("magic % x", b[:8])
	}
	if v, w, h := binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:]), binary.BigEndian.Uint32(b[16:]); v != 3 || w != width || h != height {
		return fmt.Errorf("header version %d size %dx%d", v, w, h)
	}
	return nil
}
