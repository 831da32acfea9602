package bench

import (
	"context"
	"fmt"
)

// Run runs a scenario: Qun alone, or with Vs interleaved with the peer
// (Qun, peer, Qun, peer, …; Rounds each) and reports the medians.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	explicitRounds := cfg.Rounds > 0
	cfg = Defaults(cfg)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, _, err := FDLimit(); err != nil {
		say(&cfg, "cannot raise the file-descriptor limit: %v", err)
	}
	rep := &Report{Config: cfg}
	var extra []string
	peer := ""
	if cfg.Vs == "nats" || cfg.Vs == "nats-js" {
		switch bin := FindNatsServer(cfg.NatsServer); {
		case bin == "":
			msg := "nats-server is not installed (looked in PATH and /usr/sbin): running Qun alone, no ratio"
			say(&cfg, "%s", msg)
			extra = append(extra, msg)
		case cfg.Scenario == "resync":
			msg := "resync has no NATS core equivalent (NATS core keeps no history): running Qun alone"
			say(&cfg, "%s", msg)
			extra = append(extra, msg)
		default:
			peer = bin
		}
	}
	rounds := cfg.Rounds
	if peer == "" && !explicitRounds {
		rounds = 1
	}
	var qs, ps []Result
	for r := 0; r < rounds; r++ {
		q, err := runRound(ctx, &cfg, "", r == rounds-1)
		if err != nil {
			return nil, err
		}
		qs = append(qs, q)
		if peer != "" {
			p, err := runRound(ctx, &cfg, peer, false)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
	}
	rep.Result = median(qs)
	rep.Notes = append(rep.Notes, extra...)
	if len(qs) > 1 {
		rep.QunRounds = qs
	}
	if peer != "" {
		p := median(ps)
		rep.Peer = &p
		rep.PeerRound = ps
		rep.Ratio = &Ratio{
			DeliveriesPerSec: ratio(rep.DeliveriesPerSec, p.DeliveriesPerSec),
			P99:              ratio(rep.Latency.P99, p.Latency.P99),
			SendsPerSec:      ratio(rep.SendsPerSec, p.SendsPerSec),
		}
		if cfg.Scenario == "connect" {
			rep.Ratio.DeliveriesPerSec = 0
			rep.Ratio.SendsPerSec = ratio(rep.ConnsPerSec, p.ConnsPerSec)
		}
	}
	return rep, nil
}

func say(cfg *Config, format string, args ...any) {
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "qunbench: "+format+"\n", args...)
	}
}

// runRound runs one round of the scenario against Qun (peerBin == "") or
// against nats-server.
func runRound(ctx context.Context, cfg *Config, peerBin string, last bool) (Result, error) {
	switch cfg.Scenario {
	case "connect":
		if peerBin != "" {
			return runConnectNats(ctx, cfg, peerBin)
		}
		return runConnectQun(ctx, cfg, last)
	case "resync":
		return runResync(ctx, cfg, last)
	}
	var sh *shape
	switch cfg.Scenario {
	case "fanout":
		sh = fanoutShape(cfg)
	case "room":
		sh = roomShape(cfg)
	case "groups":
		sh = groupsShape(cfg)
	case "persist":
		sh = persistShape(cfg)
	}
	if peerBin != "" {
		return runLoad(ctx, cfg, &natsLoad{bin: peerBin, jetstream: cfg.Scenario == "persist"}, sh, cfg.Scenario, roundHooks{})
	}
	q := &qunLoad{}
	var fs0 int64
	hooks := roundHooks{
		windowOpen: func() {
			if st, err := q.srv.stats(false); err == nil {
				fs0 = st.Fsyncs
			}
			if last {
				profileStart(cfg, q.srv)
			}
		},
	}
	var fsyncs int64 = -1
	hooks.windowClose = func() {
		if last {
			profileStop(cfg, q.srv)
		}
		if st, err := q.srv.stats(false); err == nil {
			fsyncs = st.Fsyncs - fs0
		}
	}
	res, err := runLoad(ctx, cfg, q, sh, cfg.Scenario, hooks)
	if fsyncs > 0 {
		res.Fsyncs = fsyncs
	}
	return res, err
}

func profileStart(cfg *Config, s *qunServer) {
	path := cfg.CPUProfile
	if s.mode == ModeSpawn {
		path = cfg.ServerProfile
	}
	if path == "" {
		return
	}
	if err := s.startProfile(path); err != nil {
		say(cfg, "profile: %v", err)
	}
}

func profileStop(cfg *Config, s *qunServer) {
	if (s.mode == ModeSpawn && cfg.ServerProfile != "") || (s.mode == ModeInProcess && cfg.CPUProfile != "") {
		s.stopProfile()
	}
}
