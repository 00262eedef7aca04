package directory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"go.yaml.in/yaml/v3"
)

// Load reads and validates the tenant directory at path: a regular file of
// at most MaxFileBytes. Nothing else is read: a FIFO would hang the worker,
// /dev/zero would never end, and a huge file is refused from its size.
func Load(path string) (*Directory, error) {
	data, err := readRegular(path, MaxFileBytes)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// readRegular reads the regular file at path, refusing one over limit
// bytes without reading it.
func readRegular(path string, limit int64) ([]byte, error) {
	// Non-blocking: opening a FIFO would otherwise wait for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err // already names the path
	}
	defer f.Close()
	info, err := f.Stat()
	switch {
	case err != nil:
		return nil, err
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%s: not a regular file (%s); a directory is a YAML file", path, info.Mode().Type())
	case info.Size() > limit:
		return nil, fmt.Errorf("%s: %d KiB; a directory file may have at most %d KiB", path, info.Size()>>10, limit>>10)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1)) // the file may grow meanwhile
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// Parse decodes and validates a tenant directory; name (usually the file path)
// prefixes every error. Unknown fields are errors, since a misspelt key would
// otherwise silently fall back to a default. All problems are reported at
// once, one per line, as "name: field.path: why".
func Parse(name string, data []byte) (*Directory, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: %d KiB; a directory file may have at most %d KiB", name, len(data)>>10, MaxFileBytes>>10)
	}
	d, err := decodeStrict(name, data)
	if err != nil {
		return nil, err
	}
	if err := d.validate(name); err != nil {
		return nil, err
	}
	return d, nil
}

func decodeStrict(name string, data []byte) (*Directory, error) {
	// The node tree serves to check the document's shape and, on a decode
	// error, to turn yaml's line numbers into field paths.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: the file is empty", name)
	}
	if doc := root.Content[0]; doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: line %d: a directory is a mapping of fields (tenant:, agents:, ...)", name, doc.Line)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var d Directory
	err := dec.Decode(&d)
	var typeErr *yaml.TypeError
	if errors.As(err, &typeErr) {
		return nil, decodeProblems(name, &root, typeErr)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// A second document would be silently ignored otherwise.
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: a directory is a single YAML document", name)
	}
	return &d, nil
}
