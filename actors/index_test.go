package actors

import (
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

func ixEntry(g, name, cat string, members int) IndexEntry {
	return IndexEntry{Group: g, Name: name, Category: cat, Owner: "o-" + g, Members: members, Searchable: true}
}

func ixAt(e IndexEntry, lat, lng float64) IndexEntry {
	e.Lat, e.Lng, e.HasLoc = lat, lng, true
	return e
}

func ixIndex(t testing.TB, es ...IndexEntry) *Index {
	t.Helper()
	x := NewIndex()
	for _, e := range es {
		if err := x.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	return x
}

func ixGroups(cs []wire.GroupCard) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Group
	}
	return out
}

func ixCode(err error) wire.Code {
	if err == nil {
		return 0
	}
	return wire.CodeOf(err)
}

func TestIndexSearch(t *testing.T) {
	hidden := ixEntry("h1", "小明的粉丝群 hidden", "fans", 999)
	hidden.Searchable = false
	x := ixIndex(t,
		ixEntry("g1", "小明的粉丝群", "fans", 50),
		ixEntry("g2", "粉丝团", "fans", 10),
		ixEntry("g3", "粉丝", "fans", 1),
		ixEntry("g4", "北京美食", "food", 300),
		ixEntry("g5", "ABC Fans Club", "fans", 20),
		ixEntry("g6", "abc", "music", 5),
		ixEntry("g7", "xyzABC", "music", 500),
		ixEntry("g8", "美食 粉丝", "food", 50),
		ixEntry("g9", "a", "misc", 1),
		ixEntry("g10", "小明的粉丝群", "fans", 50), // ties g1 on members: group id decides
		hidden,
	)
	cases := []struct {
		name string
		args wire.SearchArgs
		want []string
		code wire.Code
	}{
		{"chinese substring, exact then prefix then members then id", wire.SearchArgs{Query: "粉丝"}, []string{"g3", "g2", "g1", "g10", "g8"}, 0},
		{"chinese infix", wire.SearchArgs{Query: "的粉"}, []string{"g1", "g10"}, 0},
		{"ascii case-insensitive, exact first", wire.SearchArgs{Query: "ABC"}, []string{"g6", "g5", "g7"}, 0},
		{"full-width query", wire.SearchArgs{Query: "ａｂｃ"}, []string{"g6", "g5", "g7"}, 0},
		{"trimmed", wire.SearchArgs{Query: "  abc\t"}, []string{"g6", "g5", "g7"}, 0},
		{"repeated rune must appear repeated", wire.SearchArgs{Query: "aa"}, []string{}, 0},
		{"single rune", wire.SearchArgs{Query: "A"}, []string{"g9", "g5", "g6", "g7"}, 0},
		{"category alone, by members", wire.SearchArgs{Category: "fans"}, []string{"g1", "g10", "g5", "g2", "g3"}, 0},
		{"category and query", wire.SearchArgs{Query: "粉丝", Category: "food"}, []string{"g8"}, 0},
		{"unknown category", wire.SearchArgs{Category: "nope"}, []string{}, 0},
		{"no match", wire.SearchArgs{Query: "上海"}, []string{}, 0},
		{"limit", wire.SearchArgs{Query: "粉丝", Limit: 2}, []string{"g3", "g2"}, 0},
		{"hidden group never found", wire.SearchArgs{Query: "hidden"}, []string{}, 0},
		{"empty", wire.SearchArgs{}, nil, wire.CodeBadRequest},
		{"blank query only", wire.SearchArgs{Query: "   "}, nil, wire.CodeBadRequest},
		{"query too long", wire.SearchArgs{Query: strings.Repeat("粉", 34)}, nil, wire.CodeBadRequest},
		{"category too long", wire.SearchArgs{Category: strings.Repeat("c", 101)}, nil, wire.CodeBadRequest},
		{"negative limit", wire.SearchArgs{Query: "a", Limit: -1}, nil, wire.CodeBadRequest},
		{"bad utf-8", wire.SearchArgs{Query: "\xff\xfe"}, nil, wire.CodeBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := x.Search(c.args)
			if ixCode(err) != c.code {
				t.Fatalf("err %v, want code %v", err, c.code)
			}
			if c.code != 0 {
				return
			}
			if g := ixGroups(got); !slices.Equal(g, c.want) {
				t.Fatalf("got %v, want %v", g, c.want)
			}
			// The engine's merge sorts the same way.
			again := slices.Clone(got)
			slices.Reverse(again)
			SortSearch(again, c.args.Query)
			if g := ixGroups(again); !slices.Equal(g, c.want) {
				t.Fatalf("SortSearch: got %v, want %v", g, c.want)
			}
		})
	}
	// A full card.
	got, _ := x.Search(wire.SearchArgs{Query: "北京"})
	want := wire.GroupCard{Group: "g4", Name: "北京美食", Category: "food", Owner: "o-g4", Members: 300}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("card %+v, want %+v", got, want)
	}
}

func TestIndexLimits(t *testing.T) {
	x := NewIndex()
	for i := range 150 {
		_ = x.Put(ixAt(ixEntry(fmt.Sprintf("g%03d", i), fmt.Sprintf("群%d", i), "c", i), 30, 120))
	}
	for _, c := range []struct{ limit, want int }{{0, DefaultSearchLimit}, {1, 1}, {100, 100}, {101, MaxSearchLimit}, {1 << 30, MaxSearchLimit}} {
		got, err := x.Search(wire.SearchArgs{Query: "群", Limit: c.limit})
		if err != nil || len(got) != c.want {
			t.Fatalf("search limit %d: %d results, %v; want %d", c.limit, len(got), err, c.want)
		}
		if got[0].Group != "g149" {
			t.Fatalf("most members first, got %s", got[0].Group)
		}
		got, err = x.Nearby(wire.NearbyArgs{Lat: 30, Lng: 120, RadiusKm: 1, Limit: c.limit})
		if err != nil || len(got) != c.want {
			t.Fatalf("nearby limit %d: %d results, %v; want %d", c.limit, len(got), err, c.want)
		}
	}
}

func TestIndexNearby(t *testing.T) {
	noLoc := ixEntry("noloc", "无位置", "c", 1)
	hidden := ixAt(ixEntry("hidden", "隐藏", "c", 1), 39.9042, 116.4074)
	hidden.Searchable = false
	x := ixIndex(t,
		ixAt(ixEntry("tiananmen", "天安门", "c", 1), 39.9042, 116.4074),
		ixAt(ixEntry("wangfujing", "王府井", "c", 1), 39.9149, 116.4109), // ~1.2 km
		ixAt(ixEntry("guomao", "国贸", "c", 1), 39.9087, 116.4605),      // ~4.5 km
		ixAt(ixEntry("tianjin", "天津", "c", 1), 39.0842, 117.2010),     // ~110 km
		ixAt(ixEntry("shanghai", "上海", "c", 1), 31.2304, 121.4737),    // ~1070 km
		ixAt(ixEntry("cell", "格点", "c", 1), 39.9, 116.4),              // on a fine cell corner
		noLoc, hidden,
		// Antimeridian: 2.2 km apart across ±180.
		ixAt(ixEntry("east", "东", "c", 1), 0, 179.99),
		ixAt(ixEntry("west", "西", "c", 1), 0, -179.985),
		ixAt(ixEntry("m180", "180", "c", 1), 0, 180),
		// Around the north pole.
		ixAt(ixEntry("pole", "极", "c", 1), 90, 0),
		ixAt(ixEntry("p1", "极1", "c", 1), 89.9, 0),
		ixAt(ixEntry("p2", "极2", "c", 1), 89.9, 180),
		ixAt(ixEntry("p3", "极3", "c", 1), 89.9, -90),
		ixAt(ixEntry("south", "南极", "c", 1), -90, 45),
	)
	cases := []struct {
		name string
		args wire.NearbyArgs
		want []string
		code wire.Code
	}{
		{"nearest first", wire.NearbyArgs{Lat: 39.9042, Lng: 116.4074, RadiusKm: 5}, []string{"tiananmen", "cell", "wangfujing", "guomao"}, 0},
		{"radius excludes", wire.NearbyArgs{Lat: 39.9042, Lng: 116.4074, RadiusKm: 2}, []string{"tiananmen", "cell", "wangfujing"}, 0},
		{"coarse grid", wire.NearbyArgs{Lat: 39.9042, Lng: 116.4074, RadiusKm: 200}, []string{"tiananmen", "cell", "wangfujing", "guomao", "tianjin"}, 0},
		{"max radius", wire.NearbyArgs{Lat: 31, Lng: 121, RadiusKm: 500}, []string{"shanghai"}, 0},
		{"limit", wire.NearbyArgs{Lat: 39.9042, Lng: 116.4074, RadiusKm: 5, Limit: 2}, []string{"tiananmen", "cell"}, 0},
		{"nothing here", wire.NearbyArgs{Lat: 0, Lng: 0, RadiusKm: 100}, []string{}, 0},
		{"antimeridian from east", wire.NearbyArgs{Lat: 0, Lng: 179.996, RadiusKm: 3}, []string{"m180", "east", "west"}, 0},
		{"antimeridian from west", wire.NearbyArgs{Lat: 0, Lng: -179.999, RadiusKm: 2}, []string{"m180", "east", "west"}, 0},
		{"query at 180", wire.NearbyArgs{Lat: 0, Lng: 180, RadiusKm: 2}, []string{"m180", "east", "west"}, 0},
		{"query at -180", wire.NearbyArgs{Lat: 0, Lng: -180, RadiusKm: 2}, []string{"m180", "east", "west"}, 0},
		{"antimeridian, small radius", wire.NearbyArgs{Lat: 0, Lng: -179.986, RadiusKm: 0.5}, []string{"west"}, 0},
		{"north pole", wire.NearbyArgs{Lat: 90, Lng: 77, RadiusKm: 12}, []string{"pole", "p1", "p2", "p3"}, 0},
		{"near the pole, across it", wire.NearbyArgs{Lat: 89.96, Lng: 180, RadiusKm: 13}, []string{"pole", "p2", "p3"}, 0},
		{"south pole", wire.NearbyArgs{Lat: -89.99, Lng: -170, RadiusKm: 2}, []string{"south"}, 0},
		{"radius 0", wire.NearbyArgs{Lat: 0, Lng: 0, RadiusKm: 0}, nil, wire.CodeBadRequest},
		{"radius negative", wire.NearbyArgs{Lat: 0, Lng: 0, RadiusKm: -1}, nil, wire.CodeBadRequest},
		{"radius too large", wire.NearbyArgs{Lat: 0, Lng: 0, RadiusKm: 500.001}, nil, wire.CodeBadRequest},
		{"radius NaN", wire.NearbyArgs{Lat: 0, Lng: 0, RadiusKm: math.NaN()}, nil, wire.CodeBadRequest},
		{"lat", wire.NearbyArgs{Lat: 90.1, Lng: 0, RadiusKm: 1}, nil, wire.CodeBadRequest},
		{"lat NaN", wire.NearbyArgs{Lat: math.NaN(), Lng: 0, RadiusKm: 1}, nil, wire.CodeBadRequest},
		{"lng", wire.NearbyArgs{Lat: 0, Lng: -180.5, RadiusKm: 1}, nil, wire.CodeBadRequest},
		{"lng inf", wire.NearbyArgs{Lat: 0, Lng: math.Inf(1), RadiusKm: 1}, nil, wire.CodeBadRequest},
		{"negative limit", wire.NearbyArgs{Lat: 0, Lng: 0, RadiusKm: 1, Limit: -3}, nil, wire.CodeBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := x.Nearby(c.args)
			if ixCode(err) != c.code {
				t.Fatalf("err %v, want code %v", err, c.code)
			}
			if c.code != 0 {
				return
			}
			if g := ixGroups(got); !slices.Equal(g, c.want) {
				t.Fatalf("got %v, want %v (%+v)", g, c.want, got)
			}
			for i, card := range got {
				if card.DistanceKm > c.args.RadiusKm || i > 0 && card.DistanceKm < got[i-1].DistanceKm {
					t.Fatalf("distances out of order or range: %+v", got)
				}
			}
			again := slices.Clone(got)
			slices.Reverse(again)
			SortNearby(again)
			if !slices.Equal(again, got) {
				t.Fatalf("SortNearby: %v", ixGroups(again))
			}
		})
	}
	got, _ := x.Nearby(wire.NearbyArgs{Lat: 39.9042, Lng: 116.4074, RadiusKm: 2})
	if got[0].DistanceKm != 0 || math.Abs(got[2].DistanceKm-1.21) > 0.05 {
		t.Fatalf("distances: %+v", got)
	}
}

// TestIndexMatchesBruteForce compares Search and Nearby with a scan of every
// entry over random data, random queries and random updates.
func TestIndexMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := NewIndex()
	all := map[string]IndexEntry{}
	syll := []string{"粉", "丝", "群", "美", "食", "a", "B", "c", "北", "京"}
	randName := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(5) {
			b.WriteString(syll[rng.IntN(len(syll))])
		}
		return b.String()
	}
	randPoint := func() (float64, float64) {
		switch rng.IntN(4) {
		case 0: // near the antimeridian
			return rng.Float64()*4 - 2, 178 + rng.Float64()*4 - 360*float64(rng.IntN(2))
		case 1: // near a pole
			return 88 + rng.Float64()*2, rng.Float64()*360 - 180
		default: // a small box, dense
			return 39 + rng.Float64(), 116 + rng.Float64()
		}
	}
	for i := range 3000 {
		g := fmt.Sprintf("g%d", rng.IntN(1500))
		e := ixEntry(g, randName(), fmt.Sprintf("c%d", rng.IntN(5)), rng.IntN(20))
		e.Owner = fmt.Sprintf("u%d", rng.IntN(30))
		e.Searchable = rng.IntN(5) > 0
		if rng.IntN(4) > 0 {
			lat, lng := randPoint()
			e = ixAt(e, min(max(lat, -90), 90), lng)
			if e.Lng > 180 || e.Lng < -180 {
				e.Lng = normLng(math.Mod(e.Lng+540, 360) - 180)
			}
		}
		e.Dissolved = i%37 == 0
		if err := x.Put(e); err != nil {
			t.Fatal(err)
		}
		if e.Dissolved {
			delete(all, g)
		} else {
			all[g] = e
		}
	}
	if x.Len() != len(all) {
		t.Fatalf("Len %d, want %d", x.Len(), len(all))
	}
	searchHits, nearHits, nearSome := 0, 0, 0
	for range 1000 {
		a := wire.SearchArgs{Limit: []int{1, 3, 20, 100}[rng.IntN(4)]}
		if rng.IntN(3) > 0 {
			r := []rune(randName())
			a.Query = string(r[:min(len(r), 1+rng.IntN(3))])
		}
		if a.Query == "" || rng.IntN(3) == 0 {
			a.Category = fmt.Sprintf("c%d", rng.IntN(6))
		}
		var want []wire.GroupCard
		q := FoldName(a.Query)
		for _, e := range all {
			if e.Searchable && strings.Contains(FoldName(e.Name), q) && (a.Category == "" || e.Category == a.Category) {
				want = append(want, e.Card())
			}
		}
		SortSearch(want, a.Query)
		want = want[:min(len(want), a.Limit)]
		got, err := x.Search(a)
		if err != nil {
			t.Fatal(err)
		}
		searchHits += len(got)
		if !slices.Equal(ixGroups(got), ixGroups(want)) {
			t.Fatalf("search %+v:\n got %v\nwant %v", a, ixGroups(got), ixGroups(want))
		}
	}
	for range 1000 {
		lat, lng := randPoint()
		a := wire.NearbyArgs{Lat: min(max(lat, -90), 90), Lng: math.Mod(lng+540, 360) - 180, RadiusKm: []float64{0.5, 5, 30, 100, 500}[rng.IntN(5)], Limit: []int{1, 3, 20, 100}[rng.IntN(4)]}
		var want []wire.GroupCard
		for _, e := range all {
			if e.Searchable && e.HasLoc {
				if d := HaversineKm(a.Lat, a.Lng, e.Lat, e.Lng); d <= a.RadiusKm {
					c := e.Card()
					c.DistanceKm = d
					want = append(want, c)
				}
			}
		}
		SortNearby(want)
		want = want[:min(len(want), a.Limit)]
		got, err := x.Nearby(a)
		if err != nil {
			t.Fatal(err)
		}
		nearHits += len(got)
		if len(got) > 0 {
			nearSome++
		}
		if !slices.Equal(ixGroups(got), ixGroups(want)) {
			t.Fatalf("nearby %+v:\n got %v\nwant %v", a, ixGroups(got), ixGroups(want))
		}
	}
	t.Logf("search results %d, nearby results %d (%d of 1000 queries found some)", searchHits, nearHits, nearSome)
	if searchHits < 1000 || nearSome < 500 {
		t.Fatal("the random queries found too little to test anything")
	}
	for u := range 30 {
		user := fmt.Sprintf("u%d", u)
		var want []wire.GroupCard
		for _, e := range all {
			if e.Owner == user && e.Searchable {
				want = append(want, e.Card())
			}
		}
		SortByMembers(want)
		if got := x.ByOwner(user); !slices.Equal(ixGroups(got), ixGroups(want)) {
			t.Fatalf("owner %s: got %v, want %v", user, ixGroups(got), ixGroups(want))
		}
	}
}

func TestIndexPutReplaces(t *testing.T) {
	x := ixIndex(t, ixAt(ixEntry("g1", "老名字", "fans", 10), 39.9, 116.4))
	find := func(q, cat string) []string {
		t.Helper()
		got, err := x.Search(wire.SearchArgs{Query: q, Category: cat})
		if err != nil {
			t.Fatal(err)
		}
		return ixGroups(got)
	}
	near := func(lat, lng float64) []string {
		t.Helper()
		got, err := x.Nearby(wire.NearbyArgs{Lat: lat, Lng: lng, RadiusKm: 1})
		if err != nil {
			t.Fatal(err)
		}
		return ixGroups(got)
	}
	get := func() []wire.GroupCard {
		got, err := x.Get([]string{"g1"})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	expect := func(what string, got []string, want ...string) {
		t.Helper()
		if want == nil {
			want = []string{}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
	expect("old name", find("老", ""), "g1")
	expect("old place", near(39.9, 116.4), "g1")

	// Rename, recategorize, move, grow.
	e := ixAt(ixEntry("g1", "新名字", "food", 11), 31.23, 121.47)
	_ = x.Put(e)
	expect("old name gone", find("老", ""))
	expect("new name", find("新名", ""), "g1")
	expect("shared rune", find("名字", ""), "g1")
	expect("old category gone", find("", "fans"))
	expect("new category", find("", "food"), "g1")
	expect("old place gone", near(39.9, 116.4))
	expect("new place", near(31.23, 121.47), "g1")
	if c := get(); len(c) != 1 || c[0].Members != 11 || c[0].Name != "新名字" {
		t.Fatalf("card %+v", c)
	}

	// Location dropped.
	e.HasLoc = false
	_ = x.Put(e)
	expect("no location", near(31.23, 121.47))

	// Not searchable: gone from search, nearby and the owner's list, still
	// known to Get.
	e = ixAt(e, 31.23, 121.47)
	e.Searchable = false
	_ = x.Put(e)
	expect("hidden name", find("新", ""))
	expect("hidden category", find("", "food"))
	expect("hidden place", near(31.23, 121.47))
	expect("hidden owner", ixGroups(x.ByOwner("o-g1")))
	if c := get(); len(c) != 1 {
		t.Fatalf("get hidden: %+v", c)
	}

	// Searchable again.
	e.Searchable = true
	_ = x.Put(e)
	expect("back", find("新", "food"), "g1")
	expect("back place", near(31.23, 121.47), "g1")

	// Ownership passes.
	e.Owner = "alice"
	_ = x.Put(e)
	expect("old owner", ixGroups(x.ByOwner("o-g1")))
	expect("new owner", ixGroups(x.ByOwner("alice")), "g1")

	// Dissolved: gone everywhere; its slot is reused cleanly.
	e.Dissolved = true
	_ = x.Put(e)
	expect("dissolved name", find("新", ""))
	expect("dissolved place", near(31.23, 121.47))
	expect("dissolved owner", ixGroups(x.ByOwner("alice")))
	if c := get(); len(c) != 0 || x.Len() != 0 {
		t.Fatalf("dissolved still known: %+v", c)
	}
	_ = x.Put(ixEntry("g2", "别的", "fans", 1))
	expect("reused slot", find("别", "fans"), "g2")
	expect("reused slot, old name", find("新", ""))
	x.Remove("g2")
	x.Remove("g2")
	expect("removed", find("别", ""))

	if err := x.Put(IndexEntry{Name: "x"}); err == nil {
		t.Fatal("entry without group accepted")
	}
	// An invalid location is ignored, not indexed.
	_ = x.Put(ixAt(ixEntry("g3", "坏位置", "", 1), math.NaN(), 500))
	expect("bad location", near(0, 0))
	expect("bad location, searchable", find("坏", ""), "g3")
}

func TestIndexGetAndByOwner(t *testing.T) {
	hidden := ixEntry("g3", "hidden", "", 7)
	hidden.Searchable = false
	hidden.Owner = "bob"
	a := ixEntry("g1", "one", "", 1)
	a.Owner = "bob"
	b := ixEntry("g2", "two", "", 2)
	b.Owner = "bob"
	x := ixIndex(t, a, b, hidden, ixEntry("g4", "four", "", 4))
	got, err := x.Get([]string{"g3", "nope", "g1", "g3", "g4"})
	if err != nil || !slices.Equal(ixGroups(got), []string{"g3", "g1", "g4"}) {
		t.Fatalf("get: %v %v", ixGroups(got), err)
	}
	if _, err := x.Get(make([]string, MaxIndexGet+1)); ixCode(err) != wire.CodeBadRequest {
		t.Fatalf("too many: %v", err)
	}
	if got := ixGroups(x.ByOwner("bob")); !slices.Equal(got, []string{"g2", "g1"}) {
		t.Fatalf("by owner: %v", got)
	}
	if got := x.ByOwner("nobody"); got == nil || len(got) != 0 {
		t.Fatalf("by unknown owner: %#v", got)
	}
}

func TestFoldName(t *testing.T) {
	for in, want := range map[string]string{
		"abc": "abc", "ABC": "abc", "ＡＢＣ　ｄ１": "abc d1", "小明的粉丝群": "小明的粉丝群", "ÄÖÜ Straße": "äöü straße", "": "",
	} {
		if got := FoldName(in); got != want {
			t.Errorf("FoldName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDedupCards(t *testing.T) {
	cs := []wire.GroupCard{{Group: "a", Members: 1}, {Group: "b"}, {Group: "a", Members: 2}}
	if got := DedupCards(cs); len(got) != 2 || got[0].Members != 1 || got[1].Group != "b" {
		t.Fatalf("%+v", got)
	}
}

// ---- the actor ----

func ixCall(t *testing.T, sys *actor.ActorSystem, pid *actor.PID, op wire.Op, v any) (wire.SearchResult, error) {
	t.Helper()
	var a []byte
	if v != nil {
		var err error
		if a, err = wire.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	res, err := sys.Root.RequestFuture(pid, &pb.Call{Op: uint32(op), Args: a}, 5*time.Second).Result()
	if err != nil {
		t.Fatalf("op %d: %v", op, err)
	}
	r := res.(*pb.Result)
	var out wire.SearchResult
	if r.Code != 0 {
		return out, &wire.Error{Code: wire.Code(r.Code), Msg: r.Error}
	}
	if op != OpIndexPut {
		if err := wire.Decode(r.Body, &out); err != nil {
			t.Fatal(err)
		}
	}
	return out, nil
}

func TestIndexActor(t *testing.T) {
	store := persistence.NewMemory()
	defer store.Close()
	var puts []persistence.KV
	for i, name := range []string{"小明的粉丝群", "粉丝团", "北京美食"} {
		e := ixAt(ixEntry(fmt.Sprintf("g%d", i), name, "fans", i), 39.9, 116.4+float64(i)*0.01)
		b, err := wire.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		puts = append(puts, persistence.KV{Key: IndexKey(e.Group), Value: b})
	}
	other, _ := wire.Marshal(&IndexEntry{Group: "elsewhere", Name: "粉丝", Searchable: true})
	puts = append(puts,
		persistence.KV{Key: IndexKey("bad"), Value: []byte{0xc1}},           // not msgpack
		persistence.KV{Key: IndexKey("mismatch"), Value: other},             // under another group's key
		persistence.KV{Key: "ixz/unrelated", Value: []byte{0xc1}},           // another prefix
		persistence.KV{Key: "u/someone", Value: []byte("not an index key")}, // another prefix
	)
	if err := persistence.CommitSync(store, &persistence.Batch{Puts: puts}); err != nil {
		t.Fatal(err)
	}
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	defer sys.Shutdown()
	ia, err := StartIndex(sys, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ia.Stop()
	pid := actor.NewPID(sys.Address(), IndexName)
	if !pid.Equal(ia.PID()) {
		t.Fatalf("pid %v, want %v", ia.PID(), pid)
	}
	if _, err := StartIndex(sys, store, nil); err == nil {
		t.Fatal("second index with the same name started")
	}

	res, err := ixCall(t, sys, pid, OpIndexSearch, wire.SearchArgs{Query: "粉丝"})
	if err != nil || !slices.Equal(ixGroups(res.Groups), []string{"g1", "g0"}) {
		t.Fatalf("rebuilt search: %v %v", ixGroups(res.Groups), err)
	}

	// A plain Send, as group grains do, then a request: the mailbox orders them.
	sys.Root.Send(pid, &pb.Call{Op: uint32(OpIndexPut), Args: ixMarshal(t, ixAt(ixEntry("g9", "粉丝", "fans", 1), 39.9, 116.4))})
	res, err = ixCall(t, sys, pid, OpIndexSearch, wire.SearchArgs{Query: "粉丝"})
	if err != nil || !slices.Equal(ixGroups(res.Groups), []string{"g9", "g1", "g0"}) {
		t.Fatalf("after put: %v %v", ixGroups(res.Groups), err)
	}
	// A Put as a request gets an answer.
	gone := ixEntry("g0", "", "", 0)
	gone.Dissolved = true
	if _, err := ixCall(t, sys, pid, OpIndexPut, gone); err != nil {
		t.Fatal(err)
	}
	res, err = ixCall(t, sys, pid, OpIndexNearby, wire.NearbyArgs{Lat: 39.9, Lng: 116.4, RadiusKm: 5})
	if err != nil || !slices.Equal(ixGroups(res.Groups), []string{"g9", "g1", "g2"}) || res.Groups[0].DistanceKm != 0 {
		t.Fatalf("nearby: %+v %v", res.Groups, err)
	}
	res, err = ixCall(t, sys, pid, OpIndexGet, IndexGetArgs{Groups: []string{"g2", "g0", "mismatch", "elsewhere"}})
	if err != nil || !slices.Equal(ixGroups(res.Groups), []string{"g2"}) {
		t.Fatalf("get: %v %v", ixGroups(res.Groups), err)
	}
	res, err = ixCall(t, sys, pid, OpIndexByOwner, wire.UserArgs{User: "o-g2"})
	if err != nil || !slices.Equal(ixGroups(res.Groups), []string{"g2"}) {
		t.Fatalf("by owner: %v %v", ixGroups(res.Groups), err)
	}

	for _, c := range []struct {
		op   wire.Op
		args any
		code wire.Code
	}{
		{OpIndexSearch, nil, wire.CodeBadRequest},
		{OpIndexSearch, wire.SearchArgs{Query: strings.Repeat("x", 101)}, wire.CodeBadRequest},
		{OpIndexNearby, wire.NearbyArgs{Lat: 0, Lng: 0, RadiusKm: 501}, wire.CodeBadRequest},
		{OpIndexNearby, "not a struct", wire.CodeBadRequest},
		{OpIndexPut, IndexEntry{Name: "no group"}, wire.CodeBadRequest},
		{OpIndexGet, IndexGetArgs{Groups: make([]string, MaxIndexGet+1)}, wire.CodeBadRequest},
		{1299, nil, wire.CodeUnknownOp},
	} {
		if _, err := ixCall(t, sys, pid, c.op, c.args); ixCode(err) != c.code {
			t.Errorf("op %d %v: err %v, want %v", c.op, c.args, err, c.code)
		}
	}
	// A bad plain Send is logged and dropped; the actor lives on.
	sys.Root.Send(pid, &pb.Call{Op: uint32(OpIndexPut), Args: []byte{0xc1}})
	if _, err := ixCall(t, sys, pid, OpIndexByOwner, wire.UserArgs{User: "o-g2"}); err != nil {
		t.Fatal(err)
	}
	ia.Stop()
	ia.Stop()
}

func ixMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := wire.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStartIndexStoreError(t *testing.T) {
	store := persistence.NewMemory()
	store.Close()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	defer sys.Shutdown()
	if _, err := StartIndex(sys, store, nil); err == nil {
		t.Skip("the memory store scans after Close; nothing to test")
	}
	// The name is free again.
	ia, err := StartIndex(sys, persistence.NewMemory(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ia.Stop()
}
