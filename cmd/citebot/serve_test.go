package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/citebot/citebot/bot/discordtest"
	"github.com/citebot/citebot/corpus"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// copyDefaultCorpus writes the embedded corpus into a folder the test can
// change.
func copyDefaultCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	fsys := corpus.Default()
	entries, err := os.ReadDir(filepath.Join("../../corpus/default"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fsys.(interface{ ReadFile(string) ([]byte, error) }).ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestServeEndToEnd runs the whole program as `citebot serve` would, wired
// by environment settings only (DISCORD_API_BASE points at a fake Discord),
// with the real discordgo client and the real index: /ask gets a cited reply
// within the deadline, /reindex by an admin makes a new document answerable
// while other questions are answered, and cancelling stops the program.
func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped under -short")
	}
	srv := discordtest.NewServer(t)
	corpusDir := copyDefaultCorpus(t)
	admin := srv.NewUser("admin")
	env := map[string]string{
		"DISCORD_TOKEN":           srv.Token,
		"DISCORD_API_BASE":        srv.URL,
		"CITEBOT_CORPUS_DIR":      corpusDir,
		"CITEBOT_INDEX_DIR":       t.TempDir(),
		"CITEBOT_ADMIN_IDS":       admin.ID,
		"CITEBOT_RATE_PER_MINUTE": "10000",
		"CITEBOT_RATE_BURST":      "10000",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, &bytes.Buffer{}, logs)
	}()
	wait, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	if err := srv.WaitReady(wait); err != nil {
		t.Fatalf("bot never connected: %v\nlogs:\n%s", err, logs)
	}
	if _, err := srv.WaitRequest(wait, func(r discordtest.Request) bool {
		return r.Method == "PUT" && strings.HasSuffix(r.Path, "/commands") && r.OK()
	}); err != nil {
		t.Fatalf("commands never registered: %v", err)
	}
	if got := len(srv.Commands("")); got != 4 {
		t.Errorf("got %d global commands, want 4 (ask, sources, help, reindex)", got)
	}

	ask := func(q string) (*discordtest.Reply, time.Duration) {
		t.Helper()
		in := srv.Interaction(discordtest.SlashCommand{
			Name:    "ask",
			Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.String("question", q)},
		})
		req, rep, err := srv.WaitInteractionReply(wait, in)
		if err != nil {
			t.Fatalf("ask %q: %v", q, err)
		}
		if !rep.NoPings() {
			t.Errorf("ask %q: reply allowed_mentions %+v, want an explicit empty parse list", q, rep.AllowedMentions)
		}
		return rep, req.Time.Sub(in.Dispatched)
	}

	rep, took := ask("How many Britons travelled to Syria and Iraq?")
	if text := rep.Text(); !strings.Contains(text, "800 Britons") || !strings.Contains(text, "Homegrown extremists") {
		t.Errorf("got reply %q, want the 800 Britons passage cited to its document", text)
	}
	if took > 3*time.Second {
		t.Errorf("got first acknowledgement after %v, want under 3s", took)
	}

	// A new document, then /reindex by an admin while questions go on.
	newDoc := "---\ntitle: Seminar notes on lighthouse keepers\n---\n\nThe lighthouse keeper Ingrid Halvorsen trimmed the wicks every evening at the Skerryvore station for eleven years.\n"
	if err := os.WriteFile(filepath.Join(corpusDir, "lighthouse.md"), []byte(newDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	reindex := srv.Interaction(discordtest.SlashCommand{Name: "reindex", From: discordtest.From{User: admin}})
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := srv.Interaction(discordtest.SlashCommand{
				Name:    "ask",
				Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.String("question", fmt.Sprintf("What did Basu say about returning fighters? (%d)", i))},
			})
			if _, _, err := srv.WaitInteractionReply(wait, in); err != nil {
				t.Errorf("question during reindex: %v", err)
			}
		}()
	}
	wg.Wait()
	// The reindex report edits the deferred reply.
	_, err := srv.WaitRequest(wait, func(r discordtest.Request) bool {
		if r.Route != discordtest.RouteOriginal || r.Method != "PATCH" || r.InteractionToken != reindex.Token {
			return false
		}
		rp, err := r.Reply()
		return err == nil && strings.Contains(rp.Text(), "lighthouse.md")
	})
	if err != nil {
		t.Fatalf("no reindex report naming the new document: %v\nlogs:\n%s", err, logs)
	}
	rep, _ = ask("Who trimmed the wicks at Skerryvore?")
	if !strings.Contains(rep.Text(), "Ingrid Halvorsen") {
		t.Errorf("after reindex got %q, want the new document's passage", rep.Text())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v, want nil after cancel", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
	if strings.Contains(logs.String(), srv.Token) {
		t.Error("the token appears in the logs")
	}
}
