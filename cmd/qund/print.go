package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/BurntSushi/toml"
)

// print writes the configuration in effect as TOML, each value with its
// source as a comment. Secrets are never printed: their line is commented
// out and says only whether one is set. The output loads back as a file.
func (l *loaded) print(w io.Writer) error {
	file := l.file
	if file == "" {
		file = "(none)"
	}
	fmt.Fprintf(w, "# qund configuration in effect (precedence: flag > QUN_* env > file > default)\n# config file: %s\n", file)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range settings {
		from := l.from[s.name]
		note := string(from.src)
		if from.where != "" {
			note += " " + from.where
		}
		v := s.get(&l.opts)
		if s.kind == kSecret {
			state := "not set"
			if v != "" {
				state = fmt.Sprintf("set, %d bytes", len(v))
			}
			fmt.Fprintf(tw, "# %s = (%s, not shown)\t# %s\n", keyName(s.name), state, note)
			continue
		}
		val, err := tomlValue(s.kind, v)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s = %s\t# %s\n", keyName(s.name), val, note)
	}
	return tw.Flush()
}

// tomlValue writes a setting's text as the TOML value its kind reads.
func tomlValue(k kind, v string) (string, error) {
	var val any = v
	switch k {
	case kInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", err
		}
		val = n
	case kList:
		l := []string{}
		if v != "" {
			l = strings.Split(v, ",")
		}
		val = l
	}
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(map[string]any{"v": val}); err != nil {
		return "", err
	}
	return strings.TrimSpace(strings.TrimPrefix(b.String(), "v = ")), nil
}
