// Package eval scores passage retrieval against question sets.
//
// It reads question files (JSON Lines, the format of
// shared/eval/seed-dev.jsonl, see [ReadQuestions]) and SQuAD v1.1 files
// ([ReadSQuAD], which also turns the articles into a corpus), runs every
// question through a [Searcher], and reports hit@1/3/5, MRR, abstention
// accuracy and latency ([Run], [Report]), as text, as JSON, or side by side
// for several systems ([WriteCompare]).
//
// Matching follows shared/eval/README.md exactly: an answer string matches a
// passage when, after lower-casing both and folding every run of whitespace
// to one space ([Normalize]), it is a substring of the passage. Nothing else
// is normalised: quotes and punctuation must match.
//
// Building indexes, loading corpora and timing builds are left to the
// caller (cmd/citebot); this package sees only [retrieval.Result] and
// corpus.Passage values inside them, and never imports Bleve.
package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Question is one evaluation question, one line of a JSON Lines file.
type Question struct {
	// ID is unique within a file, e.g. "dev-016".
	ID string `json:"id"`
	// Question is the text as a user would type it.
	Question string `json:"question"`
	// Answers are strings copied verbatim from the corpus; any one of them
	// in a passage means that passage answers the question. Empty for an
	// unanswerable question.
	Answers []string `json:"answers"`
	// Source is the corpus file the answers came from ("" when
	// unanswerable). Scoring does not use it.
	Source string `json:"source"`
	// Kind groups questions for the per-kind breakdown (factoid, keyword,
	// unanswerable, squad, ...); "" is allowed.
	Kind string `json:"kind"`
}

// Answerable reports whether q has at least one answer string.
func (q Question) Answerable() bool { return len(q.Answers) > 0 }

// ReadQuestions reads questions in JSON Lines: one JSON object per line with
// the fields of [Question]. Blank lines are skipped. Unknown fields are
// ignored. A line that is not a JSON object, or lacks "id", "question" or
// "answers" (use [] for an unanswerable question), or has an empty answer
// string or an ID seen before, is an error naming the line number.
func ReadQuestions(r io.Reader) ([]Question, error) {
	br := bufio.NewReader(r)
	var qs []Question
	seen := make(map[string]int) // id -> line
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("read questions line %d: %w", n, err)
		}
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\uFEFF"))
		}
		if len(bytes.TrimSpace(line)) > 0 {
			q, perr := parseQuestion(line)
			if perr != nil {
				return nil, fmt.Errorf("read questions line %d: %w", n, perr)
			}
			if first, ok := seen[q.ID]; ok {
				return nil, fmt.Errorf("read questions line %d: duplicate id %q (first on line %d)", n, q.ID, first)
			}
			seen[q.ID] = n
			qs = append(qs, q)
		}
		if err == io.EOF {
			return qs, nil
		}
	}
}

func parseQuestion(line []byte) (Question, error) {
	var raw struct {
		ID       *string   `json:"id"`
		Question *string   `json:"question"`
		Answers  *[]string `json:"answers"`
		Source   string    `json:"source"`
		Kind     string    `json:"kind"`
	}
	if err := json.Unmarshal(line, &raw); err != nil {
		return Question{}, err
	}
	switch {
	case raw.ID == nil || strings.TrimSpace(*raw.ID) == "":
		return Question{}, errors.New("missing id")
	case raw.Question == nil || strings.TrimSpace(*raw.Question) == "":
		return Question{}, errors.New("missing question")
	case raw.Answers == nil:
		return Question{}, errors.New(`missing answers (use [] for an unanswerable question)`)
	}
	for i, a := range *raw.Answers {
		if Normalize(a) == "" {
			return Question{}, fmt.Errorf("answer %d is empty", i+1)
		}
	}
	return Question{
		ID:       *raw.ID,
		Question: *raw.Question,
		Answers:  *raw.Answers,
		Source:   raw.Source,
		Kind:     raw.Kind,
	}, nil
}

// Normalize prepares text for matching: every run of whitespace (as
// [strings.Fields] sees it, so including line breaks, tabs and non-breaking
// spaces) becomes one space, the ends are trimmed, and the result is
// lower-cased. Nothing else changes: typographic quotes stay as they are.
// It is Python's " ".join(s.split()).lower() from shared/eval/README.md.
func Normalize(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// Matcher tests passages against one question's answers.
type Matcher struct {
	answers []string // normalised, non-empty, deduplicated
}

// NewMatcher returns a Matcher for answers. Answers that normalise to ""
// are ignored, so they never match everything.
func NewMatcher(answers []string) Matcher {
	var m Matcher
	for _, a := range answers {
		na := Normalize(a)
		if na == "" || slices.Contains(m.answers, na) {
			continue
		}
		m.answers = append(m.answers, na)
	}
	return m
}

// Match reports whether text contains any of the answers, compared after
// [Normalize].
func (m Matcher) Match(text string) bool {
	if len(m.answers) == 0 {
		return false
	}
	nt := Normalize(text)
	for _, a := range m.answers {
		if strings.Contains(nt, a) {
			return true
		}
	}
	return false
}

// Match reports whether any of answers occurs in text under the README's
// rules (see [Normalize]).
func Match(answers []string, text string) bool {
	return NewMatcher(answers).Match(text)
}
