package cluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/memberlist"
)

func TestMetaRoundTrip(t *testing.T) {
	m := memberMeta{V: metaVersion, ID: "abc123", Host: "127.0.0.1", Port: 4020, Kinds: []string{"group", "user"}}
	b, err := m.encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeMeta(b, "abc123")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != m.ID || got.Host != m.Host || got.Port != m.Port || !slices.Equal(got.Kinds, m.Kinds) || got.Client {
		t.Fatalf("round trip: %+v -> %s -> %+v", m, b, got)
	}
	t.Logf("metadata: %s (%d bytes)", b, len(b))
}

func TestMetaEncodeRejectsOversize(t *testing.T) {
	var kinds []string
	for i := range 40 {
		kinds = append(kinds, fmt.Sprintf("kind-number-%02d", i))
	}
	_, err := memberMeta{V: metaVersion, ID: "x", Host: "127.0.0.1", Port: 1, Kinds: kinds}.encode()
	if err == nil || !strings.Contains(err.Error(), "512") {
		t.Fatalf("err = %v", err)
	}
}

func TestDecodeMetaRejects(t *testing.T) {
	cases := map[string]string{
		"empty":          ``,
		"not json":       `{"v":1,`,
		"array":          `[1,2,3]`,
		"wrong type":     `{"v":"1","id":"n","h":"h","p":1}`,
		"version":        `{"v":2,"id":"n","h":"h","p":1}`,
		"id mismatch":    `{"v":1,"id":"m","h":"h","p":1}`,
		"no host":        `{"v":1,"id":"n","p":1}`,
		"port 0":         `{"v":1,"id":"n","h":"h","p":0}`,
		"port too big":   `{"v":1,"id":"n","h":"h","p":65536}`,
		"empty kind":     `{"v":1,"id":"n","h":"h","p":1,"k":[""]}`,
		"duplicate kind": `{"v":1,"id":"n","h":"h","p":1,"k":["a","a"]}`,
		"client kinds":   `{"v":1,"id":"n","h":"h","p":1,"k":["a"],"c":true}`,
		"huge":           `{"v":1,"id":"n","h":"` + strings.Repeat("h", memberlist.MetaMaxSize) + `","p":1}`,
	}
	for name, meta := range cases {
		if _, err := decodeMeta([]byte(meta), "n"); err == nil {
			t.Errorf("%s: %s accepted", name, meta)
		}
	}
	// Unknown fields are ignored (a later version may add some).
	if _, err := decodeMeta([]byte(`{"v":1,"id":"n","h":"h","p":1,"zone":"a"}`), "n"); err != nil {
		t.Fatal(err)
	}
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add([]byte(`{"v":1,"id":"n","h":"127.0.0.1","p":4020,"k":["a","b"]}`), "n")
	f.Add([]byte(`{"v":1,"id":"n","h":"h","p":1,"c":true}`), "n")
	f.Add([]byte(`{`), "")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		m, err := decodeMeta(b, name) // must never panic
		if err != nil {
			return
		}
		// Whatever is accepted re-encodes within memberlist's limit.
		if _, err := m.encode(); err != nil {
			t.Fatalf("accepted %q but cannot re-encode: %v", b, err)
		}
	})
}
