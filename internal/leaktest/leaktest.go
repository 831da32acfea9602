// Package leaktest runs a package's tests under goleak with no ignore list.
//
// Proto.Actor starts throttle goroutines that sleep out their period (1–2 s)
// after a node shuts down. Main lets such goroutines end, polling for at most
// five seconds, before goleak looks, so that a real leak still fails the run
// and a short-lived timer does not.
//
// It imports goleak only; any test package may use it.
package leaktest

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Main is TestMain for a package whose tests must leave no goroutine behind.
func Main(m *testing.M) { goleak.VerifyTestMain(settle{m}) }

type settle struct{ m *testing.M }

func (s settle) Run() int {
	code := s.m.Run()
	deadline := time.Now().Add(5 * time.Second)
	for goleak.Find() != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling with a deadline, not waiting blindly
	}
	return code
}

// MainThen is Main, and after the tests check runs: an error it returns
// fails the package (for whole-suite invariants, e.g. no oversize frame).
func MainThen(m *testing.M, check func() error) {
	goleak.VerifyTestMain(settleThen{settle{m}, check})
}

type settleThen struct {
	settle
	check func() error
}

func (s settleThen) Run() int {
	code := s.settle.Run()
	if err := s.check(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
