package discordtest_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/citebot/citebot/bot/discordtest"
)

// env is one fake Discord with one real discordgo session whose handlers
// answer like a small bot and remember what they saw. Subtests share it
// and run in sequence (closing a discordgo session takes a second).
type env struct {
	srv   *discordtest.Server
	s     *discordgo.Session
	ready chan *discordgo.Ready

	mu       sync.Mutex
	seen     map[string]*discordgo.InteractionCreate // by interaction id
	messages map[string]*discordgo.MessageCreate     // by message id
	deferred chan error                              // results of the /defer handler's steps
}

// botIntents are the intents citebot needs: no privileged one.
const botIntents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages

func newEnv(t *testing.T, opts ...discordtest.Option) *env {
	e := &env{
		srv:      discordtest.NewServer(t, opts...),
		ready:    make(chan *discordgo.Ready, 1),
		seen:     map[string]*discordgo.InteractionCreate{},
		messages: map[string]*discordgo.MessageCreate{},
		deferred: make(chan error, 8),
	}
	e.s = open(t, e.srv, func(s *discordgo.Session) {
		s.Identify.Intents = botIntents
		s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
			select {
			case e.ready <- r:
			default:
			}
		})
		s.AddHandler(e.onInteraction)
		s.AddHandler(e.onMessage)
	})
	return e
}

func (e *env) onInteraction(s *discordgo.Session, ic *discordgo.InteractionCreate) {
	e.mu.Lock()
	e.seen[ic.ID] = ic
	e.mu.Unlock()
	switch ic.Type {
	case discordgo.InteractionApplicationCommandAutocomplete:
		var focused string
		for _, o := range ic.ApplicationCommandData().Options {
			if o.Focused {
				focused = o.StringValue()
			}
		}
		s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: focused + "-1", Value: focused + "-1"}}},
		})
	case discordgo.InteractionMessageComponent:
		s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseUpdateMessage,
			Data: &discordgo.InteractionResponseData{Content: "clicked " + ic.MessageComponentData().CustomID, AllowedMentions: noPings()},
		})
	default:
		if ic.ApplicationCommandData().Name == "defer" {
			e.deferThenEdit(s, ic)
			return
		}
		s.InteractionRespond(ic.Interaction, say("answer to "+ic.ApplicationCommandData().Name))
	}
}

// deferThenEdit defers (ephemeral), tries to acknowledge a second time,
// edits in an answer with a button, then sends a follow-up.
func (e *env) deferThenEdit(s *discordgo.Session, ic *discordgo.InteractionCreate) {
	e.deferred <- s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
	})
	e.deferred <- s.InteractionRespond(ic.Interaction, say("twice"))
	content := "the answer"
	row := discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "More results", Style: discordgo.SecondaryButton, CustomID: "more:2"},
	}}
	_, err := s.InteractionResponseEdit(ic.Interaction, &discordgo.WebhookEdit{
		Content: &content, Components: &[]discordgo.MessageComponent{row}, AllowedMentions: noPings(),
	})
	e.deferred <- err
	m, err := s.FollowupMessageCreate(ic.Interaction, true, &discordgo.WebhookParams{Content: "more", AllowedMentions: noPings()})
	if err == nil && m.ID == "" {
		err = fmt.Errorf("follow-up without an id")
	}
	e.deferred <- err
}

func (e *env) onMessage(s *discordgo.Session, m *discordgo.MessageCreate) {
	e.mu.Lock()
	e.messages[m.ID] = m
	e.mu.Unlock()
	if m.Author.Bot {
		return
	}
	s.ChannelMessageSendComplex(m.ChannelID, &discordgo.MessageSend{
		Content: "re: " + m.Content, Reference: m.Reference(), AllowedMentions: noPings(),
	})
}

// waitSeen waits until the handler has seen key in the map.
func waitSeen[V any](ctx context.Context, e *env, m map[string]V, key string) (V, error) {
	for {
		e.mu.Lock()
		v, ok := m[key]
		e.mu.Unlock()
		if ok {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("handler never saw %s: %w", key, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// TestSession drives one real discordgo session through the fake: READY,
// every kind of injected interaction and message, the deferred path, and
// discordgo's own retry after a 429.
func TestSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, discordtest.WithHeartbeatInterval(100*time.Millisecond))
	t.Run("ready", func(t *testing.T) { testReady(t, e) })
	t.Run("interactions", func(t *testing.T) { testInteractions(t, e) })
	t.Run("defer then edit", func(t *testing.T) { testDeferThenEdit(t, e) })
	t.Run("messages", func(t *testing.T) { testMessages(t, e) })
	t.Run("registered command id", func(t *testing.T) { testRegisteredCommand(t, e) })
	t.Run("rate limit", func(t *testing.T) { testRateLimit(t, e) })
	t.Run("burst", func(t *testing.T) { testBurst(t, e) })
	t.Run("forget", func(t *testing.T) { testForget(t, e) })
}

// testBurst dispatches interactions from many goroutines at once and
// checks that each is answered exactly once, in time.
func testBurst(t *testing.T, e *env) {
	srv := e.srv
	const n = 100
	ins := make(chan *discordtest.Interaction, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in, err := srv.SendInteraction(discordtest.SlashCommand{Name: "ask", From: discordtest.From{DM: i%2 == 0}})
			if err != nil {
				t.Error(err)
				return
			}
			ins <- in
		}()
	}
	wg.Wait()
	close(ins)
	ctx := ctxFor(t, 10*time.Second)
	seqs := map[int64]bool{}
	ids := map[string]bool{}
	for in := range ins {
		ids[in.ID] = true
		if seqs[in.Seq] {
			t.Errorf("sequence number %d used twice", in.Seq)
		}
		seqs[in.Seq] = true
		req, err := srv.WaitCallback(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if lat := req.Time.Sub(in.Dispatched); lat > 3*time.Second {
			t.Errorf("interaction %s answered after %v, want within 3s", in.ID, lat)
		}
	}
	if len(seqs) != n {
		t.Fatalf("got %d interactions, want %d", len(seqs), n)
	}
	per := map[string]int{}
	for _, r := range srv.Requests() {
		if r.Route == discordtest.RouteCallback && ids[r.InteractionID] {
			per[r.InteractionID]++
		}
	}
	for id := range ids {
		if per[id] != 1 {
			t.Errorf("interaction %s got %d callbacks, want 1", id, per[id])
		}
	}
}

// testForget checks that Forget drops the records and the state of
// answered interactions.
func testForget(t *testing.T, e *env) {
	srv := e.srv
	ctx := ctxFor(t, 5*time.Second)
	old := srv.Interaction(discordtest.SlashCommand{Name: "ask"})
	if _, err := srv.WaitCallback(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	srv.Forget()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests recorded after Forget, want 0", n)
	}
	_, err := e.s.FollowupMessageCreate(old.Interaction, true, &discordgo.WebhookParams{Content: "late", AllowedMentions: noPings()})
	if restCode(err) != 10015 {
		t.Errorf("follow-up for a forgotten interaction: %v, want code 10015", err)
	}
	in := srv.Interaction(discordtest.SlashCommand{Name: "ask"})
	if _, err := srv.WaitCallback(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d requests recorded, want 2 (the refused follow-up and the callback)", n)
	}
}

func testReady(t *testing.T, e *env) {
	srv := e.srv
	var r *discordgo.Ready
	select {
	case r = <-e.ready:
	case <-time.After(5 * time.Second):
		t.Fatal("no READY event")
	}
	if r.User == nil || r.User.ID != srv.BotUserID || !r.User.Bot {
		t.Errorf("READY user = %+v, want bot user %s", r.User, srv.BotUserID)
	}
	if r.Application == nil || r.Application.ID != srv.AppID {
		t.Errorf("READY application = %+v, want id %s", r.Application, srv.AppID)
	}
	if r.SessionID == "" || r.SessionID != srv.SessionID() {
		t.Errorf("READY session_id = %q, want %q", r.SessionID, srv.SessionID())
	}
	ids := srv.Identifies()
	if len(ids) != 1 {
		t.Fatalf("got %d IDENTIFY payloads, want 1", len(ids))
	}
	if ids[0].Intents != botIntents || !ids[0].TokenValid {
		t.Errorf("IDENTIFY intents=%d token_valid=%v, want %d true", ids[0].Intents, ids[0].TokenValid, botIntents)
	}
	// Heartbeats every 100 ms are acknowledged: discordgo would reconnect
	// after 500 ms without an ACK, so a single identify after 7 beats
	// shows that ACKs arrive.
	deadline := time.Now().Add(5 * time.Second)
	for srv.Heartbeats() < 7 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.Heartbeats(); n < 7 {
		t.Errorf("got %d heartbeats, want at least 7", n)
	}
	if n := len(srv.Identifies()); n != 1 {
		t.Errorf("got %d identifies after heartbeating, want 1 (missing ACKs?)", n)
	}
	if e.s.State.User == nil || e.s.State.User.ID != srv.BotUserID {
		t.Errorf("state user = %+v, want %s", e.s.State.User, srv.BotUserID)
	}
}

// testInteractions dispatches each kind of interaction, checks what the
// handler saw, and checks that its answer is recorded with the right body.
func testInteractions(t *testing.T, e *env) {
	srv := e.srv
	admin := srv.NewUser("admin")
	tests := []struct {
		name      string
		event     discordtest.InteractionEvent
		check     func(t *testing.T, ic *discordgo.InteractionCreate)
		wantType  discordgo.InteractionResponseType
		wantReply string
	}{
		{
			name: "slash command in guild",
			event: discordtest.SlashCommand{Name: "ask", Options: []*discordgo.ApplicationCommandInteractionDataOption{
				discordtest.String("question", "what is a monad?"), discordtest.Int("results", 2), discordtest.Bool("private", true),
			}, From: discordtest.From{User: admin, Permissions: discordgo.PermissionManageGuild}},
			check: func(t *testing.T, ic *discordgo.InteractionCreate) {
				d := ic.ApplicationCommandData()
				if q := d.GetOption("question"); q == nil || q.StringValue() != "what is a monad?" {
					t.Errorf("question option = %+v, want %q", q, "what is a monad?")
				}
				if r := d.GetOption("results"); r == nil || r.IntValue() != 2 {
					t.Errorf("results option = %+v, want 2", r)
				}
				if p := d.GetOption("private"); p == nil || !p.BoolValue() {
					t.Errorf("private option = %+v, want true", p)
				}
				if ic.GuildID != srv.GuildID || ic.ChannelID != srv.ChannelID {
					t.Errorf("guild/channel = %s/%s, want %s/%s", ic.GuildID, ic.ChannelID, srv.GuildID, srv.ChannelID)
				}
				if ic.Member == nil || ic.Member.User == nil || ic.Member.User.ID != admin.ID {
					t.Fatalf("member = %+v, want user %s", ic.Member, admin.ID)
				}
				if ic.Member.Permissions != discordgo.PermissionManageGuild {
					t.Errorf("member permissions = %d, want %d", ic.Member.Permissions, discordgo.PermissionManageGuild)
				}
				if ic.User != nil {
					t.Errorf("user = %+v, want nil in a guild", ic.User)
				}
			},
			wantType:  discordgo.InteractionResponseChannelMessageWithSource,
			wantReply: "answer to ask",
		},
		{
			name:  "slash command in DM",
			event: discordtest.SlashCommand{Name: "help", From: discordtest.From{DM: true}},
			check: func(t *testing.T, ic *discordgo.InteractionCreate) {
				if ic.GuildID != "" || ic.Member != nil {
					t.Errorf("guild_id %q member %+v, want none in a DM", ic.GuildID, ic.Member)
				}
				if ic.User == nil || ic.User.ID != srv.User.ID {
					t.Errorf("user = %+v, want %s", ic.User, srv.User.ID)
				}
				if ic.ChannelID != srv.DMChannel(srv.User.ID) {
					t.Errorf("channel %s, want the DM channel %s", ic.ChannelID, srv.DMChannel(srv.User.ID))
				}
			},
			wantType:  discordgo.InteractionResponseChannelMessageWithSource,
			wantReply: "answer to help",
		},
		{
			name: "autocomplete",
			event: discordtest.Autocomplete{Name: "ask", Options: []*discordgo.ApplicationCommandInteractionDataOption{
				discordtest.String("question", "q"), discordtest.Focused("source", "trea"),
			}},
			check: func(t *testing.T, ic *discordgo.InteractionCreate) {
				if ic.Type != discordgo.InteractionApplicationCommandAutocomplete {
					t.Errorf("type %d, want %d", ic.Type, discordgo.InteractionApplicationCommandAutocomplete)
				}
			},
			wantType: discordgo.InteractionApplicationCommandAutocompleteResult,
		},
		{
			name:  "button click",
			event: discordtest.ButtonClick{CustomID: "more:1"},
			check: func(t *testing.T, ic *discordgo.InteractionCreate) {
				if d := ic.MessageComponentData(); d.CustomID != "more:1" || d.ComponentType != discordgo.ButtonComponent {
					t.Errorf("component data = %+v, want button more:1", d)
				}
				if ic.Message == nil || ic.Message.ID == "" || ic.Message.Author == nil || ic.Message.Author.ID != srv.BotUserID {
					t.Errorf("message = %+v, want a bot message", ic.Message)
				}
			},
			wantType:  discordgo.InteractionResponseUpdateMessage,
			wantReply: "clicked more:1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxFor(t, 5*time.Second)
			in := srv.Interaction(tt.event)
			ic, err := waitSeen(ctx, e, e.seen, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			if ic.Token != in.Token || ic.AppID != srv.AppID {
				t.Errorf("handler got token %s app %s, want %s %s", ic.Token, ic.AppID, in.Token, srv.AppID)
			}
			tt.check(t, ic)
			req, rep, err := srv.WaitInteractionReply(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if req.Status != http.StatusNoContent || req.Route != discordtest.RouteCallback {
				t.Errorf("answer %v on route %s, want 204 on the callback", req, req.Route)
			}
			if rep.Type != tt.wantType {
				t.Errorf("callback type %d, want %d", rep.Type, tt.wantType)
			}
			if tt.wantReply != "" {
				if rep.Content != tt.wantReply {
					t.Errorf("reply %q, want %q", rep.Content, tt.wantReply)
				}
				if !rep.NoPings() {
					t.Errorf("reply allowed_mentions = %+v, want parse []", rep.AllowedMentions)
				}
				if orig := srv.Original(in); orig == nil || orig.Content != tt.wantReply {
					t.Errorf("@original = %+v, want content %q", orig, tt.wantReply)
				}
			}
			if tt.wantType == discordgo.InteractionApplicationCommandAutocompleteResult {
				if len(rep.Choices) != 1 || rep.Choices[0].Name != "trea-1" {
					t.Errorf("choices = %+v, want one named trea-1", rep.Choices)
				}
			}
			if lat := req.Time.Sub(in.Dispatched); lat <= 0 || lat > 3*time.Second {
				t.Errorf("dispatch to callback latency %v, want within (0, 3s]", lat)
			}
		})
	}
}

// testDeferThenEdit checks the deferred path: type 5, a refused second
// acknowledgement, an edit of @original, then a follow-up.
func testDeferThenEdit(t *testing.T, e *env) {
	srv := e.srv
	ctx := ctxFor(t, 5*time.Second)
	in := srv.Interaction(discordtest.SlashCommand{Name: "defer"})
	req, rep, err := srv.WaitInteractionReply(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if req.Route != discordtest.RouteOriginal || req.Method != http.MethodPatch {
		t.Errorf("reply came as %s %s, want PATCH @original", req.Method, req.Route)
	}
	if rep.Content != "the answer" || !rep.NoPings() {
		t.Errorf("reply %q no_pings=%v, want %q true", rep.Content, rep.NoPings(), "the answer")
	}
	if b := rep.Buttons(); len(b) != 1 || b[0].CustomID != "more:2" {
		t.Errorf("buttons %+v, want one with custom_id more:2", b)
	}
	for i, want := range []int{0, 40060, 0, 0} {
		var err error
		select {
		case err = <-e.deferred:
		case <-ctx.Done():
			t.Fatal("handler did not finish")
		}
		if got := restCode(err); (want == 0 && err != nil) || (want != 0 && got != want) {
			t.Errorf("step %d: error %v, want code %d", i, err, want)
		}
	}
	orig := srv.Original(in)
	if orig == nil || orig.Content != "the answer" || orig.Flags&discordgo.MessageFlagsEphemeral == 0 || orig.Flags&(1<<7) != 0 {
		t.Fatalf("@original = %+v, want the answer, ephemeral, no longer loading", orig)
	}
	// Clicking the button of the edited answer carries that message.
	click := srv.Interaction(discordtest.ButtonClick{CustomID: "more:2", Message: orig})
	if click.Message == nil || click.Message.ID != orig.ID {
		t.Errorf("click carries message %+v, want %s", click.Message, orig.ID)
	}
	if _, rep, err := srv.WaitInteractionReply(ctx, click); err != nil || rep.Content != "clicked more:2" {
		t.Errorf("click answer %+v, %v; want clicked more:2", rep, err)
	}
	if m := srv.StoredMessage(orig.ID); m == nil || m.Content != "clicked more:2" {
		t.Errorf("message after UPDATE_MESSAGE = %+v, want content clicked more:2", m)
	}
}

func testMessages(t *testing.T, e *env) {
	srv := e.srv
	other := srv.NewUser("otherbot")
	other.Bot = true
	tests := []struct {
		name        string
		msg         discordtest.MessageCreate
		wantContent string // as the bot sees it
		wantGuild   bool
		wantReply   bool
	}{
		{"mention in guild", discordtest.MessageCreate{Content: "what is x?", MentionBot: true}, "<@" + srv.BotUserID + "> what is x?", true, true},
		{"no mention, no MESSAGE_CONTENT", discordtest.MessageCreate{Content: "chatter"}, "", true, true},
		{"DM", discordtest.MessageCreate{Content: "hello", From: discordtest.From{DM: true}}, "hello", false, true},
		{"other bot", discordtest.MessageCreate{Content: "beep", MentionBot: true, From: discordtest.From{User: other}}, "<@" + srv.BotUserID + "> beep", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxFor(t, 5*time.Second)
			sent := srv.Message(tt.msg)
			m, err := waitSeen(ctx, e, e.messages, sent.ID)
			if err != nil {
				t.Fatal(err)
			}
			if m.Content != tt.wantContent || (m.GuildID != "") != tt.wantGuild {
				t.Errorf("bot saw content %q guild %q, want %q guild=%v", m.Content, m.GuildID, tt.wantContent, tt.wantGuild)
			}
			if sent.Content != tt.wantContent && tt.wantContent != "" {
				t.Errorf("Message returned content %q, want %q", sent.Content, tt.wantContent)
			}
			mentioned := false
			for _, u := range m.Mentions {
				mentioned = mentioned || u.ID == srv.BotUserID
			}
			if mentioned != tt.msg.MentionBot {
				t.Errorf("bot in mentions = %v, want %v", mentioned, tt.msg.MentionBot)
			}
			if !tt.wantReply {
				return
			}
			req, rep, err := srv.WaitMessageReply(ctx, sent)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Content != "re: "+tt.wantContent || !rep.NoPings() || req.ChannelID != sent.ChannelID {
				t.Errorf("reply %q in %s no_pings=%v, want %q in %s", rep.Content, req.ChannelID, rep.NoPings(), "re: "+tt.wantContent, sent.ChannelID)
			}
			var out discordgo.Message
			if err := (discordtest.Request{Body: req.Response}).Decode(&out); err != nil || out.ID == "" || out.Type != discordgo.MessageTypeReply {
				t.Errorf("answer %s (%v), want a reply message with an id", req.Response, err)
			}
		})
	}
}

func testRegisteredCommand(t *testing.T, e *env) {
	srv := e.srv
	cmds, err := e.s.ApplicationCommandBulkOverwrite(srv.AppID, srv.GuildID, []*discordgo.ApplicationCommand{{Name: "sources", Description: "List the documents"}})
	if err != nil {
		t.Fatal(err)
	}
	in := srv.Interaction(discordtest.SlashCommand{Name: "sources"})
	if id := in.ApplicationCommandData().ID; id != cmds[0].ID {
		t.Errorf("interaction command id %s, want the registered %s", id, cmds[0].ID)
	}
	if _, err := srv.WaitCallback(ctxFor(t, 5*time.Second), in.ID); err != nil {
		t.Fatal(err)
	}
}

// testRateLimit checks that discordgo's own retry gets through a 429 on
// the interaction callback, after waiting for retry_after.
func testRateLimit(t *testing.T, e *env) {
	srv := e.srv
	for _, global := range []bool{false, true} {
		t.Run(map[bool]string{false: "route", true: "global"}[global], func(t *testing.T) {
			const wait = 150 * time.Millisecond
			srv.RateLimitNext("/api/v9/interactions/", wait, global)
			in := srv.Interaction(discordtest.SlashCommand{Name: "ask"})
			ok, err := srv.WaitCallback(ctxFor(t, 5*time.Second), in.ID)
			if err != nil {
				t.Fatal(err)
			}
			var tries []discordtest.Request
			for _, r := range srv.Requests() {
				if r.Route == discordtest.RouteCallback && r.InteractionID == in.ID {
					tries = append(tries, r)
				}
			}
			if len(tries) != 2 || tries[0].Status != http.StatusTooManyRequests || !tries[0].Fault || tries[1].Status != http.StatusNoContent {
				t.Fatalf("callbacks %v, want a 429 then a 204", tries)
			}
			if gap := ok.Time.Sub(tries[0].Time); gap < wait {
				t.Errorf("retry came %v after the 429, want at least %v", gap, wait)
			}
			if n := srv.PendingFaults(); n != 0 {
				t.Errorf("pending faults %d, want 0", n)
			}
		})
	}
}

// TestGatewayFaults runs one session through every gateway fault in turn
// and checks that after each the client gets the next interaction, by
// resuming (with replay of what it missed) or by identifying again.
//
// It keeps the default heartbeat interval (41.25 s): discordgo then
// heartbeats once per connection, before WaitReady returns, so no tick can
// fall near a fault and set off discordgo's reconnect race (see
// discordtest.DefaultHeartbeatInterval). Missing ACKs are tested apart, in
// TestHeartbeatAckMissing.
func TestGatewayFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := e.srv
	steps := []struct {
		name       string
		fault      func()
		wantResume bool // resumed with replay; else identified anew
		slow       bool // over a second: discordgo waits 1 s when closing
	}{
		{"drop", srv.DropGateway, true, false},
		{"op 9 not resumable", func() { srv.InvalidSession(false) }, false, false},
		{"op 7 reconnect", srv.Reconnect, true, true},
		{"close 4000 resumable", func() { srv.CloseGateway(4000, "Unknown error.") }, true, true},
		{"close 4009 session timed out", func() { srv.CloseGateway(4009, "Session timed out.") }, false, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.slow && testing.Short() {
				t.Skip("slow under -short")
			}
			ctx := ctxFor(t, 10*time.Second)
			if err := srv.WaitReady(ctx); err != nil {
				t.Fatal(err)
			}
			identifies, resumes := len(srv.Identifies()), len(srv.Resumes())
			start := time.Now()
			st.fault()
			if !st.wantResume {
				if _, err := srv.WaitGateway(ctx, func(ev discordtest.GatewayEvent) bool {
					return ev.Kind == discordtest.GatewayReady && ev.Time.After(start)
				}); err != nil {
					t.Fatal(err)
				}
				if err := srv.WaitReady(ctx); err != nil {
					t.Fatal(err)
				}
			}
			// When resuming, this is dispatched while the client is away,
			// kept, and replayed on RESUME.
			in := srv.Interaction(discordtest.SlashCommand{Name: "after"})
			_, rep, err := srv.WaitInteractionReply(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Content != "answer to after" {
				t.Errorf("reply %q, want %q", rep.Content, "answer to after")
			}
			newIdentifies := len(srv.Identifies()) - identifies
			resumedOK := false
			for _, r := range srv.Resumes()[resumes:] {
				resumedOK = resumedOK || r.OK
			}
			if st.wantResume && (!resumedOK || newIdentifies != 0) {
				t.Errorf("resumed=%v with %d new IDENTIFY, want a resume and none", resumedOK, newIdentifies)
			}
			if !st.wantResume && (resumedOK || newIdentifies != 1) {
				t.Errorf("resumed=%v with %d new IDENTIFY, want no resume and one", resumedOK, newIdentifies)
			}
		})
	}
}

// TestHeartbeatAckMissing stops heartbeat ACKs on a session that beats
// every 100 ms: discordgo closes with 1000 after five silent intervals,
// which ends the session, so its RESUME is refused and it identifies
// again. ACKs come back while discordgo waits a second before
// reconnecting, and the new connection's heartbeats are acknowledged: the
// session then stays put.
//
// The heartbeat goroutine itself closes the connection here, which does
// not set off discordgo's reconnect race; no other gateway fault is mixed
// in with the short interval.
func TestHeartbeatAckMissing(t *testing.T) {
	if testing.Short() {
		t.Skip("slow under -short")
	}
	t.Parallel()
	e := newEnv(t, discordtest.WithHeartbeatInterval(100*time.Millisecond))
	srv := e.srv
	ctx := ctxFor(t, 10*time.Second)
	identifies, resumes := len(srv.Identifies()), len(srv.Resumes())
	start := time.Now()
	srv.SetHeartbeatAck(false)
	closed, err := srv.WaitGateway(ctx, func(ev discordtest.GatewayEvent) bool {
		return ev.Kind == discordtest.GatewayClientClose && ev.Time.After(start)
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetHeartbeatAck(true)
	if closed.Code != 1000 {
		t.Errorf("client closed with %d, want 1000", closed.Code)
	}
	if _, err := srv.WaitGateway(ctx, func(ev discordtest.GatewayEvent) bool {
		return ev.Kind == discordtest.GatewayReady && ev.Time.After(closed.Time)
	}); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	in := srv.Interaction(discordtest.SlashCommand{Name: "after"})
	if _, rep, err := srv.WaitInteractionReply(ctx, in); err != nil {
		t.Fatal(err)
	} else if rep.Content != "answer to after" {
		t.Errorf("reply %q, want %q", rep.Content, "answer to after")
	}
	resumedOK := false
	for _, r := range srv.Resumes()[resumes:] {
		resumedOK = resumedOK || r.OK
	}
	if n := len(srv.Identifies()) - identifies; resumedOK || n != 1 {
		t.Errorf("resumed=%v with %d new IDENTIFY, want no resume and one", resumedOK, n)
	}
	// Seven more beats (over five intervals) on the new connection without
	// another IDENTIFY show that its heartbeats are acknowledged.
	beats := srv.Heartbeats()
	for srv.Heartbeats() < beats+7 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.Heartbeats() - beats; n < 7 {
		t.Errorf("got %d heartbeats after reconnecting, want at least 7", n)
	}
	if n := len(srv.Identifies()) - identifies; n != 1 {
		t.Errorf("got %d new IDENTIFY after heartbeating again, want 1 (ACKs missing on the new connection?)", n)
	}
}
