package h265

// span locates one NAL unit inside accessUnit.data.
type span struct{ start, end int }

// accessUnit is a growing buffer holding the NAL units of one access unit
// while it is assembled. Positions are kept as spans so the buffer may
// move when it grows.
type accessUnit struct {
	data  []byte
	spans []span
	out   [][]byte
}

func (a *accessUnit) reset() {
	a.data = a.data[:0]
	a.spans = a.spans[:0]
}

// nalus returns the NAL units as sub-slices of data.
func (a *accessUnit) nalus() [][]byte {
	a.out = a.out[:0]
	for _, s := range a.spans {
		a.out = append(a.out, a.data[s.start:s.end])
	}
	return a.out
}
