package divert

import "testing"

// BenchmarkDetect runs Detect over the whole table and reports the cost per
// message and, as metrics, the false positives and false negatives over the
// table (both must be 0 for the tests to pass).
func BenchmarkDetect(b *testing.B) {
	msgs := make([]string, 0, len(positives)+len(negatives))
	for _, p := range positives {
		msgs = append(msgs, p.text)
	}
	msgs = append(msgs, negatives...)
	fp, fn := 0, 0
	for _, p := range positives {
		if !hasKind(Detect(p.text), p.kind) {
			fn++
		}
	}
	for _, s := range negatives {
		if Detect(s) != nil {
			fp++
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		Detect(msgs[i%len(msgs)])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/msg")
	b.ReportMetric(float64(fp), "false-pos")
	b.ReportMetric(float64(fn), "false-neg")
	b.ReportMetric(float64(len(positives)), "positives")
	b.ReportMetric(float64(len(negatives)), "negatives")
}

// BenchmarkDetectClean is the common case: a clean chat line.
func BenchmarkDetectClean(b *testing.B) {
	const s = "主播今天的口红色号好好看，¥88.00 的那个还有货吗？2024-11-29 晚上八点见"
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if Detect(s) != nil {
			b.Fatal("false positive")
		}
	}
}

// BenchmarkApplyMask masks a line with a WeChat id and a phone number.
func BenchmarkApplyMask(b *testing.B) {
	const s = "加我vx: abc123 或者打 138 1234 5678，扫码进群"
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, ms, _ := Apply(PolicyMask, s); len(ms) != 3 {
			b.Fatalf("got %d matches", len(ms))
		}
	}
}

// BenchmarkDetectLong is a 4 KiB text of digits and separators, the worst
// shape for the phone rule.
func BenchmarkDetectLong(b *testing.B) {
	buf := make([]byte, 0, 4096)
	for len(buf) < 4000 {
		buf = append(buf, "1 3 8 - 2 "...)
	}
	s := string(buf)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Detect(s)
	}
}
