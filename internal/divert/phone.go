package divert

// maxRunSeps is how many separator runes may sit between two digit groups of
// one disguised number.
const maxRunSeps = 3

// group is a run of digit runes [a, b) in the normalized text.
type group struct{ a, b int }

// orderCues name a number that is not a phone (order, tracking, card …).
var orderCues = [][]rune{
	[]rune("订单"), []rune("单号"), []rune("快递"), []rune("运单"), []rune("取件码"), []rune("编号"),
	[]rune("尾号"), []rune("卡号"), []rune("工号"), []rune("学号"), []rune("物流"), []rune("流水"),
	[]rune("交易号"), []rune("批次"), []rune("型号"), []rune("编码"), []rune("条码"), []rune("发票"),
	[]rune("会员号"), []rune("序列号"), []rune("sn"), []rune("no"), []rune("货号"), []rune("包裹"),
}

// orderCueWindow is how many runes before a number are searched for an order cue.
const orderCueWindow = 8

// phoneWords are ASCII words that may touch a phone number.
var phoneWords = []string{"tel", "phone", "mobile", "dh", "sj", "call", "cell", "m", "t"}

// detectPhones runs the phone rule over every digit run.
func detectPhones(rs []nr, out []Match) []Match {
	var gs [32]group
	i := 0
	for i < len(rs) {
		if rs[i].d < 0 {
			i++
			continue
		}
		// Collect one run of digit groups split by at most maxRunSeps separators.
		g := gs[:0]
		j := i
		for {
			a := j
			for j < len(rs) && rs[j].d >= 0 {
				j++
			}
			g = append(g, group{a, j})
			k := j
			for k < len(rs) && k-j < maxRunSeps && rs[k].d < 0 && isSep(rs[k].r) {
				k++
			}
			if k == j || k >= len(rs) || rs[k].d < 0 || len(g) == cap(gs) {
				break
			}
			j = k
		}
		out = phonesInRun(rs, g, out)
		i = j
	}
	return out
}

// phonesInRun finds stretches of whole groups holding a mobile number.
func phonesInRun(rs []nr, g []group, out []Match) []Match {
	total := 0
	for _, x := range g {
		total += x.b - x.a
	}
	if total < 11 {
		return out
	}
	glued := func(x group) bool {
		if x.a > 0 && isASCIILetter(rs[x.a-1].r) && !phoneWordBefore(rs, x.a) {
			return true
		}
		return x.b < len(rs) && isASCIILetter(rs[x.b].r)
	}
	for a := 0; a < len(g); a++ {
		if glued(g[a]) {
			continue
		}
		sum, hit := 0, -1
		for b := a; b < len(g) && sum < 13; b++ {
			if glued(g[b]) {
				break
			}
			sum += g[b].b - g[b].a
			if (sum == 11 && mobilePrefix(rs, g, a, 0)) || (sum == 13 && digitAt(rs, g, a, 0) == 8 && digitAt(rs, g, a, 1) == 6 && mobilePrefix(rs, g, a, 2)) {
				hit = b
			}
		}
		if hit >= 0 {
			if orderCueBefore(rs, g[0].a) || orderCueAfter(rs, g[len(g)-1].b) {
				return out
			}
			out = append(out, Match{Start: int(rs[g[a].a].start), End: int(rs[g[hit].b-1].end), Kind: KindPhone})
			a = hit
		}
	}
	return out
}

// digitAt returns the n-th digit of the stretch starting at group a, or -1.
func digitAt(rs []nr, g []group, a, n int) int8 {
	for ; a < len(g); a++ {
		if l := g[a].b - g[a].a; n < l {
			return rs[g[a].a+n].d
		} else {
			n -= l
		}
	}
	return -1
}

// mobilePrefix reports whether the digits from offset off are 1[3-9].
func mobilePrefix(rs []nr, g []group, a, off int) bool {
	return digitAt(rs, g, a, off) == 1 && digitAt(rs, g, a, off+1) >= 3
}

// orderCueBefore reports whether an order cue ends within orderCueWindow
// runes before i.
func orderCueBefore(rs []nr, i int) bool {
	lo := max(i-orderCueWindow, 0)
	for s := lo; s < i; s++ {
		for _, k := range orderCues {
			if rs[s].r != k[0] || s+len(k) > i {
				continue
			}
			ok := true
			for n := 1; n < len(k); n++ {
				if rs[s+n].r != k[n] {
					ok = false
					break
				}
			}
			if ok && (!isASCIILetter(k[0]) || ((s == 0 || !isASCIILetter(rs[s-1].r)) && !isASCIILetter(rs[s+len(k)].r))) {
				return true
			}
		}
	}
	return false
}

// orderCueAfterWindow is how many runes after a number are searched for an
// order cue ("… 是订单号").
const orderCueAfterWindow = 6

// orderCueAfter reports whether an order cue starts within
// orderCueAfterWindow runes after i.
func orderCueAfter(rs []nr, i int) bool {
	hi := min(i+orderCueAfterWindow+2, len(rs))
	for s := i; s < hi && s < i+orderCueAfterWindow; s++ {
		for _, k := range orderCues {
			if isASCIILetter(k[0]) || rs[s].r != k[0] || s+len(k) > hi {
				continue
			}
			ok := true
			for n := 1; n < len(k); n++ {
				if rs[s+n].r != k[n] {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
	}
	return false
}

// phoneWordBefore reports whether the ASCII word ending at i is a phone word.
func phoneWordBefore(rs []nr, i int) bool {
	k := i
	for k > 0 && isASCIILetter(rs[k-1].r) && i-k < 8 {
		k--
	}
	if k > 0 && isASCIILetter(rs[k-1].r) {
		return false
	}
	for _, w := range phoneWords {
		if len(w) != i-k {
			continue
		}
		ok := true
		for n := 0; n < len(w); n++ {
			if rs[k+n].r != rune(w[n]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
