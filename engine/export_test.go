package engine

// OversizeFrames is how many frames over max_frame the engines of this test
// process tried to write (framecheck.go).
func OversizeFrames() int64 { return oversizeFrames.Load() }
