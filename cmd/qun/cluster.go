package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/qunchat/qun/engine"
)

// Operations: cluster status reads a node's admin listener (qund --admin,
// GET /cluster with the admin token), not the client protocol: it is an
// operator's view (members, shards, leaders, raft indexes), guarded by the
// admin token like /metrics, and needs no user token.

var clusterCommands = []command{
	{name: "cluster", args: "status [--admin ADDR,...] [--admin-token T] [--json]", min: 1, max: 1, conn: needNothing,
		help: "nodes, shards, leaders, terms, applied/commit indexes and lag, from each node's admin listener",
		check: func(x *cli) error {
			if x.pos[0] != "status" {
				return usagef("usage: qun cluster status [--admin ADDR,...] [--admin-token T] [--json]")
			}
			return nil
		},
		run: cmdClusterStatus},
}

// clusterOpts are the flags of cluster status.
type clusterOpts struct {
	admin, token string
	json         bool
}

func newClusterOpts(fs *flag.FlagSet) *clusterOpts {
	c := &clusterOpts{}
	fs.StringVar(&c.admin, "admin", env("QUN_ADMIN", "127.0.0.1:7401"), "admin listener(s) of qund, comma-separated (cluster status; QUN_ADMIN)")
	fs.StringVar(&c.token, "admin-token", os.Getenv("QUN_ADMIN_TOKEN"), "qund's --admin-token (cluster status; QUN_ADMIN_TOKEN)")
	fs.BoolVar(&c.json, "json", false, "print the nodes' JSON as they sent it (cluster status)")
	return c
}

// maxStatusBytes bounds a /cluster answer (4096 shards of a few hundred
// bytes each).
const maxStatusBytes = 16 << 20

func cmdClusterStatus(x *cli) error {
	var addrs []string
	for _, a := range strings.Split(x.o.cl.admin, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return usagef("cluster status: --admin names no address")
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	var failed []string
	for i, a := range addrs {
		raw, err := fetchClusterStatus(x, hc, a)
		if err != nil {
			failed = append(failed, a)
			fmt.Fprintf(x.out, "node %s: %v\n", a, err)
			continue
		}
		if x.o.cl.json {
			x.printf("%s\n", strings.TrimSpace(string(raw)))
			continue
		}
		var st engine.ReplicationStatus
		if err := json.Unmarshal(raw, &st); err != nil {
			return fmt.Errorf("node %s: bad /cluster answer: %w", a, err)
		}
		if i > 0 {
			x.printf("\n")
		}
		printClusterStatus(x.out, a, st)
	}
	if len(failed) > 0 {
		return fmt.Errorf("cluster status: no answer from %s", strings.Join(failed, ", "))
	}
	return nil
}

func fetchClusterStatus(x *cli, hc *http.Client, addr string) ([]byte, error) {
	url := addr
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	req, err := http.NewRequestWithContext(x.ctx, http.MethodGet, strings.TrimSuffix(url, "/")+"/cluster", nil)
	if err != nil {
		return nil, err
	}
	if x.o.cl.token != "" {
		req.Header.Set("Authorization", "Bearer "+x.o.cl.token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxStatusBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxStatusBytes {
		return nil, errors.New("answer too large")
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil
	case http.StatusUnauthorized:
		return nil, errors.New("unauthorized: pass qund's --admin-token (or QUN_ADMIN_TOKEN)")
	case http.StatusNotFound:
		return nil, errors.New("no /cluster here (is it a qund admin listener?)")
	}
	return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
}

// printClusterStatus prints one node's view: its members, then one line
// per local replica. Lag is, on a leader, the most entries a voter's
// replicated index trails the log (and which voter); on a follower, the
// committed entries it has not applied yet.
func printClusterStatus(w io.Writer, addr string, st engine.ReplicationStatus) {
	led, ready, leaderless := 0, 0, 0
	for _, s := range st.Shards {
		switch {
		case s.Local:
			led++
			if s.Ready {
				ready++
			}
		case s.Lead == 0:
			leaderless++
		}
	}
	fmt.Fprintf(w, "node %s: store %d, %d members, %d local replicas, leading %d (%d ready), %d without a known leader\n",
		addr, st.StoreID, len(st.Members), len(st.Shards), led, ready, leaderless)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  MEMBER\tSTORE\tADDRESS\tRAFT")
	members := slices.Clone(st.Members)
	slices.SortFunc(members, func(a, b engine.ReplicationMember) int { return cmpU64(a.StoreID, b.StoreID) })
	for _, m := range members {
		self := ""
		if m.Self {
			self = "*"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", self, m.StoreID, m.Address, m.RaftAddr)
	}
	_ = tw.Flush()
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  SHARD\tLEADER\tTERM\tROLE\tAPPLIED\tCOMMIT\tLAST\tLAG\tVOTERS")
	for _, s := range st.Shards {
		role := "follower"
		switch {
		case s.Local && s.Ready:
			role = "leader"
		case s.Local:
			role = "leader*" // not yet applied an entry of its term
		case s.Lead == 0:
			role = "no-leader"
		}
		lag := fmt.Sprintf("apply %d", s.Committed-min(s.Applied, s.Committed))
		if s.Local {
			worst, who := uint64(0), uint64(0)
			for id, m := range s.Match {
				if d := s.LastIndex - min(m, s.LastIndex); d >= worst && id != st.StoreID {
					worst, who = d, id
				}
			}
			lag = fmt.Sprintf("%d", worst)
			if who != 0 && worst > 0 {
				lag = fmt.Sprintf("%d (store %d)", worst, who)
			}
		}
		voters := make([]string, len(s.Voters))
		for i, v := range s.Voters {
			voters[i] = fmt.Sprint(v)
		}
		fmt.Fprintf(tw, "  %d\t%d\t%d\t%s\t%d\t%d\t%d\t%s\t%s\n", s.Shard, s.Lead, s.Term, role, s.Applied, s.Committed, s.LastIndex, lag, strings.Join(voters, ","))
	}
	_ = tw.Flush()
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
