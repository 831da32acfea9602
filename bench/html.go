package bench

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"strings"
)

// HTML writes the report as one self-contained HTML page (no scripts, no
// external resources): the latency percentile curve of each system and
// round as inline SVG, deliveries/s (sends/s for persist and connect) over
// time, the table, and the JSON figures.
func (r *Report) HTML(w io.Writer) error {
	var table, js bytes.Buffer
	r.Table(&table)
	if err := r.JSON(&js); err != nil {
		return err
	}
	series := r.series()
	data := struct {
		Title, Config     string
		Latency, Timeline template.HTML
		Table, JSON       string
	}{
		Title:    "qunbench " + r.Scenario,
		Config:   r.Config.describe(),
		Latency:  template.HTML(latencySVG(series)),
		Timeline: template.HTML(timelineSVG(series, r.Scenario)),
		Table:    table.String(),
		JSON:     js.String(),
	}
	return htmlPage.Execute(w, data)
}

var htmlPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1000px;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}
svg{background:#fff;border:1px solid #ddd}
svg text{font:11px system-ui,sans-serif;fill:#444}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.Config}}</p>
<h2>Latency by percentile</h2>
{{.Latency}}
<h2>Throughput over time</h2>
{{.Timeline}}
<h2>Figures</h2>
<pre>{{.Table}}</pre>
<h2>JSON</h2>
<pre id="json">{{.JSON}}</pre>
</body></html>
`))

type plotSeries struct {
	name  string
	color string
	res   *Result
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}

// series lists each round of each system (or the one result per system).
func (r *Report) series() []plotSeries {
	var out []plotSeries
	add := func(system string, rounds []Result, single *Result) {
		if len(rounds) > 1 {
			for i := range rounds {
				out = append(out, plotSeries{name: fmt.Sprintf("%s round %d", system, i+1), res: &rounds[i]})
			}
		} else if single != nil {
			out = append(out, plotSeries{name: system, res: single})
		}
	}
	add(r.System, r.QunRounds, &r.Result)
	if r.Peer != nil {
		add(r.Peer.System, r.PeerRound, r.Peer)
	}
	for i := range out {
		out[i].color = palette[i%len(palette)]
	}
	return out
}

const (
	plotW, plotH           = 900, 360
	padL, padR, padT, padB = 70, 170, 20, 45
)

// nines maps a percentile to the plot's x: 0 → 0, 90 → 1, 99 → 2, 99.9 → 3; max sits at 4.5.
func nines(q float64) float64 {
	if q >= 100 {
		return 4.5
	}
	return math.Min(-math.Log10(1-q/100), 4.3)
}

func latencySVG(ss []plotSeries) string {
	var b strings.Builder
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, p := range s.res.Latency.Curve {
			v := math.Max(p.Ms, 0.001)
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		return `<p>No latency was recorded.</p>`
	}
	ylo, yhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if yhi <= ylo {
		yhi = ylo + 1
	}
	x := func(q float64) float64 { return padL + nines(q)/4.5*(plotW-padL-padR) }
	y := func(ms float64) float64 {
		return padT + (yhi-math.Log10(math.Max(ms, 0.001)))/(yhi-ylo)*(plotH-padT-padB)
	}
	svgOpen(&b, "latency percentiles")
	for e := ylo; e <= yhi; e++ {
		v := math.Pow(10, e)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>`, padL, plotW-padR, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s ms</text>`, padL-6, y(v)+4, trimNum(v))
	}
	for _, t := range []struct {
		q     float64
		label string
	}{{0, "min"}, {50, "p50"}, {90, "p90"}, {99, "p99"}, {99.9, "p99.9"}, {99.99, "p99.99"}, {100, "max"}} {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/>`, x(t.q), x(t.q), padT, plotH-padB)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(t.q), plotH-padB+16, t.label)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">percentile (log scale of nines)</text>`, (padL+plotW-padR)/2, plotH-8)
	for i, s := range ss {
		var pts []string
		for _, p := range s.res.Latency.Curve {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.Q), y(p.Ms)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, s.color, strings.Join(pts, " "))
		legend(&b, i, s, fmt.Sprintf("p99 %s ms", trimNum(s.res.Latency.P99)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func timelineSVG(ss []plotSeries, scenario string) string {
	useSends := scenario == "persist" || scenario == "connect"
	val := func(p Point) float64 {
		if useSends {
			return p.SendsPerSec
		}
		return p.DeliveriesPerSec
	}
	what := "deliveries/s"
	if useSends {
		what = "sends/s"
	}
	tlo, thi, vhi := math.Inf(1), math.Inf(-1), 0.0
	for _, s := range ss {
		for _, p := range s.res.Timeline {
			tlo, thi, vhi = math.Min(tlo, p.T), math.Max(thi, p.T), math.Max(vhi, val(p))
		}
	}
	if math.IsInf(tlo, 1) || thi <= tlo {
		return `<p>No timeline for this scenario.</p>`
	}
	if vhi <= 0 {
		vhi = 1
	}
	vhi = niceCeil(vhi * 1.05)
	x := func(t float64) float64 { return padL + (t-tlo)/(thi-tlo)*(plotW-padL-padR) }
	y := func(v float64) float64 { return padT + (1-v/vhi)*(plotH-padT-padB) }
	var b strings.Builder
	svgOpen(&b, what+" over time")
	// the measured window: [0, seconds] of the first series
	if len(ss) > 0 && ss[0].res.Seconds > 0 {
		x0, x1 := x(math.Max(0, tlo)), x(math.Min(ss[0].res.Seconds, thi))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#f3f8ff"/>`, x0, padT, math.Max(0, x1-x0), plotH-padT-padB)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">measured window</text>`, x0+4, padT+12)
	}
	for i := 0; i <= 4; i++ {
		v := vhi * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>`, padL, plotW-padR, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-6, y(v)+4, human(v))
	}
	step := niceCeil((thi - tlo) / 8)
	for t := math.Ceil(tlo/step) * step; t <= thi; t += step {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%ss</text>`, x(t), plotH-padB+16, trimNum(t))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">seconds from the start of the measured window (warm-up &lt; 0)</text>`, (padL+plotW-padR)/2, plotH-8)
	for i, s := range ss {
		var pts []string
		for _, p := range s.res.Timeline {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.T), y(val(p))))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, s.color, strings.Join(pts, " "))
		rate := s.res.DeliveriesPerSec
		if useSends {
			rate = s.res.SendsPerSec
		}
		legend(&b, i, s, what+" "+human(rate))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func svgOpen(b *strings.Builder, title string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img"><title>%s</title>`,
		plotW, plotH, plotW, plotH, html.EscapeString(title))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`, padL, padT, plotW-padL-padR, plotH-padT-padB)
}

func legend(b *strings.Builder, i int, s plotSeries, detail string) {
	ly := padT + 10 + i*34
	fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3"/>`, plotW-padR+10, plotW-padR+30, ly, ly, s.color)
	fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`, plotW-padR+36, ly+4, html.EscapeString(s.name+" ("+s.res.Mode+")"))
	fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`, plotW-padR+36, ly+18, html.EscapeString(detail))
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func trimNum(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}
