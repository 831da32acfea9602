package lottery

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/qunchat/qun/internal/drbg"
)

// SeedSize is the length of a seed from NewSeed.
const SeedSize = 32

// domain keeps the lottery stream apart from other uses of drbg.
const domain = "qun-lottery-v1"

// NewSeed returns a random seed and its hash to publish when the lottery
// opens.
func NewSeed() (seed []byte, hash string, err error) {
	seed = make([]byte, SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, "", fmt.Errorf("lottery: seed: %w", err)
	}
	return seed, Hash(seed), nil
}

// Hash returns hex(SHA-256(seed)), lower case.
func Hash(seed []byte) string {
	h := sha256.Sum256(seed)
	return hex.EncodeToString(h[:])
}

// Verify reports whether seed is the one committed to by hash (hex, either
// case).
func Verify(hash string, seed []byte) bool {
	want, err := hex.DecodeString(hash)
	if err != nil || len(want) != sha256.Size {
		return false
	}
	got := sha256.Sum256(seed)
	return subtle.ConstantTimeCompare(got[:], want) == 1
}

// Canonical returns the entries sorted in ascending byte order without
// duplicates, as a new slice.
func Canonical(entries []string) []string {
	c := slices.Clone(entries)
	slices.Sort(c)
	return slices.Compact(c)
}

// ListDigest returns the digest of a canonical entry list (step 2 of the
// package doc).
func ListDigest(canonical []string) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, e := range canonical {
		binary.BigEndian.PutUint64(n[:], uint64(len(e)))
		h.Write(n[:])
		h.Write([]byte(e))
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// Draw returns up to winners entries drawn as the package doc specifies,
// first prize first. It returns nil when winners ≤ 0 or there are no
// entries, and every entry (in drawn order) when winners exceeds them. The
// entries slice is not modified.
func Draw(seed []byte, entries []string, winners int) []string {
	if winners <= 0 || len(entries) == 0 {
		return nil
	}
	list := Canonical(entries)
	d := ListDigest(list)
	s := drbg.New(domain, seed, d[:])
	w := min(winners, len(list))
	for i := 0; i < w; i++ {
		j := i + int(s.Below(uint64(len(list)-i)))
		list[i], list[j] = list[j], list[i]
	}
	return list[:w:w]
}
