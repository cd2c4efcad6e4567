//go:build !linux

package x11

import (
	"errors"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
)

// segment stands for a System V shared memory segment, which this build
// does not map: captures use GetImage.
type segment struct {
	id  shm.Seg
	mem []byte
}

func newSegment(*xgb.Conn, int) (*segment, error) {
	return nil, errors.New("x11: MIT-SHM: System V shared memory is only used on Linux")
}

func (s *segment) close() error { return nil }
