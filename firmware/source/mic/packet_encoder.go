package mic

import (
	"fmt"

	"rtspcam/hwenc"
	"rtspcam/hwenc/soft"
)

// Compressed asks for a codec of the hwenc backends (AAC, Opus) instead
// of a soft one.
type Compressed struct {
	Params hwenc.AudioParams
	// Open makes the encoder (a hwenc.Selector's AudioEncoder, say).
	Open func(hwenc.AudioParams) (hwenc.AudioEncoder, error)
}

// frameEncoder is what Run feeds: PCM in, whole frames out with the index
// of their first output sample. *soft.AudioEncoder is one.
type frameEncoder interface {
	Write(pcm []int16, emit func(frame []byte, start int64) error) error
	FrameSamples() int
}

// packetEncoder mixes and resamples the capture for a hwenc encoder and
// numbers its packets.
type packetEncoder struct {
	enc      hwenc.AudioEncoder
	inCh     int
	outCh    int
	rs       *soft.Resampler
	mix, res []int16
	emitted  int64
}

func newPacketEncoder(c *Compressed, inRate, inCh int) (*packetEncoder, error) {
	rs, err := soft.NewResampler(inRate, c.Params.SampleRate, c.Params.Channels)
	if err != nil {
		return nil, err
	}
	enc, err := c.Open(c.Params)
	if err != nil {
		return nil, fmt.Errorf("mic: %s encoder: %w", c.Params.Codec, err)
	}
	return &packetEncoder{enc: enc, inCh: inCh, outCh: c.Params.Channels, rs: rs}, nil
}

func (p *packetEncoder) FrameSamples() int { return p.enc.FrameSize() }

func (p *packetEncoder) Write(pcm []int16, emit func([]byte, int64) error) error {
	in := pcm
	if p.inCh != p.outCh {
		p.mix = soft.MixChannels(p.mix[:0], pcm, p.inCh, p.outCh)
		in = p.mix
	}
	p.res = p.rs.Resample(p.res[:0], in)
	pkts, err := p.enc.Encode(p.res)
	if err != nil {
		return err
	}
	for _, pkt := range pkts {
		start := p.emitted
		p.emitted += int64(p.enc.FrameSize())
		if err := emit(pkt, start); err != nil {
			return err
		}
	}
	return nil
}

func (p *packetEncoder) Close() error { return p.enc.Close() }
