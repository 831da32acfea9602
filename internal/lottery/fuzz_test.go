package lottery

import (
	"slices"
	"strings"
	"testing"
)

// FuzzDraw: winners are distinct entries, as many as asked (or all), and the
// draw does not depend on the entries' order.
func FuzzDraw(f *testing.F) {
	f.Add([]byte("seed"), "alice\nbob\ncarol\nalice", 2)
	f.Add([]byte{}, "", 1)
	f.Fuzz(func(t *testing.T, seed []byte, list string, winners int) {
		entries := strings.Split(list, "\n")
		got := Draw(seed, entries, winners)
		uniq := Canonical(entries)
		want := max(0, min(winners, len(uniq)))
		if len(got) != want {
			t.Fatalf("Draw(%d) over %d entries gave %d", winners, len(uniq), len(got))
		}
		seen := map[string]bool{}
		for _, w := range got {
			if seen[w] || !slices.Contains(uniq, w) {
				t.Fatalf("bad winner %q in %q", w, got)
			}
			seen[w] = true
		}
		rev := slices.Clone(entries)
		slices.Reverse(rev)
		if again := Draw(seed, rev, winners); !slices.Equal(again, got) {
			t.Fatalf("order changed the draw: %q vs %q", got, again)
		}
	})
}
