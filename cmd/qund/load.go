package main

import (
	"flag"
	"fmt"
	"io"
)

// source is where a setting's value came from. Later sources win: flag >
// env > file > default.
type source string

const (
	fromDefault source = "default"
	fromFile    source = "file"
	fromEnv     source = "env"
	fromFlag    source = "flag"
)

// origin is a value's source and where exactly: "--listen", "QUN_LISTEN",
// "qund.toml:3".
type origin struct {
	src   source
	where string
}

// loaded is the effective configuration and where each value came from.
type loaded struct {
	opts options
	from map[string]origin // by setting name
	file string            // config file read, "" if none
}

// flagValue records a flag's text; it is applied after the file and the
// environment, so a flag wins whatever order things were read in.
type flagValue struct {
	name string
	raw  map[string]string
}

func (f *flagValue) String() string     { return "" }
func (f *flagValue) Set(v string) error { f.raw[f.name] = v; return nil }

// load reads the configuration: defaults, then the file (--config, or
// QUN_CONFIG), then QUN_* variables (through getenv), then flags. args are
// the flags only; usage goes to out on -h.
func load(args []string, getenv func(string) (string, bool), out io.Writer) (*loaded, error) {
	fs := flag.NewFlagSet("qund", flag.ContinueOnError)
	fs.SetOutput(out)
	raw := map[string]string{}
	def := defaultOptions()
	for _, s := range settings {
		fs.Var(&flagValue{name: s.name, raw: raw}, s.name, s.doc)
	}
	configPath := fs.String("config", "", "TOML configuration file (QUN_CONFIG); its keys are the flag names with '_' for '-'")
	fs.Usage = func() { usage(out, &def) }
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (settings are flags: --name value)", fs.Arg(0))
	}
	l := &loaded{opts: def, from: map[string]origin{}}
	for _, s := range settings {
		l.from[s.name] = origin{src: fromDefault}
	}
	l.file = *configPath
	if l.file == "" {
		l.file, _ = getenv("QUN_CONFIG")
	}
	if l.file != "" {
		vals, err := readFile(l.file)
		if err != nil {
			return nil, err
		}
		for _, s := range settings {
			if v, ok := vals[s.name]; ok {
				where := fmt.Sprintf("%s:%d", l.file, v.line)
				if err := s.set(&l.opts, v.text); err != nil {
					return nil, fmt.Errorf("%s: %s: %w", where, keyName(s.name), err)
				}
				l.from[s.name] = origin{fromFile, where}
			}
		}
	}
	for _, s := range settings {
		if v, ok := getenv(envName(s.name)); ok {
			if err := s.set(&l.opts, v); err != nil {
				return nil, fmt.Errorf("%s: %w", envName(s.name), err)
			}
			l.from[s.name] = origin{fromEnv, envName(s.name)}
		}
	}
	for _, s := range settings {
		if v, ok := raw[s.name]; ok {
			if err := s.set(&l.opts, v); err != nil {
				return nil, fmt.Errorf("--%s: %w", s.name, err)
			}
			l.from[s.name] = origin{fromFlag, "--" + s.name}
		}
	}
	return l, nil
}

func usage(w io.Writer, def *options) {
	fmt.Fprint(w, `usage: qund [flags]          run a node
       qund config [flags]   print the configuration in effect and where each value comes from

Every setting is a flag, a QUN_* environment variable and a key of the
--config TOML file; a flag wins over the environment, which wins over the file.

  --config FILE  (QUN_CONFIG)
        TOML configuration file; see docs/qund.example.toml
`)
	for _, s := range settings {
		d := s.get(def)
		if s.kind == kSecret || d == "" {
			d = `""`
		}
		fmt.Fprintf(w, "  --%s  (%s, key %s, default %s)\n        %s\n", s.name, envName(s.name), keyName(s.name), d, s.doc)
	}
}
