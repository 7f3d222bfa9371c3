package bot

// Load tests: bursts of /ask through the fake Discord with the real
// discordgo session and the real index, a long sequential run that checks
// memory and goroutines stay flat, and a burst while /reindex rebuilds a
// 20 MB corpus.
//
//	go test ./bot -run 'TestAskBurst|TestAskSequence|TestBurstDuringReindex' -v

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/citebot/citebot/bot/discordtest"
	"github.com/citebot/citebot/corpus"
)

// ackDeadline is Discord's limit for acknowledging an interaction.
const ackDeadline = 3 * time.Second

// burstAnswer is one /ask of a burst and its answer.
type burstAnswer struct {
	in  *discordtest.Interaction
	cb  discordtest.Request // the accepted callback
	rep *discordtest.Reply  // the answer (the callback, or the edit after a deferral)
}

// latency is the time from INTERACTION_CREATE dispatch to the callback.
func (a burstAnswer) latency() time.Duration { return a.cb.Time.Sub(a.in.Dispatched) }

// askBurst sends n /ask questions (question(i) for the i-th) spread over
// users, all users at once. In a flood each user's questions are
// dispatched one after another without waiting for answers: all n are in
// flight together. Otherwise each user asks the next question as soon as
// the previous one is answered, as people at their keyboards do: as many
// questions are in flight as there are users. askBurst waits for every
// answer and checks each interaction got exactly one callback, accepted,
// within the 3-second deadline, and no further message.
func askBurst(t testing.TB, h *harness, users []*discordgo.User, n int, flood bool, question func(i int) string) []burstAnswer {
	t.Helper()
	out := make([]burstAnswer, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for u, user := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := u; i < n; i += len(users) {
				in, err := h.srv.SendInteraction(discordtest.SlashCommand{Name: cmdAsk, From: discordtest.From{User: user},
					Options: []*discordgo.ApplicationCommandInteractionDataOption{discordtest.String(optQuestion, question(i))}})
				if err != nil {
					errs <- err
					return
				}
				out[i].in = in
				if !flood {
					if _, err := h.srv.WaitCallback(h.ctx, in.ID); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("dispatch: %v", err)
	}
	// First collect each interaction's first accepted callback, in one
	// pass over the requests as they come in, decoding nothing: the test
	// shares the CPU with the bot and the fake, and work done here during
	// the burst (decoding replies, rescanning every request for each
	// question) would be counted in the latency of the questions still
	// being answered.
	pending := make(map[string]int, n) // interaction ID -> question
	for i := range out {
		pending[out[i].in.ID] = i
	}
	_, err := h.srv.WaitRequest(h.ctx, func(r discordtest.Request) bool {
		if r.Route == discordtest.RouteCallback && r.OK() {
			if i, ok := pending[r.InteractionID]; ok {
				out[i].cb = r
				delete(pending, r.InteractionID)
			}
		}
		return len(pending) == 0
	})
	if err != nil {
		t.Fatalf("%d of %d questions got no callback: %v", len(pending), n, err)
	}
	for i := range out {
		_, rep, err := h.srv.WaitInteractionReply(h.ctx, out[i].in)
		if err != nil {
			t.Fatalf("question %d: %v", i, err)
		}
		out[i].rep = rep
	}
	checkAnsweredOnce(t, h, out)
	return out
}

// checkAnsweredOnce checks that each interaction of answers got exactly
// one callback (no retry, no second answer), within Discord's deadline, and
// after a direct answer nothing else; after a deferral exactly one edit.
func checkAnsweredOnce(t testing.TB, h *harness, answers []burstAnswer) {
	t.Helper()
	callbacks := map[string]int{}
	edits := map[string]int{}
	for _, r := range h.requests() {
		switch {
		case r.Route == discordtest.RouteCallback:
			callbacks[r.InteractionID]++
		case r.Route == discordtest.RouteOriginal && r.Method == http.MethodPatch,
			r.Route == discordtest.RouteFollowup && r.Method == http.MethodPost:
			edits[r.InteractionToken]++
		}
	}
	late := 0
	for i, a := range answers {
		if n := callbacks[a.in.ID]; n != 1 {
			t.Errorf("question %d: got %d callbacks, want exactly 1", i, n)
		}
		wantEdits := 0
		if a.rep != nil && a.cb.Route == discordtest.RouteCallback {
			if cbRep, _ := a.cb.Reply(); cbRep != nil && cbRep.Type == discordgo.InteractionResponseDeferredChannelMessageWithSource {
				wantEdits = 1
			}
		}
		if n := edits[a.in.Token]; n != wantEdits {
			t.Errorf("question %d: got %d edits or follow-ups, want %d", i, n, wantEdits)
		}
		if a.latency() > ackDeadline {
			late++
		}
	}
	if late > 0 {
		t.Errorf("got %d of %d questions acknowledged after %v, want none", late, len(answers), ackDeadline)
	}
}

// latencies returns each answer's dispatch-to-callback time.
func latencies(answers []burstAnswer) []time.Duration {
	out := make([]time.Duration, len(answers))
	for i, a := range answers {
		out[i] = a.latency()
	}
	return out
}

// quietLogger logs warnings and errors into buf only.
func quietLogger(buf io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// TestAskBurst sends 200 /ask from 20 users through the fake Discord, on
// the real index over the default corpus (user rate limit raised): every
// question is answered, exactly once, within 3 s. In "users" the 20 ask
// at once, each asking again as soon as answered (20 in flight); in
// "flood" all 200 are dispatched at once, without waiting (200 in flight:
// the last waits for the 199 before it, on a CPU shared with the fake
// Discord and the test).
//
//	go test ./bot -run TestAskBurst -v
func TestAskBurst(t *testing.T) {
	t.Parallel()
	ix := newTestIndex(t, true, nil)
	for _, flood := range []bool{false, true} {
		name := "users"
		if flood {
			name = "flood"
		}
		t.Run(name, func(t *testing.T) {
			logs := &syncBuffer{}
			srv := discordtest.NewServer(t, discordtest.WithLogf(nil))
			h := startBotOn(t, srv, ix, Config{RatePerMinute: 100000, Burst: 1000, Logger: quietLogger(io.MultiWriter(t.Output(), logs))})
			var users []*discordgo.User
			for i := range 20 {
				users = append(users, srv.NewUser(fmt.Sprintf("student%02d", i)))
			}
			answers := askBurst(t, h, users, 200, flood, func(i int) string { return latencyQuestions[i%len(latencyQuestions)] })
			for i, a := range answers {
				if i%len(latencyQuestions) == 0 && !strings.Contains(a.rep.Text(), mi5Answer) {
					t.Errorf("question %d (%q): answer lacks %q", i, mi5Question, mi5Answer)
				}
				if a.rep.Content == msgRateLimited.Content || a.rep.Content == msgSearchFailed.Content || a.rep.Content == msgFailed.Content {
					t.Errorf("question %d: got notice %q, want an answer", i, a.rep.Content)
				}
			}
			lat := latencies(answers)
			t.Logf("%s: %d /ask from %d users, INTERACTION_CREATE to callback: p50 %v, p95 %v, p99 %v, max %v",
				name, len(lat), len(users), percentile(lat, 0.50), percentile(lat, 0.95), percentile(lat, 0.99), percentile(lat, 1))
			if strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("errors logged during the burst:\n%s", logs)
			}
		})
	}
}

// TestAskSequence asks 10,000 questions one after another (answers,
// buttons and DMs mixed) and checks that the heap and the goroutine count
// after the run are where they were after a warm-up: nothing leaks per
// question. It is not parallel, so the counts are the bot's own.
//
//	go test ./bot -run TestAskSequence -v
func TestAskSequence(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 questions: skipped under -short")
	}
	// The warm-up fills the fake's replay buffer (2,000 events), so that
	// it does not count as growth.
	total, warmup, batch := 10000, 2500, 500
	if raceEnabled {
		total = 5000 // 10,000 take 40 s under the race detector
	}
	ix := newTestIndex(t, true, nil)
	logs := &syncBuffer{}
	srv := discordtest.NewServer(t, discordtest.WithLogf(nil))
	h := startBotOn(t, srv, ix, Config{RatePerMinute: 1000000, Burst: 100000, Logger: quietLogger(logs)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h.ctx = ctx // the harness's 20 s are not enough under the race detector

	// One question: mostly /ask, with a "More results" click and a DM
	// now and then, so every path is exercised many times.
	ask := func(i int) {
		q := latencyQuestions[i%len(latencyQuestions)]
		if i%50 == 7 {
			m := srv.Message(discordtest.MessageCreate{From: discordtest.From{DM: true}, Content: q})
			if _, _, err := srv.WaitMessageReply(h.ctx, m); err != nil {
				t.Fatalf("question %d (DM): %v", i, err)
			}
			return
		}
		// Distinct questions now and then, so the page cache fills up.
		if i%10 == 3 {
			q = fmt.Sprintf("%s %s number %d", q, strings.Repeat("seminar terror plots ", 12), i)
		}
		in := srv.Interaction(discordtest.SlashCommand{Name: cmdAsk, Options: []*discordgo.ApplicationCommandInteractionDataOption{
			discordtest.String(optQuestion, q)}})
		cb, err := srv.WaitCallback(h.ctx, in.ID)
		if err != nil {
			t.Fatalf("question %d: %v", i, err)
		}
		if lat := cb.Time.Sub(in.Dispatched); lat > ackDeadline {
			t.Errorf("question %d acknowledged after %v, want within %v", i, lat, ackDeadline)
		}
		if i%50 == 13 {
			rep, err := cb.Reply()
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range rep.Buttons() {
				if b.Label == "More results" {
					click := srv.Interaction(discordtest.ButtonClick{CustomID: b.CustomID, Message: srv.Original(in)})
					if _, err := srv.WaitCallback(h.ctx, click.ID); err != nil {
						t.Fatalf("question %d (More results): %v", i, err)
					}
				}
			}
		}
	}
	measure := func() (heap uint64, goroutines int) {
		for range 3 {
			runtime.GC()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc, runtime.NumGoroutine()
	}
	// Warm up: caches, connection pools, lazily built index structures.
	for i := range warmup {
		ask(i)
		if i%batch == batch-1 {
			srv.Forget()
		}
	}
	srv.Forget()
	heap0, g0 := measure()
	var trend []string // heap in MB after each batch
	start := time.Now()
	for i := warmup; i < total; i++ {
		ask(i)
		if i%batch == batch-1 {
			srv.Forget()
			hh, _ := measure()
			trend = append(trend, fmt.Sprintf("%.1f", float64(hh)/(1<<20)))
		}
	}
	took := time.Since(start)
	srv.Forget()
	heap1, g1 := measure()
	t.Logf("%d questions in sequence in %v (%v each): heap %.1f MB after warm-up, %.1f MB at the end; goroutines %d, then %d",
		total, took.Round(time.Millisecond), (took / time.Duration(total-warmup)).Round(time.Microsecond),
		float64(heap0)/(1<<20), float64(heap1)/(1<<20), g0, g1)
	// Bounded growth: the page cache (1 question in 10 adds an entry of a
	// few hundred bytes, up to refCacheSize) may fill up, nothing more:
	// 200 bytes a question at most. (Before buckets.go, discordgo's
	// rate-limit buckets alone grew by 340 bytes a question.)
	if grow, limit := int64(heap1)-int64(heap0), int64(200*(total-warmup)); grow > limit {
		t.Errorf("heap grew by %.2f MB over %d questions, want under %.2f MB", float64(grow)/(1<<20), total-warmup, float64(limit)/(1<<20))
	}
	t.Logf("heap after each batch of %d, MB: %s", batch, strings.Join(trend, " "))
	rl := h.bot.s.Ratelimiter
	rl.Lock()
	n := len(bucketMap(rl))
	rl.Unlock()
	if n > 50 {
		t.Errorf("discordgo holds %d rate-limit buckets after the run, want at most 50 (one per route, not one per interaction)", n)
	}
	if g1 > g0+5 {
		t.Errorf("got %d goroutines at the end, want at most %d (after warm-up %d)", g1, g0+5, g0)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged during the run:\n%s", logs)
	}
}

// syntheticMarker is a fact only the synthetic corpus holds.
const (
	syntheticQuestion = "Which islands did the quokka cartographer Elspeth Marrow chart?"
	syntheticSource   = "synthetic_0003.md"
)

// fromSynthetic reports whether rep quotes the synthetic fact, cited to
// its document.
func fromSynthetic(t testing.TB, rep *discordtest.Reply) bool {
	srcs := citedSources(t, rep)
	return len(srcs) > 0 && srcs[0] == syntheticSource && strings.Contains(rep.Text(), "thirty-seven islands")
}

// writeSyntheticCorpus writes about size bytes of Markdown documents into
// dir, deterministically: paragraphs of SQuAD dev (when
// /work/shared/data/squad/dev-v1.1.json or $CITEBOT_SQUAD is there) or of
// the default corpus, recombined into documents of about 200 KB with
// varied numbering. Document [syntheticSource] holds the answer to [syntheticQuestion].
func writeSyntheticCorpus(t testing.TB, dir string, size int) {
	t.Helper()
	paras := squadParagraphs(t)
	if len(paras) == 0 {
		c, err := corpus.Load(corpus.Default(), corpus.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.Passages() {
			paras = append(paras, p.Text)
		}
	}
	rng := rand.New(rand.NewPCG(2017, 8))
	written, doc := 0, 0
	for written < size {
		var b strings.Builder
		fmt.Fprintf(&b, "---\ntitle: Synthetic study notes, volume %d\ndate: 2017-08-%02d\n---\n\n", doc, 1+doc%28)
		if doc == 3 {
			b.WriteString("The quokka cartographer Elspeth Marrow charted thirty-seven islands of the Houtman Abrolhos in a single season.\n\n")
		}
		for k := 0; b.Len() < 200<<10; k++ {
			if k%12 == 0 {
				fmt.Fprintf(&b, "## Part %d.%d\n\n", doc, k/12+1)
			}
			fmt.Fprintf(&b, "Note %d.%d. %s\n\n", doc, k+1, paras[rng.IntN(len(paras))])
		}
		name := filepath.Join(dir, fmt.Sprintf("synthetic_%04d.md", doc))
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		written += b.Len()
		doc++
	}
}

// squadParagraphs returns the context paragraphs of SQuAD dev, or nil
// when the file is not there.
func squadParagraphs(t testing.TB) []string {
	path := os.Getenv("CITEBOT_SQUAD")
	if path == "" {
		path = "/work/shared/data/squad/dev-v1.1.json"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var sq struct {
		Data []struct {
			Paragraphs []struct {
				Context string `json:"context"`
			} `json:"paragraphs"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &sq); err != nil {
		t.Fatalf("read SQuAD %s: %v", path, err)
	}
	var out []string
	for _, a := range sq.Data {
		for _, p := range a.Paragraphs {
			out = append(out, strings.Join(strings.Fields(p.Context), " "))
		}
	}
	return out
}

// TestBurstDuringReindex sends bursts of /ask while /reindex rebuilds
// the index from a corpus of more than 20 MB: answers keep coming from the
// old index within the deadline, and once the report is in they come from
// the new one. Answers never go back from the new index to the old.
//
//	go test ./bot -run TestBurstDuringReindex -v
func TestBurstDuringReindex(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 20 MB index: skipped under -short")
	}
	t.Parallel()
	size := 20 << 20
	if raceEnabled {
		size = 3 << 20 // a 20 MB build takes minutes under the race detector
	}
	ix := newTestIndex(t, true, nil)
	writeSyntheticCorpus(t, ix.dir, size)
	logs := &syncBuffer{}
	srv := discordtest.NewServer(t, discordtest.WithLogf(nil))
	h := startBotOn(t, srv, ix, Config{RatePerMinute: 100000, Burst: 1000, Logger: quietLogger(io.MultiWriter(t.Output(), logs))})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h.ctx = ctx // a 20 MB build takes longer than the harness's 20 s under the race detector
	var users []*discordgo.User
	for i := range 20 {
		users = append(users, srv.NewUser(fmt.Sprintf("student%02d", i)))
	}
	admin := discordtest.From{Permissions: discordgo.PermissionManageGuild}

	// The synthetic fact is not answerable before the reindex.
	_, _, rep := h.ask(t, discordtest.From{}, discordtest.String(optQuestion, syntheticQuestion))
	if fromSynthetic(t, rep) {
		t.Fatalf("the new corpus answers before the reindex:\n%s", rep.Text())
	}

	start := time.Now()
	re := srv.Interaction(discordtest.SlashCommand{Name: cmdReindex, From: admin})
	reportCh := make(chan *discordtest.Reply, 1)
	go func() {
		_, rep, err := srv.WaitInteractionReply(h.ctx, re)
		if err != nil {
			t.Errorf("reindex report: %v", err)
		}
		reportCh <- rep
	}()

	// Bursts until the report comes: half the questions are about the old
	// corpus, half about the new fact.
	var during []burstAnswer
	var report *discordtest.Reply
	for rounds := 0; report == nil; rounds++ {
		answers := askBurst(t, h, users, 200, true, func(i int) string {
			if i%2 == 1 {
				return syntheticQuestion
			}
			return mi5Question
		})
		for i, a := range answers {
			if i%2 == 0 && !strings.Contains(a.rep.Text(), mi5Answer) {
				t.Errorf("round %d question %d: answer lacks %q:\n%s", rounds, i, mi5Answer, a.rep.Text())
			}
		}
		during = append(during, answers...)
		select { // a pause between bursts leaves the build some CPU
		case report = <-reportCh:
		case <-time.After(100 * time.Millisecond):
		}
		if time.Since(start) > 4*time.Minute {
			t.Fatal("the reindex did not finish within 4 minutes")
		}
	}
	took := time.Since(start)
	if report == nil || !strings.Contains(report.Content, "Re-index finished") {
		t.Fatalf("reindex report: got %v, want finished", report)
	}
	// The switch is atomic: once an answer from the new index is out, a
	// question asked later is never answered from the old one.
	oldAnswers, firstNew := 0, time.Time{}
	for i, a := range during {
		if i%2 == 1 && fromSynthetic(t, a.rep) && (firstNew.IsZero() || a.cb.Time.Before(firstNew)) {
			firstNew = a.cb.Time
		}
	}
	for i, a := range during {
		if i%2 == 0 || fromSynthetic(t, a.rep) {
			continue
		}
		oldAnswers++
		if !firstNew.IsZero() && a.in.Dispatched.After(firstNew) {
			t.Errorf("question %d asked %v after the first answer from the new index, answered from the old one",
				i%200, a.in.Dispatched.Sub(firstNew))
		}
	}
	if oldAnswers == 0 {
		t.Errorf("no answer came from the old index during the rebuild (rebuild took %v); the test proves nothing", took)
	}
	lat := latencies(during)
	p99 := percentile(lat, 0.99)
	t.Logf("reindex of %d MB (%s) took %v; %d questions during it (%d from the old index): p50 %v, p95 %v, p99 %v, max %v",
		size>>20, strings.ReplaceAll(report.Content, "\n", "; "), took.Round(time.Millisecond), len(during), oldAnswers,
		percentile(lat, 0.50), percentile(lat, 0.95), p99, percentile(lat, 1))
	if p99 > ackDeadline {
		t.Errorf("p99 during the reindex %v, want under %v", p99, ackDeadline)
	}

	// After the switch every answer comes from the new index.
	after := askBurst(t, h, users[:5], 20, true, func(int) string { return syntheticQuestion })
	for i, a := range after {
		if !fromSynthetic(t, a.rep) {
			t.Errorf("after the reindex, question %d: got %q, want the synthetic fact from %s", i, a.rep.Text(), syntheticSource)
		}
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged during the reindex:\n%s", logs)
	}
}
