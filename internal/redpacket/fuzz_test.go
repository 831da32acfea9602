package redpacket

import "testing"

// FuzzSplit: any input is either refused with an error or split into n
// shares of at least one cent summing exactly to total.
func FuzzSplit(f *testing.F) {
	f.Add(int64(888), int64(8), uint8(ModeLucky), []byte("0123456789abcdef"))
	f.Add(int64(10), int64(4), uint8(ModeEqual), []byte(nil))
	f.Add(int64(-1), int64(0), uint8(7), []byte("x"))
	f.Fuzz(func(t *testing.T, total, n int64, mode uint8, seed []byte) {
		shares, err := Split(total, n, Mode(mode), seed)
		if err != nil {
			if shares != nil {
				t.Fatal("shares with an error")
			}
			return
		}
		checkShares(t, total, n, shares)
	})
}
