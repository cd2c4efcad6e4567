package config

import "strings"

// Video codecs as the file names them.
const (
	VideoH264  = "H264"
	VideoH265  = "H265"
	VideoMPEG4 = "MP4" // MPEG-4 Part 2 video
	VideoJPEG  = "JPEG"
)

// Audio codecs as the file names them.
const (
	AudioG711A = "G711A" // PCMA, A-law
	AudioG711U = "G711U" // PCMU, µ-law
	AudioG722  = "G722"
	AudioG726  = "G726"
	AudioAAC   = "AAC"
	AudioOpus  = "OPUS"
)

// Proxy transfers.
const (
	TransferTCP       = "TCP"
	TransferUDP       = "UDP"
	TransferMulticast = "MULTICAST"
	TransferHTTP      = "HTTP"
	TransferHTTPS     = "HTTPS"
)

// Pusher modes.
const (
	PushRTSP = "RTSP"
	PushTCP  = "TCP"
	PushUDP  = "UDP"
)

// videoCodecs maps every accepted spelling (upper case) to its name.
var videoCodecs = map[string]string{
	"H264": VideoH264, "H.264": VideoH264, "AVC": VideoH264,
	"H265": VideoH265, "H.265": VideoH265, "HEVC": VideoH265,
	"MP4": VideoMPEG4, "MPEG4": VideoMPEG4, "MP4V": VideoMPEG4, "MPEG-4": VideoMPEG4,
	"JPEG": VideoJPEG, "MJPEG": VideoJPEG, "MJPG": VideoJPEG,
}

// audioCodecs maps every accepted spelling (upper case) to its name. A bare
// "G711" is µ-law, as ONVIF's G711 encoding is.
var audioCodecs = map[string]string{
	"G711A": AudioG711A, "PCMA": AudioG711A, "ALAW": AudioG711A,
	"G711U": AudioG711U, "PCMU": AudioG711U, "ULAW": AudioG711U, "G711": AudioG711U,
	"G722": AudioG722,
	"G726": AudioG726,
	"AAC":  AudioAAC, "MPEG4-GENERIC": AudioAAC,
	"OPUS": AudioOpus,
}

var proxyTransfers = map[string]string{
	"TCP": TransferTCP, "UDP": TransferUDP, "MULTICAST": TransferMulticast,
	"HTTP": TransferHTTP, "HTTPS": TransferHTTPS,
}

var pushModes = map[string]string{
	"RTSP": PushRTSP, "TCP": PushTCP, "UDP": PushUDP,
	// The vendor's pages describe the modes as "RTP over TCP/UDP".
	"RTP OVER TCP": PushTCP, "RTP OVER UDP": PushUDP, "RTP/TCP": PushTCP, "RTP/UDP": PushUDP,
}

// canonical looks a name up case-insensitively.
func canonical(table map[string]string, s string) (string, bool) {
	v, ok := table[strings.ToUpper(strings.TrimSpace(s))]
	return v, ok
}

// isCanonical reports whether s is one of table's names (as Validate wants
// them in a Config built by hand) or "".
func isCanonical(table map[string]string, s string) bool {
	if s == "" {
		return true
	}
	v, ok := table[s]
	return ok && v == s
}

// names lists table's names for an error message, in a fixed order.
func names(list ...string) string { return strings.Join(list, ", ") }

var (
	videoNames    = names(VideoH264, VideoH265, VideoMPEG4, VideoJPEG)
	audioNames    = names(AudioG711A, AudioG711U, AudioG722, AudioG726, AudioAAC, AudioOpus)
	transferNames = names(TransferTCP, TransferUDP, TransferMulticast, TransferHTTP, TransferHTTPS)
	pushNames     = names(PushRTSP, PushTCP, PushUDP)
)

// VideoCodec reads a video codec name as the file or a URL parameter may
// spell it ("h264", "HEVC", "mjpeg", …) and returns its canonical name.
func VideoCodec(s string) (string, bool) { return canonical(videoCodecs, s) }

// AudioCodec reads an audio codec name as the file or a URL parameter may
// spell it ("pcmu", "G711U", "ulaw", …) and returns its canonical name.
func AudioCodec(s string) (string, bool) { return canonical(audioCodecs, s) }
