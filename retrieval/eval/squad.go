package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing/fstest"
	"unicode"
	"unicode/utf8"
)

// KindSQuAD is the [Question.Kind] of SQuAD questions that have answers.
// SQuAD 2.0 questions without answers get "unanswerable".
const KindSQuAD = "squad"

// squadFile is the part of the SQuAD v1.1 JSON layout that is read.
type squadFile struct {
	Data []struct {
		Title      string `json:"title"`
		Paragraphs []struct {
			Context string `json:"context"`
			QAs     []struct {
				ID       string `json:"id"`
				Question string `json:"question"`
				Answers  []struct {
					Text string `json:"text"`
				} `json:"answers"`
			} `json:"qas"`
		} `json:"paragraphs"`
	} `json:"data"`
}

// ReadSQuAD reads a SQuAD v1.1 file and returns its articles as a corpus
// and its questions.
//
// Each article becomes one file at the root of the returned fs.FS, named
// "NNN_<title>.txt" (NNN is the 0-based article number, zero-padded; the
// title is cut to a safe file name). The file starts with front matter
// giving the title with underscores replaced by spaces,
//
//	---
//	title: Sky (United Kingdom)
//	---
//
// then a blank line and the article's paragraphs separated by blank lines;
// line breaks inside a paragraph are folded to spaces so that each SQuAD
// paragraph stays one paragraph. Paragraphs that are only whitespace are
// dropped.
//
// Questions come in file order with their SQuAD ids, Kind [KindSQuAD] and
// Source set to their article's file name; their answers are the SQuAD
// answer texts, deduplicated after [Normalize] (first spelling kept).
func ReadSQuAD(r io.Reader) (fs.FS, []Question, error) {
	var f squadFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("read squad: %w", err)
	}
	if len(f.Data) == 0 {
		return nil, nil, errors.New("read squad: no articles")
	}
	width := max(3, len(strconv.Itoa(len(f.Data)-1)))
	fsys := make(fstest.MapFS, len(f.Data))
	var qs []Question
	seen := make(map[string]bool)
	for i, art := range f.Data {
		name := fmt.Sprintf("%0*d_%s.txt", width, i, fileSafe(art.Title))
		title := strings.Join(strings.Fields(strings.ReplaceAll(art.Title, "_", " ")), " ")
		if title == "" {
			title = fmt.Sprintf("Article %d", i)
		}
		var b strings.Builder
		b.WriteString("---\ntitle: ")
		b.WriteString(title)
		b.WriteString("\n---\n")
		for _, p := range art.Paragraphs {
			text := foldLines(p.Context)
			if text != "" {
				b.WriteString("\n")
				b.WriteString(text)
				b.WriteString("\n")
			}
			for _, qa := range p.QAs {
				if qa.ID == "" {
					return nil, nil, fmt.Errorf("read squad article %d: question without id", i)
				}
				if seen[qa.ID] {
					return nil, nil, fmt.Errorf("read squad question %s: duplicate id", qa.ID)
				}
				seen[qa.ID] = true
				q := Question{
					ID:       qa.ID,
					Question: strings.TrimSpace(qa.Question),
					Source:   name,
					Kind:     KindSQuAD,
				}
				if q.Question == "" {
					return nil, nil, fmt.Errorf("read squad question %s: missing question", qa.ID)
				}
				var norms []string
				for _, a := range qa.Answers {
					na := Normalize(a.Text)
					if na == "" || slices.Contains(norms, na) {
						continue
					}
					norms = append(norms, na)
					q.Answers = append(q.Answers, a.Text)
				}
				if len(q.Answers) == 0 {
					q.Kind = "unanswerable"
				}
				qs = append(qs, q)
			}
		}
		fsys[name] = &fstest.MapFile{Data: []byte(b.String()), Mode: 0o444}
	}
	return fsys, qs, nil
}

var lineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// foldLines replaces each line break (\r\n, \n or \r) in s with a space and
// trims the ends; everything else is kept verbatim.
func foldLines(s string) string {
	return strings.TrimSpace(lineBreaks.Replace(s))
}

// fileSafe turns a SQuAD title into a file name part: letters, digits and
// _-.,()' are kept, anything else becomes '_', and the result is cut to 80
// bytes.
func fileSafe(title string) string {
	const maxLen = 80
	var b strings.Builder
	for _, r := range title {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_-.,()'", r) {
			r = '_'
		}
		if b.Len()+utf8.RuneLen(r) > maxLen {
			break
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "untitled"
	}
	return b.String()
}
