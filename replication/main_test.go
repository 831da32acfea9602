package replication

import (
	"testing"

	"github.com/qunchat/qun/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }
