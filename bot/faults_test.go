package bot

// Fault tests: Discord's REST API failing in the ways it does, the gateway
// failing while an answer is being worked out, and questions that are
// empty, odd or huge.

import (
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/citebot/citebot/bot/discordtest"
)

// logLines returns the lines of logs that mention s.
func logLines(logs, s string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// TestRESTFaultsOnAnswer injects REST failures on the answer to one
// /ask: the bot retries where Discord says to (429 retry_after, 502),
// gives up at once where it does not (500, 503, 404 Unknown interaction,
// a client timeout), never sends a second answer, logs one clear line per
// failed answer, and answers the next question normally.
func TestRESTFaultsOnAnswer(t *testing.T) {
	t.Parallel()
	ix := newTestIndex(t, true, nil)
	const callbacks = "/api/v9/interactions/"
	tests := []struct {
		name  string
		fault discordtest.Fault
		// attempts is the number of callback requests the bot makes;
		// answered whether one is accepted.
		attempts int
		answered bool
		// logged is what the one log line about the failure says.
		logged string
	}{
		{name: "429 route", fault: discordtest.Fault{Status: 429, RetryAfter: 150 * time.Millisecond}, attempts: 2, answered: true},
		{name: "429 global", fault: discordtest.Fault{Status: 429, RetryAfter: 150 * time.Millisecond, Global: true}, attempts: 2, answered: true},
		{name: "502 once", fault: discordtest.Fault{Status: 502}, attempts: 2, answered: true},
		{name: "502 beyond discordgo's 3 retries", fault: discordtest.Fault{Status: 502, Times: 4}, attempts: 4, logged: "502"},
		{name: "500", fault: discordtest.Fault{Status: 500}, attempts: 1, logged: "500"},
		{name: "503", fault: discordtest.Fault{Status: 503}, attempts: 1, logged: "503"},
		{name: "404 unknown interaction", fault: discordtest.Fault{Status: 404, Code: 10062, Message: "Unknown interaction"}, attempts: 1, logged: "Unknown interaction"},
		{name: "slower than the client timeout", fault: discordtest.Fault{Delay: 2 * time.Second}, attempts: 1, logged: "timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := discordtest.NewServer(t)
			client := *srv.Client()
			client.Timeout = 500 * time.Millisecond
			logs := &syncBuffer{}
			h := startBotOn(t, srv, ix, Config{HTTPClient: &client,
				Logger: slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), logs), nil))})
			h.badStatusOK[discordtest.RouteCallback] = true // the timed-out callback has no status

			f := tt.fault
			f.Path = callbacks
			srv.FailNext(f)
			in := srv.Interaction(discordtest.SlashCommand{Name: cmdAsk, Options: []*discordgo.ApplicationCommandInteractionDataOption{
				discordtest.String(optQuestion, mi5Question)}})
			if tt.answered {
				req, rep, err := srv.WaitInteractionReply(h.ctx, in)
				if err != nil || !strings.Contains(rep.Text(), mi5Answer) {
					t.Fatalf("got %v, %v; want the answer after the retry", rep, err)
				}
				if lat := req.Time.Sub(in.Dispatched); lat > ackDeadline {
					t.Errorf("answered after %v, want within %v", lat, ackDeadline)
				}
			} else {
				// Wait until the bot is done with it (it logs the outcome).
				for !strings.Contains(logs.String(), "interaction_id="+in.ID) {
					if h.ctx.Err() != nil {
						t.Fatal("the bot never logged the outcome")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			time.Sleep(300 * time.Millisecond) // any retry or second answer would come now
			// The next question is answered normally.
			next := srv.Interaction(discordtest.SlashCommand{Name: cmdAsk, Options: []*discordgo.ApplicationCommandInteractionDataOption{
				discordtest.String(optQuestion, mi5Question)}})
			if _, rep, err := srv.WaitInteractionReply(h.ctx, next); err != nil || !strings.Contains(rep.Text(), mi5Answer) {
				t.Fatalf("the next question: got %v, %v; want its answer", rep, err)
			}
			if err := h.stop(); err != nil {
				t.Errorf("Run returned %v, want nil", err)
			}

			attempts, accepted, others := 0, 0, 0
			for _, r := range h.requests() {
				switch {
				case r.Route == discordtest.RouteCallback && r.InteractionID == in.ID:
					attempts++
					if r.OK() {
						accepted++
					}
				case r.InteractionToken == in.Token:
					others++ // an edit or follow-up: a second answer
				}
			}
			wantAccepted := 0
			if tt.answered {
				wantAccepted = 1
			}
			if attempts != tt.attempts || accepted != wantAccepted || others != 0 {
				t.Errorf("got %d callback attempts, %d accepted, %d other messages; want %d, %d, 0",
					attempts, accepted, others, tt.attempts, wantAccepted)
			}
			lines := logLines(logs.String(), in.ID)
			var failures []string
			for _, l := range lines {
				if strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN") {
					failures = append(failures, l)
				}
			}
			switch {
			case tt.logged == "" && len(failures) != 0:
				t.Errorf("got failure logs %q, want none", failures)
			case tt.logged != "" && (len(failures) != 1 || !strings.Contains(failures[0], "interaction reply failed") || !strings.Contains(failures[0], tt.logged)):
				t.Errorf("got failure logs %q, want one line saying the reply failed with %q", failures, tt.logged)
			}
			if strings.Contains(logs.String(), srv.Token) {
				t.Errorf("the token appears in the logs")
			}
			if strings.Contains(logs.String(), in.Token) {
				t.Errorf("the interaction token appears in the logs")
			}
		})
	}
}

// TestRESTFaultOnDeferredEdit fails the edit that carries a slow answer
// after its deferral: the bot gives up on a 500 with one log line, and
// retries a 429.
func TestRESTFaultOnDeferredEdit(t *testing.T) {
	t.Parallel()
	ix := newTestIndex(t, true, nil)
	slow := &testIndex{Searcher: slowSearcher{Searcher: ix.Searcher, delay: 200 * time.Millisecond}}
	logs := &syncBuffer{}
	h := startBot(t, slow, Config{AckBudget: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), logs), nil))})
	h.badStatusOK[discordtest.RouteOriginal] = true
	srv := h.srv
	ask := func() *discordtest.Interaction {
		return srv.Interaction(discordtest.SlashCommand{Name: cmdAsk, Options: []*discordgo.ApplicationCommandInteractionDataOption{
			discordtest.String(optQuestion, mi5Question)}})
	}
	edits := func(in *discordtest.Interaction) (all, ok int) {
		for _, r := range h.requests() {
			if r.Route == discordtest.RouteOriginal && r.Method == http.MethodPatch && r.InteractionToken == in.Token {
				all++
				if r.OK() {
					ok++
				}
			}
		}
		return all, ok
	}

	srv.RateLimitNext("/api/v9/webhooks/", 100*time.Millisecond, false)
	in := ask()
	if _, rep, err := srv.WaitInteractionReply(h.ctx, in); err != nil || !strings.Contains(rep.Text(), mi5Answer) {
		t.Fatalf("429 on the edit: got %v, %v; want the answer after the retry", rep, err)
	}
	if all, ok := edits(in); all != 2 || ok != 1 {
		t.Errorf("429 on the edit: got %d edits, %d accepted; want 2, 1", all, ok)
	}

	srv.FailNext(discordtest.Fault{Path: "/api/v9/webhooks/", Status: 500})
	in = ask()
	if _, err := srv.WaitRequest(h.ctx, func(r discordtest.Request) bool {
		return r.Route == discordtest.RouteOriginal && r.InteractionToken == in.Token
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.WaitInteractionReply(h.ctx, ask()); err != nil { // later answers still go out
		t.Fatal(err)
	}
	if all, ok := edits(in); all != 1 || ok != 0 {
		t.Errorf("500 on the edit: got %d edits, %d accepted; want 1, 0", all, ok)
	}
	if lines := logLines(logs.String(), in.ID); len(lines) != 1 || !strings.Contains(lines[0], "interaction reply failed") {
		t.Errorf("500 on the edit: got log lines %q, want one saying the reply failed", lines)
	}
}

// TestGatewayFaultMidAnswer breaks the gateway while an answer is being
// worked out: the answer still goes out (REST does not need the gateway),
// exactly once, and the bot resumes or identifies again and answers the
// next question.
func TestGatewayFaultMidAnswer(t *testing.T) {
	t.Parallel()
	ix := newTestIndex(t, true, nil)
	tests := []struct {
		name   string
		inject func(*discordtest.Server)
	}{
		{"websocket dropped", (*discordtest.Server).DropGateway},
		{"op 7 reconnect", (*discordtest.Server).Reconnect},
		{"op 9 invalid session", func(s *discordtest.Server) { s.InvalidSession(false) }},
		{"close 4000", func(s *discordtest.Server) { s.CloseGateway(4000, "Unknown error") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			started := make(chan struct{}, 1)
			slow := &testIndex{Searcher: slowSearcher{Searcher: ix.Searcher, delay: 300 * time.Millisecond, started: started}}
			h := startBot(t, slow, Config{})
			srv := h.srv
			identifies := len(srv.Identifies())
			in := srv.Interaction(discordtest.SlashCommand{Name: cmdAsk, Options: []*discordgo.ApplicationCommandInteractionDataOption{
				discordtest.String(optQuestion, mi5Question)}})
			select {
			case <-started:
			case <-h.ctx.Done():
				t.Fatal("the search never started")
			}
			tt.inject(srv)
			req, rep, err := srv.WaitInteractionReply(h.ctx, in)
			if err != nil || !strings.Contains(rep.Text(), mi5Answer) {
				t.Fatalf("the question in flight: got %v, %v; want its answer", rep, err)
			}
			if lat := req.Time.Sub(in.Dispatched); lat > ackDeadline {
				t.Errorf("answered after %v, want within %v", lat, ackDeadline)
			}
			if err := srv.WaitReady(h.ctx); err != nil {
				t.Fatalf("the bot did not come back: %v", err)
			}
			_, _, rep = h.ask(t, discordtest.From{}, discordtest.String(optQuestion, mi5Question))
			if !strings.Contains(rep.Text(), mi5Answer) {
				t.Errorf("the next question: answer lacks %q", mi5Answer)
			}
			callbacks := 0
			for _, r := range h.requests() {
				if r.Route == discordtest.RouteCallback && r.InteractionID == in.ID {
					callbacks++
				}
			}
			if callbacks != 1 {
				t.Errorf("got %d callbacks for the question in flight, want 1", callbacks)
			}
			resumed, reidentified := len(srv.Resumes()) > 0, len(srv.Identifies()) > identifies
			if !resumed && !reidentified {
				t.Errorf("the bot neither resumed nor identified again")
			}
		})
	}
}

// TestOddQuestions asks questions that are empty after trimming, only
// punctuation, only stop words, or 6000 characters long, through /ask, a
// direct message and a mention: each gets a clear, polite reply, never an
// error notice or silence.
func TestOddQuestions(t *testing.T) {
	t.Parallel()
	ix := newTestIndex(t, true, nil)
	h := startBot(t, ix, Config{})
	srv := h.srv
	long := strings.Repeat("How many live operations are under way in Britain according to MI5? ", 90)[:6000]
	tests := []struct {
		name, question string
		// want is what the reply holds: the notice asking for a question,
		// "nothing found", or an answer (and the note that it was cut).
		want []string
	}{
		{"spaces", "   \t  ", []string{msgNoQuestion.Content}},
		{"newlines and zero-width spaces", "\n\u200b\u200b\n", []string{msgNoQuestion.Content}},
		{"punctuation only", "?!... --- ¿¡ ** || `", []string{"I found nothing", "Try other words"}},
		{"stop words only", "the of and is to a in that it", []string{"I found nothing", "Try other words"}},
		{"6000 characters", long, []string{mi5Answer, "cut to 500 characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(how string, rep *discordtest.Reply) {
				t.Helper()
				text := rep.Text()
				for _, w := range tt.want {
					if !strings.Contains(text, w) {
						t.Errorf("%s: got reply %q, want it to hold %q", how, clip(text, 300), w)
					}
				}
				for _, bad := range []reply{msgFailed, msgSearchFailed} {
					if rep.Content == bad.Content {
						t.Errorf("%s: got the error notice %q", how, rep.Content)
					}
				}
			}
			_, _, rep := h.ask(t, discordtest.From{}, discordtest.String(optQuestion, tt.question))
			check("/ask", rep)
			m := srv.Message(discordtest.MessageCreate{From: discordtest.From{DM: true}, Content: tt.question})
			_, rep, err := srv.WaitMessageReply(h.ctx, m)
			if err != nil {
				t.Fatalf("DM: %v", err)
			}
			check("DM", rep)
			m = srv.Message(discordtest.MessageCreate{Content: tt.question, MentionBot: true})
			_, rep, err = srv.WaitMessageReply(h.ctx, m)
			if err != nil {
				t.Fatalf("mention: %v", err)
			}
			check("mention", rep)
		})
	}
}

// TestGatewayFlapping closes the gateway each time the bot has just got
// back, six times in a row: the first flapLimit reconnects are immediate,
// then each waits, longer and longer, so that a drop loop (discordgo's
// own, or Discord's) cannot burn identifies. The bot still answers after.
func TestGatewayFlapping(t *testing.T) {
	if testing.Short() {
		t.Skip("waits about 4 s for the backoff: skipped under -short")
	}
	t.Parallel()
	ix := newTestIndex(t, true, nil)
	logs := &syncBuffer{}
	h := startBot(t, ix, Config{Logger: quietLogger(io.MultiWriter(t.Output(), logs))})
	srv := h.srv
	var gaps []time.Duration
	for i := range flapLimit + 3 {
		if err := srv.WaitReady(h.ctx); err != nil {
			t.Fatalf("close %d: the bot did not come back: %v", i, err)
		}
		closed := time.Now()
		conns := len(srv.GatewayEvents())
		srv.CloseGateway(4000, "Unknown error")
		ev, err := srv.WaitGateway(h.ctx, func(e discordtest.GatewayEvent) bool {
			return e.Kind == discordtest.GatewayConnect && e.Time.After(closed)
		})
		if err != nil {
			t.Fatalf("close %d: no reconnect (%d events before): %v", i, conns, err)
		}
		gaps = append(gaps, ev.Time.Sub(closed))
	}
	t.Logf("close to next connection: %v", gaps)
	// discordgo itself takes about a second to let a closed connection go,
	// more on a busy machine: the quickest of the first reconnects is that
	// base. The waits on top of it are checked with room for that jitter.
	base := slices.Min(gaps[:flapLimit])
	want := time.Duration(0)
	for i, gap := range gaps {
		if i < flapLimit {
			if gap >= base+time.Second {
				t.Errorf("reconnect %d after %v, want at once (about %v)", i+1, gap, base)
			}
			continue
		}
		want = max(2*want, minBackoff)
		if gap < base+want*8/10 {
			t.Errorf("reconnect %d after %v, want a wait of about %v on top of %v", i+1, gap, want, base)
		}
		if i > flapLimit && gap <= gaps[i-1] {
			t.Errorf("reconnect %d after %v, want longer than the one before (%v)", i+1, gap, gaps[i-1])
		}
	}
	if !strings.Contains(logs.String(), "gateway keeps dropping") {
		t.Errorf("no warning logged about the flapping gateway:\n%s", logs)
	}
	if err := srv.WaitReady(h.ctx); err != nil {
		t.Fatalf("the bot did not come back: %v", err)
	}
	_, _, rep := h.ask(t, discordtest.From{}, discordtest.String(optQuestion, mi5Question))
	if !strings.Contains(rep.Text(), mi5Answer) {
		t.Errorf("after the drops: answer lacks %q", mi5Answer)
	}
}
