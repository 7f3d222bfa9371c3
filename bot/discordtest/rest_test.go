package discordtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/citebot/citebot/bot/discordtest"
)

// rest returns a discordgo session for REST calls only (no gateway).
func rest(t *testing.T, srv *discordtest.Server) *discordgo.Session {
	t.Helper()
	s, err := discordgo.New("Bot " + srv.Token)
	if err != nil {
		t.Fatal(err)
	}
	s.Client = srv.Client()
	s.LogLevel = -1
	return s
}

func TestServerErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		fault        discordtest.Fault
		wantStatus   int // of discordgo's error, 0 for success
		wantAttempts int
	}{
		{"502 is retried", discordtest.Fault{Status: 502, Times: 2}, 0, 3},
		{"500 is an error", discordtest.Fault{Status: 500}, 500, 1},
		{"503 is an error", discordtest.Fault{Status: 503}, 503, 1},
		{"path prefix not matching", discordtest.Fault{Status: 500, Path: "/api/v9/channels/"}, 0, 1},
		{"method not matching", discordtest.Fault{Status: 500, Method: "POST"}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := discordtest.NewServer(t)
			srv.FailNext(tt.fault)
			u, err := rest(t, srv).User("@me")
			if got := restStatus(err); (tt.wantStatus == 0 && err != nil) || (tt.wantStatus != 0 && got != tt.wantStatus) {
				t.Fatalf("GET /users/@me: %v, want status %d", err, tt.wantStatus)
			}
			if err == nil && u.ID != srv.BotUserID {
				t.Errorf("user %s, want %s", u.ID, srv.BotUserID)
			}
			if n := len(srv.Requests()); n != tt.wantAttempts {
				t.Errorf("got %d requests, want %d", n, tt.wantAttempts)
			}
		})
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	s := rest(t, srv)
	srv.FailNext(discordtest.Fault{Delay: 2 * time.Second, Path: "/api/v9/users/"})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := s.User("@me", discordgo.WithContext(ctx)); err == nil {
		t.Fatal("GET with a 100 ms deadline against a 2 s delay succeeded")
	}
	r, err := srv.WaitRequest(ctxFor(t, 5*time.Second), func(r discordtest.Request) bool { return r.Route == discordtest.RouteUserMe })
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 0 || time.Since(start) > time.Second {
		t.Errorf("recorded status %d after %v, want 0 well before the delay ends", r.Status, time.Since(start))
	}
	srv.SetDelay(80 * time.Millisecond)
	start = time.Now()
	if _, err := s.User("@me"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("answer after %v, want at least 80ms", d)
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	s := rest(t, srv)
	admin := int64(discordgo.PermissionManageGuild)
	cmds := []*discordgo.ApplicationCommand{
		{Name: "ask", Description: "Ask a question", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "question", Description: "Your question", Required: true, MaxLength: 500},
			{Type: discordgo.ApplicationCommandOptionString, Name: "source", Description: "Document", Autocomplete: true},
		}},
		{Name: "reindex", Description: "Rebuild the index", DefaultMemberPermissions: &admin},
	}
	for _, guild := range []string{"", srv.GuildID} {
		got, err := s.ApplicationCommandBulkOverwrite(srv.AppID, guild, cmds)
		if err != nil {
			t.Fatalf("bulk overwrite (guild %q): %v", guild, err)
		}
		if len(got) != 2 || got[0].ID == "" || got[0].ApplicationID != srv.AppID || got[0].Version == "" {
			t.Fatalf("overwrite returned %+v, want 2 commands with ids", got)
		}
		listed, err := s.ApplicationCommands(srv.AppID, guild)
		if err != nil {
			t.Fatal(err)
		}
		if len(listed) != 2 || listed[0].ID != got[0].ID || listed[1].Name != "reindex" ||
			listed[1].DefaultMemberPermissions == nil || *listed[1].DefaultMemberPermissions != admin {
			t.Errorf("GET returned %+v, want what PUT set", listed)
		}
		again, err := s.ApplicationCommandBulkOverwrite(srv.AppID, guild, cmds)
		if err != nil {
			t.Fatal(err)
		}
		if again[0].ID != got[0].ID || again[0].Version != got[0].Version {
			t.Errorf("unchanged overwrite: id/version %s/%s, want %s/%s", again[0].ID, again[0].Version, got[0].ID, got[0].Version)
		}
		if n := len(srv.Commands(guild)); n != 2 {
			t.Errorf("Commands(%q) has %d, want 2", guild, n)
		}
	}
	bad := []*discordgo.ApplicationCommand{{Name: "ask", Description: "x", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "source", Description: "d"},
		{Type: discordgo.ApplicationCommandOptionString, Name: "question", Description: "q", Required: true},
	}}}
	if _, err := s.ApplicationCommandBulkOverwrite(srv.AppID, "", bad); restCode(err) != 50035 {
		t.Errorf("required option after an optional one: %v, want code 50035", err)
	}
	if _, err := s.ApplicationCommandBulkOverwrite("42", "", cmds); restStatus(err) != 403 {
		t.Errorf("another application's commands: %v, want 403", err)
	}
}

// TestLimits checks that messages Discord would refuse are refused.
func TestLimits(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	s := rest(t, srv)
	button := func(id string) discordgo.MessageComponent {
		return discordgo.Button{Label: "b", Style: discordgo.PrimaryButton, CustomID: id}
	}
	tests := []struct {
		name     string
		msg      *discordgo.MessageSend
		wantCode int
	}{
		{"ok", &discordgo.MessageSend{Content: "hello", AllowedMentions: noPings()}, 0},
		{"2000 characters", &discordgo.MessageSend{Content: strings.Repeat("é", 2000)}, 0},
		{"2001 characters", &discordgo.MessageSend{Content: strings.Repeat("é", 2001)}, 50035},
		{"empty", &discordgo.MessageSend{Content: "  "}, 50006},
		{"description 4097", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: strings.Repeat("a", 4097)}}}, 50035},
		{"embeds over 6000 in all", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{
			{Description: strings.Repeat("a", 4000)}, {Description: strings.Repeat("b", 2001)},
		}}, 50035},
		{"26 fields", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Fields: func() []*discordgo.MessageEmbedField {
			var f []*discordgo.MessageEmbedField
			for range 26 {
				f = append(f, &discordgo.MessageEmbedField{Name: "n", Value: "v"})
			}
			return f
		}()}}}, 50035},
		{"bad embed url", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Title: "t", URL: "corpus/doc.md"}}}, 50035},
		{"custom_id 101", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{
			discordgo.ActionsRow{Components: []discordgo.MessageComponent{button(strings.Repeat("c", 101))}},
		}}, 50035},
		{"duplicate custom_id", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{
			discordgo.ActionsRow{Components: []discordgo.MessageComponent{button("a"), button("a")}},
		}}, 50035},
		{"reply to unknown message", &discordgo.MessageSend{Content: "x", Reference: &discordgo.MessageReference{MessageID: "1", ChannelID: srv.ChannelID}}, 50035},
		{"parse users with users list", &discordgo.MessageSend{Content: "x", AllowedMentions: &discordgo.MessageAllowedMentions{
			Parse: []discordgo.AllowedMentionType{discordgo.AllowedMentionTypeUsers}, Users: []string{"1"},
		}}, 50035},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := s.ChannelMessageSendComplex(srv.ChannelID, tt.msg)
			if got := restCode(err); (tt.wantCode == 0 && err != nil) || (tt.wantCode != 0 && got != tt.wantCode) {
				t.Fatalf("send: %v, want code %d", err, tt.wantCode)
			}
			if err == nil && (m.ID == "" || m.ChannelID != srv.ChannelID || m.Author == nil || m.Author.ID != srv.BotUserID) {
				t.Errorf("sent message %+v, want id, channel %s, bot author", m, srv.ChannelID)
			}
		})
	}
	if _, err := s.ChannelMessageSend("404", "x"); restCode(err) != 10003 {
		t.Errorf("unknown channel: %v, want code 10003", err)
	}
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	s := rest(t, srv)
	gw, err := s.Gateway()
	if err != nil || gw != srv.GatewayURL+"/" {
		t.Errorf("gateway %q, %v; want %q", gw, err, srv.GatewayURL+"/")
	}
	u := srv.NewUser("dmuser")
	ch, err := s.UserChannelCreate(u.ID)
	if err != nil || ch.ID != srv.DMChannel(u.ID) || ch.Type != discordgo.ChannelTypeDM || len(ch.Recipients) != 1 || ch.Recipients[0].ID != u.ID {
		t.Errorf("DM channel %+v, %v; want %s with recipient %s", ch, err, srv.DMChannel(u.ID), u.ID)
	}
	m, err := s.ChannelMessageSend(ch.ID, "first")
	if err != nil {
		t.Fatal(err)
	}
	edited, err := s.ChannelMessageEdit(ch.ID, m.ID, "second")
	if err != nil || edited.Content != "second" || edited.EditedTimestamp == nil {
		t.Errorf("edit: %+v, %v; want content second with an edit time", edited, err)
	}
	if _, err := s.Request("GET", discordgo.EndpointGuild("1"), nil); restStatus(err) != 404 {
		t.Errorf("unknown route: %v, want 404", err)
	}
	last, err := srv.WaitRequest(ctxFor(t, time.Second), func(r discordtest.Request) bool { return r.Route == discordtest.RouteUnknown })
	if err != nil || last.Path != "/api/v9/guilds/1" || last.Method != "GET" {
		t.Errorf("unknown route recorded as %+v, %v", last, err)
	}
	// Requests keep everything but the token.
	for _, r := range srv.Requests() {
		if a := r.Header.Get("Authorization"); a != "Bot [redacted]" || !r.Authorized {
			t.Errorf("%v: Authorization %q authorized=%v, want redacted and true", r, a, r.Authorized)
		}
		if strings.Contains(string(r.Body), srv.Token) {
			t.Errorf("%v: body holds the token", r)
		}
	}
	if _, err := srv.Client().Get("https://example.com/"); err == nil {
		t.Error("request to example.com went through, want it refused")
	}
	resp, err := srv.Client().Get(srv.URL + "/api/v9/gateway")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("request to the fake's own URL: %v %v, want 200", resp, err)
	}
	if err == nil {
		resp.Body.Close()
	}
}
