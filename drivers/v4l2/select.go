package v4l2

import (
	"fmt"
	"strconv"
	"strings"
)

// Select picks the device a path argument names: "" is the first device,
// a number N the Nth (0-based, as videodeviceN), anything else a card
// name, matched case-insensitively, exactly first and then as a part.
// The error wraps ErrNoDevice and names the devices there are.
func Select(devs []DeviceInfo, arg string) (DeviceInfo, error) {
	if arg == "" {
		if len(devs) == 0 {
			return DeviceInfo{}, fmt.Errorf("%w: there are no capture devices", ErrNoDevice)
		}
		return devs[0], nil
	}
	if n, err := strconv.Atoi(arg); err == nil {
		for _, d := range devs {
			if d.Index == n {
				return d, nil
			}
		}
		return DeviceInfo{}, fmt.Errorf("%w: %d; %s", ErrNoDevice, n, Describe(devs))
	}
	want := strings.ToLower(arg)
	for _, d := range devs {
		if strings.ToLower(d.Name) == want {
			return d, nil
		}
	}
	for _, d := range devs {
		if strings.Contains(strings.ToLower(d.Name), want) {
			return d, nil
		}
	}
	return DeviceInfo{}, fmt.Errorf("%w: %q; %s", ErrNoDevice, arg, Describe(devs))
}

// Describe names the devices for an error or log line.
func Describe(devs []DeviceInfo) string {
	if len(devs) == 0 {
		return "there are no capture devices"
	}
	parts := make([]string, len(devs))
	for i, d := range devs {
		parts[i] = fmt.Sprintf("videodevice%d %q (%s)", d.Index, d.Name, d.Path)
	}
	return "the devices are " + strings.Join(parts, ", ")
}
