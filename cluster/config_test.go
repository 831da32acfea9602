package cluster

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.BindAddr != "127.0.0.1:0" || c.AdvertiseAddr != "" || len(c.Seeds) != 0 || c.NodeID != "" || c.Logger == nil {
		t.Fatalf("defaults: %+v", c)
	}
	if c.GossipInterval != 100*time.Millisecond || c.ProbeInterval != time.Second ||
		c.ProbeTimeout != 200*time.Millisecond || c.SuspicionMult != 3 || c.PushPullInterval != 15*time.Second {
		t.Fatalf("timing defaults: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero Config: %v", err)
	}

	n := DefaultNodeConfig()
	if n.ClusterName != "qun" || n.RemoteHost != "127.0.0.1" || n.RemotePort != 0 || n.RequestTimeout != 5*time.Second ||
		n.Logger == nil || n.Gossip.BindAddr != "127.0.0.1:0" || n.ProtoActorGossipInterval != 0 ||
		n.ProtoActorLogLevel.Level() != slog.LevelWarn {
		t.Fatalf("node defaults: %+v", n)
	}
	if err := (NodeConfig{}).Validate(); err != nil {
		t.Fatalf("zero NodeConfig: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := map[string]Config{
		"BindAddr":              {BindAddr: "127.0.0.1"},
		"invalid port":          {BindAddr: "127.0.0.1:70000"},
		"not an IP address":     {BindAddr: "localhost:0"},
		"AdvertiseAddr":         {AdvertiseAddr: "host.example:7946"},
		"Seeds[0]":              {Seeds: []string{"127.0.0.1:0"}},
		"Seeds[1]":              {Seeds: []string{"10.0.0.1:7946", "nope"}},
		"NodeID":                {NodeID: "has space"},
		"NodeID: longer":        {NodeID: strings.Repeat("a", 65)},
		"exceeds ProbeInterval": {ProbeInterval: 100 * time.Millisecond, ProbeTimeout: time.Second},
		"GossipInterval":        {GossipInterval: -1},
		"SuspicionMult":         {SuspicionMult: -1},
	}
	for want, c := range bad {
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: err = %v, want mention of %q", c, err, want)
		}
	}
	good := []Config{
		{BindAddr: ":7946"},
		{BindAddr: "[::1]:0", AdvertiseAddr: "::1"},
		{AdvertiseAddr: "192.0.2.1:7000"},
		{Seeds: []string{"node1.example:7946", "[::1]:7946"}, NodeID: "a-b_c.1"},
	}
	for _, c := range good {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestNodeConfigValidate(t *testing.T) {
	kind := pcluster.NewKind("k", actor.PropsFromFunc(func(actor.Context) {}))
	bad := map[string]NodeConfig{
		"AdvertisedHost":           {RemoteHost: "0.0.0.0"},
		"without a port":           {AdvertisedHost: "10.0.0.1:80"},
		"RemotePort":               {RemotePort: -1},
		"Kinds[0] is nil":          {Kinds: []*pcluster.Kind{nil}},
		"twice":                    {Kinds: []*pcluster.Kind{kind, kind}},
		"invalid name":             {Kinds: []*pcluster.Kind{{Kind: "", Props: kind.Props}}},
		"no props":                 {Kinds: []*pcluster.Kind{{Kind: "x"}}},
		"hosts no Kinds":           {Client: true, Kinds: []*pcluster.Kind{kind}},
		"ClusterName":              {ClusterName: strings.Repeat("c", 256)},
		"Gossip: BindAddr":         {Gossip: Config{BindAddr: "x"}},
		"RequestTimeout":           {RequestTimeout: -time.Second},
		"ProtoActorGossipInterval": {ProtoActorGossipInterval: -1},
	}
	for want, c := range bad {
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v", want, err)
		}
	}
	ok := NodeConfig{RemoteHost: "0.0.0.0", AdvertisedHost: "node1.example", Kinds: []*pcluster.Kind{kind}, ProtoActorLogLevel: slog.LevelWarn}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestNewNodeIDIsFreshAndValid(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewNodeID()
		if err := validateNodeID(id); err != nil || len(id) != 16 || seen[id] {
			t.Fatalf("id %q: %v (seen %v)", id, err, seen[id])
		}
		seen[id] = true
	}
}

func TestNewProviderRejectsBadConfig(t *testing.T) {
	if _, err := NewProvider(Config{BindAddr: "nope"}); err == nil {
		t.Fatal("NewProvider accepted a bad BindAddr")
	}
	p, err := NewProvider(Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Unstarted: empty views, Shutdown is a no-op, and a shut-down provider
	// refuses to start.
	if p.GossipAddr() != "" || p.NodeID() != "" || len(p.Members()) != 0 {
		t.Fatal("unstarted provider reports state")
	}
	if err := p.Shutdown(true); err != nil {
		t.Fatal(err)
	}
	if err := p.StartMember(nil); err == nil || !strings.Contains(err.Error(), "shut down") {
		t.Fatalf("StartMember after Shutdown: %v", err)
	}
}
