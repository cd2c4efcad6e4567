package main

import (
	"io"
	"os"
	"testing"

	"rtspcam/drivers/v4l2"
	"rtspcam/drivers/v4l2/v4l2test"
)

func TestListCamerasPrintsPathsAndFormats(t *testing.T) {
	sys := v4l2test.New(v4l2test.Camera("Integrated Camera", v4l2.PixYUYV, v4l2.PixMJPEG))
	r, w, _ := os.Pipe()
	stdout := os.Stdout
	os.Stdout = w
	rc := listCameras(sys)
	os.Stdout = stdout
	w.Close()
	out, _ := io.ReadAll(r)
	want := "video devices (play videodeviceN or videodevice=Name; videodevice is device 0):\n" +
		"0: videodevice0 Integrated Camera (/dev/video0, fake)\n" +
		"   YUYV (YUYV): 320x240 640x480\n" +
		"   MJPG (MJPG): 320x240 640x480\n"
	if rc != 0 || string(out) != want {
		t.Fatalf("rc %d, printed\n%s\nwant\n%s", rc, out, want)
	}
}
