package engine

import "github.com/qunchat/qun/persistence"

// OversizeFrames is how many frames over max_frame the engines of this test
// process tried to write (framecheck.go).
func OversizeFrames() int64 { return oversizeFrames.Load() }

// FailStore makes an in-memory engine's store fail-stop, as a disk error
// would (persistence.MemoryStore.Fail).
func FailStore(e *Engine, cause error) { e.store.(*persistence.MemoryStore).Fail(cause) }
