package retrieval

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/citebot/citebot/corpus"
)

// benchQuestions are the seed-dev questions, or a few fixed ones when the
// file is missing.
func benchQuestions(b *testing.B) []string {
	var qs []string
	for _, q := range loadSeedOptional(b, *seedPath) {
		qs = append(qs, q.Question)
	}
	if len(qs) == 0 {
		qs = []string{
			"How many Britons travelled to Syria and Iraq?",
			"Who is the director general of MI5?",
			"What did the October issue of Rumiya magazine give instructions on?",
		}
	}
	return qs
}

// benchSearch runs the questions round robin, one search per iteration,
// and reports latency percentiles.
func benchSearch(b *testing.B, ix *Index, qs []string) {
	ctx := context.Background()
	for _, q := range qs { // warm the passage cache
		if _, err := ix.Search(ctx, q, SearchOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		t0 := time.Now()
		if _, err := ix.Search(ctx, qs[i%len(qs)], SearchOptions{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		i++
	}
	slices.Sort(lat)
	pct := func(p int) float64 { return float64(lat[(len(lat)-1)*p/100].Nanoseconds()) / 1e6 }
	b.ReportMetric(pct(50), "p50-ms")
	b.ReportMetric(pct(95), "p95-ms")
	b.ReportMetric(pct(99), "p99-ms")
}

func loadDefault(b *testing.B) *corpus.Corpus {
	c, err := corpus.Load(corpus.Default(), corpus.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkSearch searches the shipped corpus with the seed-dev questions.
func BenchmarkSearch(b *testing.B) {
	c := loadDefault(b)
	ix, err := Build(context.Background(), filepath.Join(b.TempDir(), "ix"), c, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	benchSearch(b, ix, benchQuestions(b))
}

// BenchmarkBuild indexes the shipped corpus.
func BenchmarkBuild(b *testing.B) {
	c := loadDefault(b)
	dir := b.TempDir()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		ix, err := Build(context.Background(), filepath.Join(dir, strconv.Itoa(n)), c, Options{})
		if err != nil {
			b.Fatal(err)
		}
		ix.Close()
		n++
	}
	b.ReportMetric(float64(len(c.Passages())), "passages")
}

// BenchmarkSearchSQuAD searches SQuAD paragraphs with SQuAD questions
// (needs -squad FILE).
func BenchmarkSearchSQuAD(b *testing.B) {
	if *squadPath == "" {
		b.Skip("no -squad file")
	}
	c, sq := loadSQuAD(b, *squadPath)
	ix, err := Build(context.Background(), filepath.Join(b.TempDir(), "ix"), c, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	var qs []string
	for _, q := range sq {
		qs = append(qs, q.Question)
	}
	benchSearch(b, ix, qs)
}

// BenchmarkBuildSQuAD indexes the SQuAD paragraphs (needs -squad FILE).
func BenchmarkBuildSQuAD(b *testing.B) {
	if *squadPath == "" {
		b.Skip("no -squad file")
	}
	c, _ := loadSQuAD(b, *squadPath)
	dir := b.TempDir()
	n := 0
	for b.Loop() {
		ix, err := Build(context.Background(), filepath.Join(dir, strconv.Itoa(n)), c, Options{})
		if err != nil {
			b.Fatal(err)
		}
		ix.Close()
		n++
	}
}
