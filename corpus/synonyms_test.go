package corpus

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseSynonyms(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    [][]string
		wantErr string
	}{
		{"groups, comments, spaces", "# aliases\nIsis, IS,  Islamic   State # the group\n\nMI5,Security Service\n",
			[][]string{{"Isis", "IS", "Islamic State"}, {"MI5", "Security Service"}}, ""},
		{"empty", "# nothing\n\n", nil, ""},
		{"one name", "Isis, IS\nlonely\n", nil, "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSynonyms(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadReadsRootSynonymFileNotAsDocument(t *testing.T) {
	doc := "A title\n\nThe Security Service said the threat from Daesh was severe and rising quickly.\n"
	fsys := fstest.MapFS{
		"a.txt":            {Data: []byte(doc)},
		"synonyms.txt":     {Data: []byte("MI5, Security Service\n")},
		"sub/synonyms.txt": {Data: []byte("A nested synonyms file is an ordinary document, kept as text here.\n")},
	}
	c, err := Load(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"MI5", "Security Service"}}; !reflect.DeepEqual(c.Synonyms, want) {
		t.Errorf("got synonyms %q, want %q", c.Synonyms, want)
	}
	var sources []string
	for _, d := range c.Documents {
		sources = append(sources, d.Source)
	}
	if got := strings.Join(sources, " "); got != "a.txt sub/synonyms.txt" {
		t.Errorf("got documents %q, want a.txt sub/synonyms.txt", got)
	}

	// Editing the synonyms changes the fingerprint; a bad file is skipped
	// with a reason.
	before := c.Fingerprint()
	fsys["synonyms.txt"] = &fstest.MapFile{Data: []byte("MI5, Security Service, Box\n")}
	c2, _ := Load(fsys, Options{})
	if c2.Fingerprint() == before {
		t.Error("fingerprint unchanged after editing synonyms.txt")
	}
	fsys["synonyms.txt"] = &fstest.MapFile{Data: []byte("MI5\n")}
	c3, _ := Load(fsys, Options{})
	if c3.Synonyms != nil || len(c3.Skipped) != 1 || !strings.Contains(c3.Skipped[0].Reason, "synonym file: line 1") {
		t.Errorf("bad synonym file: got synonyms %q, skipped %v; want none and one skip naming line 1", c3.Synonyms, c3.Skipped)
	}
}
