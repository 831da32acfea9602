package divert

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Policy is what a group does with a text that holds diversion.
type Policy uint8

// Policies. The numbers are stable; the zero value is PolicyAllow.
const (
	PolicyAllow Policy = 0 // deliver; detection is not even run
	PolicyFlag  Policy = 1 // deliver unchanged and report the matches
	PolicyMask  Policy = 2 // deliver with every matched rune replaced by ＊
	PolicyBlock Policy = 3 // refuse with ErrBlocked
)

// Errors.
var (
	// ErrBlocked refuses a text under PolicyBlock. Callers map it to a stable
	// client error code.
	ErrBlocked = errors.New("divert: contact details are not allowed in this group")
	// ErrPolicy is an unknown policy.
	ErrPolicy = errors.New("divert: unknown policy")
)

// MaskRune replaces each rune of a masked span.
const MaskRune = '＊'

var policyNames = [...]string{"allow", "flag", "mask", "block"}

// String names the policy as ParsePolicy reads it.
func (p Policy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return fmt.Sprintf("policy(%d)", uint8(p))
}

// ParsePolicy reads "allow", "flag", "mask" or "block".
func ParsePolicy(s string) (Policy, error) {
	for i, n := range policyNames {
		if s == n {
			return Policy(i), nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrPolicy, s)
}

// Apply applies policy p to text. It returns the text to deliver and the
// matches (nil under PolicyAllow). Under PolicyBlock a text with matches
// returns "", the matches and ErrBlocked; a text without returns unchanged.
func Apply(p Policy, text string) (string, []Match, error) {
	switch p {
	case PolicyAllow:
		return text, nil, nil
	case PolicyFlag, PolicyMask, PolicyBlock:
	default:
		return "", nil, fmt.Errorf("%w: %d", ErrPolicy, uint8(p))
	}
	ms := Detect(text)
	if len(ms) == 0 {
		return text, nil, nil
	}
	switch p {
	case PolicyMask:
		return Mask(text, ms), ms, nil
	case PolicyBlock:
		return "", ms, ErrBlocked
	}
	return text, ms, nil
}

// Mask returns text with every rune inside the matches replaced by MaskRune
// (an invalid byte counts as one rune). ms must be sorted and non-overlapping,
// as Detect returns them.
func Mask(text string, ms []Match) string {
	var b strings.Builder
	b.Grow(len(text) + 8*len(ms))
	prev := 0
	for _, m := range ms {
		if m.Start < prev || m.End > len(text) || m.Start > m.End {
			continue
		}
		b.WriteString(text[prev:m.Start])
		for i := m.Start; i < m.End; {
			_, w := utf8.DecodeRuneInString(text[i:m.End])
			b.WriteRune(MaskRune)
			i += w
		}
		prev = m.End
	}
	b.WriteString(text[prev:])
	return b.String()
}
