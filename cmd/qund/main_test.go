package main

import (
	"os"
	"testing"

	"github.com/qunchat/qun/internal/leaktest"
)

// runAsQund makes the test binary act as qund, so process tests start the
// real command without a separate go build.
const runAsQund = "QUND_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsQund) == "1" {
		main()
		os.Exit(0)
	}
	leaktest.Main(m)
}
