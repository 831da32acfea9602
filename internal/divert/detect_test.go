package divert

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func hasKind(ms []Match, k Kind) bool {
	for _, m := range ms {
		if m.Kind == k {
			return true
		}
	}
	return false
}

func TestTableSize(t *testing.T) {
	if len(positives) < 60 || len(negatives) < 60 {
		t.Fatalf("table has %d positives and %d negatives, want at least 60 each", len(positives), len(negatives))
	}
}

func TestDetectPositives(t *testing.T) {
	for _, tc := range positives {
		ms := Detect(tc.text)
		if !hasKind(ms, tc.kind) {
			t.Errorf("Detect(%q) = %v, want a %v match", tc.text, ms, tc.kind)
		}
		checkSpans(t, tc.text, ms)
	}
}

func TestDetectNegatives(t *testing.T) {
	for _, s := range negatives {
		if ms := Detect(s); ms != nil {
			for _, m := range ms {
				t.Errorf("Detect(%q): false positive %v %q", s, m.Kind, s[m.Start:m.End])
			}
		}
	}
}

// checkSpans checks the invariants of Detect's result.
func checkSpans(t *testing.T, text string, ms []Match) {
	t.Helper()
	prev := 0
	for _, m := range ms {
		if m.Start < prev || m.End <= m.Start || m.End > len(text) {
			t.Fatalf("Detect(%q): bad span %+v after %d", text, m, prev)
		}
		if utf8.ValidString(text) && (!utf8.ValidString(text[m.Start:m.End])) {
			t.Fatalf("Detect(%q): span %+v splits a rune", text, m)
		}
		prev = m.End
	}
}

func TestDetectSpans(t *testing.T) {
	tests := []struct {
		text string
		want []string // matched substrings in order
	}{
		{"加我vx: abc123", []string{"vx: abc123"}},
		{"电话13812345678，或 QQ 12345678", []string{"13812345678", "QQ 12345678"}},
		{"先扫码，再加微信 abc_123", []string{"扫码", "微信 abc_123"}},
		{"微信同号 13912345678 谢谢", []string{"微信同号 13912345678"}},
		{"138 1234 5678 和 139 8765 4321", []string{"138 1234 5678", "139 8765 4321"}},
		{"没有联系方式", nil},
		{"", nil},
	}
	for _, tc := range tests {
		ms := Detect(tc.text)
		var got []string
		for _, m := range ms {
			got = append(got, tc.text[m.Start:m.End])
		}
		if len(got) != len(tc.want) {
			t.Errorf("Detect(%q) = %q, want %q", tc.text, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("Detect(%q) = %q, want %q", tc.text, got, tc.want)
				break
			}
		}
	}
}

func TestApply(t *testing.T) {
	const in = "加我vx: abc123 便宜"
	tests := []struct {
		p       Policy
		text    string
		want    string
		matches int
		err     error
	}{
		{PolicyAllow, in, in, 0, nil},
		{PolicyFlag, in, in, 1, nil},
		{PolicyMask, in, "加我＊＊＊＊＊＊＊＊＊＊ 便宜", 1, nil},
		{PolicyBlock, in, "", 1, ErrBlocked},
		{PolicyBlock, "今天 ¥88.00", "今天 ¥88.00", 0, nil},
		{PolicyMask, "电话１３８１２３４５６７８。", "电话＊＊＊＊＊＊＊＊＊＊＊。", 1, nil},
		{PolicyMask, "扫码进群", "＊＊进群", 1, nil},
		{Policy(9), in, "", 0, ErrPolicy},
	}
	for _, tc := range tests {
		out, ms, err := Apply(tc.p, tc.text)
		if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("Apply(%v, %q) err = %v, want %v", tc.p, tc.text, err, tc.err)
		}
		if out != tc.want || len(ms) != tc.matches {
			t.Errorf("Apply(%v, %q) = %q, %d matches; want %q, %d", tc.p, tc.text, out, len(ms), tc.want, tc.matches)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	for _, p := range []Policy{PolicyAllow, PolicyFlag, PolicyMask, PolicyBlock} {
		got, err := ParsePolicy(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePolicy(%q) = %v, %v", p.String(), got, err)
		}
	}
	if _, err := ParsePolicy("drop"); !errors.Is(err, ErrPolicy) {
		t.Errorf("ParsePolicy(drop) err = %v, want ErrPolicy", err)
	}
}

func TestMaskInvalidUTF8(t *testing.T) {
	s := "电话13812345678\xff"
	out, ms, err := Apply(PolicyMask, s)
	if err != nil || len(ms) != 1 || out != "电话＊＊＊＊＊＊＊＊＊＊＊\xff" {
		t.Fatalf("Apply = %q, %v, %v", out, ms, err)
	}
}

func TestDetectLongText(t *testing.T) {
	// A long text with a phone at the end: past the on-stack buffer and
	// spread over many digit runs.
	b := make([]byte, 0, 64<<10)
	for len(b) < 60<<10 {
		b = append(b, "价格 88 元，库存 12 件。"...)
	}
	b = append(b, "电话 13812345678"...)
	ms := Detect(string(b))
	if len(ms) != 1 || ms[0].Kind != KindPhone || string(b[ms[0].Start:ms[0].End]) != "13812345678" {
		t.Fatalf("Detect(long) = %v", ms)
	}
}
