package actors

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// Limits of discovery queries.
const (
	DefaultSearchLimit = 20  // results when a query names no limit
	MaxSearchLimit     = 100 // larger limits are lowered to this
	MaxQueryLen        = 100 // bytes of a search query or category
	MaxNearbyRadiusKm  = 500.0
	MaxIndexGet        = 1000 // groups named in one OpIndexGet
)

// EarthRadiusKm is the mean earth radius used for distances.
const EarthRadiusKm = 6371.0088

const kmPerDegree = EarthRadiusKm * math.Pi / 180 // ≈ 111.195 km along a meridian

// Grid levels of the nearby index. A query uses the fine grid while it
// touches at most maxFineCells cells (radius up to a few tens of km), else
// the coarse one.
const (
	fineCellDeg   = 0.1
	coarseCellDeg = 1.0
	maxFineCells  = 256
)

// ValidateSearch checks a search and normalizes it in place: the query is
// trimmed of surrounding white space, a zero limit becomes
// DefaultSearchLimit and a larger one than MaxSearchLimit is lowered to it.
// A query or a category is required.
func ValidateSearch(a *wire.SearchArgs) error {
	if len(a.Query) > MaxQueryLen || len(a.Category) > MaxQueryLen {
		return wire.Errorf(wire.CodeBadRequest, "query and category are limited to %d bytes", MaxQueryLen)
	}
	if !utf8.ValidString(a.Query) || !utf8.ValidString(a.Category) {
		return wire.Errorf(wire.CodeBadRequest, "query and category must be UTF-8")
	}
	a.Query = strings.TrimSpace(a.Query)
	if a.Query == "" && a.Category == "" {
		return wire.Errorf(wire.CodeBadRequest, "a query or a category is required")
	}
	return normLimit(&a.Limit)
}

// ValidateNearby checks a nearby query and normalizes its limit (see
// ValidateSearch).
func ValidateNearby(a *wire.NearbyArgs) error {
	switch {
	case math.IsNaN(a.Lat) || a.Lat < -90 || a.Lat > 90:
		return wire.Errorf(wire.CodeBadRequest, "latitude must be in [-90, 90]")
	case math.IsNaN(a.Lng) || a.Lng < -180 || a.Lng > 180:
		return wire.Errorf(wire.CodeBadRequest, "longitude must be in [-180, 180]")
	case math.IsNaN(a.RadiusKm) || a.RadiusKm <= 0 || a.RadiusKm > MaxNearbyRadiusKm:
		return wire.Errorf(wire.CodeBadRequest, "radius must be in (0, %g] km", MaxNearbyRadiusKm)
	}
	return normLimit(&a.Limit)
}

func normLimit(l *int) error {
	switch {
	case *l < 0:
		return wire.Errorf(wire.CodeBadRequest, "limit must not be negative")
	case *l == 0:
		*l = DefaultSearchLimit
	case *l > MaxSearchLimit:
		*l = MaxSearchLimit
	}
	return nil
}

// FoldName is the form names and queries are compared in: lower case, with
// full-width ASCII forms (Ａ, １, ＃) and the ideographic space folded to
// ASCII. No Unicode normalization is applied.
func FoldName(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		r -= 0xFEE0
	case r == 0x3000: // ideographic space
		r = ' '
	}
	return unicode.ToLower(r)
}

// searchTier ranks a folded name against a folded query: 0 exact, 1 prefix,
// 2 other.
func searchTier(name, q string) int {
	switch {
	case q == "":
		return 2
	case name == q:
		return 0
	case strings.HasPrefix(name, q):
		return 1
	}
	return 2
}

// searchKey orders search results.
type searchKey struct {
	tier    int
	members int
	group   string
}

func (a *searchKey) less(b *searchKey) bool {
	if a.tier != b.tier {
		return a.tier < b.tier
	}
	if a.members != b.members {
		return a.members > b.members
	}
	return a.group < b.group
}

// SortSearch sorts cards in search order for query (as given to
// ValidateSearch): exact name match first, then name prefix, then by member
// count (more first), then by group id.
func SortSearch(cards []wire.GroupCard, query string) {
	q := FoldName(strings.TrimSpace(query))
	type keyed struct {
		k searchKey
		c wire.GroupCard
	}
	ks := make([]keyed, len(cards))
	for i := range cards {
		ks[i] = keyed{searchKey{searchTier(FoldName(cards[i].Name), q), cards[i].Members, cards[i].Group}, cards[i]}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return cmpLess(a.k.less(&b.k), b.k.less(&a.k)) })
	for i := range ks {
		cards[i] = ks[i].c
	}
}

// SortNearby sorts cards nearest first, then by group id.
func SortNearby(cards []wire.GroupCard) {
	slices.SortFunc(cards, func(a, b wire.GroupCard) int { return cmpLess(nearLess(&a, &b), nearLess(&b, &a)) })
}

// SortByMembers sorts cards by member count (more first), then by group id.
func SortByMembers(cards []wire.GroupCard) {
	slices.SortFunc(cards, func(a, b wire.GroupCard) int {
		x := searchKey{2, a.Members, a.Group}
		y := searchKey{2, b.Members, b.Group}
		return cmpLess(x.less(&y), y.less(&x))
	})
}

func nearLess(a, b *wire.GroupCard) bool {
	if a.DistanceKm != b.DistanceKm {
		return a.DistanceKm < b.DistanceKm
	}
	return a.Group < b.Group
}

func cmpLess(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

// DedupCards keeps the first card of each group, in order.
func DedupCards(cards []wire.GroupCard) []wire.GroupCard {
	if len(cards) < 2 {
		return cards
	}
	seen := make(map[string]struct{}, len(cards))
	out := cards[:0]
	for _, c := range cards {
		if _, ok := seen[c.Group]; ok {
			continue
		}
		seen[c.Group] = struct{}{}
		out = append(out, c)
	}
	return out
}

// ---- the index ----

type slotID = int32

// slot is one group known to the index.
type slot struct {
	e          IndexEntry
	folded     string // FoldName(e.Name)
	searchable bool   // e.Searchable && !e.Dissolved
	located    bool   // searchable with a valid location
	lat, lng   float64
	cosLat     float64
	fine       uint64 // grid cells, when located
	coarse     uint64
}

// Index is the in-memory discovery index of one node. It is not safe for
// concurrent use: the index actor owns it.
//
// Searchable groups are indexed three ways: by every distinct rune of the
// folded name (sorted posting lists of slot numbers, intersected for a
// query and then checked with strings.Contains, so any substring matches,
// Chinese included), by category, and on two latitude/longitude grids for
// nearby queries. Groups that are not searchable are kept only for Get.
type Index struct {
	slots  []slot
	free   []slotID
	byID   map[string]slotID
	owners map[string][]slotID // every live group, unsorted
	runes  map[rune][]slotID   // searchable groups, sorted
	cats   map[string][]slotID // searchable groups, sorted
	fine   map[uint64][]slotID // located groups, unsorted
	coarse map[uint64][]slotID

	// Copies of the fields queries scan, in small arrays indexed like
	// slots, so that a scan touches little memory.
	names   []string // slot.folded
	members []int    // slot.e.Members
	geo     []geo

	scratch []slotID // query buffers, reused
	lists   [][]slotID
	qrunes  []rune
	topS    topK[searchKey]
	topN    topK[nearKey]
}

type geo struct{ lat, lng, cosLat float64 }

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{
		byID: map[string]slotID{}, owners: map[string][]slotID{}, runes: map[rune][]slotID{},
		cats: map[string][]slotID{}, fine: map[uint64][]slotID{}, coarse: map[uint64][]slotID{},
	}
}

// Len is the number of groups known (searchable or not).
func (x *Index) Len() int { return len(x.byID) }

// ErrNoGroup is returned by Put for an entry without a group id.
var ErrNoGroup = errors.New("actors: index entry without a group id")

// Put adds, replaces or (Dissolved) removes a group's entry.
func (x *Index) Put(e IndexEntry) error {
	if e.Group == "" {
		return ErrNoGroup
	}
	if e.Dissolved {
		x.Remove(e.Group)
		return nil
	}
	id, ok := x.byID[e.Group]
	if !ok {
		id = x.alloc()
		x.byID[e.Group] = id
		x.owners[e.Owner] = append(x.owners[e.Owner], id)
		x.slots[id] = slot{}
	}
	s := &x.slots[id]
	old := *s
	s.e = e
	if !ok || old.e.Name != e.Name {
		s.folded = FoldName(e.Name)
	}
	s.searchable = e.Searchable
	s.lat, s.lng = e.Lat, normLng(e.Lng)
	s.cosLat = math.Cos(e.Lat * math.Pi / 180)
	s.located = s.searchable && e.HasLoc && validPoint(e.Lat, e.Lng)
	if s.located {
		s.fine, s.coarse = cellOf(s.lat, s.lng, fineCellDeg), cellOf(s.lat, s.lng, coarseCellDeg)
	}
	if ok && old.e.Owner != e.Owner {
		x.owners[old.e.Owner] = removeUnsorted(x.owners[old.e.Owner], id)
		if len(x.owners[old.e.Owner]) == 0 {
			delete(x.owners, old.e.Owner)
		}
		x.owners[e.Owner] = append(x.owners[e.Owner], id)
	}
	// Name postings.
	if ok && old.searchable && (!s.searchable || old.folded != s.folded) {
		x.unpostName(id, old.folded)
	}
	if s.searchable && (!ok || !old.searchable || old.folded != s.folded) {
		x.postName(id, s.folded)
	}
	// Category postings.
	if ok && old.searchable && (!s.searchable || old.e.Category != e.Category) {
		x.unpostCat(id, old.e.Category)
	}
	if s.searchable && (!ok || !old.searchable || old.e.Category != e.Category) {
		x.postCat(id, e.Category)
	}
	// Grid.
	if ok && old.located && (!s.located || old.fine != s.fine || old.coarse != s.coarse) {
		x.ungrid(id, old.fine, old.coarse)
	}
	if s.located && (!ok || !old.located || old.fine != s.fine || old.coarse != s.coarse) {
		x.grid(id, s.fine, s.coarse)
	}
	x.names[id], x.members[id], x.geo[id] = s.folded, e.Members, geo{s.lat, s.lng, s.cosLat}
	return nil
}

// Remove forgets a group.
func (x *Index) Remove(group string) {
	id, ok := x.byID[group]
	if !ok {
		return
	}
	s := &x.slots[id]
	if s.searchable {
		x.unpostName(id, s.folded)
		x.unpostCat(id, s.e.Category)
	}
	if s.located {
		x.ungrid(id, s.fine, s.coarse)
	}
	x.owners[s.e.Owner] = removeUnsorted(x.owners[s.e.Owner], id)
	if len(x.owners[s.e.Owner]) == 0 {
		delete(x.owners, s.e.Owner)
	}
	delete(x.byID, group)
	*s = slot{}
	x.names[id], x.members[id], x.geo[id] = "", 0, geo{}
	x.free = append(x.free, id)
}

func (x *Index) alloc() slotID {
	if n := len(x.free); n > 0 {
		id := x.free[n-1]
		x.free = x.free[:n-1]
		return id
	}
	x.slots = append(x.slots, slot{})
	x.names = append(x.names, "")
	x.members = append(x.members, 0)
	x.geo = append(x.geo, geo{})
	return slotID(len(x.slots) - 1)
}

// distinctRunes appends the distinct runes of s to dst.
func distinctRunes(dst []rune, s string) []rune {
	for _, r := range s {
		if !slices.Contains(dst, r) {
			dst = append(dst, r)
		}
	}
	return dst
}

func (x *Index) postName(id slotID, folded string) {
	var buf [32]rune
	for _, r := range distinctRunes(buf[:0], folded) {
		x.runes[r] = insertSorted(x.runes[r], id)
	}
}

func (x *Index) unpostName(id slotID, folded string) {
	var buf [32]rune
	for _, r := range distinctRunes(buf[:0], folded) {
		if l := removeSorted(x.runes[r], id); len(l) == 0 {
			delete(x.runes, r)
		} else {
			x.runes[r] = l
		}
	}
}

func (x *Index) postCat(id slotID, cat string) {
	if cat != "" {
		x.cats[cat] = insertSorted(x.cats[cat], id)
	}
}

func (x *Index) unpostCat(id slotID, cat string) {
	if cat == "" {
		return
	}
	if l := removeSorted(x.cats[cat], id); len(l) == 0 {
		delete(x.cats, cat)
	} else {
		x.cats[cat] = l
	}
}

func (x *Index) grid(id slotID, fine, coarse uint64) {
	x.fine[fine] = append(x.fine[fine], id)
	x.coarse[coarse] = append(x.coarse[coarse], id)
}

func (x *Index) ungrid(id slotID, fine, coarse uint64) {
	if l := removeUnsorted(x.fine[fine], id); len(l) == 0 {
		delete(x.fine, fine)
	} else {
		x.fine[fine] = l
	}
	if l := removeUnsorted(x.coarse[coarse], id); len(l) == 0 {
		delete(x.coarse, coarse)
	} else {
		x.coarse[coarse] = l
	}
}

func insertSorted(l []slotID, id slotID) []slotID {
	i, found := slices.BinarySearch(l, id)
	if found {
		return l
	}
	return slices.Insert(l, i, id)
}

func removeSorted(l []slotID, id slotID) []slotID {
	i, found := slices.BinarySearch(l, id)
	if !found {
		return l
	}
	return slices.Delete(l, i, i+1)
}

func removeUnsorted(l []slotID, id slotID) []slotID {
	for i, v := range l {
		if v == id {
			l[i] = l[len(l)-1]
			return l[:len(l)-1]
		}
	}
	return l
}

// intersect keeps the elements of dst (sorted) that are also in l (sorted).
func intersect(dst, l []slotID) []slotID {
	out := dst[:0]
	j := 0
	for _, v := range dst {
		for j < len(l) && l[j] < v {
			j++
		}
		if j == len(l) {
			break
		}
		if l[j] == v {
			out = append(out, v)
		}
	}
	return out
}

// lessor orders the keys of a topK.
type lessor[K any] interface{ before(b *K) bool }

// topK keeps the best limit candidates in order.
type topK[K lessor[K]] struct {
	keys  []K
	ids   []slotID
	limit int
}

func (t *topK[K]) reset(limit int) {
	t.keys, t.ids, t.limit = t.keys[:0], t.ids[:0], limit
}

func (t *topK[K]) full() bool { return len(t.keys) == t.limit }

func (t *topK[K]) add(k K, id slotID) {
	n := len(t.keys)
	if n == t.limit && !k.before(&t.keys[n-1]) {
		return
	}
	i := n
	for i > 0 && k.before(&t.keys[i-1]) {
		i--
	}
	if n < t.limit {
		t.keys = append(t.keys, k)
		t.ids = append(t.ids, 0)
	}
	copy(t.keys[i+1:], t.keys[i:len(t.keys)-1])
	copy(t.ids[i+1:], t.ids[i:len(t.ids)-1])
	t.keys[i], t.ids[i] = k, id
}

func (a searchKey) before(b *searchKey) bool { return a.less(b) }

// Search finds searchable groups whose name contains the query (case
// insensitive, see FoldName) and/or whose category is category. Arguments
// are as normalized by ValidateSearch; Search validates them again.
func (x *Index) Search(a wire.SearchArgs) ([]wire.GroupCard, error) {
	if err := ValidateSearch(&a); err != nil {
		return nil, err
	}
	q := FoldName(a.Query)
	x.lists = x.lists[:0]
	if q != "" {
		x.qrunes = distinctRunes(x.qrunes[:0], q)
		for _, r := range x.qrunes {
			l := x.runes[r]
			if len(l) == 0 {
				return []wire.GroupCard{}, nil
			}
			x.lists = append(x.lists, l)
		}
	}
	if a.Category != "" {
		l := x.cats[a.Category]
		if len(l) == 0 {
			return []wire.GroupCard{}, nil
		}
		x.lists = append(x.lists, l)
	}
	slices.SortFunc(x.lists, func(a, b []slotID) int { return len(a) - len(b) })
	cand := x.lists[0]
	if len(x.lists) > 1 {
		cand = append(x.scratch[:0], cand...)
		for _, l := range x.lists[1:] {
			if cand = intersect(cand, l); len(cand) == 0 {
				break
			}
		}
		x.scratch = cand
	}
	// One distinct rune matched by posting alone means the name contains q
	// only when q is that rune (repeats of it need the check).
	check := q != "" && utf8.RuneCountInString(q) > 1
	top := &x.topS
	top.reset(a.Limit)
	for _, id := range cand {
		name, members := x.names[id], x.members[id]
		if top.full() {
			// Cheap rejection before the substring check: a match that is
			// not a prefix ranks below the worst kept result.
			w := &top.keys[len(top.keys)-1]
			if (w.tier < 2 || members < w.members) && (q == "" || !strings.HasPrefix(name, q)) {
				continue
			}
		}
		if check && !strings.Contains(name, q) {
			continue
		}
		top.add(searchKey{searchTier(name, q), members, x.slots[id].e.Group}, id)
	}
	out := make([]wire.GroupCard, len(top.ids))
	for i, id := range top.ids {
		out[i] = x.slots[id].e.Card()
	}
	return out, nil
}

type nearKey struct {
	dist  float64
	h     float64 // haversine of dist, to reject candidates before computing dist
	group string
}

func (a nearKey) before(b *nearKey) bool {
	if a.dist != b.dist {
		return a.dist < b.dist
	}
	return a.group < b.group
}

// havH is the haversine of the central angle between two points, given
// their latitudes in degrees with their cosines, and their longitudes.
func havH(lat1, cos1, lat2, cos2, dLngDeg float64) float64 {
	const rad = math.Pi / 180
	s1 := math.Sin((lat2 - lat1) * rad / 2)
	s2 := math.Sin(dLngDeg * rad / 2)
	h := s1*s1 + cos1*cos2*s2*s2
	return min(h, 1)
}

func havKm(h float64) float64 { return 2 * EarthRadiusKm * math.Asin(math.Sqrt(h)) }

// HaversineKm is the great-circle distance between two points in km.
func HaversineKm(lat1, lng1, lat2, lng2 float64) float64 {
	const rad = math.Pi / 180
	return havKm(havH(lat1, math.Cos(lat1*rad), lat2, math.Cos(lat2*rad), lng2-lng1))
}

// Nearby finds searchable groups within a.RadiusKm of a point, nearest
// first, with DistanceKm filled in.
//
// It visits grid cells in rings around the query's cell, nearest ring
// first, and stops once the result is full and no point of the remaining
// rings can be nearer than its farthest member.
func (x *Index) Nearby(a wire.NearbyArgs) ([]wire.GroupCard, error) {
	if err := ValidateNearby(&a); err != nil {
		return nil, err
	}
	const rad = math.Pi / 180
	lat, lng := a.Lat, normLng(a.Lng)
	cosLat := math.Cos(lat * rad)
	dLat := a.RadiusKm / kmPerDegree
	latMin, latMax := max(lat-dLat, -90), min(lat+dLat, 90)
	allLng := lat-dLat <= -90 || lat+dLat >= 90 // the circle holds a pole
	dLng := 0.0
	if !allLng {
		// Longitudinal half-width of a spherical cap.
		if s := math.Sin(a.RadiusKm/EarthRadiusKm) / cosLat; s >= 1 {
			allLng = true
		} else {
			dLng = math.Asin(s)/rad + 1e-9
		}
	}
	cell, cells := fineCellDeg, x.fine
	rows, cols := cellSpan(latMin, latMax, lng, dLng, allLng, fineCellDeg)
	if rows*cols > maxFineCells {
		cell, cells = coarseCellDeg, x.coarse
		rows, cols = cellSpan(latMin, latMax, lng, dLng, allLng, coarseCellDeg)
	}
	nCols := int(math.Round(360 / cell))
	rMin, rMax := rowOf(latMin, cell), rowOf(latMax, cell)
	qr := rowOf(lat, cell)
	// Columns unwrapped around the query's: cMin..cMax, each once.
	qc := int(math.Floor((lng + 180) / cell))
	cMin, cMax := qc-(nCols-1)/2, qc+nCols/2
	if !allLng && cols < nCols {
		cMin, cMax = int(math.Floor((lng-dLng+180)/cell)), int(math.Floor((lng+dLng+180)/cell))
	}
	maxK := max(qr-rMin, rMax-qr, qc-cMin, cMax-qc)
	hMax := math.Sin(a.RadiusKm / EarthRadiusKm / 2)
	hMax *= hMax
	top := &x.topN
	top.reset(a.Limit)
	visit := func(r, c int) {
		if r < rMin || r > rMax || c < cMin || c > cMax {
			return
		}
		cc := ((c % nCols) + nCols) % nCols
		for _, id := range cells[uint64(r)<<32|uint64(cc)] {
			s := &x.geo[id]
			if s.lat < latMin-1e-9 || s.lat > latMax+1e-9 {
				continue
			}
			d := s.lng - lng
			if !allLng && math.Abs(d) > dLng && 360-math.Abs(d) > dLng {
				continue
			}
			if top.full() && math.Abs(s.lat-lat)*kmPerDegree > top.keys[len(top.keys)-1].dist {
				continue // farther north or south than the farthest kept
			}
			h := havH(lat, cosLat, s.lat, s.cosLat, d)
			if h > hMax || top.full() && h > top.keys[len(top.keys)-1].h*(1+1e-9) {
				continue
			}
			k := nearKey{havKm(h), h, x.slots[id].e.Group}
			if k.dist > a.RadiusKm {
				continue
			}
			top.add(k, id)
		}
	}
	for k := 0; k <= maxK; k++ {
		if k > 0 && top.full() && ringBound(lat, lng, cosLat, qr, qc, k, cell, nCols) > top.keys[len(top.keys)-1].dist {
			break
		}
		for r := max(qr-k, rMin); r <= min(qr+k, rMax); r++ {
			if r == qr-k || r == qr+k {
				for c := max(qc-k, cMin); c <= min(qc+k, cMax); c++ {
					visit(r, c)
				}
				continue
			}
			visit(r, qc-k)
			if k > 0 {
				visit(r, qc+k)
			}
		}
	}
	out := make([]wire.GroupCard, len(top.ids))
	for i, id := range top.ids {
		out[i] = x.slots[id].e.Card()
		out[i].DistanceKm = top.keys[i].dist
	}
	return out, nil
}

// ringBound is a lower bound, in km, of the distance from the query point
// to any point in a cell of ring k or beyond (cells whose row or column is
// at least k away from the query's cell qr, qc). Such a point lies outside
// the band of rows qr-k+1..qr+k-1, at least the latitude difference to the
// band's edge away, or outside the band of columns qc-k+1..qc+k-1, at least
// the distance to the meridian at the band's edge away.
func ringBound(lat, lng, cosLat float64, qr, qc, k int, cell float64, nCols int) float64 {
	const rad = math.Pi / 180
	inf := math.Inf(1)
	latB := inf
	if lo := float64(qr-k+1)*cell - 90; lo > -90 {
		latB = (lat - lo) * kmPerDegree
	}
	if hi := float64(qr+k)*cell - 90; hi < 90 {
		latB = min(latB, (hi-lat)*kmPerDegree)
	}
	lngB := inf
	if 2*k-1 < nCols {
		lo, hi := float64(qc-k+1)*cell-180, float64(qc+k)*cell-180
		d := min(lng-lo, hi-lng, 90)
		lngB = EarthRadiusKm * math.Asin(min(cosLat*math.Sin(d*rad), 1))
	}
	return max(min(latB, lngB), 0) * (1 - 1e-12)
}

// cellSpan is the number of grid rows and columns a query box touches.
func cellSpan(latMin, latMax, lng, dLng float64, allLng bool, cell float64) (rows, cols int) {
	rows = rowOf(latMax, cell) - rowOf(latMin, cell) + 1
	nCols := int(math.Round(360 / cell))
	if allLng {
		return rows, nCols
	}
	cols = int(math.Floor((lng+dLng+180)/cell)) - int(math.Floor((lng-dLng+180)/cell)) + 1
	return rows, min(cols, nCols)
}

func rowOf(lat, cell float64) int {
	nRows := int(math.Round(180 / cell))
	r := int(math.Floor((lat + 90) / cell))
	return min(max(r, 0), nRows-1)
}

func cellOf(lat, lng, cell float64) uint64 {
	nCols := int(math.Round(360 / cell))
	c := int(math.Floor((lng + 180) / cell))
	c = min(max(c, 0), nCols-1)
	return uint64(rowOf(lat, cell))<<32 | uint64(c)
}

// normLng maps 180 to -180 (the same meridian).
func normLng(lng float64) float64 {
	if lng >= 180 {
		return lng - 360
	}
	return lng
}

func validPoint(lat, lng float64) bool {
	return lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180 // false for NaN
}

// Get returns the cards of the named groups that are known (searchable or
// not), in the order named, each once.
func (x *Index) Get(groups []string) ([]wire.GroupCard, error) {
	if len(groups) > MaxIndexGet {
		return nil, wire.Errorf(wire.CodeBadRequest, "more than %d groups", MaxIndexGet)
	}
	out := make([]wire.GroupCard, 0, len(groups))
	for _, g := range groups {
		if id, ok := x.byID[g]; ok {
			out = append(out, x.slots[id].e.Card())
		}
	}
	return DedupCards(out), nil
}

// ByOwner returns the searchable groups user owns, by member count (more
// first), then group id.
func (x *Index) ByOwner(user string) []wire.GroupCard {
	out := []wire.GroupCard{}
	for _, id := range x.owners[user] {
		if s := &x.slots[id]; s.searchable {
			out = append(out, s.e.Card())
		}
	}
	SortByMembers(out)
	return out
}

// ---- the actor ----

// IndexActor is a node's running discovery index (actor IndexName).
type IndexActor struct {
	pid    *actor.PID
	system *actor.ActorSystem
	once   sync.Once
}

// StartIndex spawns the node's index actor, which first rebuilds the index
// from the store's "ix/" keys (entries that do not decode are logged and
// skipped). It returns once the index is built. Entries sent while it
// rebuilds wait in its mailbox and are applied after the rebuild.
func StartIndex(system *actor.ActorSystem, store persistence.Store, logger *slog.Logger) (*IndexActor, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ready := make(chan error, 1)
	props := actor.PropsFromProducer(func() actor.Actor {
		return &indexActor{store: store, log: logger, ready: ready}
	})
	pid, err := system.Root.SpawnNamed(props, IndexName)
	if err != nil {
		return nil, fmt.Errorf("actors: spawn index: %w", err)
	}
	select {
	case err = <-ready:
	case <-time.After(5 * time.Minute):
		err = errors.New("index rebuild timed out")
	}
	if err != nil {
		_ = system.Root.StopFuture(pid).Wait()
		return nil, fmt.Errorf("actors: start index: %w", err)
	}
	return &IndexActor{pid: pid, system: system}, nil
}

// PID is the index actor's address.
func (ia *IndexActor) PID() *actor.PID { return ia.pid }

// Stop stops the index actor and waits for it. Idempotent.
func (ia *IndexActor) Stop() {
	ia.once.Do(func() { _ = ia.system.Root.StopFuture(ia.pid).Wait() })
}

type indexActor struct {
	store persistence.Store
	log   *slog.Logger
	ready chan error
	idx   *Index
}

// rebuild loads every "ix/" entry of the store.
func rebuildIndex(store persistence.Store, log *slog.Logger) (*Index, error) {
	idx := NewIndex()
	bad := 0
	err := store.Scan("ix/", func(key string, value []byte) bool {
		var e IndexEntry
		group := strings.TrimPrefix(key, "ix/")
		if err := wire.Decode(value, &e); err != nil {
			bad++
			log.Warn("skipping bad index entry", slog.String("key", key), slog.Any("err", err))
			return true
		}
		if e.Group == "" {
			e.Group = group
		}
		if e.Group != group {
			bad++
			log.Warn("skipping index entry under another group's key", slog.String("key", key), slog.String("group", e.Group))
			return true
		}
		_ = idx.Put(e)
		return true
	})
	if err != nil {
		return nil, err
	}
	if bad > 0 {
		log.Warn("index rebuilt with bad entries skipped", slog.Int("groups", idx.Len()), slog.Int("skipped", bad))
	}
	return idx, nil
}

func (a *indexActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		idx, err := rebuildIndex(a.store, a.log)
		if err != nil {
			a.log.Error("index rebuild failed", slog.Any("err", err))
			idx = NewIndex()
		}
		a.idx = idx
		select {
		case a.ready <- err:
		default: // a restart after StartIndex returned
		}
	case *pb.Call:
		body, err := a.handle(m)
		if ctx.Sender() == nil {
			if err != nil {
				a.log.Warn("index call failed", slog.Int("op", int(m.Op)), slog.Any("err", err))
			}
			return
		}
		if err != nil {
			var we *wire.Error
			if !errors.As(err, &we) {
				we = wire.Errorf(wire.CodeInternal, "%v", err)
			}
			ctx.Respond(&pb.Result{Code: uint32(we.Code), Error: we.Msg})
			return
		}
		ctx.Respond(&pb.Result{Body: body})
	}
}

func (a *indexActor) handle(c *pb.Call) ([]byte, error) {
	args := c.Args
	if len(args) == 0 {
		args = []byte{0x80} // an empty map
	}
	bad := func(err error) error { return wire.Errorf(wire.CodeBadRequest, "arguments: %v", err) }
	var cards []wire.GroupCard
	switch wire.Op(c.Op) {
	case OpIndexPut:
		var e IndexEntry
		if err := wire.Decode(args, &e); err != nil {
			return nil, bad(err)
		}
		if err := a.idx.Put(e); err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, "%v", err)
		}
		return wire.Marshal(wire.Empty{})
	case OpIndexSearch:
		var s wire.SearchArgs
		if err := wire.Decode(args, &s); err != nil {
			return nil, bad(err)
		}
		var err error
		if cards, err = a.idx.Search(s); err != nil {
			return nil, err
		}
	case OpIndexNearby:
		var n wire.NearbyArgs
		if err := wire.Decode(args, &n); err != nil {
			return nil, bad(err)
		}
		var err error
		if cards, err = a.idx.Nearby(n); err != nil {
			return nil, err
		}
	case OpIndexGet:
		var g IndexGetArgs
		if err := wire.Decode(args, &g); err != nil {
			return nil, bad(err)
		}
		var err error
		if cards, err = a.idx.Get(g.Groups); err != nil {
			return nil, err
		}
	case OpIndexByOwner:
		var u wire.UserArgs
		if err := wire.Decode(args, &u); err != nil {
			return nil, bad(err)
		}
		cards = a.idx.ByOwner(u.User)
	default:
		return nil, wire.Errorf(wire.CodeUnknownOp, "unknown index operation %d", c.Op)
	}
	return wire.Marshal(&wire.SearchResult{Groups: cards})
}
