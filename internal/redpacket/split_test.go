package redpacket

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

var seed16 = []byte("0123456789abcdef")

func TestSplitBounds(t *testing.T) {
	tests := []struct {
		total, n int64
		mode     Mode
		seed     []byte
		err      error
	}{
		{0, 1, ModeEqual, nil, ErrTotal},
		{-5, 1, ModeLucky, seed16, ErrTotal},
		{100, 0, ModeEqual, nil, ErrCount},
		{100, -1, ModeEqual, nil, ErrCount},
		{1000, 201, ModeEqual, nil, ErrCount},
		{5, 6, ModeLucky, seed16, ErrTooSmall},
		{20_001, 2, ModeEqual, nil, ErrTooLarge},
		{100, 2, Mode(0), seed16, ErrMode},
		{100, 2, Mode(3), seed16, ErrMode},
		{100, 2, ModeLucky, []byte("short"), ErrSeed},
		{100, 2, ModeLucky, nil, ErrSeed},
		{1, 1, ModeLucky, seed16, nil},
		{200, 200, ModeLucky, seed16, nil},
		{20_000, 200, ModeLucky, seed16, nil},
		{20_000, 1, ModeEqual, nil, nil},
	}
	for _, tc := range tests {
		shares, err := Split(tc.total, tc.n, tc.mode, tc.seed)
		if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("Split(%d, %d, %v) err = %v, want %v", tc.total, tc.n, tc.mode, err, tc.err)
			continue
		}
		if err != nil {
			if shares != nil {
				t.Errorf("Split(%d, %d, %v) returned shares with an error", tc.total, tc.n, tc.mode)
			}
			continue
		}
		checkShares(t, tc.total, tc.n, shares)
	}
}

func TestSplitEqual(t *testing.T) {
	tests := []struct {
		total, n int64
		want     []int64
	}{
		{100, 3, []int64{34, 33, 33}},
		{888, 8, []int64{111, 111, 111, 111, 111, 111, 111, 111}},
		{10, 4, []int64{3, 3, 2, 2}},
		{7, 7, []int64{1, 1, 1, 1, 1, 1, 1}},
		{1, 1, []int64{1}},
	}
	for _, tc := range tests {
		got, err := Split(tc.total, tc.n, ModeEqual, nil)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Split(%d, %d, equal) = %v, %v; want %v", tc.total, tc.n, got, err, tc.want)
		}
	}
}

// TestSplitGolden pins the lucky algorithm: a change to it (or to drbg)
// changes stored packets' meaning and must be a new domain, not an edit.
func TestSplitGolden(t *testing.T) {
	got, err := Split(888, 8, ModeLucky, seed16)
	if err != nil {
		t.Fatal(err)
	}
	// Recomputed independently from the package doc with a 20-line Python
	// script (hashlib.sha256, struct.pack('>Q', …)).
	want := []int64{220, 174, 136, 115, 7, 152, 47, 37}
	if !slices.Equal(got, want) {
		t.Fatalf("Split(888, 8, lucky, %q) = %#v, want %#v", seed16, got, want)
	}
}

func checkShares(t *testing.T, total, n int64, shares []int64) {
	t.Helper()
	if int64(len(shares)) != n {
		t.Fatalf("got %d shares, want %d", len(shares), n)
	}
	var sum int64
	for _, s := range shares {
		if s < 1 {
			t.Fatalf("share %d < 1 cent in %v", s, shares)
		}
		sum += s
	}
	if sum != total {
		t.Fatalf("shares sum to %d, want %d: %v", sum, total, shares)
	}
}

// TestSplitProperty: over 20 000 random packets every split sums exactly to
// its total with every share at least one cent, the lucky shares keep the
// double-average bound, and a split is a function of its seed.
func TestSplitProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg := DefaultConfig()
	seed := make([]byte, 16)
	for i := 0; i < 20_000; i++ {
		n := 1 + rng.Int64N(cfg.MaxCount)
		total := n + rng.Int64N(cfg.MaxTotal-n+1)
		if i%10 == 0 {
			total = n + rng.Int64N(3) // near the one-cent floor
		}
		mode := ModeLucky
		if i%4 == 0 {
			mode = ModeEqual
		}
		for j := range seed {
			seed[j] = byte(rng.Uint32())
		}
		shares, err := cfg.Split(total, n, mode, seed)
		if err != nil {
			t.Fatalf("Split(%d, %d, %v): %v", total, n, mode, err)
		}
		checkShares(t, total, n, shares)
		if mode == ModeLucky {
			r := total
			for k, s := range shares[:n-1] {
				if left := n - int64(k); s > 2*r/left {
					t.Fatalf("share %d = %d exceeds twice the average of %d over %d", k, s, r, left)
				}
				r -= s
			}
			again, _ := cfg.Split(total, n, mode, seed)
			if !slices.Equal(again, shares) {
				t.Fatalf("Split is not deterministic for seed %x", seed)
			}
		}
	}
}

// TestLuckyMean checks the first share averages total/n over many seeds.
func TestLuckyMean(t *testing.T) {
	const total, n, runs = 10_000, 10, 4000
	var sum int64
	seed := make([]byte, 16)
	for i := 0; i < runs; i++ {
		seed[0], seed[1] = byte(i), byte(i>>8)
		shares, err := Split(total, n, ModeLucky, seed)
		if err != nil {
			t.Fatal(err)
		}
		sum += shares[0]
	}
	if mean := float64(sum) / runs; mean < 950 || mean > 1050 {
		t.Fatalf("mean first share %.1f, want about 1000", mean)
	}
}

func TestLuckiest(t *testing.T) {
	tests := []struct {
		in   []int64
		want int
	}{
		{nil, -1}, {[]int64{5}, 0}, {[]int64{1, 9, 3, 9}, 1}, {[]int64{3, 2, 1}, 0},
	}
	for _, tc := range tests {
		if got := Luckiest(tc.in); got != tc.want {
			t.Errorf("Luckiest(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{ModeLucky, ModeEqual} {
		if got, err := ParseMode(m.String()); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMode("random"); !errors.Is(err, ErrMode) {
		t.Errorf("ParseMode(random) err = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Config{
		{MaxCount: 0, MaxTotal: 1, MinSeed: 16},
		{MaxCount: LimitCount + 1, MaxTotal: 1, MinSeed: 16},
		{MaxCount: 1, MaxTotal: 0, MinSeed: 16},
		{MaxCount: 1, MaxTotal: LimitTotal + 1, MinSeed: 16},
		{MaxCount: 1, MaxTotal: 1, MinSeed: 0},
	} {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v.Validate() = %v, want ErrConfig", c, err)
		}
		if _, err := c.Split(1, 1, ModeEqual, nil); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v.Split err = %v, want ErrConfig", c, err)
		}
	}
	big := Config{MaxCount: LimitCount, MaxTotal: LimitTotal, MinSeed: 1}
	shares, err := big.Split(LimitTotal, LimitCount, ModeLucky, seed16)
	if err != nil {
		t.Fatal(err)
	}
	checkShares(t, LimitTotal, LimitCount, shares)
}

func TestNewSeed(t *testing.T) {
	a, err := NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSeed()
	if len(a) != 32 || slices.Equal(a, b) {
		t.Fatalf("NewSeed gave %x and %x", a, b)
	}
}

func BenchmarkSplitLucky200(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Split(20_000, 200, ModeLucky, seed16); err != nil {
			b.Fatal(err)
		}
	}
}
