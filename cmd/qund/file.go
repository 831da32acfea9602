package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// maxConfigFile bounds the configuration file read.
const maxConfigFile = 1 << 20

// fileValue is a setting's value from the file, as text, and its line.
type fileValue struct {
	text string
	line int
}

// readFile parses the TOML file at path into settings (by name). A key
// that is no setting is an error naming the key and its line.
func readFile(path string) (map[string]fileValue, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(b) > maxConfigFile {
		return nil, fmt.Errorf("config: %s is larger than %d bytes", path, maxConfigFile)
	}
	return parseFile(path, string(b))
}

func parseFile(path, src string) (map[string]fileValue, error) {
	var top map[string]toml.Primitive
	md, err := toml.Decode(src, &top)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	byKey := map[string]setting{}
	for _, s := range settings {
		byKey[keyName(s.name)] = s
	}
	type entry struct {
		line int
		key  string
	}
	var keys []entry
	for key := range top {
		keys = append(keys, entry{keyLine(src, key), key})
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].line < keys[j].line })
	var unknown []string
	for _, k := range keys {
		if _, ok := byKey[k.key]; !ok {
			unknown = append(unknown, fmt.Sprintf("%s:%d: unknown key %q", path, k.line, k.key))
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("config: %s (the keys are listed by qund -h)", strings.Join(unknown, "; "))
	}
	out := map[string]fileValue{}
	for _, k := range keys {
		s := byKey[k.key]
		text, err := primitiveText(md, top[k.key], s.kind)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", path, k.line, k.key, err)
		}
		out[s.name] = fileValue{text: text, line: k.line}
	}
	return out, nil
}

// primitiveText decodes one value of the TOML type its kind asks for, and
// returns it as the text a flag would carry.
func primitiveText(md toml.MetaData, p toml.Primitive, k kind) (string, error) {
	switch k {
	case kInt:
		var n int64
		if err := md.PrimitiveDecode(p, &n); err != nil {
			return "", fmt.Errorf("want an integer")
		}
		return strconv.FormatInt(n, 10), nil
	case kList:
		var l []string
		if err := md.PrimitiveDecode(p, &l); err != nil {
			return "", fmt.Errorf(`want an array of strings, like ["10.0.0.5:7946"]`)
		}
		for _, s := range l {
			if strings.Contains(s, ",") {
				return "", fmt.Errorf("%q: one address per string", s)
			}
		}
		return strings.Join(l, ","), nil
	default:
		var s string
		if err := md.PrimitiveDecode(p, &s); err != nil {
			if k == kDuration {
				return "", fmt.Errorf(`want a duration string, like "90s" or "5m"`)
			}
			return "", fmt.Errorf("want a string")
		}
		return s, nil
	}
}

// keyLine finds the line where top-level key is set, or where a table of
// that name begins ([key], [key.sub], [[key]]): BurntSushi/toml keeps key
// positions private. 0 if not found. Lines inside multi-line strings are
// skipped.
func keyLine(src, key string) int {
	atTop, inMulti := true, ""
	for i, line := range strings.Split(src, "\n") {
		l := strings.TrimSpace(line)
		if inMulti != "" {
			if strings.Count(l, inMulti)%2 == 1 {
				inMulti = ""
			}
			continue
		}
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		if strings.HasPrefix(l, "[") {
			atTop = false
			h := strings.TrimSpace(strings.Trim(strings.SplitN(l, "]", 2)[0], "["))
			if firstKeyPart(h) == key {
				return i + 1
			}
			continue
		}
		for _, q := range []string{`"""`, `'''`} {
			if strings.Count(l, q)%2 == 1 {
				inMulti = q
			}
		}
		if !atTop {
			continue
		}
		if k, _, ok := strings.Cut(l, "="); ok && firstKeyPart(strings.TrimSpace(k)) == key {
			return i + 1
		}
	}
	return 0
}

// firstKeyPart is the first part of a dotted TOML key, unquoted.
func firstKeyPart(k string) string {
	if strings.HasPrefix(k, `"`) || strings.HasPrefix(k, `'`) {
		q := k[:1]
		if end := strings.Index(k[1:], q); end >= 0 {
			inner := k[1 : end+1]
			if q == `"` {
				if u, err := strconv.Unquote(`"` + inner + `"`); err == nil {
					return u
				}
			}
			return inner
		}
		return k
	}
	part, _, _ := strings.Cut(k, ".")
	return strings.TrimSpace(part)
}
