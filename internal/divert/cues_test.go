package divert

import "testing"

// TestCueStart keeps the fast pre-check in step with the cue table.
func TestCueStart(t *testing.T) {
	for _, k := range cues {
		if !cueStart(k.runes[0]) {
			t.Errorf("cueStart(%q) = false for cue %q", k.runes[0], string(k.runes))
		}
	}
	for r := range cueIndex {
		if !cueStart(r) {
			t.Errorf("cueIndex has %q, cueStart does not", r)
		}
	}
}
