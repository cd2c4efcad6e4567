package soft

import (
	"fmt"
	"math"
	"testing"
	"time"

	"rtspcam/drivers/audio/audiotest"
)

// decodeFrames decodes what an AudioEncoder of cfg produced.
func decodeFrames(t testing.TB, cfg AudioEncoderConfig, frames [][]byte) []int16 {
	var pcm []int16
	var g722 *G722Decoder
	var g726 *G726Decoder
	for _, f := range frames {
		switch cfg.Codec {
		case CodecPCMU:
			pcm = DecodeMuLaw(pcm, f)
		case CodecPCMA:
			pcm = DecodeALaw(pcm, f)
		case CodecG722:
			if g722 == nil {
				g722 = NewG722Decoder()
			}
			pcm = g722.Decode(pcm, f)
		case CodecG726:
			if g726 == nil {
				var err error
				if g726, err = NewG726Decoder(cfg.Bitrate); err != nil {
					t.Fatal(err)
				}
			}
			pcm = g726.Decode(pcm, f)
		}
	}
	return pcm
}

func TestAudioEncoder(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cfg       AudioEncoderConfig
		rate, ch  int // what must come out
		frameSize int // octets per 20 ms
	}{
		{AudioEncoderConfig{Codec: CodecPCMU, InRate: 48000, InChannels: 2, Rate: 8000, Channels: 1}, 8000, 1, 160},
		{AudioEncoderConfig{Codec: CodecPCMA, InRate: 44100, InChannels: 1, Rate: 8000, Channels: 2}, 8000, 2, 320},
		{AudioEncoderConfig{Codec: CodecPCMU, InRate: 16000, InChannels: 1}, 16000, 1, 320},
		{AudioEncoderConfig{Codec: CodecG722, InRate: 48000, InChannels: 2, Rate: 8000, Channels: 2}, 16000, 1, 160},
		{AudioEncoderConfig{Codec: CodecG726, InRate: 48000, InChannels: 2, Bitrate: 16000}, 8000, 1, 40},
		{AudioEncoderConfig{Codec: CodecG726, InRate: 8000, InChannels: 1, Bitrate: 24000}, 8000, 1, 60},
		{AudioEncoderConfig{Codec: CodecG726, InRate: 8000, InChannels: 1}, 8000, 1, 80},
		{AudioEncoderConfig{Codec: CodecG726, InRate: 22050, InChannels: 1, Bitrate: 40000}, 8000, 1, 100},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v-%d-%dx%d", c.cfg.Codec, c.cfg.Bitrate, c.cfg.InRate, c.cfg.InChannels), func(t *testing.T) {
			e, err := NewAudioEncoder(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := e.Config()
			if got.Rate != c.rate || got.Channels != c.ch {
				t.Fatalf("output %d Hz × %d, want %d × %d", got.Rate, got.Channels, c.rate, c.ch)
			}
			mono := tone(c.cfg.InRate, c.cfg.InRate, 1000, 0.5) // 1 s
			in := MixChannels(nil, mono, 1, c.cfg.InChannels)
			var frames [][]byte
			var starts []int64
			// Odd-sized pieces, as a sound server delivers them.
			for i := 0; i < len(in); {
				n := min(len(in)-i, (137+i%50)*c.cfg.InChannels)
				if err := e.Write(in[i:i+n], func(f []byte, start int64) error {
					frames = append(frames, append([]byte(nil), f...))
					starts = append(starts, start)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				i += n
			}
			if len(frames) < 49 || len(frames) > 50 {
				t.Fatalf("%d frames from 1 s", len(frames))
			}
			for i, f := range frames {
				if len(f) != c.frameSize {
					t.Fatalf("frame %d: %d octets, want %d", i, len(f), c.frameSize)
				}
				if starts[i] != int64(i*c.rate/50) {
					t.Fatalf("frame %d starts at %d, want %d", i, starts[i], i*c.rate/50)
				}
			}
			pcm := decodeFrames(t, got, frames)
			first := make([]int16, 0, len(pcm)/c.ch)
			for i := 0; i < len(pcm); i += c.ch {
				first = append(first, pcm[i])
			}
			tail := first[len(first)/4:]
			if a := audiotest.Level(tail, c.rate, 1000); math.Abs(a-0.5) > 0.05 {
				t.Errorf("1 kHz at %.3f after the round trip, want 0.5", a)
			}
		})
	}
}

func TestAudioEncoderRejects(t *testing.T) {
	for _, cfg := range []AudioEncoderConfig{
		{Codec: CodecPCMU},
		{Codec: 99, InRate: 8000, InChannels: 1},
		{Codec: CodecG726, InRate: 8000, InChannels: 1, Bitrate: 33000},
		{Codec: CodecG726, InRate: 8000, InChannels: 1, FrameDuration: 3 * time.Millisecond}, // 24 samples: fine
		{Codec: CodecG726, InRate: 8000, InChannels: 1, FrameDuration: 2500 * time.Microsecond},
		{Codec: CodecPCMU, InRate: 8000, InChannels: 1, FrameDuration: time.Second},
	} {
		_, err := NewAudioEncoder(cfg)
		if cfg.FrameDuration == 3*time.Millisecond {
			if err != nil {
				t.Errorf("%+v: %v", cfg, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestAudioEncoderAllocs(t *testing.T) {
	for _, codec := range []AudioCodec{CodecPCMU, CodecPCMA, CodecG722, CodecG726} {
		e, err := NewAudioEncoder(AudioEncoderConfig{Codec: codec, InRate: 48000, InChannels: 2, Rate: 8000, Channels: 1})
		if err != nil {
			t.Fatal(err)
		}
		in := make([]int16, 960*2)
		emit := func([]byte, int64) error { return nil }
		e.Write(in, emit)
		if n := testing.AllocsPerRun(100, func() { e.Write(in, emit) }); n != 0 {
			t.Errorf("%v: %.1f allocations per 20 ms", codec, n)
		}
	}
}

func benchAudioEncoder(b *testing.B, codec AudioCodec, inRate, inCh int) {
	e, err := NewAudioEncoder(AudioEncoderConfig{Codec: codec, InRate: inRate, InChannels: inCh, Rate: 8000, Channels: 1})
	if err != nil {
		b.Fatal(err)
	}
	in := MixChannels(nil, tone(inRate/50, inRate, 440, 0.5), 1, inCh)
	emit := func([]byte, int64) error { return nil }
	e.Write(in, emit)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for range 50 { // one second of audio
			e.Write(in, emit)
		}
	}
}

func BenchmarkAudioEncoder1s(b *testing.B) {
	for _, codec := range []AudioCodec{CodecPCMU, CodecPCMA, CodecG722, CodecG726} {
		b.Run(codec.String()+"/8kMono", func(b *testing.B) { benchAudioEncoder(b, codec, 8000, 1) })
		b.Run(codec.String()+"/48kStereo", func(b *testing.B) { benchAudioEncoder(b, codec, 48000, 2) })
	}
}

// benchAudioDecoder decodes one second of 20 ms frames of codec; for
// 48 kHz stereo it then resamples and upmixes, as playing a backchannel
// on a 48 kHz stereo sink does.
func benchAudioDecoder(b *testing.B, codec AudioCodec, toRate, toCh int) {
	e, err := NewAudioEncoder(AudioEncoderConfig{Codec: codec, InRate: 8000, InChannels: 1, Rate: 8000, Channels: 1})
	if err != nil {
		b.Fatal(err)
	}
	var frames [][]byte
	for len(frames) < 50 {
		e.Write(tone(1600, 8000, 440, 0.5), func(f []byte, _ int64) error {
			frames = append(frames, append([]byte(nil), f...))
			return nil
		})
	}
	frames = frames[:50]
	cfg := e.Config()
	g722, g726 := NewG722Decoder(), (*G726Decoder)(nil)
	if codec == CodecG726 {
		g726, _ = NewG726Decoder(cfg.Bitrate)
	}
	rs, err := NewResampler(cfg.Rate, toRate, 1)
	if err != nil {
		b.Fatal(err)
	}
	pcm := make([]int16, 0, 640)
	up := make([]int16, 0, rs.OutLen(320)+1)
	st := make([]int16, 0, 2*cap(up))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, f := range frames {
			switch codec {
			case CodecPCMU:
				pcm = DecodeMuLaw(pcm[:0], f)
			case CodecPCMA:
				pcm = DecodeALaw(pcm[:0], f)
			case CodecG722:
				pcm = g722.Decode(pcm[:0], f)
			case CodecG726:
				pcm = g726.Decode(pcm[:0], f)
			}
			if toRate != cfg.Rate || toCh != 1 {
				up = rs.Resample(up[:0], pcm)
				st = MixChannels(st[:0], up, 1, toCh)
			}
		}
	}
}

func BenchmarkAudioDecoder1s(b *testing.B) {
	for _, codec := range []AudioCodec{CodecPCMU, CodecPCMA, CodecG722, CodecG726} {
		native := 8000
		if codec == CodecG722 {
			native = 16000
		}
		b.Run(codec.String()+"/native", func(b *testing.B) { benchAudioDecoder(b, codec, native, 1) })
		b.Run(codec.String()+"/to48kStereo", func(b *testing.B) { benchAudioDecoder(b, codec, 48000, 2) })
	}
}
