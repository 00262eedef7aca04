package directory

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yaml reports decode problems by line ("line 7: field colour not found in
// type directory.Agent"), while validation reports field paths. decodeProblems
// rewrites yaml's messages to name the field path too, so every error of Parse
// reads "file: agents[1].colour: why".

var (
	yamlLine     = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

func decodeProblems(name string, root *yaml.Node, typeErr *yaml.TypeError) error {
	idx := indexLines(root)
	var errs []error
	for _, msg := range typeErr.Errors {
		errs = append(errs, fmt.Errorf("%s: %s", name, idx.withPath(msg)))
	}
	return errors.Join(errs...)
}

// lineIndex locates field paths by line, which is all yaml's errors give.
type lineIndex struct {
	// keys holds the exact path of each mapping key, for unknown-field errors
	// that name the key.
	keys map[lineKey][]string
	// lines holds the path written on each line; when a line holds several
	// fields (`{id: a, name: A}`) it is their common parent, since a type
	// error names no field and yaml gives no column.
	lines map[int][]string
}

type lineKey struct {
	line int
	key  string
}

func (idx lineIndex) withPath(msg string) string {
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	line, _ := strconv.Atoi(m[1])
	why := m[2]
	path, found := idx.lines[line]
	if f := unknownField.FindStringSubmatch(why); f != nil {
		path, found = idx.keys[lineKey{line, f[1]}]
		why = "unknown field"
	}
	if !found || len(path) == 0 {
		return msg
	}
	return fmt.Sprintf("%s: %s (line %d)", formatPath(path), why, line)
}

func indexLines(root *yaml.Node) lineIndex {
	idx := lineIndex{keys: map[lineKey][]string{}, lines: map[int][]string{}}
	idx.walk(root, nil)
	return idx
}

// walk records every node's path. Children append to a clipped parent path so
// siblings never share (and overwrite) an array.
func (idx lineIndex) walk(n *yaml.Node, path []string) {
	// A block container's line belongs to its first child; a flow container
	// ([a, b] or {k: v}) is itself what is written on its line.
	if n.Style&yaml.FlowStyle != 0 || n.Kind == yaml.ScalarNode {
		idx.record(n.Line, path)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			idx.walk(c, path)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			child := append(slices.Clip(path), key.Value)
			idx.keys[lineKey{key.Line, key.Value}] = child
			idx.record(key.Line, child)
			idx.walk(n.Content[i+1], child)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			idx.walk(c, append(slices.Clip(path), "["+strconv.Itoa(i)+"]"))
		}
	}
}

func (idx lineIndex) record(line int, path []string) {
	if seen, ok := idx.lines[line]; ok {
		path = commonPrefix(seen, path)
	}
	idx.lines[line] = path
}

func commonPrefix(a, b []string) []string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n:n]
}

// formatPath renders ["agents", "[1]", "profile"] as agents[1].profile.
func formatPath(path []string) string {
	var b strings.Builder
	for i, seg := range path {
		if i > 0 && !strings.HasPrefix(seg, "[") {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}
