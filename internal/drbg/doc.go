// Package drbg is a small deterministic random stream, SHA-256 in counter
// mode, fully specified here so that anyone can recompute a red-packet split
// or a lottery draw from its seed in any language:
//
//	key      = SHA-256( for each input x in (domain, part1, part2, …):
//	                    uint64_be(len(x)) ‖ x )
//	block(i) = SHA-256( key ‖ uint64_be(i) )          i = 0, 1, 2, …
//
// Each block gives four 64-bit words, read big-endian in order; Uint64
// returns the words of block 0, then block 1, and so on.
//
// Below(n) returns a uniform integer in [0, n) by rejection: with
// t = (2^64 − n) mod n, it draws words until one, x, is ≥ t, and returns
// x mod n. (For n = 1 it still consumes one word.)
//
// The stream is not a secret-keeping generator: it is as unpredictable as
// its seed and no more. It is pure and allocation-free, and imports none of
// Qun's packages.
package drbg
