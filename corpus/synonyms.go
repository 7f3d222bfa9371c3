package corpus

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// SynonymsFile is the name of a corpus's synonym file. At the root of a
// corpus folder it is read by [Load] into [Corpus.Synonyms] and is not a
// document.
const SynonymsFile = "synonyms.txt"

// ParseSynonyms reads a synonym file: one group of names for the same
// thing per line, separated by commas. A name may be several words
// ("Islamic State"). Text from # to the end of a line is a comment;
// blank lines are skipped. For example:
//
//	# the Islamic State group
//	Isis, IS, ISIS, ISIL, Islamic State, Daesh
//	MI5, Security Service
//
// How a name matches a question is up to the searcher (package retrieval
// matches a short name written in capitals, such as "IS", only when the
// question writes it in capitals too). A line with fewer than two names is
// an error.
func ParseSynonyms(r io.Reader) ([][]string, error) {
	var groups [][]string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if strings.TrimSpace(line) == "" {
			continue
		}
		var g []string
		for name := range strings.SplitSeq(line, ",") {
			name = strings.Join(strings.Fields(name), " ")
			if name != "" {
				g = append(g, name)
			}
		}
		if len(g) < 2 {
			return nil, fmt.Errorf("line %d: want at least two names separated by commas", n)
		}
		groups = append(groups, g)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return groups, nil
}
