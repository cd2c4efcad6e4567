package rtsp

import (
	"testing"

	"rtspcam/rtsp/sdp"
	"rtspcam/rtsp/srtp"
)

// FuzzRecordKeys feeds a publisher's keying to what reads it: an ANNOUNCE
// body (a=crypto, a=key-mgmt per media or per session) and a SETUP's
// KeyMgmt header. Nothing may panic, and keys that come out are whole.
func FuzzRecordKeys(f *testing.F) {
	const mk = "AQAFAJu2RfkBAADpSxeFAAAAAAsA7rBuTPcNYr8KEFFrIR7dx3EhIaahbwNai1gBAAAAFQABAQEBEAIBAQMBCgcBAQgBAQoBAQAAACIAIAAeLR5fPy1h9aKhjlflRFTIR30QTH9Vmq72Qvw05+hhAA=="
	media := "m=video 0 RTP/SAVP 96\r\na=rtpmap:96 H264/90000\r\na=control:stream=0\r\n"
	f.Add("v=0\r\n"+media+"a=key-mgmt:mikey "+mk+"\r\n", `prot=mikey;uri="rtsp://h/p/stream=0";data="`+mk+`"`)
	f.Add("v=0\r\na=key-mgmt:mikey "+mk+"\r\n"+media, "")
	f.Add("v=0\r\n"+media+"a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^31\r\n", "")
	f.Add("v=0\r\n"+media+"a=crypto:1 F8_128_HMAC_SHA1_80 inline:x\r\na=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n", "prot=mikey")
	f.Add("v=0\r\n"+media+"a=key-mgmt:mikey AQAFAA==\r\n", `prot=mikey; data="AQAFAA=="`)
	f.Add("v=0\r\n"+media+"a=key-mgmt:sdes abc\r\n", `prot=MIKEY;data="!"`)
	f.Fuzz(func(t *testing.T, body, keyMgmt string) {
		if d, err := sdp.Unmarshal([]byte(body)); err == nil {
			keys, any, err := announcedKeys(d)
			if err == nil {
				if len(keys) != len(d.Medias) {
					t.Fatalf("%d keys for %d media", len(keys), len(d.Medias))
				}
				n := 0
				for _, k := range keys {
					if k != nil {
						n++
					}
				}
				if any != (n > 0) {
					t.Fatalf("any=%v with %d keyed media", any, n)
				}
			}
		}
		if k, err := keysFromKeyMgmt(keyMgmt); err == nil {
			if k.Profile != srtp.AES128SHA1_80 && k.Profile != srtp.AES128SHA1_32 {
				t.Fatalf("keys of profile %d", k.Profile)
			}
		}
	})
}
