// Package pulse captures from and plays to a PulseAudio (or PipeWire's
// pulse) server with jfreymuth/pulse, as an audio.System. Each call opens
// its own connection and closes it when done, so a server that restarts
// is found again by the next call.
package pulse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jfreymuth/pulse"
	"github.com/jfreymuth/pulse/proto"

	"rtspcam/drivers/audio"
)

// System is the PulseAudio server the environment names
// ($PULSE_SERVER, else $PULSE_RUNTIME_PATH or $XDG_RUNTIME_DIR/pulse).
type System struct {
	// Server overrides the server address ("unix:/path/native"); "" takes
	// it from the environment.
	Server string
	// AppName is how the server lists this client.
	AppName string
}

var _ audio.System = (*System)(nil)

// pollInterval is how often a capture checks that its source and server
// are still there.
const pollInterval = 200 * time.Millisecond

func (s *System) connect() (*pulse.Client, error) {
	name := s.AppName
	if name == "" {
		name = "rtspcam"
	}
	opts := []pulse.ClientOption{pulse.ClientApplicationName(name)}
	server := s.Server
	if server == "" && os.Getenv("PULSE_SERVER") == "" {
		if dir := os.Getenv("PULSE_RUNTIME_PATH"); dir != "" {
			server = "unix:" + filepath.Join(dir, "native")
		}
	}
	if server != "" {
		opts = append(opts, pulse.ClientServerString(server))
	}
	c, err := pulse.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: pulseaudio: %v", audio.ErrUnavailable, err)
	}
	return c, nil
}

// Sources lists the capture sources, monitors of sinks included.
func (s *System) Sources() ([]audio.Device, error) {
	c, err := s.connect()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return sources(c)
}

func sources(c *pulse.Client) ([]audio.Device, error) {
	var list proto.GetSourceInfoListReply
	if err := c.RawRequest(&proto.GetSourceInfoList{}, &list); err != nil {
		return nil, fmt.Errorf("pulseaudio: list sources: %w", err)
	}
	def := ""
	if d, err := c.DefaultSource(); err == nil {
		def = d.ID()
	}
	out := make([]audio.Device, len(list))
	for i, si := range list {
		out[i] = audio.Device{
			Index:       i,
			Name:        si.SourceName,
			Description: si.Device,
			Format:      audio.Format{Rate: int(si.Rate), Channels: int(si.Channels)},
			Default:     si.SourceName == def,
		}
	}
	return out, nil
}

// Sinks lists the playback sinks.
func (s *System) Sinks() ([]audio.Device, error) {
	c, err := s.connect()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var list proto.GetSinkInfoListReply
	if err := c.RawRequest(&proto.GetSinkInfoList{}, &list); err != nil {
		return nil, fmt.Errorf("pulseaudio: list sinks: %w", err)
	}
	def := ""
	if d, err := c.DefaultSink(); err == nil {
		def = d.ID()
	}
	out := make([]audio.Device, len(list))
	for i, si := range list {
		out[i] = audio.Device{
			Index:       i,
			Name:        si.SinkName,
			Description: si.Device,
			Format:      audio.Format{Rate: int(si.Rate), Channels: int(si.Channels)},
			Default:     si.SinkName == def,
		}
	}
	return out, nil
}

func channelMap(n int) proto.ChannelMap {
	switch n {
	case 1:
		return proto.ChannelMap{proto.ChannelMono}
	case 2:
		return proto.ChannelMap{proto.ChannelLeft, proto.ChannelRight}
	}
	m := make(proto.ChannelMap, n)
	for i := range m {
		m[i] = proto.ChannelAux0 + byte(i)
	}
	return m
}

func checkFormat(f audio.Format) error {
	if f.Rate < 1000 || f.Rate > 384000 || f.Channels < 1 || f.Channels > 8 {
		return fmt.Errorf("pulseaudio: unsupported format %d Hz × %d channels", f.Rate, f.Channels)
	}
	return nil
}

// Capture records from the source named name ("" for the default) until
// ctx ends or the source or server vanish. The server converts the
// source's own format to f. The stream is not moved to another source
// when its source goes away: the capture ends with ErrGone instead.
func (s *System) Capture(ctx context.Context, name string, f audio.Format, h audio.Handler) error {
	if err := checkFormat(f); err != nil {
		return err
	}
	c, err := s.connect()
	if err != nil {
		return err
	}
	defer c.Close()
	var src *pulse.Source
	if name == "" {
		src, err = c.DefaultSource()
	} else {
		src, err = c.SourceByID(name)
	}
	if err != nil {
		return fmt.Errorf("%w: pulseaudio source %q: %v", audio.ErrNoDevice, name, err)
	}
	// Fragments of 10 ms keep the delivery latency low.
	frag := uint32(f.Rate/100) * uint32(f.Channels) * 2
	w := pulse.Int16Writer(func(pcm []int16) (int, error) {
		frames := len(pcm) / f.Channels
		h(pcm[:frames*f.Channels], time.Now().Add(-f.FrameDuration(frames)))
		return len(pcm), nil
	})
	rs, err := c.NewRecord(w,
		pulse.RecordSource(src),
		pulse.RecordChannels(channelMap(f.Channels)),
		pulse.RecordSampleRate(f.Rate),
		pulse.RecordBufferFragmentSize(frag),
		pulse.RecordMediaName("rtspcam capture"),
		pulse.RecordRawOption(func(r *proto.CreateRecordStream) { r.NoMove = true }),
	)
	if err != nil {
		return fmt.Errorf("pulseaudio: record %q: %w", src.ID(), err)
	}
	// The library updates a stream's state from its reader goroutine
	// without a lock, so the stream's own Closed/Error are not read here:
	// a failing request tells that the server or the source went away,
	// and a lost stream is left alone (the connection closes with it).
	lost := false
	defer func() {
		if !lost {
			rs.Stop()
			rs.Close()
		}
	}()
	rs.Start()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		var info proto.GetSourceInfoReply
		if err := c.RawRequest(&proto.GetSourceInfo{SourceIndex: src.SourceIndex()}, &info); err != nil {
			lost = true
			if errors.Is(err, pulse.ErrConnectionClosed) {
				return fmt.Errorf("%w: pulseaudio server: %v", audio.ErrGone, err)
			}
			return fmt.Errorf("%w: pulseaudio source %q: %v", audio.ErrGone, src.ID(), err)
		}
	}
}
