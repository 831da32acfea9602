package actors

import (
	"errors"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/qunchat/qun/wire"
)

// Discovery: every node runs one index actor (IndexName, index_actor.go)
// over an Index (this file). A group grain, whenever its profile, settings or member count change durably, writes its
// IndexEntry under the KV key IndexKey(group) in the same batch, and sends
// the entry to its own node's index actor. A node rebuilds its index from
// the "ix/" keys at start. A query is asked of every node's index in
// parallel and the answers are merged, so the design holds for a cluster.

// IndexGetArgs names groups whose cards are wanted.
type IndexGetArgs struct {
	Groups []string `msgpack:"groups"`
}

// IndexEntry is what discovery knows of a group.
type IndexEntry struct {
	Group      string          `msgpack:"g"`
	Name       string          `msgpack:"name"`
	Avatar     string          `msgpack:"avatar,omitempty"`
	Category   string          `msgpack:"category,omitempty"`
	City       string          `msgpack:"city,omitempty"`
	Owner      string          `msgpack:"owner"`
	Lat        float64         `msgpack:"lat,omitempty"`
	Lng        float64         `msgpack:"lng,omitempty"`
	HasLoc     bool            `msgpack:"has_loc,omitempty"`
	Members    int             `msgpack:"members"`
	Join       wire.JoinPolicy `msgpack:"join"`
	Searchable bool            `msgpack:"searchable"`
	Dissolved  bool            `msgpack:"dissolved,omitempty"` // remove from the index
	Shop       bool            `msgpack:"shop,omitempty"`      // a shop group: on its owner's shop page
	Kind       wire.GroupKind  `msgpack:"kind,omitempty"`
}

// Card renders an entry for clients.
func (e *IndexEntry) Card() wire.GroupCard {
	return wire.GroupCard{Group: e.Group, Name: e.Name, Avatar: e.Avatar, Category: e.Category, City: e.City,
		Owner: e.Owner, Members: e.Members, Join: e.Join, Kind: e.Kind}
}

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
func (x *Index) Shops(user string) []wire.GroupCard {
	out := []wire.GroupCard{}
	for _, id := range x.owners[user] {
		if s := &x.slots[id]; s.e.Shop && s.e.Owner == user {
			out = append(out, s.e.Card())
		}
	}
	SortByMembers(out)
	return out
}

// ByOwner returns the searchable groups user owns.
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
