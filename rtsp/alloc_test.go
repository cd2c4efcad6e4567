package rtsp

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/srtp"
	"rtspcam/rtsp/stream"
)

// rawFormat packetizes an access unit as a single payload.
type rawFormat struct{}

func (rawFormat) MediaType() string                     { return payload.Video }
func (rawFormat) PayloadType() uint8                    { return 96 }
func (rawFormat) ClockRate() int                        { return 90000 }
func (rawFormat) RTPMap() string                        { return "RAW/90000" }
func (rawFormat) FMTP() string                          { return "" }
func (rawFormat) NewPacketizer(int) payload.Packetizer  { return rawPacketizer{} }
func (rawFormat) NewDepacketizer() payload.Depacketizer { return nil }

type rawPacketizer struct{}

func (rawPacketizer) Packetize(au [][]byte, key bool, emit payload.Emit) error {
	emit(au[0], true, 0)
	return nil
}

// TestSessionWriteAllocatesNothing covers the last leg of the hot path:
// from the reader's queue to the socket, over TCP (writev of shared packets
// with per-session interleaved headers) and over UDP.
func TestSessionWriteAllocatesNothing(t *testing.T) {
	for _, c := range []struct {
		tcp, srtp bool
	}{{true, false}, {false, false}, {true, true}, {false, true}} {
		name := "udp"
		if c.tcp {
			name = "tcp"
		}
		if c.srtp {
			name += "+srtp"
		}
		tcp := c.tcp
		t.Run(name, func(t *testing.T) {
			srv := &Server{}
			srv.init()
			st := stream.New([]payload.Format{rawFormat{}})
			r := stream.NewReader(0)
			st.AddReader(r)
			ss := &serverSession{s: srv, slot: -1}
			if c.srtp {
				k, _ := srtp.NewKeys(srtp.AES128SHA1_80)
				sender, err := srtp.NewSender(k)
				if err != nil {
					t.Fatal(err)
				}
				ss.srtp = &sessionSRTP{out: k, in: k, sender: sender, batch: make([]byte, len(ss.pkts)*(srtp.MaxPacket+srtp.Overhead))}
			}
			if tcp {
				l, err := net.Listen("tcp4", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				a, err := net.Dial("tcp4", l.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer a.Close()
				b, err := l.Accept()
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				go io.Copy(io.Discard, b)
				ss.tcp = true
				ss.conn = newServerConn(srv, a)
				st0 := &sessionTrack{index: 0, rtpChannel: 0, rtcpChannel: 1}
				ss.tracks = []*sessionTrack{st0}
			} else {
				sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				if err != nil {
					t.Fatal(err)
				}
				defer sink.Close()
				rtpConn, rtcpConn, err := bindPair(netip.MustParseAddr("127.0.0.1"), 0)
				if err != nil {
					t.Fatal(err)
				}
				defer rtpConn.Close()
				defer rtcpConn.Close()
				dst := sink.LocalAddr().(*net.UDPAddr).AddrPort()
				ss.tracks = []*sessionTrack{{index: 0, udp: &udpTrack{rtp: rtpConn, rtcp: rtcpConn, clientRTP: dst, clientRTCP: dst, sec: ss.srtp}}}
				go func() {
					buf := make([]byte, 2048)
					for {
						if _, err := sink.Read(buf); err != nil {
							return
						}
					}
				}()
			}
			au := [][]byte{make([]byte, 1200)}
			pts := time.Duration(0)
			step := func() {
				pts += 40 * time.Millisecond
				st.WriteAU(0, pts, au, true)
				n, _ := r.Read(ss.pkts[:])
				if err := ss.writePackets(ss.pkts[:n]); err != nil {
					t.Fatal(err)
				}
				for i := 0; i < n; i++ {
					ss.pkts[i].Release()
					ss.pkts[i] = nil
				}
			}
			for i := 0; i < 50; i++ {
				step()
			}
			if a := testing.AllocsPerRun(200, step); a != 0 {
				t.Fatalf("%.1f allocations per packet from source to socket, want 0", a)
			}
		})
	}
}
