package main

import (
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/qunchat/qun/engine"
)

// The web console (internal/console) is served on the WebSocket listener;
// its operator page reads opsData as JSON from /api/ops.

type opsData struct {
	At          int64          `json:"at"` // ms since the epoch, for rates
	Ready       string         `json:"ready"`
	Connections map[string]int `json:"connections"`
	Members     []opsMember    `json:"members"`
	Top         []opsGroup     `json:"top"`
	Metrics     []opsMetric    `json:"metrics"`
}

type opsMember struct {
	Member  string `json:"member"`
	Address string `json:"address"`
	State   string `json:"state"`
	Self    bool   `json:"self"`
}

type opsGroup struct {
	Group      string `json:"group"`
	Deliveries uint64 `json:"deliveries"`
}

type opsMetric struct {
	Name   string  `json:"name"`
	Labels string  `json:"labels,omitempty"`
	Value  float64 `json:"value"`
}

// opsFunc reads the operator data from the engine and the qun_* series of
// reg (nil: no metrics, the admin listener is off).
func opsFunc(e *engine.Engine, reg prometheus.Gatherer) func() (any, error) {
	return func() (any, error) {
		d := opsData{At: time.Now().UnixMilli(), Ready: "ready", Connections: map[string]int{"tcp": 0, "websocket": 0},
			Members: []opsMember{}, Top: []opsGroup{}, Metrics: []opsMetric{}}
		if err := e.Ready(); err != nil {
			d.Ready = err.Error()
		}
		for _, t := range e.TopGroups(10) {
			d.Top = append(d.Top, opsGroup{Group: t.Group, Deliveries: t.Deliveries})
		}
		if reg == nil {
			return d, nil
		}
		fams, err := reg.Gather()
		if err != nil {
			return nil, err
		}
		for _, f := range fams {
			if !strings.HasPrefix(f.GetName(), "qun_") {
				continue
			}
			for _, m := range f.GetMetric() {
				labels := map[string]string{}
				var ls []string
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
					ls = append(ls, l.GetName()+"="+l.GetValue())
				}
				v := sampleValue(f.GetType(), m)
				switch f.GetName() {
				case "qun_connections":
					d.Connections[labels["transport"]] = int(v)
				case "qun_cluster_member":
					d.Members = append(d.Members, opsMember{Member: labels["member"], Address: labels["address"], State: labels["state"], Self: labels["self"] == "true"})
					continue
				case "qun_build_info":
					continue
				}
				d.Metrics = append(d.Metrics, opsMetric{Name: f.GetName(), Labels: strings.Join(ls, ","), Value: v})
			}
		}
		sort.SliceStable(d.Metrics, func(i, j int) bool { return d.Metrics[i].Name < d.Metrics[j].Name })
		return d, nil
	}
}

// sampleValue is a sample's value; a histogram's is its sample count.
func sampleValue(t dto.MetricType, m *dto.Metric) float64 {
	switch t {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_HISTOGRAM:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return 0
}
