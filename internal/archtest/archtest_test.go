// Package archtest_test checks the package rules of docs/architecture.md
// against the code: it reads the "Package rules" table and compares it with
// what `go list -json` says each package imports, as Pebble's lint test does
// for forbidden imports. A new package, or a new import between packages,
// therefore starts with a row or a word in that table.
package archtest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// thirdParty names the outside modules the table speaks of. A package that
// may not use one (by its row, or through a package its row allows) must not
// depend on it, even indirectly.
var thirdParty = map[string]string{
	"Proto.Actor": "github.com/asynkron/protoactor-go",
	"memberlist":  "github.com/hashicorp/memberlist",
	"etcd raft":   "go.etcd.io/raft",
}

// rule is one row of the table: what a package (or family, "cmd/*") may import.
type rule struct {
	ours  []string // rows of ours it may import
	third []string // keys of thirdParty it names
}

// readRules parses the table under "## Package rules".
func readRules(t *testing.T, path string) map[string]rule {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rules := map[string]rule{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "## ") {
			in = line == "## Package rules"
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cols := strings.Split(strings.Trim(line, "|"), "|")
		if len(cols) != 2 {
			t.Fatalf("%s: table row %q: want 2 columns", path, line)
		}
		var r rule
		for _, w := range strings.Split(cols[1], ",") {
			w = strings.TrimSpace(w)
			switch {
			case strings.HasPrefix(w, "nothing of ours"):
			case strings.HasPrefix(w, "`"):
				r.ours = append(r.ours, strings.Trim(w, "`"))
			case thirdParty[w] != "":
				r.third = append(r.third, w)
			default:
				t.Fatalf("%s: row %q names %q: neither `ours`, nothing of ours, nor one of %v", path, line, w, keys(thirdParty))
			}
		}
		for _, p := range strings.Split(cols[0], ",") {
			rules[strings.Trim(strings.TrimSpace(p), "`")] = r
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rules) == 0 {
		t.Fatalf("%s: no package rules table found", path)
	}
	return rules
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// rowOf names the row that covers a package path relative to the module
// ("actors/pb" is covered by "actors", "cmd/qund" by "cmd/*"); "" if none.
func rowOf(rules map[string]rule, rel string) string {
	best := ""
	for row := range rules {
		prefix := strings.TrimSuffix(row, "/*")
		if (rel == prefix || strings.HasPrefix(rel, prefix+"/")) && len(row) > len(best) {
			best = row
		}
	}
	return best
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T, root string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func moduleRoot(t *testing.T) (dir, path string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}\t{{.Path}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	dir, path, _ = strings.Cut(strings.TrimSpace(string(out)), "\t")
	return dir, path
}

func TestPackageRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool on PATH")
	}
	root, mod := moduleRoot(t)
	rules := readRules(t, filepath.Join(root, "docs", "architecture.md"))
	for row, r := range rules {
		for _, o := range r.ours {
			if _, ok := rules[o]; !ok {
				t.Errorf("row %s allows %s, which has no row of its own", row, o)
			}
		}
	}
	// mayUse: the outside modules a row may depend on, itself or through
	// the rows it may import.
	var mayUse func(row string, seen map[string]bool) map[string]bool
	mayUse = func(row string, seen map[string]bool) map[string]bool {
		out := map[string]bool{}
		if seen[row] {
			return out
		}
		seen[row] = true
		for _, w := range rules[row].third {
			out[thirdParty[w]] = true
		}
		for _, o := range rules[row].ours {
			for m := range mayUse(o, seen) {
				out[m] = true
			}
		}
		return out
	}
	checked := 0
	for _, p := range listPackages(t, root) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, mod), "/")
		if strings.HasPrefix(rel, "internal/") || rel == "internal" {
			continue // internal packages may be used by anyone below them
		}
		row := rowOf(rules, rel)
		if row == "" {
			t.Errorf("package %s has no row in docs/architecture.md's package rules", rel)
			continue
		}
		checked++
		allowed := map[string]bool{row: true}
		for _, o := range rules[row].ours {
			allowed[o] = true
		}
		for _, imp := range p.Imports {
			if imp != mod && !strings.HasPrefix(imp, mod+"/") {
				continue
			}
			irel := strings.TrimPrefix(strings.TrimPrefix(imp, mod), "/")
			if strings.HasPrefix(irel, "internal/") {
				continue
			}
			if to := rowOf(rules, irel); !allowed[to] {
				t.Errorf("%s imports %s (row %q), which its row %q does not allow", rel, irel, to, row)
			}
		}
		may := mayUse(row, map[string]bool{})
		for _, m := range thirdParty {
			if may[m] {
				continue
			}
			for _, d := range p.Deps {
				if d == m || strings.HasPrefix(d, m+"/") {
					t.Errorf("%s depends on %s (%s), which its row %q does not allow", rel, m, d, row)
					break
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("checked only %d packages: is go list seeing the module?", checked)
	}
}
