package config

import (
	"fmt"
	"strings"
)

// Pos is a position in the configuration file: 1-based line and column.
// The zero Pos means "not from a file".
type Pos struct {
	Line, Col int
}

// Error is one problem in a configuration. Parse and Validate return one
// Error, or several joined with errors.Join.
type Error struct {
	// Path is the file name as given to Load or Parse ("" for none).
	Path string
	// Pos is where the problem is; zero when the value was not read from a
	// file.
	Pos Pos
	// Element is the slash-separated element path, e.g. "rtsp_port" or
	// "pusher/transfer/vport"; "" for file-level problems.
	Element string
	// Msg says what is wrong.
	Msg string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
	} else {
		b.WriteString("config")
	}
	if e.Pos.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Pos.Line)
		if e.Pos.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Pos.Col)
		}
	}
	b.WriteString(": ")
	if e.Element != "" {
		b.WriteString(elementTag(e.Element))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// elementTag renders "pusher/transfer/vport" as "<pusher><transfer><vport>".
func elementTag(path string) string {
	var b strings.Builder
	for _, part := range strings.Split(path, "/") {
		b.WriteByte('<')
		b.WriteString(part)
		b.WriteByte('>')
	}
	return b.String()
}
