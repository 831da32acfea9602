package engine_test

import (
	"fmt"
	"testing"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/internal/leaktest"
)

func TestMain(m *testing.M) {
	// goleak with no ignore list; see internal/leaktest. And no frame over
	// max_frame was written in the whole suite (framecheck.go).
	leaktest.MainThen(m, func() error {
		if n := engine.OversizeFrames(); n != 0 {
			return fmt.Errorf("%d frames over max_frame were written", n)
		}
		return nil
	})
}
