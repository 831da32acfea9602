package engine

// StopReplication closes the engine's replication node as if its replicas
// were cut off from everyone: grains stay active and the local store keeps
// its data, but no proposal commits and no read can confirm leadership.
func StopReplication(e *Engine) error { return e.repl.node.Load().Close() }
