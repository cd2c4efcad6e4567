package testpattern

import (
	"math"
	"time"

	"rtspcam/hwenc/soft"
)

// Audio parameters of the tone track: 1 kHz at 8 kHz is exactly 8 samples
// per period, so one 20 ms access unit (160 samples, 20 periods) repeats
// forever without a seam and is computed once.
const (
	ToneHz        = 1000
	ToneRate      = 8000
	ToneAUSamples = ToneRate / 50 // 20 ms
	ToneAUPeriod  = 20 * time.Millisecond
	// ToneAmplitude is the tone's peak as a fraction of full scale
	// (-6 dBFS).
	ToneAmplitude = 0.5
)

// toneAU returns one 20 ms access unit of the tone as G.711 µ-law.
func toneAU() []byte {
	pcm := make([]int16, ToneAUSamples)
	for i := range pcm {
		v := ToneAmplitude * 32767 * math.Sin(2*math.Pi*ToneHz*float64(i)/ToneRate)
		pcm[i] = int16(math.Round(v))
	}
	return soft.EncodeMuLaw(make([]byte, 0, ToneAUSamples), pcm)
}
