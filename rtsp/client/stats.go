package client

// MaxTracks bounds the media tracks one Reader sets up; the rest of a
// description is ignored.
const MaxTracks = 8

// TrackStats counts what one track (one interleaved RTP channel) delivered.
type TrackStats struct {
	Control string // the track's control URL
	SSRC    uint32 // SSRC of the first packet; later SSRC changes restart the count
	Packets uint64 // RTP packets received
	Bytes   uint64 // RTP bytes received (headers included, "$" framing excluded)
	// Gaps counts packets missing between consecutive sequence numbers.
	Gaps uint64
	// Reorders counts packets whose sequence number went backwards.
	Reorders uint64
	// SSRCChanges counts packets whose SSRC differed from the one before.
	SSRCChanges uint64
	// FirstSeq and LastSeq are the extended (wrap-counted) sequence numbers
	// of the first and last packet; LastSeq-FirstSeq+1 is what the server
	// sent on this track while the reader listened.
	FirstSeq, LastSeq uint64
	// FirstTS and LastTS are the RTP timestamps of the first and last
	// packet, extended the same way.
	FirstTS, LastTS uint64

	started bool
}

// Stats is what one Reader received.
type Stats struct {
	Tracks []TrackStats
	// RTCP counts interleaved frames on odd (RTCP) channels.
	RTCP uint64
	// Unknown counts frames on channels that no track set up.
	Unknown uint64
}

// Packets is the RTP packet count over all tracks.
func (s *Stats) Packets() uint64 {
	var n uint64
	for i := range s.Tracks {
		n += s.Tracks[i].Packets
	}
	return n
}

// Bytes is the RTP byte count over all tracks.
func (s *Stats) Bytes() uint64 {
	var n uint64
	for i := range s.Tracks {
		n += s.Tracks[i].Bytes
	}
	return n
}

// Gaps is the missing packet count over all tracks.
func (s *Stats) Gaps() uint64 {
	var n uint64
	for i := range s.Tracks {
		n += s.Tracks[i].Gaps
	}
	return n
}

// count records one RTP packet of size n with sequence number seq,
// timestamp ts and source ssrc. It allocates nothing.
func (t *TrackStats) count(seq uint16, ts, ssrc uint32, n int) {
	t.Packets++
	t.Bytes += uint64(n)
	if !t.started {
		t.started = true
		t.SSRC = ssrc
		t.FirstSeq, t.LastSeq = uint64(seq), uint64(seq)
		t.FirstTS, t.LastTS = uint64(ts), uint64(ts)
		return
	}
	if ssrc != t.SSRC {
		// A new source (a looped file, a restarted encoder): its numbers
		// are not comparable with the old ones.
		t.SSRCChanges++
		t.SSRC = ssrc
		t.LastSeq = t.LastSeq&^0xffff | uint64(seq)
		t.LastTS = t.LastTS&^0xffffffff | uint64(ts)
		return
	}
	d := seq - uint16(t.LastSeq)
	switch {
	case d == 0 || d >= 0x8000:
		t.Reorders++
	default:
		t.Gaps += uint64(d - 1)
		t.LastSeq += uint64(d)
	}
	if dt := ts - uint32(t.LastTS); dt < 0x80000000 {
		t.LastTS += uint64(dt)
	}
}
