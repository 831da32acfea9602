// Package redpacket splits a red packet (红包) into shares, in integer cents,
// never floats.
//
// A packet of total cents for n claimers is split once, when it is sent, and
// the shares are stored with it, so a crash or a retry cannot change who gets
// what: share i goes to the i-th successful claim.
//
// # Modes
//
// ModeEqual gives every share total/n cents, and the first total%n shares
// one cent more.
//
// ModeLucky is WeChat's "double average" split, drawn from a seed with the
// stream of package drbg (domain "qun-redpacket-v1", one part: the seed).
// With r cents and k shares left, each share but the last is
//
//	1 + Below(min(⌊2r/k⌋, r − (k − 1)))
//
// so it is at least one cent, at most twice the average of what is left, and
// leaves at least one cent for every later share; the last share is what is
// left. Every share is ≥ 1 and the shares sum exactly to total. Anyone with
// the seed can recompute the split.
//
// # Bounds
//
// Config bounds a packet (total > 0, 1 ≤ n ≤ MaxCount, total ≥ n cents,
// total ≤ MaxTotal); a packet out of bounds is refused with a sentinel error
// and nothing is split. The package is pure and imports only drbg from Qun.
package redpacket
