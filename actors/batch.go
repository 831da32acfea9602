package actors

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/qunchat/qun/actors/pb"
)

// Batched calls: a connection hands a group grain every call it has read
// for the group in one pb.Batch. The grain runs them one by one through the
// op table exactly as if each had come alone (their writes join the batch
// being gathered, so they reach the store in one commit), and answers them
// in pb.BatchResult messages to the batch's reply PID: every answer ready
// at the same moment (at once, or when a commit becomes durable) goes in
// one message. No answer leaves before its writes are durable.

// replyTo is where one call's answer goes: a PID, and for a batched call
// its correlation id. The zero value answers nobody.
type replyTo struct {
	pid     *actor.PID
	corr    uint64
	batched bool // answer in a pb.BatchResult under corr
}

// outBatch gathers the answers bound for one reply PID.
type outBatch struct {
	pid *actor.PID
	res *pb.BatchResult
}

// callBatch runs a batch's calls in order.
func (g *groupGrain) callBatch(ctx actor.Context, b *pb.Batch) {
	if b.ReplyId == "" {
		return // answerable by nobody: not one of ours
	}
	to := actor.NewPID(b.ReplyAddress, b.ReplyId)
	n := min(len(b.Calls), len(b.Corr))
	for i := 0; i < n; i++ {
		g.call(ctx, b.Calls[i], replyTo{pid: to, corr: b.Corr[i], batched: true})
	}
}

// answer sends res to a single call's sender at once, or adds it to the
// answers gathered for a batch's reply PID (sent by sendAnswers when the
// message being handled is done).
func (g *groupGrain) answer(to replyTo, res *pb.Result) {
	switch {
	case to.pid == nil:
		return
	case !to.batched:
		g.system.Root.Send(to.pid, res)
		return
	}
	var o *outBatch
	for i := range g.out {
		if p := g.out[i].pid; p == to.pid || p.Equal(to.pid) {
			o = &g.out[i]
			break
		}
	}
	if o == nil {
		g.out = append(g.out, outBatch{pid: to.pid, res: &pb.BatchResult{}})
		o = &g.out[len(g.out)-1]
	}
	o.res.Results = append(o.res.Results, res)
	o.res.Corr = append(o.res.Corr, to.corr)
}

// sendAnswers sends each reply PID its gathered answers in one message.
func (g *groupGrain) sendAnswers() {
	for i := range g.out {
		g.system.Root.Send(g.out[i].pid, g.out[i].res)
		g.out[i] = outBatch{}
	}
	g.out = g.out[:0]
}
