package divert

// cue is one trigger phrase in folded runes.
type cue struct {
	runes []rune
	kind  Kind
	weak  bool // 加我: the id must hold letters and digits
}

func c(s string, k Kind) cue { return cue{runes: []rune(s), kind: k} }

// cues, tried at every rune; the longest match at a position wins.
var cues = []cue{
	c("微信", KindWeChat), c("威信", KindWeChat), c("薇信", KindWeChat), c("徽信", KindWeChat),
	c("维信", KindWeChat), c("唯信", KindWeChat), c("卫信", KindWeChat), c("微❤", KindWeChat),
	c("薇❤", KindWeChat), c("v信", KindWeChat), c("v❤", KindWeChat), c("v♥", KindWeChat),
	c("vx", KindWeChat), c("wx", KindWeChat), c("weixin", KindWeChat), c("wechat", KindWeChat),
	c("加v", KindWeChat), c("加我v", KindWeChat), c("+v", KindWeChat), c("➕v", KindWeChat), c("v:", KindWeChat),
	c("绿泡泡", KindWeChat), c("微号", KindWeChat),
	{runes: []rune("加我"), kind: KindWeChat, weak: true},
	c("qq", KindQQ), c("扣扣", KindQQ), c("企鹅", KindQQ), c("q号", KindQQ), c("q:", KindQQ),
	c("扫码", KindQR), c("扫一扫", KindQR), c("二维码", KindQR), c("扫我", KindQR), c("长按识别", KindQR),
	c("识别图中", KindQR), c("qr", KindQR), c("加群码", KindQR),
}

// cueIndex lists, for each first rune, the cues that start with it.
var cueIndex = func() map[rune][]uint8 {
	m := make(map[rune][]uint8)
	for i, k := range cues {
		m[k.runes[0]] = append(m[k.runes[0]], uint8(i))
	}
	return m
}()

// cueStart is a fast pre-check: could r start a cue?
func cueStart(r rune) bool {
	switch r {
	case '微', '威', '薇', '徽', '维', '唯', '卫', 'v', 'w', '加', '+', '➕', '绿', 'q', '扣', '企', '扫', '二', '长', '识':
		return true
	}
	return false
}

// maxCueSeps is how many separator runes may split the runes of a cue.
const maxCueSeps = 2

// matchCue returns the end (exclusive, in normalized runes) of cue k at i,
// or -1. Separators between cue runes are skipped (at most maxCueSeps each).
func matchCue(rs []nr, i int, k []rune) int {
	j := i
	for n, want := range k {
		if n > 0 {
			skipped := 0
			for j < len(rs) && rs[j].r != want && isSep(rs[j].r) && skipped < maxCueSeps {
				j++
				skipped++
			}
		}
		if j >= len(rs) || rs[j].r != want {
			return -1
		}
		j++
	}
	return j
}

// latinBoundaryOK checks that a cue starting or ending in an ASCII letter does
// not touch another ASCII letter (vx in "vxyz" is not a cue).
func latinBoundaryOK(rs []nr, i, end int, k []rune) bool {
	if isASCIILetter(k[0]) && i > 0 && isASCIILetter(rs[i-1].r) {
		return false
	}
	if isASCIILetter(k[len(k)-1]) && end < len(rs) && isASCIILetter(rs[end].r) {
		return false
	}
	return true
}

// maxFiller is how many filler runes may sit between a cue and its id.
const maxFiller = 6

func isFiller(r rune) bool {
	switch r {
	case ' ', '\t', ':', '号', '是', '我', '搜', '的', '加', '名', '账', '为', '→', '~', '=', '>', '<', '《', '》',
		'(', ')', '（', '）', '【', '】', '[', ']', '"', '\'', '“', '”', '「', '」', '码', '群', '+', '➕', '同', '：',
		'，', ',', '-', '一', '下', '私', '聊':
		return true
	}
	return false
}

// skipFiller skips filler runes forward from j and "id" used as a label.
func skipFiller(rs []nr, j int) int {
	for n := 0; j < len(rs) && n < maxFiller; n++ {
		switch {
		case j+1 < len(rs) && rs[j].r == 'i' && rs[j+1].r == 'd' && (j+2 == len(rs) || !isASCIILetter(rs[j+2].r)):
			j += 2
		case isFiller(rs[j].r) && !(rs[j].r == '一' && j+1 < len(rs) && rs[j+1].d >= 0):
			j++
		default:
			return j
		}
	}
	return j
}

func isIDNr(n nr) bool { return isIDRune(n.r) || n.d >= 0 }

// idAfter reads a WeChat id starting at j: one run of 5–20 id runes, or
// short pieces (≤ 4 runes each) split by single separators, joined. It
// returns the end and the id's rune count and whether it holds a letter and a
// digit.
func idAfter(rs []nr, j int) (end, length int, letter, digit bool) {
	end = j
	for piece := 0; end < len(rs); piece++ {
		k := end
		for k < len(rs) && isIDNr(rs[k]) && k-end <= 20 {
			if isASCIILetter(rs[k].r) {
				letter = true
			} else if rs[k].d >= 0 {
				digit = true
			}
			k++
		}
		n := k - end
		if n == 0 {
			break
		}
		if piece == 0 && n > 20 {
			return j, 0, false, false // too long for a WeChat id (a hash, a link …)
		}
		if piece == 0 && n >= 5 {
			return k, n, letter, digit
		}
		if n > 4 || length+n > 20 {
			return j, 0, false, false
		}
		length += n
		end = k
		if end+1 < len(rs) && isSep(rs[end].r) && rs[end].r != '\n' && isIDNr(rs[end+1]) {
			end++
			continue
		}
		break
	}
	if length < 5 || length > 20 || (end < len(rs) && isIDNr(rs[end])) {
		return j, 0, false, false
	}
	return end, length, letter, digit
}

// digitsAfter reads 5–11 digits starting at j, allowing single separators
// between digits; the first digit must not be 0.
func digitsAfter(rs []nr, j int) (end int, ok bool) {
	if j >= len(rs) || rs[j].d <= 0 {
		return j, false
	}
	n, k := 0, j
	for k < len(rs) {
		if rs[k].d >= 0 {
			n++
			k++
			end = k
			if n > 11 {
				return j, false // too long for a QQ number; stop scanning
			}
			continue
		}
		if isSep(rs[k].r) && rs[k].r != '\n' && k+1 < len(rs) && rs[k+1].d >= 0 {
			k++
			continue
		}
		break
	}
	if n < 5 || n > 11 || (end < len(rs) && (isASCIILetter(rs[end].r))) {
		return j, false
	}
	return end, true
}

// backFiller skips up to four filler runes backward from i (exclusive).
func backFiller(rs []nr, i int) int {
	for n := 0; i > 0 && n < 4; n++ {
		switch rs[i-1].r {
		case ' ', '是', '我', '的', '(', '（', ':', '=', '-', '>', '→', '加', '同', '，', ',', '/':
			i--
		default:
			return i
		}
	}
	return i
}

// detectCues runs the WeChat, QQ and QR rules.
func detectCues(rs []nr, out []Match) []Match {
	for i := 0; i < len(rs); i++ {
		if !cueStart(rs[i].r) {
			continue
		}
		best, bestEnd := -1, -1
		for _, ci := range cueIndex[rs[i].r] {
			k := cues[ci].runes
			end := matchCue(rs, i, k)
			if end > bestEnd && latinBoundaryOK(rs, i, end, k) {
				best, bestEnd = int(ci), end
			}
		}
		if best < 0 {
			continue
		}
		cu := &cues[best]
		before := len(out)
		switch cu.kind {
		case KindQR:
			out = append(out, Match{Start: int(rs[i].start), End: int(rs[bestEnd-1].end), Kind: KindQR})
		case KindWeChat:
			j := skipFiller(rs, bestEnd)
			if end, n, letter, digit := idAfter(rs, j); n > 0 && (!cu.weak || (letter && digit && n >= 6)) {
				out = append(out, Match{Start: int(rs[i].start), End: int(rs[end-1].end), Kind: KindWeChat})
			} else if st, ok := idBefore(rs, backFiller(rs, i)); ok && !cu.weak {
				out = append(out, Match{Start: int(rs[st].start), End: int(rs[bestEnd-1].end), Kind: KindWeChat})
			}
		case KindQQ:
			j := skipFiller(rs, bestEnd)
			if end, ok := digitsAfter(rs, j); ok {
				out = append(out, Match{Start: int(rs[i].start), End: int(rs[end-1].end), Kind: KindQQ})
			} else if st, ok := digitsBefore(rs, backFiller(rs, i)); ok {
				out = append(out, Match{Start: int(rs[st].start), End: int(rs[bestEnd-1].end), Kind: KindQQ})
			}
		}
		if len(out) > before { // a cue that found nothing may hold a shorter one (加我v…)
			i = bestEnd - 1
		}
	}
	return out
}

// idBefore reads a WeChat id ending at i (exclusive): 6–20 ASCII id runes
// starting with a letter and holding a digit or an underscore.
func idBefore(rs []nr, i int) (start int, ok bool) {
	k, mark := i, false
	for k > 0 && isIDRune(rs[k-1].r) && i-k <= 20 {
		if r := rs[k-1].r; (r >= '0' && r <= '9') || r == '_' {
			mark = true
		}
		k--
	}
	n := i - k
	if n < 6 || n > 20 || !mark || !isASCIILetter(rs[k].r) || (k > 0 && isIDNr(rs[k-1])) {
		return i, false
	}
	return k, true
}

// digitsBefore reads 5–11 contiguous digits ending at i (exclusive).
func digitsBefore(rs []nr, i int) (start int, ok bool) {
	k := i
	for k > 0 && rs[k-1].d >= 0 && i-k <= 11 {
		k--
	}
	n := i - k
	if n < 5 || n > 11 || rs[k].d == 0 || (k > 0 && (isIDNr(rs[k-1]))) {
		return i, false
	}
	return k, true
}
