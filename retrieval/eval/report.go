package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Outcome is the verdict printed for one question: "rank N" or "MISS" for
// an answerable question that was not flagged, "ABSTAIN wrong" for one that
// was; "ABSTAIN ok" for an unanswerable question that was flagged and
// "ANSWERED wrong" for one that was not.
func (q QuestionResult) Outcome() string {
	switch {
	case q.Answerable && q.Abstained:
		return "ABSTAIN wrong"
	case q.Answerable && q.Rank > 0:
		return "rank " + strconv.Itoa(q.Rank)
	case q.Answerable:
		return "MISS"
	case q.Abstained:
		return "ABSTAIN ok"
	default:
		return "ANSWERED wrong"
	}
}

// table aligns tab-separated cells in columns two spaces apart, and trims
// the padding that empty last cells leave at the ends of lines.
type table struct {
	buf bytes.Buffer
	tw  *tabwriter.Writer
}

func newTable() *table {
	t := new(table)
	t.tw = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	return t
}

func (t *table) row(format string, args ...any) {
	fmt.Fprintf(t.tw, format, args...)
}

// writeTo flushes the table to w.
func (t *table) writeTo(w io.Writer) error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	var out bytes.Buffer
	for line := range strings.Lines(t.buf.String()) {
		out.WriteString(strings.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	_, err := w.Write(out.Bytes())
	return err
}

// WriteText prints one line per question (ID, kind, [QuestionResult.Outcome]
// and the top hit's source and paragraph), then the summary and the
// per-kind breakdown.
func (r *Report) WriteText(w io.Writer) error {
	var out bytes.Buffer
	if len(r.Results) > 0 {
		t := newTable()
		for _, q := range r.Results {
			top := ""
			if q.TopSource != "" {
				top = fmt.Sprintf("top %s ¶%d", q.TopSource, q.TopParagraph)
			}
			t.row("%s\t%s\t%s\t%s\n", q.ID, kindLabel(q.Kind), q.Outcome(), top)
		}
		t.writeTo(&out)
		out.WriteString("\n")
	}

	t := newTable()
	t.row("questions\t%d\n", r.Answerable+r.Unanswerable)
	t.row("answerable\t%d\n", r.Answerable)
	t.row("unanswerable\t%d\n", r.Unanswerable)
	t.row("hit@1\t%s\n", fracCount(r.Hit1, r.Answered1, r.Answerable))
	t.row("hit@3\t%s\n", fracCount(r.Hit3, r.Answered3, r.Answerable))
	t.row("hit@5\t%s\n", fracCount(r.Hit5, r.Answered5, r.Answerable))
	t.row("MRR\t%s\n", frac(r.MRR, r.Answerable))
	t.row("abstain accuracy\t%s\n", fracCount(r.AbstainAccuracy, r.AbstainedOK, r.Unanswerable))
	if r.Answerable > 0 {
		t.row("false abstains\t%d  (%.1f%% of answerable)\n", r.FalseAbstains, 100*r.FalseAbstainRate())
	} else {
		t.row("false abstains\t%d\n", r.FalseAbstains)
	}
	t.row("latency ms\tp50 %.3f  p95 %.3f  p99 %.3f\n", r.P50Ms, r.P95Ms, r.P99Ms)
	t.row("build ms\t%.0f\n", r.BuildMs)
	t.row("passages\t%d\n", r.Passages)
	t.row("hits scored (k)\t%d\n", r.K)
	t.writeTo(&out)

	if len(r.Kinds) > 0 {
		out.WriteString("\n")
		t := newTable()
		t.row("kind\tquestions\thit@1\thit@3\tabstain\n")
		for _, k := range r.Kinds {
			h1, h3, ab := "-", "-", "-"
			if k.Answerable > 0 {
				h1, h3 = fmt.Sprintf("%.3f", k.Hit1), fmt.Sprintf("%.3f", k.Hit3)
			}
			if k.Unanswerable > 0 {
				ab = fmt.Sprintf("%.3f", k.AbstainAccuracy)
			}
			t.row("%s\t%d\t%s\t%s\t%s\n", kindLabel(k.Kind), k.Questions, h1, h3, ab)
		}
		t.writeTo(&out)
	}
	_, err := w.Write(out.Bytes())
	return err
}

func kindLabel(kind string) string {
	if kind == "" {
		return "-"
	}
	return kind
}

// frac prints a fraction, or "n/a" when its denominator is 0.
func frac(f float64, d int) string {
	if d == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", f)
}

func fracCount(f float64, n, d int) string {
	if d == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3f  (%d/%d)", f, n, d)
}

// summaryJSON is the JSON form of a Report.
type summaryJSON struct {
	K                int                 `json:"k"`
	Answerable       int                 `json:"answerable"`
	Unanswerable     int                 `json:"unanswerable"`
	Hit1             float64             `json:"hit1"`
	Hit3             float64             `json:"hit3"`
	Hit5             float64             `json:"hit5"`
	MRR              float64             `json:"mrr"`
	AbstainAccuracy  float64             `json:"abstain_accuracy"`
	FalseAbstains    int                 `json:"false_abstains"`
	FalseAbstainRate float64             `json:"false_abstain_rate"`
	P50Ms            float64             `json:"p50_ms"`
	P95Ms            float64             `json:"p95_ms"`
	P99Ms            float64             `json:"p99_ms"`
	BuildMs          float64             `json:"build_ms"`
	Passages         int                 `json:"passages"`
	Kinds            map[string]kindJSON `json:"kinds,omitempty"`
	Questions        []questionJSON      `json:"questions,omitempty"`
}

// kindJSON holds hit rates only for a kind with answerable questions and
// abstain accuracy only for one with unanswerable questions.
type kindJSON struct {
	Questions       int      `json:"questions"`
	Answerable      int      `json:"answerable"`
	Unanswerable    int      `json:"unanswerable"`
	Hit1            *float64 `json:"hit1,omitempty"`
	Hit3            *float64 `json:"hit3,omitempty"`
	Hit5            *float64 `json:"hit5,omitempty"`
	MRR             *float64 `json:"mrr,omitempty"`
	AbstainAccuracy *float64 `json:"abstain_accuracy,omitempty"`
}

type questionJSON struct {
	ID           string  `json:"id"`
	Kind         string  `json:"kind"`
	Answerable   bool    `json:"answerable"`
	Rank         int     `json:"rank"`
	Abstained    bool    `json:"abstained"`
	Correct      bool    `json:"correct"`
	Hits         int     `json:"hits"`
	LatencyMs    float64 `json:"latency_ms"`
	TopSource    string  `json:"top_source"`
	TopParagraph int     `json:"top_paragraph"`
}

// roundMs keeps milliseconds to the microsecond.
func roundMs(ms float64) float64 { return math.Round(ms*1000) / 1000 }

func (r *Report) summary(withQuestions bool) summaryJSON {
	s := summaryJSON{
		K:                r.K,
		Answerable:       r.Answerable,
		Unanswerable:     r.Unanswerable,
		Hit1:             r.Hit1,
		Hit3:             r.Hit3,
		Hit5:             r.Hit5,
		MRR:              r.MRR,
		AbstainAccuracy:  r.AbstainAccuracy,
		FalseAbstains:    r.FalseAbstains,
		FalseAbstainRate: r.FalseAbstainRate(),
		P50Ms:            roundMs(r.P50Ms),
		P95Ms:            roundMs(r.P95Ms),
		P99Ms:            roundMs(r.P99Ms),
		BuildMs:          roundMs(r.BuildMs),
		Passages:         r.Passages,
	}
	if len(r.Kinds) > 0 {
		s.Kinds = make(map[string]kindJSON, len(r.Kinds))
		for _, k := range r.Kinds {
			kj := kindJSON{Questions: k.Questions, Answerable: k.Answerable, Unanswerable: k.Unanswerable}
			if k.Answerable > 0 {
				kj.Hit1, kj.Hit3, kj.Hit5, kj.MRR = &k.Hit1, &k.Hit3, &k.Hit5, &k.MRR
			}
			if k.Unanswerable > 0 {
				kj.AbstainAccuracy = &k.AbstainAccuracy
			}
			s.Kinds[k.Kind] = kj
		}
	}
	if withQuestions {
		s.Questions = make([]questionJSON, len(r.Results))
		for i, q := range r.Results {
			s.Questions[i] = questionJSON{
				ID:           q.ID,
				Kind:         q.Kind,
				Answerable:   q.Answerable,
				Rank:         q.Rank,
				Abstained:    q.Abstained,
				Correct:      q.Correct(),
				Hits:         q.Hits,
				LatencyMs:    roundMs(float64(q.Latency) / float64(time.Millisecond)),
				TopSource:    q.TopSource,
				TopParagraph: q.TopParagraph,
			}
		}
	}
	return s
}

// WriteJSON writes the report as one indented JSON object with the keys
// k, answerable, unanswerable, hit1, hit3, hit5, mrr, abstain_accuracy,
// false_abstain_rate (fractions 0-1), false_abstains (a count), p50_ms,
// p95_ms, p99_ms, build_ms (milliseconds, to the microsecond), passages and
// kinds (the same scores per question kind), plus questions (per-question
// results) when [Report.WithQuestions] is set.
func (r *Report) WriteJSON(w io.Writer) error {
	return writeJSON(w, r.summary(r.WithQuestions))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// compareRow is one metric of the comparison table.
type compareRow struct {
	name string
	cell func(r *Report) string
}

func compareRows(reports []*Report) []compareRow {
	rows := []compareRow{
		{"answerable", func(r *Report) string { return strconv.Itoa(r.Answerable) }},
		{"unanswerable", func(r *Report) string { return strconv.Itoa(r.Unanswerable) }},
		{"hit@1", func(r *Report) string { return frac(r.Hit1, r.Answerable) }},
		{"hit@3", func(r *Report) string { return frac(r.Hit3, r.Answerable) }},
		{"hit@5", func(r *Report) string { return frac(r.Hit5, r.Answerable) }},
		{"MRR", func(r *Report) string { return frac(r.MRR, r.Answerable) }},
		{"abstain accuracy", func(r *Report) string { return frac(r.AbstainAccuracy, r.Unanswerable) }},
		{"false abstains", func(r *Report) string { return strconv.Itoa(r.FalseAbstains) }},
		{"p50 ms", func(r *Report) string { return fmt.Sprintf("%.3f", r.P50Ms) }},
		{"p95 ms", func(r *Report) string { return fmt.Sprintf("%.3f", r.P95Ms) }},
		{"p99 ms", func(r *Report) string { return fmt.Sprintf("%.3f", r.P99Ms) }},
		{"build ms", func(r *Report) string { return fmt.Sprintf("%.0f", r.BuildMs) }},
		{"passages", func(r *Report) string { return strconv.Itoa(r.Passages) }},
	}
	// Per-kind rows, only when there is more than one kind to break down.
	var kinds []string
	for _, r := range reports {
		for _, k := range r.Kinds {
			if !slices.Contains(kinds, k.Kind) {
				kinds = append(kinds, k.Kind)
			}
		}
	}
	if len(kinds) < 2 {
		return rows
	}
	slices.Sort(kinds)
	for _, kind := range kinds {
		for _, m := range []struct {
			name string
			get  func(KindStats) string
		}{
			{"hit@1", func(k KindStats) string { return frac(k.Hit1, k.Answerable) }},
			{"hit@3", func(k KindStats) string { return frac(k.Hit3, k.Answerable) }},
			{"abstain", func(k KindStats) string { return frac(k.AbstainAccuracy, k.Unanswerable) }},
		} {
			if !kindHas(reports, kind, m.name == "abstain") {
				continue
			}
			rows = append(rows, compareRow{m.name + " " + kindLabel(kind), func(r *Report) string {
				for _, k := range r.Kinds {
					if k.Kind == kind {
						return m.get(k)
					}
				}
				return "-"
			}})
		}
	}
	return rows
}

// kindHas reports whether any report has unanswerable (unans) or
// answerable (!unans) questions of kind.
func kindHas(reports []*Report, kind string, unans bool) bool {
	for _, r := range reports {
		for _, k := range r.Kinds {
			if k.Kind == kind && ((unans && k.Unanswerable > 0) || (!unans && k.Answerable > 0)) {
				return true
			}
		}
	}
	return false
}

func checkCompare(names []string, reports []*Report) error {
	if len(names) != len(reports) {
		return fmt.Errorf("compare reports: %d names for %d reports", len(names), len(reports))
	}
	if len(reports) == 0 {
		return errors.New("compare reports: no reports")
	}
	for i, r := range reports {
		if r == nil {
			return fmt.Errorf("compare reports: report %q is nil", names[i])
		}
	}
	return nil
}

// WriteCompare prints reports side by side for `citebot eval --compare`:
// one row per metric (the summary of [Report.WriteText], then hit@1, hit@3
// and abstain accuracy per question kind when there are several kinds), one
// column per system, headed by names. Runs whose numbers are meant to be
// compared should come from the same process and questions.
func WriteCompare(w io.Writer, names []string, reports []*Report) error {
	if err := checkCompare(names, reports); err != nil {
		return err
	}
	t := newTable()
	t.row("metric\t%s\n", strings.Join(names, "\t"))
	cells := make([]string, len(reports))
	for _, row := range compareRows(reports) {
		for i, r := range reports {
			cells[i] = row.cell(r)
		}
		t.row("%s\t%s\n", row.name, strings.Join(cells, "\t"))
	}
	return t.writeTo(w)
}

// WriteCompareJSON writes the JSON form of [WriteCompare]: an object whose
// "systems" array holds, in order, each report's [Report.WriteJSON] object
// (without per-question results) with its name under "name".
func WriteCompareJSON(w io.Writer, names []string, reports []*Report) error {
	if err := checkCompare(names, reports); err != nil {
		return err
	}
	type system struct {
		Name string `json:"name"`
		summaryJSON
	}
	out := struct {
		Systems []system `json:"systems"`
	}{Systems: make([]system, len(reports))}
	for i, r := range reports {
		out.Systems[i] = system{Name: names[i], summaryJSON: r.summary(false)}
	}
	return writeJSON(w, out)
}
