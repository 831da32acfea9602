package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
)

// Result is what one system did in a scenario: one round, or the medians
// of several rounds.
type Result struct {
	Scenario         string  `json:"scenario"`
	System           string  `json:"system"` // "qun", "nats", "nats-jetstream"
	Mode             string  `json:"mode"`   // where the server ran: in-process, spawn, external, process
	DeliveriesPerSec float64 `json:"deliveries_per_sec"`
	SendsPerSec      float64 `json:"sends_per_sec"`
	Latency          Latency `json:"latency_ms"`
	Errors           int64   `json:"errors"`
	ServerCPU        float64 `json:"server_cpu_s"`  // CPU seconds during the measured window (-1 unknown)
	ServerRSSMB      float64 `json:"server_rss_mb"` // peak RSS during the round (-1 unknown)

	SlowConsumers int64   `json:"slow_consumers"`
	Gaps          int64   `json:"gaps"`
	Deliveries    int64   `json:"deliveries"`
	Sends         int64   `json:"sends"`
	Seconds       float64 `json:"seconds"` // length of the measured window
	Rounds        int     `json:"rounds"`

	// Scenario-specific figures.
	Conns           int     `json:"conns,omitempty"`
	ConnsPerSec     float64 `json:"conns_per_sec,omitempty"`
	IdleConnKB      float64 `json:"idle_conn_kb,omitempty"`       // server RSS growth per idle connection
	IdleConnHeapKB  float64 `json:"idle_conn_heap_kb,omitempty"`  // Go heap in use per connection (Qun, spawn)
	IdleConnStackKB float64 `json:"idle_conn_stack_kb,omitempty"` // goroutine stacks per connection (Qun, spawn)
	Replayed        int64   `json:"replayed,omitempty"`           // resync: messages pushed during resyncs
	Fsyncs          int64   `json:"fsyncs,omitempty"`             // persist, in-process: WAL fsyncs in the window
	// room: per priority, and what was shed.
	HighPerSec     float64  `json:"high_deliveries_per_sec,omitempty"`
	HighLatency    *Latency `json:"high_latency_ms,omitempty"`
	HighLost       int64    `json:"high_lost,omitempty"`       // gift deliveries due in the window that never arrived
	ChatterSkipped int64    `json:"chatter_skipped,omitempty"` // chatter left out of viewers' frames
	Refused        int64    `json:"refused,omitempty"`         // sends refused with rate_limited

	// Timeline: deliveries/s and sends/s per interval of about 100 ms,
	// warm-up (t < 0), window and drain (load scenarios).
	Timeline []Point `json:"timeline,omitempty"`

	Notes []string `json:"notes,omitempty"`
}

// Ratio is Qun ÷ peer: deliveries_per_sec above 1 and p99 below 1 favour Qun.
type Ratio struct {
	DeliveriesPerSec float64 `json:"deliveries_per_sec"`
	P99              float64 `json:"p99"`
	SendsPerSec      float64 `json:"sends_per_sec"`
}

// Report is the outcome of a run: Qun's result (fields inline), and with a
// peer the peer's result and the ratio.
type Report struct {
	Result
	Config    Config   `json:"config"`
	Peer      *Result  `json:"peer,omitempty"`
	Ratio     *Ratio   `json:"ratio,omitempty"`
	QunRounds []Result `json:"qun_rounds,omitempty"`
	PeerRound []Result `json:"peer_rounds,omitempty"`
}

// JSON writes the report as one JSON object.
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func ratio(a, b float64) float64 {
	if b <= 0 || a < 0 {
		return 0
	}
	return round3(a / b)
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// median combines rounds of one system field by field.
func median(rs []Result) Result {
	if len(rs) == 0 {
		return Result{}
	}
	if len(rs) == 1 {
		r := rs[0]
		r.Rounds = 1
		return r
	}
	out := rs[0]
	out.Rounds = len(rs)
	med := func(get func(*Result) float64) float64 {
		v := make([]float64, len(rs))
		for i := range rs {
			v[i] = get(&rs[i])
		}
		sort.Float64s(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	out.DeliveriesPerSec = math.Round(med(func(r *Result) float64 { return r.DeliveriesPerSec }))
	out.SendsPerSec = math.Round(med(func(r *Result) float64 { return r.SendsPerSec }))
	out.Latency.P50 = med(func(r *Result) float64 { return r.Latency.P50 })
	out.Latency.P99 = med(func(r *Result) float64 { return r.Latency.P99 })
	out.Latency.P999 = med(func(r *Result) float64 { return r.Latency.P999 })
	out.Latency.Max = med(func(r *Result) float64 { return r.Latency.Max })
	out.Latency.N = int64(med(func(r *Result) float64 { return float64(r.Latency.N) }))
	out.ServerCPU = round3(med(func(r *Result) float64 { return r.ServerCPU }))
	out.ServerRSSMB = round3(med(func(r *Result) float64 { return r.ServerRSSMB }))
	out.Seconds = round3(med(func(r *Result) float64 { return r.Seconds }))
	out.ConnsPerSec = math.Round(med(func(r *Result) float64 { return r.ConnsPerSec }))
	out.IdleConnKB = round3(med(func(r *Result) float64 { return r.IdleConnKB }))
	out.IdleConnHeapKB = round3(med(func(r *Result) float64 { return r.IdleConnHeapKB }))
	out.IdleConnStackKB = round3(med(func(r *Result) float64 { return r.IdleConnStackKB }))
	out.HighPerSec = math.Round(med(func(r *Result) float64 { return r.HighPerSec }))
	if out.HighLatency != nil {
		hl := *out.HighLatency
		hl.P99 = med(func(r *Result) float64 { return orZero(r.HighLatency).P99 })
		hl.P50 = med(func(r *Result) float64 { return orZero(r.HighLatency).P50 })
		out.HighLatency = &hl
	}
	// Counts of bad events add up: one slow consumer in any round matters.
	out.Errors, out.SlowConsumers, out.Gaps, out.Deliveries, out.Sends, out.Replayed, out.Fsyncs = 0, 0, 0, 0, 0, 0, 0
	out.HighLost, out.ChatterSkipped, out.Refused = 0, 0, 0
	for _, r := range rs {
		out.HighLost += r.HighLost
		out.ChatterSkipped += r.ChatterSkipped
		out.Refused += r.Refused
		out.Errors += r.Errors
		out.SlowConsumers += r.SlowConsumers
		out.Gaps += r.Gaps
		out.Deliveries += r.Deliveries
		out.Sends += r.Sends
		out.Replayed += r.Replayed
		out.Fsyncs += r.Fsyncs
	}
	return out
}

func human(v float64) string {
	switch {
	case v < 0:
		return "n/a"
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func msStr(v float64) string {
	if v < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", v)
}

// Table writes the report for people.
func (r *Report) Table(w io.Writer) {
	cols := []*Result{&r.Result}
	if r.Peer != nil {
		cols = append(cols, r.Peer)
	}
	fmt.Fprintf(w, "scenario %s — %s\n", r.Scenario, r.Config.describe())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "\t"
	for _, c := range cols {
		head += c.System + " (" + c.Mode + ")\t"
	}
	if r.Ratio != nil {
		head += "qun÷peer\t"
	}
	fmt.Fprintln(tw, head)
	row := func(name string, get func(*Result) string, ratio string) {
		line := name + "\t"
		for _, c := range cols {
			line += get(c) + "\t"
		}
		if r.Ratio != nil {
			line += ratio + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	rat := func(v float64) string {
		if r.Ratio == nil || v == 0 {
			return ""
		}
		return fmt.Sprintf("%.2f×", v)
	}
	if r.Scenario == "connect" {
		row("connections/s", func(c *Result) string { return human(c.ConnsPerSec) }, "")
		row("idle KB/conn (RSS)", func(c *Result) string { return fmt.Sprintf("%.1f", c.IdleConnKB) }, "")
		row("  heap KB/conn", func(c *Result) string { return fmt.Sprintf("%.1f", c.IdleConnHeapKB) }, "")
		row("  stack KB/conn", func(c *Result) string { return fmt.Sprintf("%.1f", c.IdleConnStackKB) }, "")
	} else {
		if r.Scenario != "persist" {
			row("deliveries/s", func(c *Result) string { return human(c.DeliveriesPerSec) }, rat(r.ratioD()))
		}
		row("sends/s (accepted)", func(c *Result) string { return human(c.SendsPerSec) }, rat(r.ratioS()))
	}
	row("latency p50 ms", func(c *Result) string { return msStr(c.Latency.P50) }, "")
	row("latency p99 ms", func(c *Result) string { return msStr(c.Latency.P99) }, rat(r.ratioP()))
	row("latency p99.9 ms", func(c *Result) string { return msStr(c.Latency.P999) }, "")
	row("latency max ms", func(c *Result) string { return msStr(c.Latency.Max) }, "")
	if r.Scenario == "room" {
		row("high deliveries/s", func(c *Result) string { return human(c.HighPerSec) }, "")
		row("high p99 ms", func(c *Result) string { return msStr(orZero(c.HighLatency).P99) }, "")
		row("high lost", func(c *Result) string { return fmt.Sprint(c.HighLost) }, "")
		row("chatter skipped", func(c *Result) string { return fmt.Sprint(c.ChatterSkipped) }, "")
		row("refused (rate_limited)", func(c *Result) string { return fmt.Sprint(c.Refused) }, "")
	}
	row("errors", func(c *Result) string { return fmt.Sprint(c.Errors) }, "")
	row("slow consumers", func(c *Result) string { return fmt.Sprint(c.SlowConsumers) }, "")
	row("gaps seen", func(c *Result) string { return fmt.Sprint(c.Gaps) }, "")
	row("server CPU s", func(c *Result) string { return fmt.Sprintf("%.2f", c.ServerCPU) }, "")
	row("server peak RSS MB", func(c *Result) string { return fmt.Sprintf("%.1f", c.ServerRSSMB) }, "")
	row("rounds (median)", func(c *Result) string { return fmt.Sprint(c.Rounds) }, "")
	tw.Flush()
	seen := map[string]bool{}
	for _, c := range cols {
		for _, n := range c.Notes {
			if !seen[n] {
				seen[n] = true
				fmt.Fprintf(w, "note (%s): %s\n", c.System, n)
			}
		}
	}
}

func (r *Report) ratioD() float64 {
	if r.Ratio == nil {
		return 0
	}
	return r.Ratio.DeliveriesPerSec
}
func (r *Report) ratioS() float64 {
	if r.Ratio == nil {
		return 0
	}
	return r.Ratio.SendsPerSec
}
func (r *Report) ratioP() float64 {
	if r.Ratio == nil {
		return 0
	}
	return r.Ratio.P99
}

func (c Config) describe() string {
	var b strings.Builder
	rate := "saturation"
	if c.Rate > 0 {
		rate = fmt.Sprintf("%g/s", c.Rate)
	}
	switch c.Scenario {
	case "fanout", "room":
		fmt.Fprintf(&b, "members %d, senders %d, rate %s", c.Members, c.Senders, rate)
	case "groups":
		fmt.Fprintf(&b, "groups %d × members %d from users %d, senders %d, rate %s per group", c.Groups, c.Members, c.Users, c.Senders, rate)
	case "persist":
		fmt.Fprintf(&b, "groups %d, senders %d, rate %s", c.Groups, c.Senders, rate)
	case "connect":
		fmt.Fprintf(&b, "conns %d at %g/s, each joins %d groups", c.Conns, c.Rate, c.Join)
	case "resync":
		fmt.Fprintf(&b, "conns %d in %d groups, %d missed per group", c.Conns, c.Groups, c.Missed)
	}
	fmt.Fprintf(&b, ", payload %d B, duration %s, warm-up %s", c.Payload, c.Duration, c.Warmup)
	if c.NoCMID {
		b.WriteString(", no client message ids")
	}
	return b.String()
}

func orZero(l *Latency) Latency {
	if l == nil {
		return Latency{}
	}
	return *l
}
