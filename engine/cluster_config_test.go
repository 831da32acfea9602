package engine_test

import (
	"errors"
	"testing"

	"github.com/qunchat/qun/engine"
)

// TestClusterConfigNeedsSharedSecrets: a node that bootstraps a cluster
// with others needs the cluster secret and a configured token secret (a
// generated one is per node: a client moving to another node would have
// its token refused); Join needs BootstrapExpect.
func TestClusterConfigNeedsSharedSecrets(t *testing.T) {
	ok := testConfig("")
	ok.BootstrapExpect, ok.ClusterSecret, ok.Join = 3, []byte("cluster-secret-0123456789"), []string{"127.0.0.1:7946"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, tweak := range map[string]func(*engine.Config){
		"no cluster secret":    func(c *engine.Config) { c.ClusterSecret = nil },
		"no token secret":      func(c *engine.Config) { c.Secret = nil },
		"join, no bootstrap":   func(c *engine.Config) { c.BootstrapExpect = 0 },
		"join, lone bootstrap": func(c *engine.Config) { c.BootstrapExpect = 1 },
	} {
		c := ok
		tweak(&c)
		if err := c.Validate(); !errors.Is(err, engine.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}
