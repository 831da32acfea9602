package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/hashicorp/memberlist"
)

// metaVersion is the version of the member record carried in memberlist
// node metadata. A peer with another version is skipped.
const metaVersion = 1

// Bounds on decoded metadata fields (the whole record is at most
// memberlist.MetaMaxSize = 512 bytes anyway).
const (
	maxHostLen     = 253
	maxKindNameLen = 128
)

// memberMeta is the member record a node gossips about itself: what
// protoactor needs to build a *cluster.Member. Encoded as compact JSON.
type memberMeta struct {
	V      int      `json:"v"`
	ID     string   `json:"id"`
	Host   string   `json:"h"`
	Port   int      `json:"p"`
	Kinds  []string `json:"k,omitempty"`
	Client bool     `json:"c,omitempty"` // cluster client: gossips but hosts no grains and is not a topology member
	App    string   `json:"a,omitempty"` // Config.AppMeta
}

func (m memberMeta) encode() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if len(b) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("member metadata is %d bytes, memberlist allows %d: too many or too long kind names", len(b), memberlist.MetaMaxSize)
	}
	return b, nil
}

// decodeMeta decodes and checks the metadata that the memberlist node
// nodeName gossips. Metadata comes from the network: any defect is an error
// (the caller skips that peer), never a panic.
func decodeMeta(b []byte, nodeName string) (memberMeta, error) {
	var m memberMeta
	if len(b) == 0 {
		return m, errors.New("no metadata")
	}
	if len(b) > memberlist.MetaMaxSize {
		return m, fmt.Errorf("metadata of %d bytes exceeds %d", len(b), memberlist.MetaMaxSize)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return memberMeta{}, fmt.Errorf("metadata: %w", err)
	}
	if m.V != metaVersion {
		return memberMeta{}, fmt.Errorf("metadata version %d, want %d", m.V, metaVersion)
	}
	if m.ID != nodeName {
		return memberMeta{}, fmt.Errorf("metadata id %q differs from memberlist node name %q", m.ID, nodeName)
	}
	if err := m.check(); err != nil {
		return memberMeta{}, err
	}
	return m, nil
}

func (m memberMeta) check() error {
	if err := validateNodeID(m.ID); err != nil {
		return fmt.Errorf("member id %q: %w", m.ID, err)
	}
	if m.Host == "" || len(m.Host) > maxHostLen {
		return fmt.Errorf("member host %q invalid", m.Host)
	}
	if m.Port < 1 || m.Port > 65535 {
		return fmt.Errorf("member port %d out of range", m.Port)
	}
	if len(m.App) > MaxAppMetaLen {
		return fmt.Errorf("app metadata of %d bytes exceeds %d", len(m.App), MaxAppMetaLen)
	}
	if m.Client && len(m.Kinds) > 0 {
		return errors.New("a client member has kinds")
	}
	for i, k := range m.Kinds {
		if k == "" || len(k) > maxKindNameLen {
			return fmt.Errorf("kind name %q invalid", k)
		}
		if slices.Contains(m.Kinds[:i], k) {
			return fmt.Errorf("kind %q listed twice", k)
		}
	}
	return nil
}
