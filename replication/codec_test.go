package replication

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/qunchat/qun/persistence"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

func sampleBatch() *persistence.Batch {
	return &persistence.Batch{
		DropStreams: []string{"g/a"},
		Deletes:     []string{"ga/a/x"},
		Events:      []persistence.Event{{Stream: "g/a", Seq: 7, Data: []byte("m7")}, {Stream: "g/a", Seq: 8, Data: []byte{}}},
		Snapshots:   []persistence.Snapshot{{Stream: "g/a", Seq: 8, Data: []byte("snap")}},
		Puts:        []persistence.KV{{Key: "ix/a", Value: []byte("v")}},
	}
}

func TestBatchCodecRoundTrip(t *testing.T) {
	for _, b := range []*persistence.Batch{{}, sampleBatch()} {
		enc, err := EncodeBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeBatch(enc)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Events) > 0 && !reflect.DeepEqual(got, b) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, b)
		}
		for i := 0; i < len(enc); i++ {
			if _, err := DecodeBatch(enc[:i]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("truncated at %d: %v", i, err)
			}
		}
	}
	if _, err := EncodeBatch(&persistence.Batch{Raw: []persistence.RawOp{{Kind: persistence.RawSet, Key: []byte("r")}}}); err == nil {
		t.Fatal("raw ops encoded")
	}
	// A huge count with few bytes is refused before allocating.
	if _, err := DecodeBatch([]byte{batchVersion, 0xff, 0xff, 0xff, 0xff, 0x0f}); !errors.Is(err, ErrCorrupt) {
		t.Fatal(err)
	}
}

func FuzzDecodeBatch(f *testing.F) {
	enc, _ := EncodeBatch(sampleBatch())
	f.Add(enc)
	f.Add([]byte{batchVersion, 0, 0, 0, 0, 0})
	fenced, _ := EncodeFencedBatch(FencedBatch{Batch: sampleBatch(), Fences: []StreamFence{{Stream: "g/a", Prev: 6}}, Rewrites: []int{0}})
	f.Add(fenced)
	f.Fuzz(func(t *testing.T, p []byte) {
		b, err := DecodeBatch(p)
		if err != nil {
			return
		}
		again, err := EncodeBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		if b2, err := DecodeBatch(again); err != nil || !reflect.DeepEqual(normal(b), normal(b2)) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

// normal maps empty byte slices to nil for comparison.
func normal(b *persistence.Batch) *persistence.Batch {
	c := *b
	c.Events = append([]persistence.Event(nil), b.Events...)
	for i := range c.Events {
		if len(c.Events[i].Data) == 0 {
			c.Events[i].Data = nil
		}
	}
	c.Snapshots = append([]persistence.Snapshot(nil), b.Snapshots...)
	for i := range c.Snapshots {
		if len(c.Snapshots[i].Data) == 0 {
			c.Snapshots[i].Data = nil
		}
	}
	c.Puts = append([]persistence.KV(nil), b.Puts...)
	for i := range c.Puts {
		if len(c.Puts[i].Value) == 0 {
			c.Puts[i].Value = nil
		}
	}
	return &c
}

func FuzzDecodeMessages(f *testing.F) {
	m := &pb.Message{Type: pb.MsgApp.Enum(), To: proto.Uint64(2), Entries: []*pb.Entry{{Index: proto.Uint64(3), Data: []byte("x")}}}
	p, _ := appendMessages(nil, []Envelope{{Shard: 1, Msg: m}})
	f.Add(p[1:])
	f.Fuzz(func(t *testing.T, p []byte) {
		envs, err := decodeMessages(p, 4)
		if err != nil {
			return
		}
		for _, e := range envs {
			if e.Shard >= 4 || e.Msg == nil {
				t.Fatalf("bad envelope %+v", e)
			}
		}
	})
}

func FuzzReadFrame(f *testing.F) {
	f.Add(appendFrame(nil, func(b []byte) []byte { return append(b, frameChunk, 1, 1, 'k', 1, 'v') }))
	f.Fuzz(func(t *testing.T, p []byte) {
		payload, _, err := readFrame(bytes.NewReader(p), nil, 1<<10)
		if err != nil {
			return
		}
		if len(payload) > 1<<10 {
			t.Fatal("frame over the bound")
		}
		if len(payload) > 0 && payload[0] == frameChunk {
			_, _, _ = decodeChunk(payload[1:])
		}
	})
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeCommand(command{proposer: 1, id: 2, epoch: 3, data: []byte("d")}))
	f.Add(encodeTruncate(9))
	f.Fuzz(func(t *testing.T, p []byte) {
		kind, c, err := decodeEntry(p)
		if err != nil || kind != entryCommand {
			return
		}
		if got := encodeCommand(c); !bytes.Equal(got, p) && len(got) > len(p) {
			t.Fatalf("re-encode longer than input")
		}
	})
}

func TestFrameTooLarge(t *testing.T) {
	f := appendFrame(nil, func(b []byte) []byte { return append(b, make([]byte, 2048)...) })
	if _, _, err := readFrame(bytes.NewReader(f), nil, 1024); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatal(err)
	}
	f[len(f)-1] ^= 1
	if _, _, err := readFrame(bytes.NewReader(f), nil, 4096); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("checksum: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Fatal("StoreID 0 accepted")
	}
	c.StoreID = 1
	c.Peers = []uint64{1, 2, 3}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Config){
		"peers without self": func(c *Config) { c.Peers = []uint64{2, 3} },
		"duplicate peer":     func(c *Config) { c.Peers = []uint64{1, 1} },
		"zero shards":        func(c *Config) { c.Shards = 0 },
		"election <= hb":     func(c *Config) { c.ElectionTicks = 1 },
		"replicas 0":         func(c *Config) { c.Replicas = 0 },
		"tiny chunk":         func(c *Config) { c.SnapshotChunkBytes = 10 },
	} {
		d := c
		mut(&d)
		if err := d.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestShardOfAndPlacement(t *testing.T) {
	counts := make([]int, 64)
	for i := 0; i < 6400; i++ {
		s := ShardOf("g/"+string(rune('a'+i%26))+string(rune(i)), 64)
		if s >= 64 {
			t.Fatal(s)
		}
		counts[s]++
	}
	for s, c := range counts {
		if c == 0 {
			t.Fatalf("shard %d never chosen", s)
		}
	}
	if ShardOf("g/x", 64) != ShardOf("g/x", 64) {
		t.Fatal("not deterministic")
	}
	peers := []uint64{5, 1, 9, 3}
	lead := map[uint64]int{}
	for s := uint32(0); s < 64; s++ {
		p := Placement(s, peers, 3)
		if len(p) != 3 || p[0] == p[1] || p[1] == p[2] || p[0] == p[2] {
			t.Fatalf("shard %d placement %v", s, p)
		}
		lead[p[0]]++
	}
	for _, id := range peers {
		if lead[id] != 16 {
			t.Fatalf("uneven placement %v", lead)
		}
	}
	if p := Placement(3, []uint64{7}, 3); len(p) != 1 || p[0] != 7 {
		t.Fatalf("lone node placement %v", p)
	}
}

func TestTCPConfigValidate(t *testing.T) {
	c := TCPConfig{StoreID: 1, Listen: "127.0.0.1:0", Secret: testSecret, Shards: 4}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	short := c
	short.Secret = []byte("short")
	if _, err := ListenTCP(short); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("short secret: %v", err)
	}
	big := c
	big.MaxFrame = 1 << 30
	if err := big.Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("huge frame bound: %v", err)
	}
}
