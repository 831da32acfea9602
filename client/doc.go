// Package client is Qun's Go client: it speaks the wire protocol over TCP.
// The qun CLI, the tests and qunbench use it.
//
// Two levels:
//
//   - Client (connection.go) is one authenticated connection. It is safe for
//     concurrent use: requests may be issued from many goroutines and are
//     pipelined; replies are matched by request id. Pushes and notices are
//     handed to Options.OnPush and Options.OnNotice (or OnFrame, raw) on the
//     reader goroutine, in the order the server sent them: keep those
//     callbacks short. Frame types the client does not know are ignored.
//   - Session (session.go, subscription.go) is a connection that stays up,
//     for bots and user interfaces: it reconnects with bounded backoff,
//     resyncs, and gives each subscribed group as an ordered stream without
//     duplicates, filling gaps from history (Subscription.Next); its
//     SendText retries with the same client message id until the message is
//     acknowledged, so a retry never posts twice. Tracker is the bare
//     seq bookkeeping, for applications that do their own.
//
// Typed methods, one per operation, are filed by the protocol's concepts:
// joining.go (create, join, leave, requests, invite codes, invites),
// content.go (send, history, resync, members, info, announcements, pins,
// stats), moderation.go (profile and rules, roles, kick, ban, mute,
// transfer, dissolve), mygroups.go (the caller's own list) and
// discovery.go (search, nearby, profiles). A new operation is one method
// there, usually one Call.
//
// client imports only wire.
package client
