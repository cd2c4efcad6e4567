//go:build ffmpeg && cgo

package ffmpeg

// HeapInUse is the bytes the C heap has handed out and not had back
// (mallinfo2), for leak tests outside this package: a session that
// transcodes through FFmpeg must give back what its codecs took.
func HeapInUse() int { return cHeapInUse() }
