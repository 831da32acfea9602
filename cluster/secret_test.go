package cluster

import (
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// rawPeerConfig is a bare memberlist node's config for joining a test node.
func rawPeerConfig(name string) *memberlist.Config {
	c := memberlist.DefaultLocalConfig()
	c.Name = name
	c.Label = DefaultClusterName
	c.BindAddr = "127.0.0.1"
	c.BindPort = 0
	c.AdvertisePort = 0
	c.Delegate = rawMeta(nil)
	c.Logger = newMemberlistLogger(discardLogger())
	c.TCPTimeout = 500 * time.Millisecond
	return c
}

// A node started with a cluster secret accepts only peers that hold it:
// a peer without the secret, or with another one, cannot join; a peer with
// the same secret can.
func TestGossipNeedsTheClusterSecret(t *testing.T) {
	cfg := testNodeConfig()
	cfg.Gossip.Secret = []byte("the right cluster secret")
	a, err := StartNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop(false) })
	seed := a.Provider.GossipAddr()

	for name, secret := range map[string][]byte{"p-none": nil, "p-wrong": []byte("a wrong cluster secret")} {
		c := rawPeerConfig(name)
		if secret != nil {
			c.SecretKey = gossipKey(secret)
		}
		ml, err := memberlist.Create(c)
		if err != nil {
			t.Fatal(err)
		}
		n, err := ml.Join([]string{seed})
		_ = ml.Shutdown()
		if err == nil || n != 0 {
			t.Fatalf("%s joined a node with a cluster secret (%d, %v)", name, n, err)
		}
	}
	if got := a.Provider.ml.NumMembers(); got != 1 {
		t.Fatalf("members after refused joins = %d, want 1", got)
	}

	c := rawPeerConfig("p-right")
	c.SecretKey = gossipKey([]byte("the right cluster secret"))
	ml, err := memberlist.Create(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ml.Shutdown() })
	if _, err := ml.Join([]string{seed}); err != nil {
		t.Fatalf("peer with the secret: %v", err)
	}
	waitFor(t, 10*time.Second, "the peer with the secret to be seen", func() bool { return a.Provider.ml.NumMembers() == 2 })
}
