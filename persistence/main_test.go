package persistence

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(fatalChildEnv) == "1" {
		fatalfChild()
	}
	goleak.VerifyTestMain(m)
}
