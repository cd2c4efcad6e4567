package audiotest

import "math"

// Level is the amplitude, as a fraction of full scale, of the freq Hz
// component of mono pcm sampled at rate (Goertzel's algorithm): what a
// test that plays a tone measures in what comes back.
func Level(pcm []int16, rate int, freq float64) float64 {
	if len(pcm) == 0 {
		return 0
	}
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range pcm {
		s := float64(v) + c*s1 - s2
		s2, s1 = s1, s
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return 2 * math.Sqrt(math.Max(p, 0)) / float64(len(pcm)) / 32767
}
