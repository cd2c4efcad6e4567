package config

import (
	"os"
	"time"
)

// Defaults for settings the file leaves out or leaves empty.
const (
	DefaultRTSPPort       = 554
	DefaultRTSPSPort      = 322 // IANA's rtsps port
	DefaultHTTPPort       = 80
	DefaultHTTPSPort      = 443
	DefaultLoopNums       = 1
	DefaultLogLevel       = LogInfo
	DefaultSessionTimeout = 60 * time.Second
	DefaultNotifyMethod   = "POST"
	DefaultNotifyTimeout  = 5 * time.Second
	// DefaultGOPCache bounds the group of pictures a published path keeps
	// so that a new reader starts at once on a keyframe.
	DefaultGOPCache = 4 << 20
	// MaxGOPCache is the largest <gop_cache> accepted.
	MaxGOPCache = 256 << 20
	// DefaultPublishTimeout ends a publication whose publisher stays
	// silent this long.
	DefaultPublishTimeout = 10 * time.Second
)

// UDPPortsPerSession is how many UDP ports, counted from udp_base_port, the
// vendor's manual reserves for each session.
const UDPPortsPerSession = 8

// Log levels as <log_level> numbers them.
const (
	LogTrace = 0
	LogDebug = 1
	LogInfo  = 2
	LogWarn  = 3
	LogError = 4
	LogFatal = 5
)

// Limits that bound what Parse accepts, so a hostile or corrupt file cannot
// make the server allocate without end.
const (
	MaxFileSize = 1 << 20 // bytes in the file
	MaxValueLen = 4096    // bytes in one element's text
	MaxDepth    = 8       // element nesting
	MaxElements = 10000   // elements in the file
	MaxItems    = 256     // <user>, <output>, <proxy>, <pusher> nodes, each
	MaxUnknown  = 64      // unknown elements kept in Config.Unknown
)

// Config is a parsed rtspserver.cfg.
type Config struct {
	// ServerIP is the address to listen on; "" means all addresses.
	ServerIP string
	// RTSPEnable switches the plain RTSP listener (default on). The vendor's
	// files only turn it off with an <rtsp_enable> before the first
	// <rtsp_port>.
	RTSPEnable bool
	// RTSPPort is the plain RTSP port (default 554).
	RTSPPort int
	// RTSPS is the RTSP-over-TLS listener.
	RTSPS RTSPS
	// LoopNums is how many times a media file plays; -1 means forever.
	LoopNums int
	// Multicast enables multicast delivery.
	Multicast bool
	// UDPBasePort is the first UDP port for RTP/RTCP; each session takes
	// UDPPortsPerSession ports from it. 0 lets the kernel pick.
	UDPBasePort int
	// Metadata enables the ONVIF metadata stream.
	Metadata bool
	// RTSPOverHTTP enables RTSP tunnelled in HTTP on HTTPPort (default 80).
	RTSPOverHTTP bool
	HTTPPort     int
	// RTSPOverHTTPS enables RTSP tunnelled in HTTPS on HTTPSPort (default
	// 443) with HTTPSCert and HTTPSKey (PEM files).
	RTSPOverHTTPS bool
	HTTPSPort     int
	HTTPSCert     string
	HTTPSKey      string
	// IPv6 enables listening on IPv6 as well.
	IPv6 bool
	// NeedAuth requires RTSP authentication against Users.
	NeedAuth bool
	// LogEnable and LogLevel (LogTrace…LogFatal) drive the server's log.
	LogEnable bool
	LogLevel  int
	// HTTPNotify holds the HTTP callbacks.
	HTTPNotify Notify
	// Users are the accounts for NeedAuth, in file order.
	Users []User
	// Outputs are the <output> nodes in file order; see MatchOutput.
	Outputs []Output
	// Proxies are the <proxy> nodes in file order.
	Proxies []Proxy
	// Pushers are the <pusher> nodes in file order.
	Pushers []Pusher
	// Backchannel enables the ONVIF audio back channel; BackchannelAudio
	// holds the codec the file asks for, if any.
	Backchannel      bool
	BackchannelAudio Audio
	// MediaDir is the folder media files are served from (rtspcam's own
	// <media_dir>; default: the config file's folder, or the working folder
	// when there is no file).
	MediaDir string
	// SessionTimeout closes a session that stays silent this long (rtspcam's
	// own <session_timeout>, seconds; default 60 s).
	SessionTimeout time.Duration
	// MaxSessions bounds concurrent sessions (rtspcam's own
	// <max_sessions>); 0 means no limit.
	MaxSessions int
	// GOPCache bounds, in bytes, the latest group of pictures each
	// published path keeps for readers that join (rtspcam's own
	// <gop_cache>; default 4 MiB; 0 turns the cache off, and a reader then
	// waits for the next keyframe).
	GOPCache int
	// PublishTimeout is the publisher silence that ends a publication and
	// the sessions of its readers (rtspcam's own <publish_timeout>,
	// seconds; default 10 s).
	PublishTimeout time.Duration
	// Path is the file the configuration came from, "" for defaults.
	Path string
	// Unknown lists elements this package does not know, in file order (at
	// most MaxUnknown), for the caller to log.
	Unknown []Unknown

	// pos records where each scalar setting was read (by logical key) so
	// that Validate can point at the line.
	pos map[string]Pos
	// written maps a logical key to the element as the file wrote it
	// ("rtsps_enable" may come from an <rtsp_enable>).
	written map[string]string
	// present records which logical keys the file set, for Unsupported.
	present map[string]bool
}

// RTSPS is the RTSP-over-TLS listener.
type RTSPS struct {
	Enable bool
	// Port defaults to 322.
	Port int
	// Cert and Key are PEM files.
	Cert, Key string
}

// Notify holds the HTTP notification hooks (<http_notify>). The server
// calls a hook and waits for it: a 200 answer lets the client go on, any
// other refuses it (on_done's answer is ignored).
type Notify struct {
	// Enable switches the hooks; when the file does not say, hooks are on
	// as soon as one URL is given.
	Enable bool
	// OnConnect, OnPlay, OnPublish and OnDone are http:// or https:// URLs;
	// "" means no call.
	OnConnect, OnPlay, OnPublish, OnDone string
	// Method is "POST" (form-encoded body, default) or "GET" (query).
	Method string
	// Timeout bounds one call (default 5 s).
	Timeout time.Duration
}

// User is one account.
type User struct {
	Username, Password string

	at Pos
}

// Video describes a video encoding. Zero fields mean "as the source has it".
type Video struct {
	// Codec is one of the Video* constants, or "".
	Codec     string
	Width     int
	Height    int
	FrameRate float64
	// Bitrate is in kbit/s.
	Bitrate int
}

// Audio describes an audio encoding. Zero fields mean "as the source has it".
type Audio struct {
	// Codec is one of the Audio* constants, or "".
	Codec      string
	SampleRate int
	Channels   int
	// Bitrate is in kbit/s.
	Bitrate int
}

// Output is one <output> node: the encoding for the paths its URL matches.
type Output struct {
	// URL is the pattern MatchOutput matches paths against; "" makes the
	// node the default.
	URL   string
	Video Video
	Audio Audio

	at Pos
}

// Proxy is one <proxy> node: an upstream stream served again at Suffix.
type Proxy struct {
	// Suffix is the path clients play: rtsp://host/<Suffix>.
	Suffix string
	// URL is the upstream stream (rtsp, rtsps, rtmp, srt, http, https).
	URL string
	// User and Pass log in upstream.
	User, Pass string
	// Transfer is one of the Transfer* constants (default TransferTCP).
	Transfer string
	// OnDemand connects upstream only while someone plays (default true).
	OnDemand bool

	at Pos
}

// Pusher is one <pusher> node: a stream an outside program pushes in.
type Pusher struct {
	// Suffix is the path clients play: rtsp://host/<Suffix>.
	Suffix   string
	Video    Video
	Audio    Audio
	Transfer PusherTransfer

	at Pos
}

// PusherTransfer says how a pusher's data arrives.
type PusherTransfer struct {
	// Mode is PushRTSP (RTSP ANNOUNCE/RECORD, the default), PushTCP (RTP
	// with a 4-byte '$' header on TCP) or PushUDP (plain RTP on UDP).
	Mode string
	// IP is the local address to receive on ("" for all).
	IP string
	// VPort and APort are the video and audio ports for PushTCP/PushUDP.
	VPort, APort int
}

// Unknown is an element this package does not know.
type Unknown struct {
	// Element is the slash-separated path, e.g. "proxy/rtsp_timeout".
	Element string
	Pos     Pos
}

// Default returns the built-in configuration used when there is no file.
func Default() *Config {
	c := &Config{
		RTSPEnable:     true,
		RTSPPort:       DefaultRTSPPort,
		RTSPS:          RTSPS{Port: DefaultRTSPSPort},
		LoopNums:       DefaultLoopNums,
		HTTPPort:       DefaultHTTPPort,
		HTTPSPort:      DefaultHTTPSPort,
		LogEnable:      true,
		LogLevel:       DefaultLogLevel,
		HTTPNotify:     Notify{Method: DefaultNotifyMethod, Timeout: DefaultNotifyTimeout},
		SessionTimeout: DefaultSessionTimeout,
		GOPCache:       DefaultGOPCache,
		PublishTimeout: DefaultPublishTimeout,
		MediaDir:       ".",
	}
	if wd, err := os.Getwd(); err == nil {
		c.MediaDir = wd
	}
	return c
}

// UserMap returns the accounts as username → password.
func (c *Config) UserMap() map[string]string {
	m := make(map[string]string, len(c.Users))
	for _, u := range c.Users {
		m[u.Username] = u.Password
	}
	return m
}
