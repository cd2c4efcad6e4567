package hwenc

import (
	"errors"
	"fmt"
	"strings"
)

// Selector tries its backends in order (hardware first, then FFmpeg, then
// pure Go) and returns the first encoder or decoder one can make, with the
// backend's name so the caller can log the choice.
type Selector struct {
	Backends []Backend
}

// choose runs try on every backend until one succeeds. A backend failing
// for a reason other than ErrUnsupported is noted and passed over too: a
// broken hardware encoder must not leave a camera without a stream.
func choose[T any](s *Selector, what string, try func(Backend) (T, error)) (T, string, error) {
	var zero T
	var why []string
	for _, b := range s.Backends {
		v, err := try(b)
		if err == nil {
			return v, b.Name(), nil
		}
		why = append(why, b.Name()+": "+err.Error())
	}
	if len(why) == 0 {
		return zero, "", fmt.Errorf("hwenc: %s: no backends: %w", what, ErrUnsupported)
	}
	return zero, "", fmt.Errorf("hwenc: %s: %w (%s)", what, ErrUnsupported, strings.Join(why, "; "))
}

// VideoEncoder returns the first backend's encoder for p.
func (s *Selector) VideoEncoder(p VideoParams) (VideoEncoder, string, error) {
	if err := p.Validate(); err != nil {
		return nil, "", err
	}
	return choose(s, "encode "+string(p.Codec), func(b Backend) (VideoEncoder, error) { return b.NewVideoEncoder(p) })
}

// VideoDecoder returns the first backend's decoder for c.
func (s *Selector) VideoDecoder(c Codec) (VideoDecoder, string, error) {
	return choose(s, "decode "+string(c), func(b Backend) (VideoDecoder, error) { return b.NewVideoDecoder(c) })
}

// AudioEncoder returns the first backend's encoder for p.
func (s *Selector) AudioEncoder(p AudioParams) (AudioEncoder, string, error) {
	return choose(s, "encode "+string(p.Codec), func(b Backend) (AudioEncoder, error) { return b.NewAudioEncoder(p) })
}

// AudioDecoder returns the first backend's decoder for p.
func (s *Selector) AudioDecoder(p AudioParams) (AudioDecoder, string, error) {
	return choose(s, "decode "+string(p.Codec), func(b Backend) (AudioDecoder, error) { return b.NewAudioDecoder(p) })
}

// IsUnsupported reports whether err says "not this backend" rather than a
// failure.
func IsUnsupported(err error) bool { return errors.Is(err, ErrUnsupported) }
