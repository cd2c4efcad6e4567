package config

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// node is one element of the file, kept with where its value starts so
// that every later error can point at it.
type node struct {
	name     string // local name
	path     string // slash-separated from below <config>, e.g. "pusher/transfer"
	at       Pos    // just after the start tag: where the value begins
	text     string // character data, comments removed
	children []*node
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readTree turns the file into a tree of elements rooted at <config>,
// enforcing MaxValueLen, MaxDepth and MaxElements.
func readTree(data []byte, file string) (*node, error) {
	fail := func(at Pos, element, format string, args ...any) error {
		return &Error{Path: file, Pos: at, Element: element, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data) > MaxFileSize {
		return nil, fail(Pos{}, "", "file is larger than %d bytes", MaxFileSize)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fail(Pos{}, "", "file is empty; expected <config>…</config>")
	}
	if !utf8.Valid(data) {
		return nil, fail(Pos{}, "", "file is not UTF-8 text; save it as UTF-8")
	}

	d := xml.NewDecoder(bytes.NewReader(data))
	var charsetErr error
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		// The text was checked to be UTF-8 above, so a declaration that names
		// a UTF-8-compatible label is honest; anything else is not.
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return in, nil
		}
		charsetErr = fmt.Errorf("encoding %q is not supported; save the file as UTF-8", clip(label))
		return nil, charsetErr
	}

	var (
		root     *node
		stack    []*node
		elements int
	)
	for {
		tok, err := d.Token()
		line, col := d.InputPos()
		at := Pos{Line: line, Col: col}
		if errors.Is(err, io.EOF) {
			break
		}
		if charsetErr != nil {
			return nil, fail(at, "", "%v", charsetErr)
		}
		if err != nil {
			msg := err.Error()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				msg = se.Msg
			}
			return nil, fail(at, "", "malformed XML: %s", msg)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elements++
			if elements > MaxElements {
				return nil, fail(at, "", "more than %d elements", MaxElements)
			}
			if len(stack) >= MaxDepth {
				return nil, fail(at, "", "elements nested deeper than %d", MaxDepth)
			}
			n := &node{name: t.Name.Local, at: at}
			if len(stack) == 0 {
				if root != nil {
					return nil, fail(at, "", "second top-level element <%s> after </%s>", n.name, root.name)
				}
				if n.name != "config" {
					return nil, fail(at, "", "top-level element is <%s>, want <config>", n.name)
				}
				root = n
			} else {
				parent := stack[len(stack)-1]
				if parent == root {
					n.path = n.name
				} else {
					n.path = parent.path + "/" + n.name
				}
				parent.children = append(parent.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, fail(at, "", "text outside <config>")
				}
				continue
			}
			n := stack[len(stack)-1]
			if len(n.text)+len(t) > MaxValueLen {
				return nil, fail(at, n.path, "value longer than %d bytes", MaxValueLen)
			}
			n.text += string(t)
		}
	}
	if root == nil {
		return nil, fail(Pos{}, "", "no <config> element")
	}
	return root, nil
}
