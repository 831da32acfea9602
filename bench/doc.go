// Package bench is qunbench's library: a load generator that drives real
// TCP connections through the Go client against a Qun node (started
// in-process, spawned as a child process, or given by address), and runs
// the same load shape against nats-server for a ratio measured in the same
// run on the same machine.
//
// # Scenarios
//
//   - fanout: one group of Members online members; Senders of them send.
//   - groups: Groups groups of Members members drawn from Users connections.
//   - room: fanout with a very large group (default 10 000 members, 20 msg/s).
//   - connect: Conns connections opened at Rate/s, each joining Join groups;
//     reports connections/s, connect latency and idle memory per connection.
//   - resync: Conns clients go away, Missed messages per group are sent, and
//     all reconnect at once and resync.
//   - persist: durable sends/s across Groups groups, nobody else online.
//
// # Measurement
//
// Paced runs are open loop: send k of sender j is due at t0 + (k·S + j)/rate;
// a late send goes out at once and carries its due time, so a stall shows in
// the latency instead of vanishing (no coordinated omission). Rate 0 is
// saturation: a closed loop with a bounded window of unacknowledged sends per
// connection and the same delivery-lag gate for every system. Latency is from
// the time carried in the payload to receipt, on this process's monotonic
// clock, in an HDR histogram (1 µs .. 2 min, 3 digits). A warm-up runs the
// same load first and is not counted; every loop is bounded in count and
// time, and Duration bounds each round.
//
// Readers are equally lean for both systems: Qun readers take push frames
// raw (client.Options.OnFrame) and walk the msgpack only for each message's
// seq and the first 16 bytes of its text; NATS readers are plain
// subscription callbacks that read the same header from the payload.
//
// # Imports
//
// bench imports engine, client and wire (and hdrhistogram-go, nats.go).
// Only cmd/qunbench imports bench.
package bench
