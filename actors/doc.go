// Package actors holds Qun's grains: the group grain, the user grain, and the
// per-node delivery hub.
//
// # State machines and grains
//
// Group and user logic live in plain state machines (GroupMachine,
// UserMachine): a Command (caller, op, msgpack arguments, and the time as an
// input) goes in, Effects come out — records to persist, a reply and when it
// may be sent, a history read, subscription changes. They do no I/O, so
// most tests are fast table tests. The grains only carry effects out.
//
// Every state change of a group is a journal record with the group's next
// seq (1, 2, 3, …); the record's message is what clients see in history, so
// joins and leaves show as system events. A grain applies a record at once
// (later commands see it), hands a batch of records to the store (group
// commit: the grain keeps working while a batch is in flight), and only when
// the store reports the batch durable does it reply to the senders and push
// the messages to online members. A failed commit stops the grain; the next
// activation recovers from the snapshot plus the journal tail.
//
// # Files
//
// The group machine, bottom up (each file uses only those above it):
// config.go (GroupConfig, limits), keys.go (every storage key and actor
// name), ops.go (internal op codes), effects.go (Command, Effects, records),
// state.go, apply.go (the only place group state changes), snapshot.go
// (snapshot, restore, replay, aux load), guards.go (checks returning
// *wire.Error, and the gates an op can declare), then the handlers by
// concept — joining.go, moderation.go, profile.go, content.go — and
// fans.go, notices.go, mentions.go, recall.go and divert.go (fan groups
// and creator tools, configured by fans_config.go), and
// optable.go, the one table every group op is a row of: the gate the caller
// must pass (exists, member, live member, minimum role, inviter, joinable),
// whether the target may be the caller, whether host facts are read, and the
// handler, which receives its arguments decoded (req[T]). A new group op is
// one row and its handler.
//
// Commerce (commerce.go: state, host calls as effects, Tick, HostDone;
// packet.go, lottery.go, coupon.go, order.go: the handlers;
// commerce_retry.go: backoff and refused credits; commerce_prune.go:
// finished items leave after a retention; commerce_kind.go: shop and order
// group kinds) keeps money out
// of the machine: a debit, credit or coupon issue is an effect the grain
// makes once the record it depends on is durable, and its outcome comes
// back as an input. commerce_grain.go makes those calls and keeps the due
// time; timers.go is the node's durable timer (a sorted due-time index in
// the store, scanned every TimerPeriod, waking groups that are due).
//
// Around it: group_grain.go carries a machine's effects out (every grain
// kind runs on dispatcher.go's warm workers), batch.go runs a connection's
// pb.Batch of calls and answers them in pb.BatchResult messages; encoded.go
// keeps each message's bytes from when it was written, so journal entries,
// history pages and push frames splice them instead of decoding and
// re-encoding; user_machine.go and user_grain.go are the user's; hub.go is
// delivery; index_text.go (folding, ranking, query validation),
// index_geo.go (distances, grids), index.go (the pure index) and
// index_actor.go (the node's index actor) are discovery.
//
// Live rooms: room_config.go (RoomConfig), room_state.go (the room's state,
// chatter ring, node counts, its events in apply), room.go (its op table:
// rows of a room's own ops and of group ops a room overrides),
// room_grain.go (history merging journal and chatter; batches to hubs),
// room_merge.go (merge windows, lanes and sampling as plain logic) and
// hub_room.go (the hub's viewers, windows and online counts).
//
// # Fan-out
//
// A node has one Hub actor. Hubs watch the groups their connections belong
// to (a lease renewed every WatchTTL/3). A group encodes each push frame
// once and sends it to each watching hub — one actor message per node, not
// per member; the hub writes the same bytes to every subscribed connection.
//
// # Concurrency
//
// Grain and hub state is touched only inside Receive. Store callbacks run on
// the store's goroutine and only send a message back to the grain. Messages
// that cross nodes are the protobuf types in package pb; arguments and
// results inside them are msgpack bytes decoded into concrete types.
//
// # Imports
//
// actors imports wire, persistence and Proto.Actor; never engine or cluster.
package actors
