package config

import "testing"

func TestMatchOutput(t *testing.T) {
	c := &Config{Outputs: []Output{
		{URL: "videodevice1"},    // 0: one camera, exactly
		{URL: "videodevice"},     // 1: any other camera
		{URL: "audiodevice"},     // 2
		{URL: "screenlive"},      // 3
		{URL: "window"},          // 4
		{URL: "*.mp4"},           // 5
		{URL: "clips/intro.mkv"}, // 6
		{URL: ""},                // 7: an early default…
		{URL: "test[0-9].ts"},    // 8
		{URL: "[bad"},            // 9: a broken glob matches nothing but itself
		{URL: ""},                // 10: …the last empty url is the default
	}}
	cases := []struct {
		path string
		want int // index, -1 for nil
	}{
		{"videodevice1", 0},
		{"/videodevice1", 0},
		{"VideoDevice1", 0},
		{"videodevice", 1},
		{"videodevice2", 1},
		{"videodevice2?width=640", 1},
		{"videodevice+audiodevice", 1},
		{"audiodevice", 2},
		{"audiodevice3", 2},
		{"videodevicex", 10},
		{"screenlive", 3},
		{"screenlive+audiodevice", 2}, // the first matching node wins: audiodevice (2) is above screenlive (3)
		{"window=Terminal", 4},
		{"windows", 10},
		{"movie.mp4", 5},
		{"sub/dir/movie.MP4", 5},
		{"clips/intro.mkv", 6},
		{"intro.mkv", 10},
		{"test3.ts", 8},
		{"test33.ts", 10},
		{"[bad", 9},
		{"", 10},
		{"unknown", 10},
	}
	for _, tc := range cases {
		got := c.MatchOutput(tc.path)
		want := (*Output)(nil)
		if tc.want >= 0 {
			want = &c.Outputs[tc.want]
		}
		if got != want {
			t.Errorf("MatchOutput(%q) = node %d, want node %d", tc.path, index(c, got), tc.want)
		}
	}

	none := &Config{Outputs: []Output{{URL: "videodevice"}}}
	if o := none.MatchOutput("file.mp4"); o != nil {
		t.Errorf("no default node: MatchOutput = %+v, want nil", o)
	}
	if o := (&Config{}).MatchOutput("x"); o != nil {
		t.Errorf("no nodes: MatchOutput = %+v, want nil", o)
	}
}

func index(c *Config, o *Output) int {
	for i := range c.Outputs {
		if &c.Outputs[i] == o {
			return i
		}
	}
	return -1
}
