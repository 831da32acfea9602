package engine_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// No goroutine is ignored. Proto.Actor's throttle goroutines sleep out
	// their period (1–2 s) after shutdown; settleM gives them a bounded time
	// to end before goleak looks.
	goleak.VerifyTestMain(settleM{m})
}

type settleM struct{ m *testing.M }

func (s settleM) Run() int {
	code := s.m.Run()
	deadline := time.Now().Add(5 * time.Second)
	for goleak.Find() != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	return code
}
