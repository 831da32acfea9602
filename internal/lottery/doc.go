// Package lottery draws lottery (抽奖) winners verifiably, by commit and
// reveal.
//
// When a lottery opens, the host calls NewSeed and publishes the hash,
// hex(SHA-256(seed)), keeping the seed secret. At the deadline it calls Draw
// with the seed and the entry list, announces the winners and reveals the
// seed. Anyone can then check Verify(hash, seed) and recompute the draw:
//
//  1. Canonical entry list: the entries sorted in ascending byte order, with
//     duplicates removed.
//  2. List digest: SHA-256 over the canonical entries, each written as
//     uint64_be(len(entry)) ‖ entry.
//  3. Stream: package drbg with domain "qun-lottery-v1" and the two parts
//     (seed, list digest): key = SHA-256 of the length-prefixed inputs,
//     block(i) = SHA-256(key ‖ uint64_be(i)), four big-endian words per
//     block; Below(n) rejects words below (2^64 − n) mod n and returns
//     word mod n.
//  4. Partial Fisher–Yates: w = min(winners, len(list)); for i = 0 … w−1,
//     j = i + Below(len(list) − i), swap list[i] and list[j]. The winners
//     are list[0:w] in that order (first prize first).
//
// Because the list digest is mixed in, the draw depends on the exact entry
// set as well as on the seed. The package is pure, allocation-light and
// imports only drbg from Qun.
//
// testdata/recompute.py is a standard-library Python reference that
// recomputes a draw (and a red-packet split) from a revealed seed; the golden
// tests of both packages were checked against it.
//
// Limits of the scheme: the host knows the seed before the deadline, so a
// dishonest host could add entries until a chosen one wins; a public beacon
// (e.g. a block hash after the deadline) mixed into the seed would close
// that, and is not built here.
package lottery
