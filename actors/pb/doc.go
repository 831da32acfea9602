// Package pb holds the protobuf messages that cross nodes between Qun's
// actors: Call/Result (grain calls whose arguments and results stay msgpack
// bytes), Deliver (one encoded push frame per node), Watch and Subscribe.
// Batch/BatchResult carry several calls for one grain and their answers.
// Proto.Actor serializes only protobuf across nodes, so every actor message
// that may leave its node is one of these.
//
// actors.pb.go is generated from actors.proto:
//
//	protoc --go_out=. --go_opt=paths=source_relative actors.proto
//
// Fields are append-only, like the wire protocol. It imports only protobuf.
package pb
