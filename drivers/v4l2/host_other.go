//go:build !(linux && cgo)

package v4l2

// Host is the machine's V4L2 devices; this build has no V4L2 support.
type Host struct{ Root string }

// Devices reports ErrUnsupported.
func (Host) Devices() ([]DeviceInfo, error) { return nil, ErrUnsupported }

// Open reports ErrUnsupported.
func (Host) Open(DeviceInfo, Format) (Capture, error) { return nil, ErrUnsupported }
