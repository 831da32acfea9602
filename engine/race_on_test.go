//go:build race

package engine_test

// raceEnabled: the test binary (and so every child process it starts) is
// built with the race detector, which slows it several times.
const raceEnabled = true
