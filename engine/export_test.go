package engine

// OversizeFrames is how many frames over max_frame the engines of this test
// process tried to write (framecheck.go).
func OversizeFrames() int64 { return oversizeFrames.Load() }

// FailStore makes an engine's store fail-stop, as a disk error would
// (persistence.PebbleStore.Fail).
func FailStore(e *Engine, cause error) { e.store.(interface{ Fail(error) }).Fail(cause) }
