//go:build !ffmpeg || !cgo

package ffmpeg

import (
	"fmt"

	"rtspcam/hwenc"
)

// Available tells whether this build has the FFmpeg backend.
const Available = false

var errNotInBuild = fmt.Errorf("ffmpeg: built without the ffmpeg tag or cgo: %w", hwenc.ErrNotInBuild)

// NewVideoEncoder fails: FFmpeg is not in this build.
func (Backend) NewVideoEncoder(hwenc.VideoParams) (hwenc.VideoEncoder, error) {
	return nil, errNotInBuild
}

// NewVideoDecoder fails: FFmpeg is not in this build.
func (Backend) NewVideoDecoder(hwenc.Codec) (hwenc.VideoDecoder, error) { return nil, errNotInBuild }

// NewAudioEncoder fails: FFmpeg is not in this build.
func (Backend) NewAudioEncoder(hwenc.AudioParams) (hwenc.AudioEncoder, error) {
	return nil, errNotInBuild
}

// NewAudioDecoder fails: FFmpeg is not in this build.
func (Backend) NewAudioDecoder(hwenc.AudioParams) (hwenc.AudioDecoder, error) {
	return nil, errNotInBuild
}
