package headers

import (
	"strconv"
	"strings"
	"time"
)

// Range is a Range header (RFC 2326 §12.29, §3.5–3.7).
type Range struct {
	// Unit is "npt", "clock", "smpte", "smpte-25" or "smpte-30-drop".
	Unit string
	// Start and End are npt and smpte positions.
	Start, End time.Duration
	// HasStart and HasEnd tell which ends are given ("npt=-20" has only
	// an end); Now is "npt=now-".
	HasStart, HasEnd, Now bool
	// StartClock and EndClock are the clock unit's absolute times (UTC).
	StartClock, EndClock time.Time
}

// maxNPT bounds npt and smpte positions (about 31 years), well inside
// time.Duration.
const maxNPT = 1e9 * time.Second

const clockLayout = "20060102T150405Z"

// ParseRange parses a Range header value: "npt=0-", "npt=10.5-20",
// "npt=now-", "npt=-20", "npt=1:02:03.5-", "clock=20250101T120000Z-",
// "clock=20250101T120000.25Z-20250101T130000Z", "smpte=0:10:00-"; a
// ";time=…" suffix is ignored.
func ParseRange(v string) (Range, error) {
	var r Range
	if err := checkLen("Range", v); err != nil {
		return r, err
	}
	v, _, _ = strings.Cut(v, ";")
	unit, spec, ok := strings.Cut(v, "=")
	if !ok {
		return r, malformed("Range", "no unit in "+short(v))
	}
	r.Unit = strings.ToLower(strings.TrimSpace(unit))
	start, end, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return r, malformed("Range", "no '-' in "+short(v))
	}
	start, end = strings.TrimSpace(start), strings.TrimSpace(end)
	if start == "" && end == "" {
		return r, malformed("Range", "empty range "+short(v))
	}
	r.HasStart, r.HasEnd = start != "", end != ""
	var err error
	switch r.Unit {
	case "npt":
		if strings.EqualFold(start, "now") {
			r.Now, r.HasStart = true, false
		} else if r.HasStart {
			if r.Start, err = parseNPT(start); err != nil {
				return r, err
			}
		}
		if r.HasEnd {
			if r.End, err = parseNPT(end); err != nil {
				return r, err
			}
		}
	case "clock":
		if r.HasStart {
			if r.StartClock, err = parseClock(start); err != nil {
				return r, err
			}
		}
		if r.HasEnd {
			if r.EndClock, err = parseClock(end); err != nil {
				return r, err
			}
		}
	case "smpte", "smpte-30-drop", "smpte-25":
		if r.HasStart {
			if r.Start, err = parseSMPTE(r.Unit, start); err != nil {
				return r, err
			}
		}
		if r.HasEnd {
			if r.End, err = parseSMPTE(r.Unit, end); err != nil {
				return r, err
			}
		}
	default:
		return r, malformed("Range", "unknown unit "+short(r.Unit))
	}
	return r, nil
}

// parseNPT parses "123.45" or "h:mm:ss.frac".
func parseNPT(s string) (time.Duration, error) {
	whole, frac, _ := strings.Cut(s, ".")
	var secs int64
	parts := strings.Split(whole, ":")
	switch len(parts) {
	case 1:
		n, ok := digits(parts[0], 10)
		if !ok {
			return 0, malformed("Range", "npt time "+short(s))
		}
		secs = n
	case 3:
		h, ok1 := digits(parts[0], 6)
		m, ok2 := digits(parts[1], 2)
		sec, ok3 := digits(parts[2], 2)
		if !ok1 || !ok2 || !ok3 || m > 59 || sec > 59 {
			return 0, malformed("Range", "npt time "+short(s))
		}
		secs = h*3600 + m*60 + sec
	default:
		return 0, malformed("Range", "npt time "+short(s))
	}
	ns, ok := fraction(frac)
	if !ok {
		return 0, malformed("Range", "npt time "+short(s))
	}
	d := time.Duration(secs)*time.Second + ns
	if d > maxNPT {
		return 0, malformed("Range", "npt time too large "+short(s))
	}
	return d, nil
}

// digits parses 1 to max decimal digits.
func digits(s string, max int) (int64, bool) {
	if s == "" || len(s) > max {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// fraction parses the digits after a decimal point as nanoseconds; digits
// past the ninth are checked but ignored.
func fraction(s string) (time.Duration, bool) {
	var ns int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		if i < 9 {
			ns = ns*10 + int64(s[i]-'0')
		}
	}
	for i := len(s); i < 9; i++ {
		ns *= 10
	}
	return time.Duration(ns), true
}

func parseClock(s string) (time.Time, error) {
	t, err := time.Parse(clockLayout, strings.ToUpper(s))
	if err != nil {
		return t, malformed("Range", "clock time "+short(s))
	}
	return t, nil
}

// smpteRate returns the frame rate of an SMPTE unit as frames per 1001 or
// 1000 seconds: RFC 2326 §3.5 gives 30, 25 and 29.97 (drop-frame).
func smpteRate(unit string) (num, den int64) {
	switch unit {
	case "smpte-25":
		return 25, 1
	case "smpte-30-drop":
		return 30000, 1001
	}
	return 30, 1
}

// parseSMPTE parses "hh:mm:ss[:ff[.sub]]".
func parseSMPTE(unit, s string) (time.Duration, error) {
	bad := malformed("Range", "smpte time "+short(s))
	main, sub, hasSub := strings.Cut(s, ".")
	parts := strings.Split(main, ":")
	if len(parts) != 3 && len(parts) != 4 {
		return 0, bad
	}
	var n [4]int64
	for i, p := range parts {
		v, ok := digits(p, 2)
		if !ok {
			return 0, bad
		}
		n[i] = v
	}
	if n[1] > 59 || n[2] > 59 || (hasSub && len(parts) != 4) {
		return 0, bad
	}
	subFrames := int64(0)
	if hasSub {
		v, ok := digits(sub, 2)
		if !ok {
			return 0, bad
		}
		subFrames = v
	}
	num, den := smpteRate(unit)
	// frames (with hundredths) to nanoseconds at num/den frames per second
	hundredths := n[3]*100 + subFrames
	d := time.Duration(n[0]*3600+n[1]*60+n[2])*time.Second +
		time.Duration(hundredths*den*int64(time.Second)/(num*100))
	return d, nil
}

// String formats r canonically: "npt=10.500-20.000", "npt=now-",
// "clock=20250101T120000.25Z-", "smpte=00:10:00:05-".
func (r Range) String() string {
	unit := r.Unit
	if unit == "" {
		unit = "npt"
	}
	var b strings.Builder
	b.WriteString(unit + "=")
	switch unit {
	case "clock":
		if r.HasStart {
			b.WriteString(formatClock(r.StartClock))
		}
		b.WriteByte('-')
		if r.HasEnd {
			b.WriteString(formatClock(r.EndClock))
		}
	case "smpte", "smpte-25", "smpte-30-drop":
		if r.HasStart {
			b.WriteString(formatSMPTE(unit, r.Start))
		}
		b.WriteByte('-')
		if r.HasEnd {
			b.WriteString(formatSMPTE(unit, r.End))
		}
	default:
		switch {
		case r.Now:
			b.WriteString("now")
		case r.HasStart:
			b.WriteString(formatNPT(r.Start))
		}
		b.WriteByte('-')
		if r.HasEnd {
			b.WriteString(formatNPT(r.End))
		}
	}
	return b.String()
}

// formatNPT writes seconds with at least three decimals and no trailing
// zeros beyond them, so any nanosecond value round-trips.
func formatNPT(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := strconv.FormatInt(int64(d/time.Second), 10)
	return s + "." + fractionDigits(int64(d%time.Second), 3)
}

// fractionDigits returns ns as 9 digits with trailing zeros trimmed down
// to at least min digits.
func fractionDigits(ns int64, min int) string {
	f := strconv.FormatInt(ns+1e9, 10)[1:]
	for len(f) > min && f[len(f)-1] == '0' {
		f = f[:len(f)-1]
	}
	return f
}

func formatClock(t time.Time) string {
	t = t.UTC()
	s := t.Format("20060102T150405")
	if ns := t.Nanosecond(); ns != 0 {
		s += "." + fractionDigits(int64(ns), 1)
	}
	return s + "Z"
}

func formatSMPTE(unit string, d time.Duration) string {
	if d < 0 {
		d = 0
	}
	secs := int64(d / time.Second)
	num, den := smpteRate(unit)
	// remaining time in hundredths of a frame, rounded to nearest
	rest := int64(d % time.Second)
	hundredths := (rest*num*100 + den*int64(time.Second)/2) / (den * int64(time.Second))
	two := func(n int64) string {
		if n < 10 {
			return "0" + strconv.FormatInt(n, 10)
		}
		return strconv.FormatInt(n, 10)
	}
	s := two(secs/3600) + ":" + two(secs/60%60) + ":" + two(secs%60)
	if hundredths > 0 {
		s += ":" + two(hundredths/100)
		if hundredths%100 != 0 {
			s += "." + two(hundredths%100)
		}
	}
	return s
}
