package ratelimit

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"
)

type userGroup struct{ user, group string }

func mustNew[K comparable](t testing.TB, c Config) *Limiter[K] {
	t.Helper()
	l, err := New[K](c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestBucket walks one key through the bucket in a synctest bubble, where
// time.Sleep moves the fake clock and time.Now reads it.
func TestBucket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew[userGroup](t, Config{Rate: 1, Burst: 3, MaxKeys: 10})
		k := userGroup{"alice", "g1"}
		type step struct {
			sleep time.Duration
			n     int
			ok    bool
			retry time.Duration
		}
		steps := []step{
			{0, 1, true, 0}, {0, 1, true, 0}, {0, 1, true, 0}, // the burst
			{0, 1, false, time.Second}, // empty: one token a second
			{400 * time.Millisecond, 1, false, 600 * time.Millisecond},
			{600 * time.Millisecond, 1, true, 0},
			{0, 2, false, 2 * time.Second},
			{10 * time.Second, 3, true, 0}, // refilled, but never above the burst
			{0, 1, false, time.Second},
			{0, 4, false, Never}, // more than the burst: never
			{0, 0, true, 0},
		}
		for i, s := range steps {
			time.Sleep(s.sleep)
			ok, retry := l.AllowN(k, time.Now(), s.n)
			if ok != s.ok || retry != s.retry {
				t.Fatalf("step %d: AllowN(%d) = %v, %v; want %v, %v", i, s.n, ok, retry, s.ok, s.retry)
			}
		}
		// Another key has its own full bucket.
		for i := 0; i < 3; i++ {
			if ok, _ := l.Allow(userGroup{"alice", "g2"}, time.Now()); !ok {
				t.Fatalf("g2 event %d refused", i)
			}
		}
		// Waiting exactly the retry-after is enough.
		_, retry := l.Allow(k, time.Now())
		time.Sleep(retry)
		if ok, r := l.Allow(k, time.Now()); !ok {
			t.Fatalf("refused after waiting the retry-after %v (now %v)", retry, r)
		}
	})
}

// TestRetryAfterExact: over random rates, bursts and sizes, the retry-after
// is the first moment the request succeeds, to the microsecond.
func TestRetryAfterExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 2000; i++ {
		r := rate.Limit(0.01 + rng.Float64()*1000)
		burst := 1 + rng.IntN(20)
		l := mustNew[int](t, Config{Rate: r, Burst: burst, MaxKeys: 1})
		now := t0
		for l.AllowN(0, now, 1); ; {
			if ok, _ := l.AllowN(0, now, 1); !ok {
				break
			}
		}
		n := 1 + rng.IntN(burst)
		ok, retry := l.AllowN(0, now, n)
		if ok || retry <= 0 || retry == Never {
			t.Fatalf("rate %v burst %d n %d: AllowN = %v, %v on an empty bucket", r, burst, n, ok, retry)
		}
		if early := retry - 2*time.Microsecond; early > 0 {
			if ok, _ := l.AllowN(0, now.Add(early), n); ok {
				t.Fatalf("rate %v n %d: allowed at %v, before the retry-after %v", r, n, early, retry)
			}
		}
		if ok, _ := l.AllowN(0, now.Add(retry), n); !ok {
			t.Fatalf("rate %v n %d: refused at the retry-after %v", r, n, retry)
		}
	}
}

// TestConcurrent: many goroutines on one key at one instant get exactly the
// burst, then, a second later, exactly the refill.
func TestConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew[string](t, Config{Rate: 5, Burst: 20, MaxKeys: 4})
		count := func() int {
			var mu sync.Mutex
			var wg sync.WaitGroup
			allowed := 0
			for g := 0; g < 50; g++ {
				wg.Go(func() {
					for i := 0; i < 10; i++ {
						if ok, _ := l.Allow("room", time.Now()); ok {
							mu.Lock()
							allowed++
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			return allowed
		}
		if got := count(); got != 20 {
			t.Fatalf("allowed %d at once, want the burst 20", got)
		}
		time.Sleep(time.Second)
		if got := count(); got != 5 {
			t.Fatalf("allowed %d a second later, want 5", got)
		}
	})
}

// TestBoundedKeys: the table never holds more than MaxKeys; evicting an idle
// key is free, evicting a busy one is counted; Sweep drops idle keys only.
func TestBoundedKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew[int](t, Config{Rate: 1, Burst: 2, MaxKeys: 100})
		for k := 0; k < 1000; k++ {
			l.Allow(k, time.Now()) // each key one token down: busy
			if s := l.Stats(); s.Keys > 100 {
				t.Fatalf("%d keys held, cap 100", s.Keys)
			}
		}
		s := l.Stats()
		if s.Keys != 100 || s.Evicted != 900 || s.EvictedBusy != 900 {
			t.Fatalf("stats %+v, want 100 keys, 900 evicted, all busy", s)
		}
		// Keys 900..949 get an event now; after 1 s the older keys are full
		// again (idle), the 50 touched ones are not (they were used again).
		time.Sleep(500 * time.Millisecond)
		for k := 900; k < 950; k++ {
			l.Allow(k, time.Now())
		}
		time.Sleep(600 * time.Millisecond)
		if n := l.Sweep(time.Now(), 1000); n != 50 {
			t.Fatalf("Sweep dropped %d, want the 50 idle keys", n)
		}
		if s := l.Stats(); s.Keys != 50 || s.Swept != 50 {
			t.Fatalf("after Sweep: %+v", s)
		}
		for k := 2000; k < 2050; k++ { // room for these without eviction
			l.Allow(k, time.Now())
		}
		if s := l.Stats(); s.Evicted != 900 {
			t.Fatalf("evicted with room to spare: %+v", s)
		}
		l.Forget(2000)
		if s := l.Stats(); s.Keys != 99 {
			t.Fatalf("Forget left %d keys", s.Keys)
		}
	})
}

// TestEvictionOrder: the least recently used key goes first.
func TestEvictionOrder(t *testing.T) {
	now := time.Unix(1e9, 0)
	l := mustNew[string](t, Config{Rate: 1, Burst: 1, MaxKeys: 2})
	l.Allow("a", now)
	l.Allow("b", now)
	l.Allow("a", now) // a is now the most recent; refused but touched
	l.Allow("c", now) // evicts b
	if ok, _ := l.Allow("a", now); ok {
		t.Fatal("a was evicted; it was the most recently used")
	}
	if ok, _ := l.Allow("b", now); !ok {
		t.Fatal("b kept its empty bucket; it should have been evicted")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	nan := rate.Limit(0)
	nan = nan / nan
	for _, c := range []Config{
		{Rate: 0, Burst: 1, MaxKeys: 1},
		{Rate: -1, Burst: 1, MaxKeys: 1},
		{Rate: nan, Burst: 1, MaxKeys: 1},
		{Rate: 1, Burst: 0, MaxKeys: 1},
		{Rate: 1, Burst: 1, MaxKeys: 0},
		{Rate: 1, Burst: 1, MaxKeys: MaxKeysLimit + 1},
	} {
		if _, err := New[int](c); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) err = %v, want ErrConfig", c, err)
		}
	}
	l := mustNew[int](t, Config{Rate: rate.Inf, Burst: 1, MaxKeys: 1})
	for i := 0; i < 100; i++ {
		if ok, _ := l.Allow(0, time.Unix(0, 0)); !ok {
			t.Fatal("rate.Inf refused an event")
		}
	}
}

func BenchmarkAllowHit(b *testing.B) {
	l := mustNew[userGroup](b, Config{Rate: rate.Inf, Burst: 1, MaxKeys: 1024})
	k := userGroup{"alice", "g1"}
	now := time.Unix(1e9, 0)
	b.ReportAllocs()
	for b.Loop() {
		l.Allow(k, now)
	}
}

func BenchmarkAllowRefused(b *testing.B) {
	l := mustNew[userGroup](b, Config{Rate: 1, Burst: 1, MaxKeys: 1024})
	k := userGroup{"alice", "g1"}
	now := time.Unix(1e9, 0)
	l.Allow(k, now)
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := l.Allow(k, now); ok {
			b.Fatal("allowed")
		}
	}
}

// BenchmarkAllowChurn: a new key on every call at the key cap (eviction).
func BenchmarkAllowChurn(b *testing.B) {
	l := mustNew[int](b, Config{Rate: 1, Burst: 3, MaxKeys: 1024})
	now := time.Unix(1e9, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Allow(i, now)
	}
}

func BenchmarkAllowParallel(b *testing.B) {
	l := mustNew[int](b, Config{Rate: rate.Inf, Burst: 1, MaxKeys: 1024})
	now := time.Unix(1e9, 0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			l.Allow(i&1023, now)
		}
	})
}
