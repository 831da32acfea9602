// Package client is Qun's Go client: it speaks the wire protocol over TCP.
// The qun CLI, the tests and qunbench use it.
//
// A Client is safe for concurrent use. Requests may be issued from many
// goroutines and are pipelined on the one connection; replies are matched by
// request id. Pushes and notices are handed to Options.OnPush and
// Options.OnNotice (or OnFrame, raw) on the reader goroutine, in the order
// the server sent them: keep those callbacks short. Frame types the client
// does not know are ignored. Tracker helps an application notice gaps in a
// group's seq and fill them with History. groups.go has a typed method for
// every operation of group rules.
//
// client imports only wire.
package client
