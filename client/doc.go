// Package client is Qun's Go client: it speaks the wire protocol over TCP.
// The qun CLI, the tests and qunbench use it.
//
// A Client is safe for concurrent use. Requests may be issued from many
// goroutines and are pipelined on the one connection; replies are matched by
// request id. Pushes are handed to Options.OnPush (or OnFrame, raw) on the
// reader goroutine, in the order the server sent them: keep those callbacks
// short. Tracker helps an application notice gaps in a group's seq and fill
// them with History.
//
// client imports only wire.
package client
