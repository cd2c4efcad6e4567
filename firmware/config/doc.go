// Package config reads rtspserver.cfg, the XML configuration of the
// Happytime RTSP Server, so that a vendor's file works unchanged with
// rtspcam.
//
// The file is one <config> element holding scalar settings (ports, switches,
// log level), a <http_notify> block, and any number of <user>, <output>,
// <proxy> and <pusher> nodes. Every element is optional; an empty value means
// the default. Unknown elements are collected in Config.Unknown for the
// caller to log; settings this build cannot honour yet are reported by
// Config.Unsupported.
//
// Relative paths in the file (media_dir, certificates and keys) are taken
// relative to the file's folder.
//
// Errors name the file, the line and column, the element and what is wrong:
//
//	rtspserver.cfg:12:13: <rtsp_port>: "abc" is not a port number (1-65535)
package config
