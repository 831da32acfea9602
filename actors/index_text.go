package actors

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/qunchat/qun/wire"
)

// Discovery queries: their limits and validation, the folding of names and
// queries, and the order of results. Pure functions, shared by the index
// and the engine's merge of every node's answers.

// Limits of discovery queries.
const (
	DefaultSearchLimit = 20  // results when a query names no limit
	MaxSearchLimit     = 100 // larger limits are lowered to this
	MaxQueryLen        = 100 // bytes of a search query or category
	MaxNearbyRadiusKm  = 500.0
	MaxIndexGet        = 1000 // groups named in one OpIndexGet
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
