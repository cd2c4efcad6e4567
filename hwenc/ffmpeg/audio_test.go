//go:build ffmpeg && cgo

package ffmpeg

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"rtspcam/hwenc"
)

// adtsHeader is the 7-byte ADTS header of an AAC-LC frame of n bytes.
func adtsHeader(rateIndex, ch, n int) []byte {
	l := n + 7
	return []byte{0xff, 0xf1, byte(1<<6 | rateIndex<<2 | ch>>2), byte(ch&3<<6 | l>>11),
		byte(l >> 3), byte(l&7<<5 | 0x1f), 0xfc}
}

// readADTS splits an ADTS stream into raw frames.
func readADTS(t *testing.T, b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 7 {
		if b[0] != 0xff || b[1]&0xf0 != 0xf0 {
			t.Fatalf("ADTS sync lost")
		}
		hl := 7
		if b[1]&1 == 0 {
			hl = 9
		}
		l := int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5])>>5
		if l < hl || l > len(b) {
			t.Fatalf("ADTS frame length %d", l)
		}
		out = append(out, b[hl:l])
		b = b[l:]
	}
	return out
}

// readOggPackets joins an Ogg stream's segments into packets.
func readOggPackets(t *testing.T, b []byte) [][]byte {
	var out [][]byte
	var cur []byte
	for len(b) >= 27 {
		if string(b[:4]) != "OggS" {
			t.Fatalf("Ogg capture pattern lost")
		}
		nseg := int(b[26])
		segs := b[27 : 27+nseg]
		body := b[27+nseg:]
		total := 0
		for _, s := range segs {
			l := int(s)
			cur = append(cur, body[total:total+l]...)
			total += l
			if l < 255 {
				out = append(out, cur)
				cur = nil
			}
		}
		b = body[total:]
	}
	return out
}

func s16le(pcm []int16) []byte {
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

func fromS16le(b []byte) []int16 {
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return pcm
}

// encodeAll feeds pcm in 20 ms chunks and returns copies of the packets.
func encodeAll(t *testing.T, e hwenc.AudioEncoder, pcm []int16, rate, ch int) [][]byte {
	var pkts [][]byte
	step := rate / 50 * ch
	for i := 0; i < len(pcm); i += step {
		out, err := e.Encode(pcm[i:min(i+step, len(pcm))])
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range out {
			pkts = append(pkts, bytes.Clone(p))
		}
	}
	return pkts
}

func TestAACRoundTripWithFFmpeg(t *testing.T) {
	t.Parallel()
	const rate, ch = 48000, 2
	src := tone(rate, ch, 1)
	dir := t.TempDir()

	// Ours → ffmpeg.
	e, err := NewAudioEncoder(hwenc.AudioParams{Codec: hwenc.AAC, SampleRate: rate, Channels: ch, Bitrate: 128})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.FrameSize() != 1024 || len(e.Config()) < 2 {
		t.Fatalf("frame size %d, config %x", e.FrameSize(), e.Config())
	}
	var adts bytes.Buffer
	for _, p := range encodeAll(t, e, src, rate, ch) {
		adts.Write(adtsHeader(3, ch, len(p))) // index 3 is 48000 Hz
		adts.Write(p)
	}
	f := filepath.Join(dir, "ours.aac")
	if err := os.WriteFile(f, adts.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got := fromS16le(run(t, "ffmpeg", "-v", "error", "-f", "aac", "-i", f, "-f", "s16le", "-ac", "2", "-ar", "48000", "-"))
	db, lag := snr(src, got, ch, 2048)
	t.Logf("AAC ours→ffmpeg: SNR %.1f dB at a delay of %d samples", db, lag)
	if db < 20 {
		t.Fatalf("AAC ours→ffmpeg SNR %.1f dB, want >= 20", db)
	}

	// ffmpeg → ours.
	raw := filepath.Join(dir, "src.raw")
	if err := os.WriteFile(raw, s16le(src), 0o644); err != nil {
		t.Fatal(err)
	}
	theirs := run(t, "ffmpeg", "-v", "error", "-f", "s16le", "-ar", "48000", "-ac", "2", "-i", raw,
		"-c:a", "aac", "-b:a", "128k", "-f", "adts", "-")
	d, err := NewAudioDecoder(hwenc.AudioParams{Codec: hwenc.AAC, SampleRate: rate, Channels: ch, Config: e.Config()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var dec []int16
	for _, fr := range readADTS(t, theirs) {
		pcm, err := d.Decode(fr)
		if err != nil {
			t.Fatal(err)
		}
		dec = append(dec, pcm...)
	}
	db, lag = snr(src, dec, ch, 2048)
	t.Logf("AAC ffmpeg→ours: SNR %.1f dB at a delay of %d samples", db, lag)
	if db < 20 {
		t.Fatalf("AAC ffmpeg→ours SNR %.1f dB, want >= 20", db)
	}
}

func TestOpusRoundTripWithFFmpeg(t *testing.T) {
	t.Parallel()
	const rate, ch = 48000, 2
	src := tone(rate, ch, 1)
	dir := t.TempDir()

	// ffmpeg (libopus in an Ogg file) → ours.
	raw := filepath.Join(dir, "src.raw")
	if err := os.WriteFile(raw, s16le(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ogg := run(t, "ffmpeg", "-v", "error", "-f", "s16le", "-ar", "48000", "-ac", "2", "-i", raw,
		"-c:a", "libopus", "-b:a", "96k", "-f", "ogg", "-")
	pkts := readOggPackets(t, ogg)
	if len(pkts) < 10 || string(pkts[0][:8]) != "OpusHead" {
		t.Fatalf("%d Ogg packets, first %q", len(pkts), pkts[0][:min(8, len(pkts[0]))])
	}
	d, err := NewAudioDecoder(hwenc.AudioParams{Codec: hwenc.Opus, Channels: ch})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var dec []int16
	for _, p := range pkts[2:] { // after OpusHead and OpusTags
		pcm, err := d.Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		dec = append(dec, pcm...)
	}
	db, lag := snr(src, dec, ch, 2048)
	t.Logf("Opus ffmpeg→ours: SNR %.1f dB at a delay of %d samples", db, lag)
	if db < 15 {
		t.Fatalf("Opus ffmpeg→ours SNR %.1f dB, want >= 15", db)
	}

	// Ours (libopus) → FFmpeg's native Opus decoder, a separate
	// implementation from the libopus that encoded.
	e, err := NewAudioEncoder(hwenc.AudioParams{Codec: hwenc.Opus, SampleRate: rate, Channels: ch, Bitrate: 96})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.FrameSize() != 960 {
		t.Fatalf("Opus frame size %d, want 960 (20 ms)", e.FrameSize())
	}
	d2, err := NewAudioDecoder(hwenc.AudioParams{Codec: hwenc.Opus, Channels: ch})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	dec = dec[:0]
	for _, p := range encodeAll(t, e, src, rate, ch) {
		pcm, err := d2.Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		dec = append(dec, pcm...)
	}
	db, lag = snr(src, dec, ch, 2048)
	t.Logf("Opus ours→FFmpeg's decoder: SNR %.1f dB at a delay of %d samples", db, lag)
	if db < 15 {
		t.Fatalf("Opus ours SNR %.1f dB, want >= 15", db)
	}
}

func TestAudioParamsRejected(t *testing.T) {
	t.Parallel()
	for _, p := range []hwenc.AudioParams{
		{Codec: hwenc.Opus, SampleRate: 44100, Channels: 2},
		{Codec: hwenc.AAC, SampleRate: 48000, Channels: 3},
		{Codec: hwenc.H264, SampleRate: 48000, Channels: 1},
	} {
		if e, err := NewAudioEncoder(p); err == nil {
			e.Close()
			t.Errorf("%+v accepted", p)
		}
	}
	if _, err := NewAudioDecoder(hwenc.AudioParams{Codec: hwenc.AAC, Channels: 2}); err == nil {
		t.Error("AAC decoder without AudioSpecificConfig accepted")
	}
	d, err := NewAudioDecoder(hwenc.AudioParams{Codec: hwenc.Opus, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, junk := range [][]byte{{0xff}, bytes.Repeat([]byte{0x55}, 1500), {0x00, 0x01, 0x02}} {
		d.Decode(junk) // errors are fine; crashing is not
	}
}
