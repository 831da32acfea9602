package actors

import (
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// The benchmarks run on benchGroups groups with names mixing Chinese and
// ASCII, 20 categories, and locations either uniform over a China-sized box
// (lat 18–53, lng 73–135) or clustered around 12 cities.
//
//	go test ./actors/ -run '^$' -bench Index -benchmem

const benchGroups = 10000

var benchWords = []string{
	"小明", "粉丝", "群", "美食", "北京", "上海", "广州", "成都", "吃货", "旅行", "摄影", "宝妈", "游戏",
	"王者", "健身", "读书", "同城", "交友", "二手", "宠物", "猫", "狗", "音乐", "舞蹈", "直播", "带货",
	"fans", "Club", "VIP", "abc", "K-pop", "NBA", "LOL", "DIY", "iPhone", "Vlog", " ", "2024", "88",
}

var benchCities = [][2]float64{
	{39.90, 116.40}, {31.23, 121.47}, {23.13, 113.26}, {22.54, 114.06}, {30.57, 104.07}, {29.56, 106.55},
	{30.27, 120.15}, {34.34, 108.94}, {30.59, 114.31}, {32.06, 118.80}, {36.07, 120.38}, {45.80, 126.53},
}

func benchName(rng *rand.Rand) string {
	var b strings.Builder
	for range 2 + rng.IntN(4) {
		b.WriteString(benchWords[rng.IntN(len(benchWords))])
	}
	return b.String()
}

func benchPoint(rng *rand.Rand, clustered bool) (float64, float64) {
	if clustered {
		c := benchCities[rng.IntN(len(benchCities))]
		// About 15 km of spread.
		return c[0] + rng.NormFloat64()*0.14, c[1] + rng.NormFloat64()*0.17
	}
	return 18 + rng.Float64()*35, 73 + rng.Float64()*62
}

func benchEntries(clustered bool) []IndexEntry {
	rng := rand.New(rand.NewPCG(7, 11))
	es := make([]IndexEntry, benchGroups)
	for i := range es {
		lat, lng := benchPoint(rng, clustered)
		es[i] = IndexEntry{
			Group: fmt.Sprintf("g%016x", rng.Uint64()), Name: benchName(rng), Category: fmt.Sprintf("cat%02d", rng.IntN(20)),
			Owner: fmt.Sprintf("u%d", rng.IntN(3000)), Members: rng.IntN(2000), Searchable: true,
			Lat: lat, Lng: lng, HasLoc: true,
		}
	}
	return es
}

func benchIndex(b *testing.B, clustered bool) (*Index, []IndexEntry) {
	b.Helper()
	es := benchEntries(clustered)
	x := NewIndex()
	for _, e := range es {
		if err := x.Put(e); err != nil {
			b.Fatal(err)
		}
	}
	return x, es
}

// benchQueries are 2–3 rune substrings of existing names.
func benchQueries(es []IndexEntry) []string {
	rng := rand.New(rand.NewPCG(3, 5))
	qs := make([]string, 1024)
	for i := range qs {
		for {
			r := []rune(es[rng.IntN(len(es))].Name)
			n := 2 + rng.IntN(2)
			if len(r) < n {
				continue
			}
			at := rng.IntN(len(r) - n + 1)
			if q := strings.TrimSpace(string(r[at : at+n])); q != "" {
				qs[i] = q
				break
			}
		}
	}
	return qs
}

func BenchmarkIndexSearch(b *testing.B) {
	x, es := benchIndex(b, false)
	qs := benchQueries(es)
	run := func(name string, args func(i int) wire.SearchArgs) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			i := 0
			for b.Loop() {
				res, err := x.Search(args(i))
				if err != nil {
					b.Fatal(err)
				}
				n += len(res)
				i++
			}
			b.ReportMetric(float64(n)/float64(i), "results/op")
		})
	}
	run("substring", func(i int) wire.SearchArgs { return wire.SearchArgs{Query: qs[i%len(qs)]} })
	run("one_common_rune", func(int) wire.SearchArgs { return wire.SearchArgs{Query: "群"} })
	run("ascii_common", func(int) wire.SearchArgs { return wire.SearchArgs{Query: "a"} })
	run("category", func(i int) wire.SearchArgs { return wire.SearchArgs{Category: fmt.Sprintf("cat%02d", i%20)} })
	run("substring_and_category", func(i int) wire.SearchArgs {
		return wire.SearchArgs{Query: qs[i%len(qs)], Category: fmt.Sprintf("cat%02d", i%20)}
	})
	run("substring_limit100", func(i int) wire.SearchArgs { return wire.SearchArgs{Query: qs[i%len(qs)], Limit: 100} })
	run("no_match", func(int) wire.SearchArgs { return wire.SearchArgs{Query: "不存在的名字"} })
}

func BenchmarkIndexNearby(b *testing.B) {
	for _, layout := range []string{"uniform", "cities"} {
		x, _ := benchIndex(b, layout == "cities")
		for _, r := range []float64{5, 50, 500} {
			b.Run(fmt.Sprintf("%s/%gkm", layout, r), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(9, 9))
				pts := make([][2]float64, 1024)
				for i := range pts {
					pts[i][0], pts[i][1] = benchPoint(rng, layout == "cities")
				}
				b.ReportAllocs()
				n, i := 0, 0
				for b.Loop() {
					p := pts[i%len(pts)]
					res, err := x.Nearby(wire.NearbyArgs{Lat: p[0], Lng: p[1], RadiusKm: r})
					if err != nil {
						b.Fatal(err)
					}
					n += len(res)
					i++
				}
				b.ReportMetric(float64(n)/float64(i), "results/op")
			})
		}
	}
}

func BenchmarkIndexPut(b *testing.B) {
	x, es := benchIndex(b, true)
	rng := rand.New(rand.NewPCG(1, 1))
	b.Run("members_changed", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			e := es[i%len(es)]
			e.Members++
			_ = x.Put(e)
			i++
		}
	})
	b.Run("renamed_and_moved", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			e := &es[i%len(es)]
			e.Name = benchWords[i%len(benchWords)] + e.Name[:len(e.Name)/2]
			e.Name = strings.ToValidUTF8(e.Name, "")
			e.Lat, e.Lng = benchPoint(rng, true)
			e.Category = fmt.Sprintf("cat%02d", i%20)
			_ = x.Put(*e)
			i++
		}
	})
	b.Run("new_then_dissolved", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			e := es[i%len(es)]
			e.Group = "new" + e.Group
			_ = x.Put(e)
			e.Dissolved = true
			_ = x.Put(e)
			i++
		}
	})
}

// BenchmarkIndexActor measures a search through the actor (mailbox,
// msgpack of arguments and result): the local part of an engine search.
func BenchmarkIndexActor(b *testing.B) {
	es := benchEntries(true)
	store := persistence.NewMemory()
	defer store.Close()
	puts := make([]persistence.KV, len(es))
	for i := range es {
		v, err := wire.Marshal(&es[i])
		if err != nil {
			b.Fatal(err)
		}
		puts[i] = persistence.KV{Key: IndexKey(es[i].Group), Value: v}
	}
	if err := persistence.CommitSync(store, &persistence.Batch{Puts: puts}); err != nil {
		b.Fatal(err)
	}
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	defer sys.Shutdown()
	start := time.Now()
	ia, err := StartIndex(sys, store, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ia.Stop()
	b.Logf("index of %d groups rebuilt from the store in %v", len(es), time.Since(start).Round(time.Millisecond))
	qs := benchQueries(es)
	calls := map[string]func(i int) *pb.Call{
		"search": func(i int) *pb.Call {
			a, _ := wire.Marshal(&wire.SearchArgs{Query: qs[i%len(qs)]})
			return &pb.Call{Op: uint32(OpIndexSearch), Args: a}
		},
		"nearby_50km": func(i int) *pb.Call {
			c := benchCities[i%len(benchCities)]
			a, _ := wire.Marshal(&wire.NearbyArgs{Lat: c[0], Lng: c[1], RadiusKm: 50})
			return &pb.Call{Op: uint32(OpIndexNearby), Args: a}
		},
	}
	for _, name := range []string{"search", "nearby_50km"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				res, err := sys.Root.RequestFuture(ia.PID(), calls[name](i), 5*time.Second).Result()
				if err != nil {
					b.Fatal(err)
				}
				var out wire.SearchResult
				if err := wire.Decode(res.(*pb.Result).Body, &out); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// TestIndexBenchData keeps the benchmark's data honest: queries find
// something.
func TestIndexBenchData(t *testing.T) {
	es := benchEntries(true)
	x := NewIndex()
	for _, e := range es {
		_ = x.Put(e)
	}
	if x.Len() != benchGroups {
		t.Fatalf("%d groups", x.Len())
	}
	for _, q := range benchQueries(es)[:50] {
		if res, err := x.Search(wire.SearchArgs{Query: q}); err != nil || len(res) == 0 {
			t.Fatalf("query %q: %d results, %v", q, len(res), err)
		}
	}
	c := benchCities[0]
	res, err := x.Nearby(wire.NearbyArgs{Lat: c[0], Lng: c[1], RadiusKm: 5})
	if err != nil || len(res) == 0 || math.IsNaN(res[0].DistanceKm) {
		t.Fatalf("nearby: %d, %v", len(res), err)
	}
}
