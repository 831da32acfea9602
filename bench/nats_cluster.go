package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// startNatsCluster starts n nats-server processes with JetStream forming
// one cluster on loopback (routes between all of them, a server name each):
// the peer of a spawned Qun cluster (Config.Cluster), with streams of
// ClusterReplicas(n) replicas.
func startNatsCluster(ctx context.Context, bin string, n int) ([]*natsServer, error) {
	ports := make([]int, 2*n) // client ports, then route ports
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	routes := make([]string, n)
	for i := range routes {
		routes[i] = "nats://127.0.0.1:" + strconv.Itoa(ports[n+i])
	}
	var srvs []*natsServer
	fail := func(err error) ([]*natsServer, error) {
		for _, s := range srvs {
			s.close()
		}
		return nil, err
	}
	for i := 0; i < n; i++ {
		dir, err := os.MkdirTemp("", "qunbench-js-")
		if err != nil {
			return fail(err)
		}
		s := &natsServer{url: fmt.Sprintf("nats://127.0.0.1:%d", ports[i]), dir: dir}
		srvs = append(srvs, s)
		s.cmd = exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(ports[i]), "-js", "-sd", dir,
			"-n", "qb"+strconv.Itoa(i), "--cluster_name", "qunbench",
			"--cluster", routes[i], "--routes", strings.Join(routes, ","))
		if err := s.cmd.Start(); err != nil {
			return fail(fmt.Errorf("start nats-server: %w", err))
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; i < n; i++ {
		for {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(ports[i]), time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fail(fmt.Errorf("nats-server did not listen on port %d: %v", ports[i], err))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return srvs, nil
}
