package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "qund.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustLoad(t *testing.T, args []string, env map[string]string) *loaded {
	t.Helper()
	l, err := load(args, envOf(env), io.Discard)
	if err != nil {
		t.Fatalf("load(%q, %v): %v", args, env, err)
	}
	return l
}

func value(t *testing.T, l *loaded, name string) string {
	t.Helper()
	for _, s := range settings {
		if s.name == name {
			return s.get(&l.opts)
		}
	}
	t.Fatalf("no setting %q", name)
	return ""
}

func TestPrecedenceFlagEnvFileDefault(t *testing.T) {
	file := writeFile(t, `# comment
listen = "127.0.0.1:1001"
data = "/from/file"
join = ["10.0.0.1:7946", "10.0.0.2:7946"]
idle_timeout = "3m"
max_in_flight = 7
`)
	env := map[string]string{"QUN_DATA": "/from/env", "QUN_LISTEN": "127.0.0.1:1002", "QUN_IDLE_TIMEOUT": "4m", "QUN_CONFIG": file}
	l := mustLoad(t, []string{"--listen", "127.0.0.1:1003"}, env)
	for _, c := range []struct {
		name, want string
		src        source
		where      string
	}{
		{"listen", "127.0.0.1:1003", fromFlag, "--listen"},
		{"data", "/from/env", fromEnv, "QUN_DATA"},
		{"idle-timeout", "4m0s", fromEnv, "QUN_IDLE_TIMEOUT"},
		{"join", "10.0.0.1:7946,10.0.0.2:7946", fromFile, file + ":4"},
		{"max-in-flight", "7", fromFile, file + ":6"},
		{"gossip", "127.0.0.1:0", fromDefault, ""},
		{"admin", "127.0.0.1:7401", fromDefault, ""},
		{"create-min-friends", "0", fromDefault, ""},
	} {
		if got := value(t, l, c.name); got != c.want {
			t.Errorf("%s = %q, want %q", c.name, got, c.want)
		}
		if got := l.from[c.name]; got != (origin{c.src, c.where}) {
			t.Errorf("%s from %+v, want %s %s", c.name, got, c.src, c.where)
		}
	}
	cfg := l.opts.engineConfig()
	if cfg.Listen != "127.0.0.1:1003" || cfg.DataDir != "/from/env" || len(cfg.Join) != 2 || cfg.MaxInFlight != 7 {
		t.Errorf("engine config %+v", cfg)
	}
	// --config beats QUN_CONFIG.
	other := writeFile(t, "listen = \"127.0.0.1:1004\"\n")
	l = mustLoad(t, []string{"--config", other}, map[string]string{"QUN_CONFIG": file})
	if got := value(t, l, "listen"); got != "127.0.0.1:1004" || l.file != other {
		t.Errorf("--config over QUN_CONFIG: listen %q, file %q", got, l.file)
	}
}

func TestUnknownKeysNamedWithLine(t *testing.T) {
	file := writeFile(t, `listen = "127.0.0.1:7400"
# a comment
lisen = "127.0.0.1:7400"
notes = """
not_a_key = 1
"""
"quoted key" = 1

[tls]
cert = "qund.pem"
`)
	_, err := load([]string{"--config", file}, envOf(nil), io.Discard)
	if err == nil {
		t.Fatal("unknown keys accepted")
	}
	for _, want := range []string{file + `:3: unknown key "lisen"`, file + `:4: unknown key "notes"`, file + `:7: unknown key "quoted key"`, file + `:9: unknown key "tls"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "not_a_key") {
		t.Errorf("a line inside a multi-line string was taken for a key: %v", err)
	}
}

func TestBadValuesNamed(t *testing.T) {
	for _, c := range []struct {
		file string
		env  map[string]string
		args []string
		want string
	}{
		{file: "\n\nmax_in_flight = \"many\"\n", want: ":3: max_in_flight: want an integer"},
		{file: "idle_timeout = 5\n", want: ":1: idle_timeout: want a duration string"},
		{file: "idle_timeout = \"5 minutes\"\n", want: ":1: idle_timeout: \"5 minutes\" is not a duration"},
		{file: "join = \"10.0.0.1:7946\"\n", want: ":1: join: want an array of strings"},
		{file: "listen = 7400\n", want: ":1: listen: want a string"},
		{file: "log_level = \"loud\"\n", want: ":1: log_level: want debug, info, warn or error"},
		{file: "listen = \n", want: "line 1"},
		{file: "\n[admin]\ntoken = \"0123456789abcdef\"\n", want: ":2: admin: want a string"},
		{env: map[string]string{"QUN_MAX_IN_FLIGHT": "x"}, want: "QUN_MAX_IN_FLIGHT: \"x\" is not an integer"},
		{args: []string{"--idle-timeout", "5"}, want: "--idle-timeout: \"5\" is not a duration"},
		{args: []string{"extra"}, want: "unexpected argument \"extra\""},
		{args: []string{"--no-such-flag", "1"}, want: "flag provided but not defined"},
		{args: []string{"--config", "/nonexistent/qund.toml"}, want: "no such file"},
	} {
		args := c.args
		if c.file != "" {
			args = append(args, "--config", writeFile(t, c.file))
		}
		_, err := load(args, envOf(c.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("load(%q, file %q, env %v): %v, want %q", c.args, c.file, c.env, err, c.want)
		}
	}
}

func TestSettingsTable(t *testing.T) {
	seen := map[string]bool{"config": true}
	def := defaultOptions()
	for _, s := range settings {
		if seen[s.name] || !regexp.MustCompile(`^[a-z][a-z0-9-]*$`).MatchString(s.name) || s.doc == "" || s.get == nil || s.set == nil {
			t.Errorf("bad or duplicate row %q", s.name)
		}
		seen[s.name] = true
		// Every setting reads back what it prints.
		o := defaultOptions()
		if err := s.set(&o, s.get(&def)); err != nil || s.get(&o) != s.get(&def) {
			t.Errorf("%s: set(get(default)) = %q, %v", s.name, s.get(&o), err)
		}
	}
	if envName("admin-token") != "QUN_ADMIN_TOKEN" || keyName("admin-token") != "admin_token" {
		t.Error("naming convention changed")
	}
}

// The example file is loaded as a config: every key it has is a setting,
// every setting is in it, and its values are the defaults.
func TestExampleFile(t *testing.T) {
	const path = "../../docs/qund.example.toml"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l := mustLoad(t, []string{"--config", path}, nil)
	def := defaultOptions()
	for _, s := range settings {
		if l.from[s.name].src != fromFile {
			t.Errorf("docs/qund.example.toml lacks %s", keyName(s.name))
		}
		if got, want := s.get(&l.opts), s.get(&def); got != want {
			t.Errorf("example %s = %q, default %q", keyName(s.name), got, want)
		}
		if !strings.Contains(string(src), "\n"+keyName(s.name)+" = ") {
			t.Errorf("%s not at the start of a line", keyName(s.name))
		}
	}
}

func TestConfigCommandPrintsSources(t *testing.T) {
	file := writeFile(t, "data = \"/var/lib/qun\"\nadmin_token = \"file-token-0123456789\"\n")
	t.Setenv("QUN_GOSSIP", "127.0.0.1:7946")
	t.Setenv("QUN_SECRET", "env-secret-0123456789")
	var out bytes.Buffer
	if err := run([]string{"config", "--config", file, "--listen", "127.0.0.1:7500", "--join", "10.0.0.1:7946", "--bootstrap-expect", "3", "--replication", "on", "--cluster-secret", "cluster-secret-0123456789"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, re := range []string{
		`(?m)^listen = "127\.0\.0\.1:7500"\s+# flag --listen$`,
		`(?m)^gossip = "127\.0\.0\.1:7946"\s+# env QUN_GOSSIP$`,
		`(?m)^data = "/var/lib/qun"\s+# file ` + regexp.QuoteMeta(file) + `:1$`,
		`(?m)^join = \["10\.0\.0\.1:7946"\]\s+# flag --join$`,
		`(?m)^max_in_flight = 256\s+# default$`,
		`(?m)^# secret = \(set, 21 bytes, not shown\)\s+# env QUN_SECRET$`,
		`(?m)^# admin_token = \(set, 21 bytes, not shown\)\s+# file ` + regexp.QuoteMeta(file) + `:2$`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("qund config output lacks %s:\n%s", re, text)
		}
	}
	if strings.Contains(text, "env-secret") || strings.Contains(text, "file-token") {
		t.Errorf("a secret was printed:\n%s", text)
	}
	// The output is itself a config file giving the same values.
	again := mustLoad(t, []string{"--config", writeFile(t, text)}, nil)
	first := mustLoad(t, []string{"--config", file, "--listen", "127.0.0.1:7500", "--join", "10.0.0.1:7946", "--bootstrap-expect", "3", "--replication", "on"},
		map[string]string{"QUN_GOSSIP": "127.0.0.1:7946"})
	for _, s := range settings {
		if s.kind != kSecret && s.get(&again.opts) != s.get(&first.opts) {
			t.Errorf("%s: printed %q, reloaded %q", s.name, s.get(&first.opts), s.get(&again.opts))
		}
	}
	// qund config also says when qund would refuse to start.
	if err := run([]string{"config", "--admin", "0.0.0.0:7401"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("non-loopback admin without token: %v", err)
	}
}

func TestConfigCommandValidates(t *testing.T) {
	if err := run([]string{"config", "--listen", "0.0.0.0:7400"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Errorf("non-loopback listen without secret: %v", err)
	}
	if err := run([]string{"config", "--admin", "127.0.0.1:7401", "--admin-token", "short"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "token too short") {
		t.Errorf("short admin token: %v", err)
	}
	if err := run([]string{"config", "--admin", "", "--listen", "127.0.0.1:0"}, io.Discard, io.Discard); err != nil {
		t.Errorf("admin off: %v", err)
	}
	// Storage is always replicated: "off" is refused, "on" is accepted.
	if err := run([]string{"config", "--replication", "off"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "always replicated") {
		t.Errorf("--replication off: %v", err)
	}
	// A cluster needs the same token secret on every node.
	if err := run([]string{"config", "--join", "127.0.0.1:7946", "--bootstrap-expect", "3", "--cluster-secret", "cluster-secret-0123456789"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "same tokens") {
		t.Errorf("a cluster without a token secret: %v", err)
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	_, err := load([]string{"-h"}, envOf(nil), &out)
	if err != flag.ErrHelp {
		t.Fatalf("-h: %v", err)
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), "--"+s.name+"  ("+envName(s.name)+", key "+keyName(s.name)) {
			t.Errorf("usage lacks %s", s.name)
		}
	}
}
