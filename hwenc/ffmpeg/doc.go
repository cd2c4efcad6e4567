// Package ffmpeg is the FFmpeg backend of hwenc, through cgo: H.264
// (libx264), H.265 (libx265), MJPEG and MPEG-4 Part 2 encoders and
// decoders, libswscale for pixel formats and scaling, and the AAC (FFmpeg's
// own) and Opus (libopus) audio encoders and decoders. It is the desktop
// fallback when no hardware encoder exists, and the transcoder.
//
// The code needs the build tag "ffmpeg", cgo and the libavcodec,
// libavutil and libswscale development files (the Makefile sets the tag
// when pkg-config finds them). Without them Available is false and every
// constructor returns an error wrapping hwenc.ErrNotInBuild, so the
// pure-Go build still links.
//
// Encoders and decoders keep their frames, packets and output buffers
// between calls (no Go allocation per frame) and free every C object in
// Close. None is safe for concurrent use.
package ffmpeg

import "rtspcam/hwenc"

// Backend is the FFmpeg hwenc.Backend.
type Backend struct{}

var _ hwenc.Backend = Backend{}

// Name is "ffmpeg".
func (Backend) Name() string { return "ffmpeg" }
