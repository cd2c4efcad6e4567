package rtsp

import (
	"errors"
	"fmt"
	"strings"

	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/sdes"
	"rtspcam/rtsp/sdp"
	"rtspcam/rtsp/srtp"
)

// A publisher that sends SRTP (RTP/SAVP) hands its keys to the server in
// the ANNOUNCE's SDP, per media: a=crypto (SDES, RFC 4568) or a=key-mgmt
// (MIKEY, RFC 4567; GStreamer's rtspclientsink profiles=savp), and MIKEY
// again in the KeyMgmt header of each SETUP. The server only receives on a
// publishing session, so these keys are all it needs: every goroutine that
// reads the publisher (one per UDP socket, the connection for TCP) gets its
// own srtp.Receiver built from them.

// announcedKeys reads the publisher's SRTP keys of each media of d: nil
// where the media carries none (plain RTP, or keys still to come in SETUP).
func announcedKeys(d *sdp.Description) ([]*srtp.Keys, bool, error) {
	keys := make([]*srtp.Keys, len(d.Medias))
	any := false
	for i, m := range d.Medias {
		var err error
		switch {
		case len(m.Crypto) > 0:
			keys[i], err = keysFromCryptoLines(m.Crypto)
		case m.KeyMgmt != "":
			keys[i], err = keysFromKeyMgmtAttr(m.KeyMgmt)
		case d.KeyMgmt != "" && isSAVP(m.Protocol):
			keys[i], err = keysFromKeyMgmtAttr(d.KeyMgmt)
		}
		if err != nil {
			return nil, false, fmt.Errorf("media %d: %w", i, err)
		}
		any = any || keys[i] != nil
	}
	return keys, any, nil
}

// keysFromCryptoLines takes the first a=crypto whose suite we implement.
func keysFromCryptoLines(lines []string) (*srtp.Keys, error) {
	var last error
	for _, l := range lines {
		c, err := sdes.Parse(l)
		if err != nil {
			last = err
			continue
		}
		k, err := srtp.KeysFromCrypto(c)
		if err != nil {
			last = err
			continue
		}
		return &k, nil
	}
	return nil, fmt.Errorf("no usable a=crypto: %w", last)
}

// keysFromKeyMgmtAttr reads an a=key-mgmt value: "mikey <base64>".
func keysFromKeyMgmtAttr(v string) (*srtp.Keys, error) {
	prot, data, _ := strings.Cut(strings.TrimSpace(v), " ")
	if !strings.EqualFold(prot, "mikey") {
		return nil, fmt.Errorf("key-mgmt protocol %q is not mikey", prot)
	}
	k, err := keysFromMIKEY(strings.TrimSpace(data))
	if err != nil {
		return nil, err
	}
	return &k, nil
}

func isSAVP(profile string) bool { return strings.HasPrefix(strings.ToUpper(profile), "RTP/SAVP") }

// recordTrackKeys decides the keys a SETUP of track gives its transport:
// those of the SETUP's KeyMgmt header, else those announced. A SETUP that
// asks for RTP/SAVP needs keys; a media announced as RTP/SAVP is SRTP even
// when the SETUP says RTP/AVP, as for playback. A code other than 200
// refuses the SETUP.
func (c *serverConn) recordTrackKeys(keyMgmt string, a *announcement, track int, savpSetup bool) (*srtp.Keys, int, string) {
	k := a.keys[track]
	if keyMgmt != "" {
		hk, err := keysFromKeyMgmt(keyMgmt)
		if err != nil {
			c.s.log().Info("unusable KeyMgmt header", "remote", c.remote, "path", a.path, "err", err)
			return nil, 400, "bad KeyMgmt"
		}
		// Warned at ANNOUNCE already when the keys came there too.
		if a.keys[track] == nil && !c.isTLS() {
			c.s.log().Warn("publisher sent SRTP keys over plain RTSP: anyone who sees the RTSP connection can decrypt the media; use RTSPS", "remote", c.remote, "path", a.path)
		}
		k = &hk
	}
	secure := savpSetup || isSAVP(a.desc.Medias[track].Protocol)
	switch {
	case secure && k == nil:
		return nil, 461, "RTP/SAVP without SRTP keys (a=crypto, a=key-mgmt or KeyMgmt)"
	case !secure:
		return nil, 200, ""
	}
	return k, 200, ""
}

// unprotect authenticates and decrypts a publisher's packet with in (the
// reading goroutine's own Receiver); nil in passes b through. A refused
// packet is counted for the session and the server, and reported false.
func (r *recording) unprotect(in *srtp.Receiver, b []byte, rtcp bool) ([]byte, bool) {
	if in == nil {
		return b, true
	}
	var err error
	if rtcp {
		b, err = in.RTCP(b)
	} else {
		b, err = in.RTP(b)
	}
	if err != nil {
		r.srtpRejected.Add(1)
		r.ss.s.srtpRejected.Add(1)
		return nil, false
	}
	return b, true
}

// newRecordReceiver is a Receiver for one reading goroutine, or nil for
// plain RTP.
func newRecordReceiver(k *srtp.Keys) (*srtp.Receiver, error) {
	if k == nil {
		return nil, nil
	}
	in, err := srtp.NewReceiver(*k)
	if err != nil {
		return nil, errors.Join(errors.New("no SRTP context"), err)
	}
	return in, nil
}

// savpOnly: every transport the SETUP offers is RTP/SAVP, so it cannot be
// served without keys.
func savpOnly(trs []headers.Transport) bool {
	for _, tr := range trs {
		if !isSAVP(tr.Profile) {
			return false
		}
	}
	return len(trs) > 0
}
