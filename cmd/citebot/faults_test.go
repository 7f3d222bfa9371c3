package main

// Fault tests of the whole program (`citebot serve` through run, or the
// built binary) against the fake Discord: re-index faults an admin can
// cause, shutdown with questions in flight, and a kill -9 during a rebuild.

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/citebot/citebot/bot/discordtest"
	"github.com/citebot/citebot/corpus"
)

const (
	faultQuestion = "How many Britons travelled to Syria and Iraq?"
	faultAnswer   = "800 Britons"
)

// serving is one `citebot serve` run against a fake Discord.
type serving struct {
	t         *testing.T
	srv       *discordtest.Server
	admin     *discordgo.User
	corpusDir string
	indexDir  string
	env       map[string]string
	logs      *syncBuffer
	ctx       context.Context // for waits
	cancel    context.CancelFunc
	done      chan error
}

// startServe runs `citebot serve` on a copy of the default corpus and waits
// until its commands are registered.
func startServe(t *testing.T, srv *discordtest.Server, corpusDir, indexDir string) *serving {
	t.Helper()
	admin := srv.NewUser("admin")
	s := &serving{t: t, srv: srv, admin: admin, corpusDir: corpusDir, indexDir: indexDir, logs: &syncBuffer{}, done: make(chan error, 1)}
	s.env = map[string]string{
		"DISCORD_TOKEN":           srv.Token,
		"DISCORD_API_BASE":        srv.URL,
		"CITEBOT_CORPUS_DIR":      corpusDir,
		"CITEBOT_INDEX_DIR":       indexDir,
		"CITEBOT_ADMIN_IDS":       admin.ID,
		"CITEBOT_RATE_PER_MINUTE": "10000",
		"CITEBOT_RATE_BURST":      "10000",
	}
	var runCtx context.Context
	runCtx, s.cancel = context.WithCancel(context.Background())
	go func() {
		s.done <- run(runCtx, []string{"serve"}, func(k string) string { return s.env[k] }, &bytes.Buffer{}, s.logs)
	}()
	var stop context.CancelFunc
	s.ctx, stop = context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(func() {
		s.stop()
		stop()
		if strings.Contains(s.logs.String(), srv.Token) {
			t.Error("the token appears in the logs")
		}
	})
	if err := srv.WaitReady(s.ctx); err != nil {
		t.Fatalf("bot never connected: %v\nlogs:\n%s", err, s.logs)
	}
	waitLog(t, s.ctx, s.logs, "msg=\"commands ")
	return s
}

// waitLog waits until logs hold s.
func waitLog(t *testing.T, ctx context.Context, logs *syncBuffer, s string) {
	t.Helper()
	for !strings.Contains(logs.String(), s) {
		if ctx.Err() != nil {
			t.Fatalf("no log line with %q:\n%s", s, logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop cancels the run and returns its error (nil when already stopped).
func (s *serving) stop() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		return err
	case <-time.After(20 * time.Second):
		s.t.Fatal("serve did not return within 20 s of its context ending")
		return nil
	}
}

func (s *serving) ask(q string) *discordtest.Reply {
	s.t.Helper()
	in := s.srv.Interaction(discordtest.SlashCommand{Name: "ask",
		Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.String("question", q)}})
	_, rep, err := s.srv.WaitInteractionReply(s.ctx, in)
	if err != nil {
		s.t.Fatalf("ask %q: %v\nlogs:\n%s", q, err, s.logs)
	}
	return rep
}

// reindex runs /reindex as the admin and returns the report.
func (s *serving) reindex() string {
	s.t.Helper()
	in := s.srv.Interaction(discordtest.SlashCommand{Name: "reindex", From: discordtest.From{User: s.admin}})
	_, rep, err := s.srv.WaitInteractionReply(s.ctx, in)
	if err != nil {
		s.t.Fatalf("reindex: %v\nlogs:\n%s", err, s.logs)
	}
	return rep.Content
}

// generations lists the index generation folders under dir, and the one
// CURRENT names.
func generations(t *testing.T, dir string) (gens []string, current string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "idx-") {
			gens = append(gens, e.Name())
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	return gens, strings.TrimSpace(string(b))
}

// TestReindexFaults makes the mistakes admins make with files, one after
// another on one running bot: bad files are skipped (and named in the
// report) while the rest is indexed; a missing corpus folder or an index
// folder that cannot be written makes the rebuild fail, the admin is told
// why, and the last good index keeps answering.
func TestReindexFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped under -short")
	}
	srv := discordtest.NewServer(t)
	root := t.TempDir()
	corpusDir, indexDir := copyDefaultCorpus(t), filepath.Join(root, "index")
	s := startServe(t, srv, corpusDir, indexDir)
	if rep := s.ask(faultQuestion); !strings.Contains(rep.Text(), faultAnswer) {
		t.Fatalf("before the faults: got %q, want %q", rep.Text(), faultAnswer)
	}
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(corpusDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("bad files are skipped and named", func(t *testing.T) {
		write("binary.txt", append([]byte("ELF\x00\x01\x02\x00\x00"), bytes.Repeat([]byte{0, 0xff, 7}, 300)...))
		write("latin1.txt", []byte("Notes on the caf\xe9\n\nThe caf\xe9 on the quay served the gannet watchers strong tea every morning before the boats left.\n"))
		write("secret.txt", []byte("Secret notes\n\nThe unreadable file holds a paragraph nobody may quote in the seminar at all.\n"))
		secret := filepath.Join(corpusDir, "secret.txt")
		if err := os.Chmod(secret, 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(secret, 0o644)
		_, err := os.ReadFile(secret)
		unreadable := err != nil // root reads it anyway
		// Unreadable even for root: a link to nothing.
		if err := os.Symlink(filepath.Join(root, "missing.txt"), filepath.Join(corpusDir, "dangling.txt")); err != nil {
			t.Fatal(err)
		}
		huge, err := os.Create(filepath.Join(corpusDir, "huge.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if err := huge.Truncate(100 << 20); err != nil { // sparse: takes no disk
			t.Fatal(err)
		}
		huge.Close()

		start := time.Now()
		report := s.reindex()
		took := time.Since(start)
		t.Logf("report:\n%s", report)
		wants := []string{"Re-index finished", "binary.txt", "binary file", "huge.txt", "too large", "latin1.txt",
			"dangling.txt", "unreadable", "Repaired 1 file"}
		if unreadable {
			wants = append(wants, "secret.txt", "unreadable")
		} else {
			t.Log("running as root: chmod 000 does not stop reads; the unreadable file case is not checked")
		}
		for _, w := range wants {
			if !strings.Contains(report, w) {
				t.Errorf("report lacks %q", w)
			}
		}
		// Skipped before reading: reading 100 MB of zeros and checking them
		// takes longer than the whole rebuild of the default corpus.
		if took > 20*time.Second {
			t.Errorf("reindex took %v", took)
		}
		if rep := s.ask("Who served the gannet watchers strong tea?"); !strings.Contains(rep.Text(), "gannet watchers") {
			t.Errorf("the invalid UTF-8 file is not answerable: %q", rep.Text())
		}
		if rep := s.ask(faultQuestion); !strings.Contains(rep.Text(), faultAnswer) {
			t.Errorf("got %q, want %q", rep.Text(), faultAnswer)
		}
		for _, f := range []string{"binary.txt", "latin1.txt", "secret.txt", "huge.txt", "dangling.txt"} {
			os.Remove(filepath.Join(corpusDir, f))
		}
	})

	// Each of these makes the rebuild fail: the report says so and why,
	// the old index keeps answering, and no generation is left behind.
	write("lighthouse.md", []byte("---\ntitle: Lighthouse notes\n---\n\nThe lighthouse keeper Ingrid Halvorsen trimmed the wicks every evening at the Skerryvore station for eleven years.\n"))
	failures := []struct {
		name string
		// break_ breaks the setup and returns a function that repairs it.
		break_ func(t *testing.T) func()
		why    string
	}{
		{"corpus folder removed", func(t *testing.T) func() {
			moved := corpusDir + ".moved"
			if err := os.Rename(corpusDir, moved); err != nil {
				t.Fatal(err)
			}
			return func() { os.Rename(moved, corpusDir) }
		}, "no such file or directory"},
		{"index folder replaced by a file", func(t *testing.T) func() {
			moved := indexDir + ".moved"
			if err := os.Rename(indexDir, moved); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(indexDir, []byte("not a folder"), 0o644); err != nil {
				t.Fatal(err)
			}
			return func() { os.Remove(indexDir); os.Rename(moved, indexDir) }
		}, "not a directory"},
		{"index folder read-only", func(t *testing.T) func() {
			if err := os.Chmod(indexDir, 0o555); err != nil {
				t.Fatal(err)
			}
			probe := filepath.Join(indexDir, "probe")
			if err := os.Mkdir(probe, 0o755); err == nil {
				os.Remove(probe)
				os.Chmod(indexDir, 0o755)
				t.Skip("running as root: a read-only folder is still writable")
			}
			return func() { os.Chmod(indexDir, 0o755) }
		}, "permission denied"},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			gensBefore, current := generations(t, indexDir)
			repair := f.break_(t)
			report := s.reindex()
			repair()
			t.Logf("report:\n%s", report)
			if !strings.Contains(report, "Re-index failed") || !strings.Contains(report, "previous index keeps answering") || !strings.Contains(report, f.why) {
				t.Errorf("report: got %q, want it to say the rebuild failed with %q and the old index keeps answering", report, f.why)
			}
			if rep := s.ask(faultQuestion); !strings.Contains(rep.Text(), faultAnswer) {
				t.Errorf("after the failed rebuild got %q, want %q from the old index", rep.Text(), faultAnswer)
			}
			if rep := s.ask("Who trimmed the wicks at Skerryvore?"); strings.Contains(rep.Text(), "Ingrid Halvorsen") {
				t.Errorf("the failed rebuild's document is answerable")
			}
			gensAfter, currentAfter := generations(t, indexDir)
			if currentAfter != current || len(gensAfter) != len(gensBefore) {
				t.Errorf("got generations %v (CURRENT %s), want %v (CURRENT %s): a failed build left a folder or moved CURRENT",
					gensAfter, currentAfter, gensBefore, current)
			}
		})
	}

	// Repaired, the next rebuild works.
	if report := s.reindex(); !strings.Contains(report, "Re-index finished") || !strings.Contains(report, "lighthouse.md") {
		t.Errorf("after the repairs: got report %q, want finished with lighthouse.md added", report)
	}
	if rep := s.ask("Who trimmed the wicks at Skerryvore?"); !strings.Contains(rep.Text(), "Ingrid Halvorsen") {
		t.Errorf("after the repaired rebuild got %q, want the new document", rep.Text())
	}
}

// TestShutdownWithQuestions cancels `citebot serve` (as SIGTERM does) right
// after a burst of questions: each gets its answer or the notice that the
// bot is restarting, serve returns nil, and the index was closed cleanly:
// the next start reopens it instead of rebuilding it.
func TestShutdownWithQuestions(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped under -short")
	}
	srv := discordtest.NewServer(t)
	corpusDir, indexDir := copyDefaultCorpus(t), t.TempDir()
	s := startServe(t, srv, corpusDir, indexDir)
	var ins []*discordtest.Interaction
	for i := range 20 {
		ins = append(ins, srv.Interaction(discordtest.SlashCommand{Name: "ask",
			Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.String("question", fmt.Sprintf("%s (%d)", faultQuestion, i))}}))
	}
	// Stop as soon as the bot has started answering: the rest are in
	// flight or arrive during the shutdown.
	if _, err := srv.WaitCallback(s.ctx, ins[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.stop(); err != nil {
		t.Errorf("serve returned %v, want nil", err)
	}
	answered, restarting := 0, 0
	for i, in := range ins {
		_, rep, err := srv.WaitInteractionReply(s.ctx, in)
		switch {
		case err != nil:
			t.Errorf("question %d: no reply: %v", i, err)
		case strings.Contains(rep.Text(), faultAnswer):
			answered++
		case strings.Contains(rep.Content, "restarting"):
			restarting++
		default:
			t.Errorf("question %d: got %q, want the answer or the restarting notice", i, rep.Content)
		}
	}
	t.Logf("%d answered, %d told the bot is restarting", answered, restarting)
	if !strings.Contains(s.logs.String(), "stopped") {
		t.Errorf("no \"stopped\" log line:\n%s", s.logs)
	}

	s2 := startServe(t, srv, corpusDir, indexDir)
	if logs := s2.logs.String(); !strings.Contains(logs, "index ready") || !strings.Contains(logs, "built=false") {
		t.Errorf("the restart rebuilt the index (or did not say); want it reopened:\n%s", logs)
	}
	if rep := s2.ask(faultQuestion); !strings.Contains(rep.Text(), faultAnswer) {
		t.Errorf("after the restart got %q, want %q", rep.Text(), faultAnswer)
	}
}

// writeBigCorpus adds about size bytes of documents to dir, recombining
// the default corpus's paragraphs with varied numbering.
func writeBigCorpus(t *testing.T, dir string, size int) {
	t.Helper()
	c, err := corpus.Load(corpus.Default(), corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ps := c.Passages()
	written := 0
	for doc := 0; written < size; doc++ {
		var b strings.Builder
		fmt.Fprintf(&b, "---\ntitle: Bulk notes %d\n---\n\n", doc)
		for k := 0; b.Len() < 256<<10; k++ {
			fmt.Fprintf(&b, "Item %d.%d. %s\n\n", doc, k, ps[(doc*7919+k*31)%len(ps)].Text)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("bulk_%04d.md", doc)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		written += b.Len()
	}
}

// TestKillDuringRebuild builds the citebot binary, starts it against the
// fake Discord, triggers /reindex on a large corpus and kills the process
// (SIGKILL) while the new index is being built. Restarted on the last good
// corpus, it reopens the last good index (no rebuild), removes the
// half-built folder and answers; the half-built index is never opened.
func TestKillDuringRebuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and a large index: skipped under -short")
	}
	bin := filepath.Join(t.TempDir(), "citebot")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := discordtest.NewServer(t)
	admin := srv.NewUser("admin")
	corpusDir, indexDir := copyDefaultCorpus(t), t.TempDir()
	env := append(os.Environ(),
		"DISCORD_TOKEN="+srv.Token,
		"DISCORD_API_BASE="+srv.URL,
		"CITEBOT_CORPUS_DIR="+corpusDir,
		"CITEBOT_INDEX_DIR="+indexDir,
		"CITEBOT_ADMIN_IDS="+admin.ID,
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := func() (*exec.Cmd, *syncBuffer) {
		t.Helper()
		logs := &syncBuffer{}
		cmd := exec.Command(bin, "serve")
		cmd.Env, cmd.Stdout, cmd.Stderr = env, logs, logs
		cmd.Dir = t.TempDir() // no .env here
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
			if strings.Contains(logs.String(), srv.Token) {
				t.Error("the token appears in the logs")
			}
		})
		waitLog(t, ctx, logs, "msg=\"commands ")
		if err := srv.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
		return cmd, logs
	}
	ask := func() string {
		t.Helper()
		in := srv.Interaction(discordtest.SlashCommand{Name: "ask",
			Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.String("question", faultQuestion)}})
		_, rep, err := srv.WaitInteractionReply(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Text()
	}

	cmd, logs := start()
	if got := ask(); !strings.Contains(got, faultAnswer) {
		t.Fatalf("got %q, want %q", got, faultAnswer)
	}
	goodGens, good := generations(t, indexDir)
	writeBigCorpus(t, corpusDir, 30<<20)
	re := srv.Interaction(discordtest.SlashCommand{Name: "reindex", From: discordtest.From{User: admin}})
	if _, err := srv.WaitCallback(ctx, re.ID); err != nil {
		t.Fatal(err)
	}
	// Wait until the new generation's folder holds files, then kill.
	deadline := time.Now().Add(60 * time.Second)
	for {
		gens, _ := generations(t, indexDir)
		if len(gens) > len(goodGens) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new index folder appeared\nlogs:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if strings.Contains(logs.String(), "rebuilt index") {
		t.Fatalf("the rebuild finished before the kill; the test proves nothing\nlogs:\n%s", logs)
	}
	gens, current := generations(t, indexDir)
	if current != good || len(gens) != len(goodGens)+1 {
		t.Fatalf("after the kill got generations %v with CURRENT %s, want the good one %s and one half-built", gens, current, good)
	}

	// The admin takes the big files out again and restarts the bot.
	entries, _ := fs.Glob(os.DirFS(corpusDir), "bulk_*.md")
	for _, e := range entries {
		os.Remove(filepath.Join(corpusDir, e))
	}
	_, logs = start()
	if l := logs.String(); !strings.Contains(l, "index ready") || !strings.Contains(l, "built=false") {
		t.Errorf("the restart did not reopen the last good index:\n%s", l)
	}
	if got := ask(); !strings.Contains(got, faultAnswer) {
		t.Errorf("after the restart got %q, want %q", got, faultAnswer)
	}
	gens, current = generations(t, indexDir)
	if current != good || len(gens) != 1 || gens[0] != good {
		t.Errorf("after the restart got generations %v with CURRENT %s, want only %s (the half-built one removed)", gens, current, good)
	}
}
