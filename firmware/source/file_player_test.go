package source

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"

	"rtspcam/rtsp/stream"
)

func makeClip(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
		"-t", "1", "-c:v", "libx264", "-g", "10", "-bf", "0", "-pix_fmt", "yuv420p", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg is required to make the test clip: %v\n%s", err, out)
	}
	return path
}

// tap reads r in one goroutine until it ends and hands out RTP packets.
func tap(r *stream.Reader) <-chan rtp.Packet {
	ch := make(chan rtp.Packet, 100000)
	go func() {
		defer close(ch)
		buf := make([]*stream.Packet, 64)
		for {
			n, err := r.Read(buf)
			if err != nil {
				return
			}
			for _, p := range buf[:n] {
				if !p.RTCP {
					var pk rtp.Packet
					pk.Unmarshal(append([]byte(nil), p.Bytes()...))
					ch <- pk
				}
				p.Release()
			}
		}
	}()
	return ch
}

// collectSome waits up to 2 s for a first packet on ch, then takes what
// follows within d: a loaded machine may start a player late, but a player
// that sends nothing still fails.
func collectSome(ch <-chan rtp.Packet, d time.Duration) []rtp.Packet {
	select {
	case pk, ok := <-ch:
		if !ok {
			return nil
		}
		return append([]rtp.Packet{pk}, collect(ch, d)...)
	case <-time.After(2 * time.Second):
		return nil
	}
}

// collect takes what arrives on ch for d, or until it closes.
func collect(ch <-chan rtp.Packet, d time.Duration) []rtp.Packet {
	var out []rtp.Packet
	deadline := time.After(d)
	for {
		select {
		case pk, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, pk)
		case <-deadline:
			return out
		}
	}
}

func TestFilePlayerLoopsWithContinuousTimestamps(t *testing.T) {
	p, err := OpenFile("clip.mp4", makeClip(t), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := stream.NewReader(4096)
	start := time.Now()
	if _, _, err := p.Play(r, nil); err != nil {
		t.Fatal(err)
	}
	pkts := collect(tap(r), 3*time.Second)
	elapsed := time.Since(start)
	select {
	case <-r.Done():
	default:
		t.Fatal("the reader must end after the last loop")
	}
	if elapsed < 1900*time.Millisecond {
		t.Fatalf("two 1 s loops delivered in %v: not paced in real time", elapsed)
	}
	var frames int
	for i := 1; i < len(pkts); i++ {
		if pkts[i].SequenceNumber != pkts[i-1].SequenceNumber+1 {
			t.Fatalf("sequence jumps from %d to %d", pkts[i-1].SequenceNumber, pkts[i].SequenceNumber)
		}
		if d := int32(pkts[i].Timestamp - pkts[i-1].Timestamp); d < 0 || d > 3600 {
			t.Fatalf("timestamp step %d at packet %d (loop boundary must continue at 40 ms)", d, i)
		}
	}
	for _, pk := range pkts {
		if pk.Marker {
			frames++
		}
	}
	if frames != 50 {
		t.Fatalf("%d frames over two loops, want 50", frames)
	}
}

func TestFilePlayerPauseResumeAndSeek(t *testing.T) {
	p, err := OpenFile("clip.mp4", makeClip(t), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := stream.NewReader(4096)
	p.Play(r, nil)
	ch := tap(r)
	start := time.Now()
	first := collectSome(ch, 300*time.Millisecond)
	pos, _ := p.Pause(r)
	elapsed := time.Since(start)
	if len(first) == 0 {
		t.Fatal("nothing played")
	}
	// The position is that of the last packet delivered (a 25 fps clip,
	// 90 kHz), and paced: never ahead of the time spent playing.
	last := time.Duration(first[len(first)-1].Timestamp-first[0].Timestamp) * time.Second / 90000
	if pos < last || pos > last+80*time.Millisecond || pos > elapsed+100*time.Millisecond {
		t.Fatalf("paused at %v after %v of play whose last packet is at %v", pos, elapsed, last)
	}
	if extra := collect(ch, 200*time.Millisecond); len(extra) != 0 {
		t.Fatalf("%d packets while paused", len(extra))
	}
	_, states, err := p.Play(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	resumed := collectSome(ch, 100*time.Millisecond)
	if len(resumed) == 0 || resumed[0].SequenceNumber != first[len(first)-1].SequenceNumber+1 || resumed[0].SequenceNumber != states[0].NextSeq {
		t.Fatal("resume must continue with the next packet, as RTP-Info says")
	}
	p.Pause(r)
	seek := 650 * time.Millisecond
	at, states, err := p.Play(r, &seek)
	if err != nil {
		t.Fatal(err)
	}
	if at > seek || seek-at > 400*time.Millisecond {
		t.Fatalf("seek to %v landed at %v: must be the keyframe at or before", seek, at)
	}
	after := collectSome(ch, 100*time.Millisecond)
	if len(after) == 0 || after[0].Timestamp != states[0].RTPTime {
		t.Fatal("first packet after a seek must carry the RTP-Info rtptime")
	}
	bad := 5 * time.Second
	if _, _, err := p.Play(r, &bad); err == nil {
		t.Fatal("a seek past the end must be refused")
	}
}
