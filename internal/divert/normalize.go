package divert

import "unicode/utf8"

// nr is one normalized rune: r is the folded rune (full width to ASCII, ASCII
// lower case), d its digit value or -1, and [start, end) its bytes in the
// original text.
type nr struct {
	r          rune
	d          int8
	start, end int32
}

// fold maps full-width ASCII and the ideographic space to ASCII and ASCII
// letters to lower case.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000:
		r = ' '
	}
	if r >= 'A' && r <= 'Z' {
		r += 'a' - 'A'
	}
	return r
}

// digitOf returns the digit value of a folded rune, or -1.
func digitOf(r rune) int8 {
	if r >= '0' && r <= '9' {
		return int8(r - '0')
	}
	if r >= '①' && r <= '⑨' {
		return int8(r-'①') + 1
	}
	switch r {
	case '〇', '零', '○', '⓪':
		return 0
	case '一', '壹', '幺':
		return 1
	case '二', '贰', '貳':
		return 2
	case '三', '叁', '參':
		return 3
	case '四', '肆':
		return 4
	case '五', '伍':
		return 5
	case '六', '陆', '陸':
		return 6
	case '七', '柒':
		return 7
	case '八', '捌':
		return 8
	case '九', '玖':
		return 9
	}
	return -1
}

// ignorable runes vanish from the normalized text: zero-width characters,
// variation selectors, the combining keycap and the soft hyphen.
func ignorable(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200F, r == 0xFEFF, r == 0x2060, r == 0x00AD:
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r == 0x20E3:
		return true
	}
	return false
}

// isSep reports whether a folded rune may separate the digits of a disguised
// number or the runes of a cue.
func isSep(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '-', '_', '.', '/', '\\', '*', '#', '~', ',', '+', '=', '|', '(', ')', '[', ']',
		'、', '，', '。', '·', '•', '（', '）', '—', '–', '～', '★', '☆', '❤', '♥', '●', '◆', '♡', '丶', '﹏', '∙':
		return true
	}
	return false
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' }

// isIDRune reports whether a folded rune may appear in a WeChat id.
func isIDRune(r rune) bool {
	return isASCIILetter(r) || (r >= '0' && r <= '9') || r == '_' || r == '-'
}

// normalize appends the normalized runes of s to buf.
func normalize(buf []nr, s string) []nr {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf { // ASCII fast path
			r := rune(c)
			if c >= 'A' && c <= 'Z' {
				r += 'a' - 'A'
			}
			d := int8(-1)
			if c >= '0' && c <= '9' {
				d = int8(c - '0')
			}
			buf = append(buf, nr{r: r, d: d, start: int32(i), end: int32(i + 1)})
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w <= 1 {
			buf = append(buf, nr{r: utf8.RuneError, d: -1, start: int32(i), end: int32(i + 1)})
			i++
			continue
		}
		if ignorable(r) {
			if n := len(buf); n > 0 && int(buf[n-1].end) == i {
				buf[n-1].end = int32(i + w) // keep the span contiguous for masking
			}
			i += w
			continue
		}
		f := fold(r)
		buf = append(buf, nr{r: f, d: digitOf(f), start: int32(i), end: int32(i + w)})
		i += w
	}
	return buf
}
