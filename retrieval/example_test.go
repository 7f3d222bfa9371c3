package retrieval_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/citebot/citebot/corpus"
	"github.com/citebot/citebot/retrieval"
)

func exampleCorpus() *corpus.Corpus {
	doc := func(source, title string, paras ...string) corpus.Document {
		d := corpus.Document{Source: source, Title: title, Hash: source}
		for i, p := range paras {
			d.Passages = append(d.Passages, corpus.Passage{Source: source, Title: title, Paragraph: i + 1, Seq: i, Text: p})
		}
		return d
	}
	return &corpus.Corpus{Documents: []corpus.Document{
		doc("bees.txt", "Honey bees",
			"Honey bees live in colonies. A forager that finds flowers returns to the hive and performs a waggle dance that tells the others where the flowers are.",
			"A colony can hold up to 60,000 workers in summer."),
		doc("rail.txt", "Railways",
			"The Stockton and Darlington Railway opened in 1825. It was the first public railway to use steam locomotives."),
	}}
}

func ExampleIndex_Search() {
	dir, err := os.MkdirTemp("", "citebot-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	ix, err := retrieval.Build(ctx, filepath.Join(dir, "index"), exampleCorpus(), retrieval.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer ix.Close()

	res, err := ix.Search(ctx, "How do bees tell each other where flowers are?", retrieval.SearchOptions{Limit: 1})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range res.Hits {
		fmt.Printf("%s, paragraph %d\n", h.Passage.Title, h.Passage.Paragraph)
		fmt.Println("best sentence:", h.BestSentence)
		var marked []string
		for _, s := range h.Highlights {
			marked = append(marked, h.Passage.Text[s.Start:s.End])
		}
		fmt.Printf("highlights: %q\n", marked)
	}

	res, err = ix.Search(ctx, "What is the capital of Peru?", retrieval.SearchOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("none relevant:", res.NoneRelevant, "hits:", len(res.Hits))
	// Output:
	// Honey bees, paragraph 1
	// best sentence: A forager that finds flowers returns to the hive and performs a waggle dance that tells the others where the flowers are.
	// highlights: ["bees" "flowers" "tells" "flowers"]
	// none relevant: true hits: 0
}

func ExampleOpenStore() {
	dir, err := os.MkdirTemp("", "citebot-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	c := exampleCorpus()
	s, built, err := retrieval.OpenStore(ctx, dir, c, retrieval.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("built:", built)
	s.Close()

	// Same corpus: the index on disk is reused.
	s, built, err = retrieval.OpenStore(ctx, dir, c, retrieval.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	fmt.Println("built:", built)

	// A rebuild swaps in a new index while searches go on.
	ch, err := s.Rebuild(ctx, c)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("documents:", ch.Documents, "passages:", ch.Passages, "added:", ch.PassagesAdded)
	for _, d := range s.Documents() {
		fmt.Println(d.Source, d.Title, d.Passages)
	}
	// Output:
	// built: true
	// built: false
	// documents: 2 passages: 3 added: 0
	// bees.txt Honey bees 2
	// rail.txt Railways 1
}
