package bench

import (
	"bytes"
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"testing"
)

var (
	svgRe      = regexp.MustCompile(`(?s)<svg .*?</svg>`)
	polylineRe = regexp.MustCompile(`<polyline [^>]*points="([^"]*)"`)
	jsonRe     = regexp.MustCompile(`(?s)<pre id="json">(.*?)</pre>`)
)

// checkHTML checks that page is self-contained, has the two plots with
// wantLines lines each, and carries the report's JSON; it returns the
// points of each plot's lines.
func checkHTML(t *testing.T, page string, wantLines int) (latency, timeline [][]string, obj map[string]any) {
	t.Helper()
	for _, bad := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page is not self-contained: contains %q", bad)
		}
	}
	svgs := svgRe.FindAllString(page, -1)
	if len(svgs) != 2 {
		t.Fatalf("%d svg plots, want 2", len(svgs))
	}
	lines := func(svg string) [][]string {
		var out [][]string
		for _, m := range polylineRe.FindAllStringSubmatch(svg, -1) {
			out = append(out, strings.Fields(m[1]))
		}
		return out
	}
	latency, timeline = lines(svgs[0]), lines(svgs[1])
	if len(latency) != wantLines || len(timeline) != wantLines {
		t.Fatalf("lines: latency %d, timeline %d, want %d each", len(latency), len(timeline), wantLines)
	}
	m := jsonRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no JSON section")
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &obj); err != nil {
		t.Fatalf("JSON section does not parse: %v", err)
	}
	return latency, timeline, obj
}

func TestHTMLReportOfARun(t *testing.T) {
	rep, _ := smoke(t, Config{Scenario: "fanout", Members: 5, Rate: 200})
	var buf bytes.Buffer
	if err := rep.HTML(&buf); err != nil {
		t.Fatal(err)
	}
	lat, tl, obj := checkHTML(t, buf.String(), 1)
	if len(lat[0]) != len(curveQuantiles) {
		t.Errorf("latency curve has %d points, want %d", len(lat[0]), len(curveQuantiles))
	}
	// warm-up 200 ms + 1 s window + drain, sampled every >= 100 ms
	if len(tl[0]) < 8 {
		t.Errorf("timeline has %d points, want >= 8", len(tl[0]))
	}
	inWindow := 0.0
	for _, p := range rep.Timeline {
		if p.T > 0 && p.T <= rep.Seconds {
			inWindow += p.DeliveriesPerSec
		}
	}
	if inWindow <= 0 {
		t.Errorf("no deliveries in the window's timeline: %+v", rep.Timeline)
	}
	for i := 1; i < len(rep.Latency.Curve); i++ {
		if rep.Latency.Curve[i].Ms < rep.Latency.Curve[i-1].Ms {
			t.Errorf("latency curve decreases: %+v", rep.Latency.Curve)
		}
	}
	lm, _ := obj["latency_ms"].(map[string]any)
	if c, _ := lm["curve"].([]any); len(c) != len(curveQuantiles) {
		t.Errorf("JSON latency_ms.curve has %d entries", len(c))
	}
	if tlj, _ := obj["timeline"].([]any); len(tlj) != len(rep.Timeline) {
		t.Errorf("JSON timeline has %d entries, report %d", len(tlj), len(rep.Timeline))
	}
}

func TestHTMLReportRoundsAndPeer(t *testing.T) {
	mk := func(system string, p99 float64) Result {
		return Result{
			Scenario: "fanout", System: system, Mode: "in-process", DeliveriesPerSec: 1000, Seconds: 1,
			Latency:  Latency{P99: p99, Curve: []Percentile{{0, 0.1}, {50, 0.5}, {99, p99}, {100, 2 * p99}}},
			Timeline: []Point{{-0.1, 500, 50}, {0.5, 1000, 100}, {1, 1000, 100}},
		}
	}
	q1, q2, p1, p2 := mk("qun", 1), mk("qun", 1.2), mk("nats <core>", 0.8), mk("nats <core>", 0.9)
	rep := &Report{Result: q1, Config: Config{Scenario: "fanout"}, QunRounds: []Result{q1, q2}, Peer: &p1, PeerRound: []Result{p1, p2}, Ratio: &Ratio{P99: 1.2}}
	var buf bytes.Buffer
	if err := rep.HTML(&buf); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	checkHTML(t, page, 4)
	for _, want := range []string{"qun round 2", "nats &lt;core&gt; round 1", "measured window", "p99.9"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "nats <core>") {
		t.Error("a system name was not escaped")
	}
	// no samples at all: the page says so instead of drawing empty axes
	buf.Reset()
	if err := (&Report{Result: Result{Scenario: "resync", System: "qun"}}).HTML(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "No latency was recorded") || !strings.Contains(buf.String(), "No timeline") {
		t.Errorf("empty report:\n%s", buf.String())
	}
}
