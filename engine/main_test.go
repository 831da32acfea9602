package engine_test

import (
	"testing"

	"github.com/qunchat/qun/internal/leaktest"
)

func TestMain(m *testing.M) {
	// goleak with no ignore list; see internal/leaktest.
	leaktest.Main(m)
}
