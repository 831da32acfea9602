package divert

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzDetect(f *testing.F) {
	for _, p := range positives {
		f.Add(p.text)
	}
	for _, s := range negatives[:20] {
		f.Add(s)
	}
	f.Add("\xff\xfe微\x00信 a b c 1 2 3")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<16 {
			return
		}
		ms := Detect(s)
		checkSpans(t, s, ms)
		again := Detect(s)
		if len(again) != len(ms) {
			t.Fatalf("Detect is not deterministic on %q", s)
		}
		for i := range ms {
			if ms[i] != again[i] {
				t.Fatalf("Detect is not deterministic on %q", s)
			}
		}
		out, ms2, err := Apply(PolicyMask, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms2) == 0 && out != s {
			t.Fatalf("mask changed a clean text %q to %q", s, out)
		}
		if utf8.ValidString(s) {
			if !utf8.ValidString(out) {
				t.Fatalf("mask made invalid UTF-8 from %q", s)
			}
			masked := 0
			for _, m := range ms2 {
				masked += utf8.RuneCountInString(s[m.Start:m.End])
			}
			if got := strings.Count(out, string(MaskRune)) - strings.Count(s, string(MaskRune)); got != masked {
				t.Fatalf("mask of %q wrote %d ＊, want %d", s, got, masked)
			}
		}
	})
}
