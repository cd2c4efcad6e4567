package alsa

import (
	"fmt"
	"strconv"
	"strings"
)

// Card is one sound card as /proc/asound/cards lists it.
type Card struct {
	Number int    // the N of /dev/snd/pcmCN…
	ID     string // the card's id, e.g. "Loopback"
	Driver string // e.g. "Loopback", "HDA-Intel"
	Name   string // the short name
	Long   string // the long name, from the line after
}

// PCM is one PCM device as /proc/asound/pcm lists it.
type PCM struct {
	Card, Device int
	ID, Name     string
	Playback     int // subdevices that play, 0 for none
	Capture      int // subdevices that capture, 0 for none
}

// maxProcLines bounds what the parsers read: no machine has that many
// sound devices, and a corrupt file must not cost unbounded memory.
const maxProcLines = 4096

// ParseCards reads /proc/asound/cards:
//
//	0 [Loopback       ]: Loopback - Loopback
//	                     Loopback 1
//
// A line that does not fit is an error naming it.
func ParseCards(text string) ([]Card, error) {
	var cards []Card
	lines := strings.Split(text, "\n")
	if len(lines) > maxProcLines {
		return nil, fmt.Errorf("alsa: cards: more than %d lines", maxProcLines)
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed == "--- no soundcards ---" {
			continue
		}
		num, rest, ok := strings.Cut(trimmed, " ")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 || n > 255 {
			return nil, fmt.Errorf("alsa: cards line %d: %q: no card number", i+1, line)
		}
		rest = strings.TrimLeft(rest, " ")
		if !strings.HasPrefix(rest, "[") {
			return nil, fmt.Errorf("alsa: cards line %d: %q: no [id]", i+1, line)
		}
		id, rest, ok := strings.Cut(rest[1:], "]")
		if !ok || !strings.HasPrefix(rest, ":") {
			return nil, fmt.Errorf("alsa: cards line %d: %q: unterminated [id]", i+1, line)
		}
		c := Card{Number: n, ID: strings.TrimSpace(id)}
		if c.ID == "" {
			return nil, fmt.Errorf("alsa: cards line %d: %q: empty id", i+1, line)
		}
		drv, name, _ := strings.Cut(strings.TrimSpace(rest[1:]), " - ")
		c.Driver, c.Name = strings.TrimSpace(drv), strings.TrimSpace(name)
		// The long name is the next line, indented.
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], " ") {
			if next := strings.TrimSpace(lines[i+1]); next != "" {
				if _, err := strconv.Atoi(strings.Fields(next)[0]); err != nil || !strings.Contains(next, "[") {
					c.Long = next
					i++
				}
			}
		}
		cards = append(cards, c)
	}
	return cards, nil
}

// ParsePCMs reads /proc/asound/pcm:
//
//	00-01: Loopback PCM : Loopback PCM : playback 8 : capture 8
func ParsePCMs(text string) ([]PCM, error) {
	var pcms []PCM
	lines := strings.Split(text, "\n")
	if len(lines) > maxProcLines {
		return nil, fmt.Errorf("alsa: pcm: more than %d lines", maxProcLines)
	}
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		addr, rest, ok := strings.Cut(line, ": ")
		cs, ds, ok2 := strings.Cut(addr, "-")
		card, err1 := strconv.Atoi(cs)
		dev, err2 := strconv.Atoi(ds)
		if !ok || !ok2 || err1 != nil || err2 != nil || card < 0 || card > 255 || dev < 0 || dev > 255 {
			return nil, fmt.Errorf("alsa: pcm line %d: %q: no CC-DD address", i+1, line)
		}
		p := PCM{Card: card, Device: dev}
		fields := strings.Split(rest, " : ")
		if len(fields) < 2 {
			return nil, fmt.Errorf("alsa: pcm line %d: %q: no id and name", i+1, line)
		}
		p.ID, p.Name = strings.TrimSpace(fields[0]), strings.TrimSpace(fields[1])
		for _, f := range fields[2:] {
			kind, count, ok := strings.Cut(strings.TrimSpace(f), " ")
			n, err := strconv.Atoi(count)
			if !ok || err != nil || n < 0 || n > 1024 {
				return nil, fmt.Errorf("alsa: pcm line %d: %q: bad stream %q", i+1, line, f)
			}
			switch kind {
			case "playback":
				p.Playback = n
			case "capture":
				p.Capture = n
			default:
				return nil, fmt.Errorf("alsa: pcm line %d: %q: bad stream %q", i+1, line, f)
			}
		}
		pcms = append(pcms, p)
	}
	return pcms, nil
}
