package v4l2

import "fmt"

// Codec is what the stream should carry.
type Codec int

const (
	CodecAny   Codec = iota // what costs least: a native coded format, else MJPEG
	CodecH264               // H.264: native if offered, else raw to an encoder
	CodecMJPEG              // MJPEG: native if offered, else raw to an encoder
)

func (c Codec) String() string {
	switch c {
	case CodecH264:
		return "H264"
	case CodecMJPEG:
		return "MJPEG"
	}
	return "any"
}

// Request is what the output wants; zero fields mean "as the device likes".
type Request struct {
	Codec         Codec
	Width, Height int
	FPS           float64
}

// DefaultMaxSize bounds the size picked when the request names none.
var DefaultMaxSize = Size{1920, 1080}

// rawOrder is the preference among uncompressed formats: planar 4:2:0 maps
// onto an encoder's picture without conversion, the packed ones need it.
var rawOrder = []PixelFormat{PixYU12, PixNV12, PixYUYV, PixUYVY, PixYV12}

// Negotiate picks the capture format for req among what a device offers.
// A coded format the output wants is passed through (H.264 for H.264,
// MJPEG/JPEG for MJPEG, and either for CodecAny, H.264 first); otherwise
// an uncompressed format goes to an encoder; a device that only offers
// another coded format gets that passed through as the best it can do
// (the caller logs it). The size is the requested one when offered, else
// the smallest larger one, else the largest.
func Negotiate(formats []FormatInfo, req Request) (Format, error) {
	find := func(p PixelFormat) *FormatInfo {
		for i := range formats {
			if formats[i].Pixel == p && len(formats[i].Sizes) > 0 {
				return &formats[i]
			}
		}
		return nil
	}
	var order []PixelFormat
	switch req.Codec {
	case CodecH264:
		order = append([]PixelFormat{PixH264}, rawOrder...)
		order = append(order, PixMJPEG, PixJPEG)
	case CodecMJPEG:
		order = append([]PixelFormat{PixMJPEG, PixJPEG}, rawOrder...)
		order = append(order, PixH264)
	default:
		order = append([]PixelFormat{PixH264, PixMJPEG, PixJPEG}, rawOrder...)
	}
	for _, p := range order {
		fi := find(p)
		if fi == nil {
			continue
		}
		s := pickSize(fi.Sizes, req.Width, req.Height)
		return Format{Pixel: p, Width: s.Width, Height: s.Height, FPS: req.FPS}, nil
	}
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.Pixel.String()
	}
	return Format{}, fmt.Errorf("%w: the device offers %v", ErrNoFormat, names)
}

func pickSize(sizes []Size, w, h int) Size {
	if w == 0 && h == 0 {
		best, ok := Size{}, false
		for _, s := range sizes {
			if s.Width <= DefaultMaxSize.Width && s.Height <= DefaultMaxSize.Height && s.Width*s.Height > best.Width*best.Height {
				best, ok = s, true
			}
		}
		if ok {
			return best
		}
		return smallest(sizes)
	}
	// Only one side asked: match it alone.
	fits := func(s Size) bool { return (w == 0 || s.Width >= w) && (h == 0 || s.Height >= h) }
	for _, s := range sizes {
		if (w == 0 || s.Width == w) && (h == 0 || s.Height == h) {
			return s
		}
	}
	best, ok := Size{}, false
	for _, s := range sizes {
		if fits(s) && (!ok || s.Width*s.Height < best.Width*best.Height) {
			best, ok = s, true
		}
	}
	if ok {
		return best
	}
	for _, s := range sizes {
		if s.Width*s.Height > best.Width*best.Height {
			best = s
		}
	}
	return best
}

func smallest(sizes []Size) Size {
	best := sizes[0]
	for _, s := range sizes[1:] {
		if s.Width*s.Height < best.Width*best.Height {
			best = s
		}
	}
	return best
}
