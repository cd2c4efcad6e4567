package alsa

import (
	"fmt"
	"strconv"
	"strings"
)

// Address names one PCM subdevice: card, device and subdevice (-1: any
// free one).
type Address struct {
	Card      int
	Device    int
	Subdevice int
}

// DeviceName is the name Sources and Sinks give a PCM: ALSA's own hw
// syntax with the card's id rather than its number, because the id stays
// when USB cards enumerate in another order: "hw:Loopback,1,0".
func DeviceName(cardID string, device, subdevice int) string {
	return fmt.Sprintf("hw:%s,%d,%d", cardID, device, subdevice)
}

// ParseName reads a PCM name in any of the forms a user writes:
// "hw:Loopback,1,0", "hw:1,1,0", "hw:1,1", "plughw:1,0", "Loopback,1,0",
// "1,0", "hw:CARD=Loopback,DEV=1,SUBDEV=0". A card given by id is looked up in
// cards. Without a device the device is 0; without a subdevice any free
// one is taken.
func ParseName(name string, cards []Card) (Address, error) {
	a := Address{Subdevice: -1}
	s := name
	for _, prefix := range []string{"hw:", "plughw:"} {
		if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
			s = s[len(prefix):]
			break
		}
	}
	parts := strings.Split(s, ",")
	if s == "" || len(parts) > 3 {
		return a, fmt.Errorf("alsa: %q is not a PCM name (hw:CARD,DEVICE[,SUBDEVICE])", name)
	}
	for i, key := range []string{"CARD=", "DEV=", "SUBDEV="} {
		if i < len(parts) && len(parts[i]) >= len(key) && strings.EqualFold(parts[i][:len(key)], key) {
			parts[i] = parts[i][len(key):]
		}
	}
	card := strings.TrimSpace(parts[0])
	if n, err := strconv.Atoi(card); err == nil {
		a.Card = n
	} else {
		found := false
		for _, c := range cards {
			if strings.EqualFold(c.ID, card) {
				a.Card, found = c.Number, true
				break
			}
		}
		if !found {
			return a, fmt.Errorf("alsa: %q: no card %q", name, card)
		}
	}
	num := func(i int, dst *int) error {
		if i >= len(parts) {
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(parts[i]))
		if err != nil || n < 0 || n > 255 {
			return fmt.Errorf("alsa: %q: bad number %q", name, parts[i])
		}
		*dst = n
		return nil
	}
	if err := num(1, &a.Device); err != nil {
		return a, err
	}
	if err := num(2, &a.Subdevice); err != nil {
		return a, err
	}
	if a.Card < 0 || a.Card > 255 {
		return a, fmt.Errorf("alsa: %q: bad card number", name)
	}
	return a, nil
}
