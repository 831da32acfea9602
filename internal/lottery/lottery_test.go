package lottery

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

var seed = []byte("0123456789abcdef0123456789abcdef")

func TestVerify(t *testing.T) {
	s, h, err := NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != SeedSize || len(h) != 64 {
		t.Fatalf("NewSeed = %x, %q", s, h)
	}
	other := slices.Clone(s)
	other[0] ^= 1
	tests := []struct {
		hash string
		seed []byte
		want bool
	}{
		{h, s, true},
		{strings.ToUpper(h), s, true},
		{h, other, false},
		{h[:62], s, false},
		{"zz" + h[2:], s, false},
		{"", s, false},
		{Hash(nil), nil, true},
		// SHA-256("abc"), a published test vector.
		{"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", []byte("abc"), true},
	}
	for _, tc := range tests {
		if got := Verify(tc.hash, tc.seed); got != tc.want {
			t.Errorf("Verify(%q, %x) = %v, want %v", tc.hash, tc.seed, got, tc.want)
		}
	}
}

func TestDraw(t *testing.T) {
	entries := []string{"carol", "alice", "bob", "dave", "erin", "alice"}
	tests := []struct {
		winners int
		n       int
	}{{-1, 0}, {0, 0}, {1, 1}, {3, 3}, {5, 5}, {6, 5}, {100, 5}}
	for _, tc := range tests {
		got := Draw(seed, entries, tc.winners)
		if len(got) != tc.n {
			t.Errorf("Draw(%d) = %v, want %d winners", tc.winners, got, tc.n)
		}
		seen := map[string]bool{}
		for _, w := range got {
			if seen[w] || !slices.Contains(entries, w) {
				t.Errorf("Draw(%d) = %v: duplicate or unknown winner %q", tc.winners, got, w)
			}
			seen[w] = true
		}
	}
	if got := Draw(seed, nil, 3); got != nil {
		t.Errorf("Draw(no entries) = %v", got)
	}
	if entries[0] != "carol" {
		t.Errorf("Draw modified its input: %v", entries)
	}
}

// TestDrawCanonical: the order and duplicates of the entry list do not
// matter; the seed and the entry set do; the first winners of a larger draw
// are the winners of a smaller one.
func TestDrawCanonical(t *testing.T) {
	a := []string{"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"}
	b := []string{"u8", "u3", "u1", "u5", "u2", "u7", "u4", "u6", "u3"}
	if x, y := Draw(seed, a, 3), Draw(seed, b, 3); !slices.Equal(x, y) {
		t.Fatalf("order changed the draw: %v vs %v", x, y)
	}
	all := Draw(seed, a, 8)
	if three := Draw(seed, a, 3); !slices.Equal(three, all[:3]) {
		t.Fatalf("Draw(3) = %v is not a prefix of Draw(8) = %v", three, all)
	}
	other := slices.Clone(seed)
	other[5] ^= 0x80
	differ := 0
	for i := 0; i < 20; i++ {
		other[0] = byte(i)
		if !slices.Equal(Draw(other, a, 8), all) {
			differ++
		}
	}
	if differ < 19 {
		t.Fatalf("only %d of 20 other seeds changed the draw", differ)
	}
	if slices.Equal(Draw(seed, append(slices.Clone(a), "u9"), 8), all) {
		t.Fatalf("adding an entry did not change the draw")
	}
}

// TestDrawGolden pins the algorithm; the vector was recomputed independently
// from the package doc in Python.
func TestDrawGolden(t *testing.T) {
	got := Draw(seed, []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace"}, 3)
	want := []string{"alice", "erin", "frank"}
	if !slices.Equal(got, want) {
		t.Fatalf("Draw = %q, want %q", got, want)
	}
}

// TestDrawFair: over many seeds every entry wins about equally often.
func TestDrawFair(t *testing.T) {
	entries := []string{"a", "b", "c", "d", "e"}
	counts := map[string]int{}
	s := make([]byte, 8)
	const runs = 10_000
	for i := 0; i < runs; i++ {
		s[0], s[1] = byte(i), byte(i>>8)
		counts[Draw(s, entries, 1)[0]]++
	}
	for _, e := range entries {
		if c := counts[e]; c < runs/5-300 || c > runs/5+300 {
			t.Errorf("%s won %d of %d draws", e, c, runs)
		}
	}
}

func BenchmarkDraw1000(b *testing.B) {
	entries := make([]string, 1000)
	for i := range entries {
		entries[i] = fmt.Sprintf("user-%04d", 999-i)
	}
	b.ReportAllocs()
	for b.Loop() {
		Draw(seed, entries, 10)
	}
}
