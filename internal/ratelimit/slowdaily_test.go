package ratelimit

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestSlowMode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := NewSlowMode[string](SlowModeConfig{MaxKeys: 10})
		if err != nil {
			t.Fatal(err)
		}
		type step struct {
			sleep time.Duration
			key   string
			every time.Duration
			ok    bool
			retry time.Duration
		}
		steps := []step{
			{0, "bob", 10 * time.Second, true, 0},
			{0, "bob", 10 * time.Second, false, 10 * time.Second},
			{3 * time.Second, "bob", 10 * time.Second, false, 7 * time.Second},
			{0, "eve", 10 * time.Second, true, 0},               // per key
			{0, "bob", 5 * time.Second, false, 2 * time.Second}, // admin shortened it
			{0, "bob", 0, true, 0},                              // slow mode off
			{2 * time.Second, "bob", 5 * time.Second, true, 0},
			{5 * time.Second, "bob", 5 * time.Second, true, 0}, // exactly the interval later
		}
		for i, st := range steps {
			time.Sleep(st.sleep)
			ok, retry := s.Allow(st.key, time.Now(), st.every)
			if ok != st.ok || retry != st.retry {
				t.Fatalf("step %d: Allow(%s, %v) = %v, %v; want %v, %v", i, st.key, st.every, ok, retry, st.ok, st.retry)
			}
		}
		// A clock that goes back does not let anyone through early.
		if ok, _ := s.Allow("bob", time.Now().Add(-time.Hour), 5*time.Second); ok {
			t.Fatal("allowed with the clock set back")
		}
		time.Sleep(3 * time.Second) // eve's 10 s have passed (t=13 s), bob's 5 s have not
		if n := s.Sweep(time.Now(), 10); n != 1 || s.Stats().Keys != 1 {
			t.Fatalf("Sweep dropped %d (keys %d), want eve only", n, s.Stats().Keys)
		}
	})
}

func TestSlowModeBounded(t *testing.T) {
	s, _ := NewSlowMode[int](SlowModeConfig{MaxKeys: 8})
	now := time.Unix(1e9, 0)
	for k := 0; k < 100; k++ {
		s.Allow(k, now, time.Minute)
	}
	if st := s.Stats(); st.Keys != 8 || st.Evicted != 92 || st.EvictedBusy != 92 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := NewSlowMode[int](SlowModeConfig{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("NewSlowMode(0) err = %v", err)
	}
}

func TestDayCount(t *testing.T) {
	// 2026-11-29 15:59:59 UTC is 23:59:59 in China.
	before := time.Date(2026, 11, 29, 15, 59, 59, 0, time.UTC)
	var c DayCount
	var ok bool
	var retry time.Duration
	for i := 0; i < 3; i++ {
		if c, ok, _ = c.Take(before, ChinaTime, 3); !ok {
			t.Fatalf("event %d refused", i)
		}
	}
	if c.Remaining(before, ChinaTime, 3) != 0 {
		t.Fatalf("remaining %d, want 0", c.Remaining(before, ChinaTime, 3))
	}
	if c, ok, retry = c.Take(before, ChinaTime, 3); ok || retry != time.Second {
		t.Fatalf("4th event: %v, retry %v; want refused, 1s to midnight", ok, retry)
	}
	after := before.Add(time.Second)
	if c.Remaining(after, ChinaTime, 3) != 3 {
		t.Fatal("a new day did not reset the quota")
	}
	if c, ok, _ = c.Take(after, ChinaTime, 3); !ok || c.N != 1 || c.Day != DayOf(after, ChinaTime) {
		t.Fatalf("first event of the new day: %+v %v", c, ok)
	}
	// The same instant is still the 29th in UTC.
	if DayOf(before, time.UTC) != DayOf(after, time.UTC) || DayOf(before, ChinaTime) == DayOf(after, ChinaTime) {
		t.Fatal("day boundary is not the time zone's midnight")
	}
	if DayOf(time.Unix(0, 0), time.UTC) != 0 || DayOf(time.Unix(86399, 0), time.UTC) != 0 {
		t.Fatal("DayOf does not count from 1970-01-01")
	}
}

// TestDaily: @all three times a day per group, in a synctest bubble.
func TestDaily(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, err := NewDaily[string](DefaultDailyConfig())
		if err != nil {
			t.Fatal(err)
		}
		for want := 2; want >= 0; want-- {
			ok, _, left := d.Allow("g1", time.Now())
			if !ok || left != want {
				t.Fatalf("Allow = %v, %d left; want true, %d", ok, left, want)
			}
		}
		ok, retry, _ := d.Allow("g1", time.Now())
		if ok || retry <= 0 || retry > 24*time.Hour {
			t.Fatalf("4th @all: %v, retry %v", ok, retry)
		}
		if ok, _, _ := d.Allow("g2", time.Now()); !ok {
			t.Fatal("another group shares g1's quota")
		}
		time.Sleep(retry - time.Nanosecond)
		if ok, _, _ := d.Allow("g1", time.Now()); ok {
			t.Fatal("allowed a nanosecond before midnight")
		}
		time.Sleep(time.Nanosecond)
		if ok, _, left := d.Allow("g1", time.Now()); !ok || left != 2 {
			t.Fatalf("at midnight: %v, %d left", ok, left)
		}
		if n := d.Sweep(time.Now(), 10); n != 1 {
			t.Fatalf("Sweep dropped %d, want g2 (yesterday's)", n)
		}
	})
}

func TestDailyConfig(t *testing.T) {
	for _, c := range []DailyConfig{
		{Limit: 0, Loc: time.UTC, MaxKeys: 1},
		{Limit: 1, Loc: nil, MaxKeys: 1},
		{Limit: 1, Loc: time.UTC, MaxKeys: 0},
	} {
		if _, err := NewDaily[int](c); !errors.Is(err, ErrConfig) {
			t.Errorf("NewDaily(%+v) err = %v", c, err)
		}
	}
	d, _ := NewDaily[int](DailyConfig{Limit: 1, Loc: time.UTC, MaxKeys: 4})
	now := time.Unix(1e9, 0)
	for k := 0; k < 10; k++ {
		d.Allow(k, now)
	}
	if st := d.Stats(); st.Keys != 4 || st.EvictedBusy != 6 {
		t.Fatalf("stats %+v", st)
	}
}

func BenchmarkSlowMode(b *testing.B) {
	s, _ := NewSlowMode[int](SlowModeConfig{MaxKeys: 1024})
	now := time.Unix(1e9, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Allow(i&1023, now, time.Second)
	}
}

func BenchmarkDaily(b *testing.B) {
	d, _ := NewDaily[int](DefaultDailyConfig())
	now := time.Unix(1e9, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		d.Allow(i&1023, now)
	}
}
