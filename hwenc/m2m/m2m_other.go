//go:build !(linux && cgo)

package m2m

import (
	"time"
)

// Find reports ErrUnsupported.
func Find(root string) ([]Device, error) { return nil, ErrUnsupported }

// Encoder is not available in this build.
type Encoder struct{}

// Open reports ErrUnsupported.
func Open(Device, Config) (*Encoder, error) { return nil, ErrUnsupported }

// ForceKeyFrame does nothing.
func (*Encoder) ForceKeyFrame() {}

// Encode reports ErrUnsupported.
func (*Encoder) Encode(src []byte, ts time.Duration, dst []byte) (Packet, error) {
	return Packet{Data: dst}, ErrUnsupported
}

// Close does nothing.
func (*Encoder) Close() error { return nil }

// InputFormat is zero in this build.
func (*Encoder) InputFormat() (stride, size int) { return 0, 0 }

// Device is zero in this build.
func (*Encoder) Device() Device { return Device{} }
