//go:build linux

package x11

import (
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"golang.org/x/sys/unix"
)

// segment is a System V shared memory segment mapped both here and in the
// X server (MIT-SHM), which ShmGetImage fills without sending the pixels
// over the socket.
type segment struct {
	conn *xgb.Conn
	id   shm.Seg
	mem  []byte
}

// newSegment makes a private segment of size bytes, maps it, marks it for
// removal at once (the kernel frees it when the last mapping goes, so a
// crash of this process or of the X server leaks nothing) and asks the X
// server to map it too. The server fails to when it runs on another host
// or may not read the segment.
func newSegment(conn *xgb.Conn, size int) (*segment, error) {
	shmid, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|0o600)
	if err != nil {
		return nil, fmt.Errorf("x11: shmget %d bytes: %w", size, err)
	}
	mem, err := unix.SysvShmAttach(shmid, 0, 0)
	if err != nil {
		unix.SysvShmCtl(shmid, unix.IPC_RMID, nil)
		return nil, fmt.Errorf("x11: shmat: %w", err)
	}
	// Linux lets another process attach a segment already marked for
	// removal while it still has a mapping, so the X server can still
	// attach below.
	if _, err := unix.SysvShmCtl(shmid, unix.IPC_RMID, nil); err != nil {
		unix.SysvShmDetach(mem)
		return nil, fmt.Errorf("x11: shmctl IPC_RMID: %w", err)
	}
	id, err := shm.NewSegId(conn)
	if err != nil {
		unix.SysvShmDetach(mem)
		return nil, fmt.Errorf("x11: MIT-SHM segment id: %w", err)
	}
	if err := shm.AttachChecked(conn, id, uint32(shmid), false).Check(); err != nil {
		unix.SysvShmDetach(mem)
		return nil, fmt.Errorf("x11: MIT-SHM attach: %w", err)
	}
	return &segment{conn: conn, id: id, mem: mem}, nil
}

// close asks the server to unmap the segment and unmaps it here; the
// kernel frees it once both are gone.
func (s *segment) close() error {
	if s.mem == nil {
		return nil
	}
	shm.Detach(s.conn, s.id)
	err := unix.SysvShmDetach(s.mem)
	s.mem = nil
	if err != nil {
		return fmt.Errorf("x11: shmdt: %w", err)
	}
	return nil
}
