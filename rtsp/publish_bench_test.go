package rtsp_test

import (
	"encoding/binary"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rtspcam/rtsp"
	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/stream"
)

// relayHandler publishes into one relayed stream and plays it.
type relayHandler struct {
	mu sync.Mutex
	st *stream.Stream
}

type relayPub struct{ st *stream.Stream }

func (p relayPub) WriteRTP(track int, b []byte) error  { return p.st.WriteRTP(track, b) }
func (p relayPub) WriteRTCP(track int, b []byte) error { return p.st.WriteRTCP(track, b) }
func (p relayPub) Close()                              { p.st.Close() }

type relayMedia struct {
	st *stream.Stream
	r  *stream.Reader
}

func (m *relayMedia) Formats() []payload.Format { return m.st.Formats() }
func (m *relayMedia) Duration() time.Duration   { return 0 }
func (m *relayMedia) Play(r *stream.Reader, _ *time.Duration) (time.Duration, []stream.TrackState, error) {
	if err := m.st.AddReader(r); err != nil {
		return 0, nil, err
	}
	m.r = r
	return 0, []stream.TrackState{m.st.LiveState(0)}, nil
}
func (m *relayMedia) Pause(*stream.Reader) (time.Duration, error) {
	m.Close()
	return 0, nil
}
func (m *relayMedia) Close() {
	if m.r != nil {
		m.st.RemoveReader(m.r)
		m.r = nil
	}
}

func (h *relayHandler) Announce(_ *rtsp.Request, formats []payload.Format) (rtsp.Publication, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.st = stream.NewRelay(formats, stream.DefaultGOPBytes)
	return relayPub{h.st}, nil
}

func (h *relayHandler) OpenMedia(*rtsp.Request) (rtsp.Media, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.st == nil {
		return nil, rtsp.ErrNotFound
	}
	return &relayMedia{st: h.st}, nil
}

// BenchmarkPublishRelayLatency: a publisher sends RTP over UDP, 1, 10 or
// 100 readers receive it over UDP through the server; each packet carries
// its send time, and p50/p99 of (received − sent) over all readers is the
// server-added latency on loopback (plus two socket hops). One packet per
// millisecond per iteration.
func BenchmarkPublishRelayLatency(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(strconv.Itoa(n)+"readers", func(b *testing.B) {
			h := &relayHandler{}
			srv := &rtsp.Server{Handler: h, IdleTimeout: time.Minute}
			l, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go srv.Serve(l)
			defer srv.Close()
			addr := l.Addr().String()
			url := "rtsp://" + addr + "/bench"
			pc := dial(b, addr)
			if code := announce(pc, url, "v=0\r\ns=b\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:streamid=0\r\n"); code != 200 {
				b.Fatalf("ANNOUNCE %d", code)
			}
			prtp, _, pport := udpPair(b)
			res := pc.do("SETUP", url+"/streamid=0", hdr("Transport", "RTP/AVP;unicast;client_port="+strconv.Itoa(pport)+"-"+strconv.Itoa(pport+1)+";mode=record"))
			expectStatus(b, "SETUP", res, 200)
			pid := sessionID(b, res)
			tr, _ := headers.ParseTransports(res.Header.Get("Transport"))
			dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: tr[0].ServerPorts[0]}
			expectStatus(b, "RECORD", pc.do("RECORD", url, hdr("Session", pid)), 200)

			var measureFrom atomic.Int64 // send time of the first measured packet
			var mu sync.Mutex
			var lat []time.Duration
			var wg sync.WaitGroup
			base := time.Now()
			for i := 0; i < n; i++ {
				c := dial(b, addr)
				rc, _, port := udpPair(b)
				res := c.do("SETUP", url+"/trackID=0", hdr("Transport", "RTP/AVP;unicast;client_port="+strconv.Itoa(port)+"-"+strconv.Itoa(port+1)))
				expectStatus(b, "reader SETUP", res, 200)
				expectStatus(b, "PLAY", c.do("PLAY", url, hdr("Session", sessionID(b, res))), 200)
				wg.Add(1)
				go func() {
					defer wg.Done()
					buf := make([]byte, 2048)
					var mine []time.Duration
					for {
						rc.SetReadDeadline(time.Now().Add(2 * time.Second))
						k, err := rc.Read(buf)
						if err != nil {
							break
						}
						if k >= 13+8 {
							sent := time.Duration(binary.BigEndian.Uint64(buf[13:]))
							if from := measureFrom.Load(); from > 0 && int64(sent) >= from {
								mine = append(mine, time.Since(base)-sent)
							}
						}
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				}()
			}
			pkt := make([]byte, 12+1200)
			pkt[0], pkt[1] = 0x80, 96
			send := func(seq int) {
				binary.BigEndian.PutUint16(pkt[2:], uint16(seq))
				binary.BigEndian.PutUint32(pkt[4:], uint32(seq)*90)
				binary.BigEndian.PutUint32(pkt[8:], 7)
				pkt[12] = 0x65 // every packet an IDR slice: readers start at once
				binary.BigEndian.PutUint64(pkt[13:], uint64(time.Since(base)))
				prtp.WriteToUDP(pkt, dst)
			}
			for i := 0; i < 200; i++ { // warm up: every reader attached and fed
				send(i)
				time.Sleep(time.Millisecond)
			}
			measureFrom.Store(int64(time.Since(base)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				send(200 + i)
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			pc.do("TEARDOWN", url, hdr("Session", pid))
			wg.Wait()
			slices.Sort(lat)
			if len(lat) == 0 {
				b.Fatal("no packet reached a reader")
			}
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(len(lat))/float64(b.N*n), "delivered-ratio")
		})
	}
}
