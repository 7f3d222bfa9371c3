package bot

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/citebot/citebot/retrieval"
)

const (
	botID = "1200000000000000000"
	adaID = "53908232506183681" // the DM user in the fixtures
)

// loadPayload reads testdata/payloads/name into v.
func loadPayload(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "payloads", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("unmarshal %s: %v", name, err)
	}
}

func TestCanReindex(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		admins  []string
		want    bool
	}{
		{"member with Manage Server", "interaction_reindex_manager.json", nil, true},
		{"member without it", "interaction_reindex_member.json", nil, false},
		{"member without it but listed", "interaction_reindex_member.json", []string{"53908232506183680"}, true},
		{"DM user not listed", "interaction_reindex_dm.json", nil, false},
		{"DM user listed", "interaction_reindex_dm.json", []string{adaID}, true},
		{"DM user, others listed", "interaction_reindex_dm.json", []string{"1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var i discordgo.Interaction
			loadPayload(t, tt.payload, &i)
			admins := map[string]bool{}
			for _, a := range tt.admins {
				admins[a] = true
			}
			if got := canReindex(&i, admins); got != tt.want {
				t.Errorf("canReindex = %v, want %v", got, tt.want)
			}
		})
	}
	// Administrator alone is enough; a DM never uses member permissions.
	admin := &discordgo.Interaction{GuildID: "1", Member: &discordgo.Member{User: &discordgo.User{ID: "2"}, Permissions: discordgo.PermissionAdministrator}}
	if !canReindex(admin, nil) {
		t.Errorf("canReindex(administrator) = false, want true")
	}
	dmWithPerms := &discordgo.Interaction{Member: &discordgo.Member{User: &discordgo.User{ID: "2"}, Permissions: discordgo.PermissionAll}}
	if canReindex(dmWithPerms, nil) {
		t.Errorf("canReindex(no guild) = true, want false")
	}
}

func TestQuestionFrom(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    string
		ok      bool
	}{
		{"direct message", "message_dm.json", "How many Britons travelled to Syria and Iraq?", true},
		{"mention in a server", "message_mention.json", "how many live operations does MI5 have?", true},
		{"server message without mention", "message_no_mention.json", "", false},
		{"another bot", "message_from_bot.json", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m discordgo.Message
			loadPayload(t, tt.payload, &m)
			got, ok := questionFrom(&m, botID)
			if got != tt.want || ok != tt.ok {
				t.Errorf("questionFrom = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	own := &discordgo.Message{Author: &discordgo.User{ID: botID}, Content: "my own answer"}
	if _, ok := questionFrom(own, botID); ok {
		t.Errorf("questionFrom(own message) ok, want ignored")
	}
	nick := &discordgo.Message{GuildID: "9", Author: &discordgo.User{ID: "5"}, Content: "hey <@!" + botID + ">  what  is MI5?"}
	if got, ok := questionFrom(nick, botID); !ok || got != "hey what is MI5?" {
		t.Errorf("questionFrom(nickname mention) = %q, %v; want %q, true", got, ok, "hey what is MI5?")
	}
	bare := &discordgo.Message{GuildID: "9", Author: &discordgo.User{ID: "5"}, Content: "<@" + botID + ">"}
	if got, ok := questionFrom(bare, botID); !ok || got != "" {
		t.Errorf("questionFrom(bare mention) = %q, %v; want \"\", true", got, ok)
	}
}

func TestSourceChoices(t *testing.T) {
	long := strings.Repeat("p", 120) + ".txt"
	d := []retrieval.DocInfo{
		{Source: "000.txt", Title: "Britain and the Syria war"},
		{Source: "001.txt", Title: "MI5 warns of terror threat"},
		{Source: "002.txt", Title: "Why MI5 is busy"},
		{Source: long, Title: "Same title"},
		{Source: "004.txt", Title: "Same title"},
	}
	tests := []struct {
		name  string
		typed string
		want  []string // choice names
	}{
		{"empty lists all", "", []string{"Britain and the Syria war", "MI5 warns of terror threat", "Why MI5 is busy", clip("Same title ("+long+")", maxChoiceName-2), "Same title (004.txt)"}},
		{"prefix first", "mi5", []string{"MI5 warns of terror threat", "Why MI5 is busy"}},
		{"by path", "004", []string{"Same title (004.txt)"}},
		{"nothing", "zzz", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sourceChoices(d, tt.typed)
			names := []string{}
			for _, c := range got {
				names = append(names, c.Name)
				if textLen(c.Name) > maxChoiceName {
					t.Errorf("choice name %q has %d characters", c.Name, textLen(c.Name))
				}
				if v := c.Value.(string); textLen(v) > maxChoiceValue {
					t.Errorf("choice value %q has %d characters", v, textLen(v))
				} else if src, ok := resolveSource(d, v); !ok {
					t.Errorf("choice value %q resolves to nothing", v)
				} else if !strings.Contains(c.Name, src) && !strings.Contains(src, ".txt") {
					t.Errorf("choice %q resolves to %q", c.Name, src)
				}
			}
			if strings.Join(names, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", names, tt.want)
			}
		})
	}
	if got := sourceChoices(docs(40), ""); len(got) != maxChoices {
		t.Errorf("got %d choices for 40 documents, want %d", len(got), maxChoices)
	}
}

func TestSameCommands(t *testing.T) {
	var registered []*discordgo.ApplicationCommand
	loadPayload(t, "../commands_registered.json", &registered)
	if !sameCommands(registered, commands()) {
		t.Errorf("commands as Discord returns them differ from commands(): want equal\nhave %s\nwant %s",
			canonCommands(registered), canonCommands(commands()))
	}
	changed := commands()
	changed[0].Options[2].MaxValue = 10
	if sameCommands(registered, changed) {
		t.Errorf("a changed max_value compares equal, want different")
	}
	if sameCommands(registered[:3], commands()) {
		t.Errorf("a missing command compares equal, want different")
	}
	noPerm := commands()
	noPerm[3].DefaultMemberPermissions = nil
	if sameCommands(registered, noPerm) {
		t.Errorf("a dropped default_member_permissions compares equal, want different")
	}
}

func TestCommandsShape(t *testing.T) {
	data, err := json.Marshal(commands())
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{
		`"name":"reindex","default_member_permissions":"32"`,
		`"name":"question","description":"Your question","channel_types":null,"required":true`,
		`"max_length":500`,
		`"name":"source","description":"Only search this document","channel_types":null,"required":false,"options":null,"autocomplete":true`,
		`"min_value":1,"max_value":5`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("commands JSON lacks %s:\n%s", want, s)
		}
	}
}

func TestNewValidates(t *testing.T) {
	ok := Config{Token: "abc.def.ghi"}
	tests := []struct {
		name    string
		change  func(*Config)
		errPart string // "" means valid
	}{
		{"minimal", func(*Config) {}, ""},
		{"Bot prefix", func(c *Config) { c.Token = "Bot abc.def" }, ""},
		{"no token", func(c *Config) { c.Token = " " }, "Token"},
		{"token with space", func(c *Config) { c.Token = "abc def" }, "Token"},
		{"guild not an ID", func(c *Config) { c.GuildID = "my-server" }, "GuildID"},
		{"admin not an ID", func(c *Config) { c.AdminIDs = []string{"123", "bob"} }, "AdminIDs"},
		{"negative burst", func(c *Config) { c.Burst = -1 }, "Burst"},
		{"budget too long", func(c *Config) { c.AckBudget = 3 * time.Second }, "AckBudget"},
		{"negative shutdown", func(c *Config) { c.ShutdownTimeout = -time.Second }, "ShutdownTimeout"},
		{"api base not a URL", func(c *Config) { c.APIBase = "localhost:8080" }, "APIBase"},
		{"api base ok", func(c *Config) { c.APIBase = "http://127.0.0.1:8080" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.change(&cfg)
			b, err := New(cfg, fakeSearcher{}, nil)
			switch {
			case tt.errPart == "" && err != nil:
				t.Errorf("New: %v, want no error", err)
			case tt.errPart != "" && (err == nil || !strings.Contains(err.Error(), tt.errPart)):
				t.Errorf("New: %v, want an error naming %s", err, tt.errPart)
			case tt.errPart == "" && b.cfg.Token != strings.TrimPrefix(cfg.Token, "Bot "):
				t.Errorf("token %q, want it without the Bot prefix", b.cfg.Token)
			}
		})
	}
	b, _ := New(ok, fakeSearcher{}, nil)
	if b.cfg.RatePerMinute != 10 || b.cfg.Burst != 5 || b.cfg.AckBudget != 1500*time.Millisecond || b.cfg.ShutdownTimeout != 10*time.Second {
		t.Errorf("defaults: got %+v", b.cfg)
	}
	if _, err := New(ok, nil, nil); err == nil {
		t.Errorf("New(nil searcher): no error, want one")
	}
}

func TestRewriteTransport(t *testing.T) {
	var gotPath, gotQuery, gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery, gotAuth = r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization")
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	tests := []struct {
		name, base, url, wantPath string
	}{
		{"root base", srv.URL, "https://discord.com/api/v9/users/@me?x=1", "/api/v9/users/@me"},
		{"base with path", srv.URL + "/proxy/", "https://discord.com/api/v9/gateway?x=1", "/proxy/api/v9/gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := restClient(nil, tt.base)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("GET", tt.url, nil)
			req.Header.Set("Authorization", "Bot secret")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if gotPath != tt.wantPath || gotQuery != "x=1" || gotAuth != "Bot secret" {
				t.Errorf("got path %q query %q auth %q, want %q, x=1, the header kept", gotPath, gotQuery, gotAuth, tt.wantPath)
			}
			c.CloseIdleConnections()
		})
	}
	// Other hosts are not redirected.
	c, _ := restClient(nil, srv.URL)
	req, _ := http.NewRequest("GET", srv.URL+"/direct", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if gotPath != "/direct" {
		t.Errorf("got path %q, want /direct", gotPath)
	}
	c.CloseIdleConnections()
}

// TestRewriteTransportKeepsConnections checks that the bot's own client
// for a plain-HTTP API base keeps its connections between bursts: after
// 10 requests at once, the next 10 at once dial nothing new (net/http
// keeps only 2 idle connections per host by default).
func TestRewriteTransportKeepsConnections(t *testing.T) {
	const n = 10
	var mu sync.Mutex
	conns := 0
	arrived := make(chan struct{}, n)
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := restClient(nil, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	burst := func() {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				resp, err := c.Get("https://discord.com/api/v9/users/@me")
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			})
		}
		for range n { // all n in flight at once: n connections
			<-arrived
		}
		for range n {
			release <- struct{}{}
		}
		wg.Wait()
	}
	burst()
	burst()
	mu.Lock()
	defer mu.Unlock()
	if conns != n {
		t.Errorf("got %d connections for two bursts of %d requests, want %d (the second reusing the first's)", conns, n, n)
	}
}

func TestGatewayFatal(t *testing.T) {
	if err := gatewayFatal(&websocketCloseError4004); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("gatewayFatal(4004) = %v, want ErrInvalidToken", err)
	}
	if err := gatewayFatal(errors.New("read: connection reset")); err != nil {
		t.Errorf("gatewayFatal(reset) = %v, want nil (retry)", err)
	}
}

// TestHandleInteractionPayloads routes interactions shaped as Discord
// sends them (testdata/payloads) through the bot, without a network.
func TestHandleInteractionPayloads(t *testing.T) {
	fake := newFakeSearcher(
		fakeDoc("001_596a886637f5ae04.txt", "Britons who travelled to Syria", "",
			"Around 850 people from the UK are thought to have travelled to Syria and Iraq to fight.",
			"Many Britons travelled to Syria and Iraq; about half have returned home since.",
			"Britons travelled to Syria and Iraq in waves; the first went in 2013.",
			"The number of Britons who travelled to Syria and Iraq fell after 2015.",
			"Officials say Britons who travelled to Syria and Iraq face investigation."),
		fakeDoc(mi5Source, "MI5 warns of terror threat", "http://example.com/mi5",
			"There are over 400 live operations under way to combat terrorist activities in Britain.",
			"MI5 says live operations have grown, and that the threat is unrelenting."),
	)
	b, err := New(Config{Token: "x"}, fake, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		payload   string
		wantType  discordgo.InteractionResponseType
		ephemeral bool
		check     func(t *testing.T, resp *discordgo.InteractionResponse)
	}{
		{"interaction_ask_guild.json", discordgo.InteractionResponseChannelMessageWithSource, false, func(t *testing.T, resp *discordgo.InteractionResponse) {
			if n := len(resp.Data.Embeds); n != defaultResults {
				t.Errorf("got %d quotes, want %d", n, defaultResults)
			}
		}},
		{"interaction_ask_dm.json", discordgo.InteractionResponseChannelMessageWithSource, true, func(t *testing.T, resp *discordgo.InteractionResponse) {
			if n := len(resp.Data.Embeds); n != 1 {
				t.Fatalf("got %d quotes, want 1 (results:1)", n)
			}
			if !strings.Contains(resp.Data.Embeds[0].Title, "MI5") {
				t.Errorf("got a quote from %q, want the source option's document", resp.Data.Embeds[0].Title)
			}
		}},
		{"interaction_autocomplete.json", discordgo.InteractionApplicationCommandAutocompleteResult, false, func(t *testing.T, resp *discordgo.InteractionResponse) {
			if len(resp.Data.Choices) != 1 || resp.Data.Choices[0].Value != mi5Source {
				t.Errorf("got choices %+v, want the MI5 document", resp.Data.Choices)
			}
		}},
		{"interaction_button.json", discordgo.InteractionResponseUpdateMessage, false, func(t *testing.T, resp *discordgo.InteractionResponse) {
			if !strings.HasPrefix(resp.Data.Content, "**Results 4–5 of 5**") {
				t.Errorf("got %q, want results 4 and 5 of 5", resp.Data.Content)
			}
		}},
		{"interaction_reindex_member.json", discordgo.InteractionResponseChannelMessageWithSource, true, func(t *testing.T, resp *discordgo.InteractionResponse) {
			if resp.Data.Content != msgRefused.Content {
				t.Errorf("got %q, want the refusal", resp.Data.Content)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.payload, func(t *testing.T) {
			var i discordgo.Interaction
			loadPayload(t, tt.payload, &i)
			rr := &recResponder{start: time.Now()}
			b.handleInteraction(t.Context(), rr, &i, time.Now())
			if len(rr.calls) != 1 || rr.calls[0].what != "callback" {
				t.Fatalf("got calls %+v, want one callback", rr.calls)
			}
			resp := rr.calls[0].resp
			if resp.Type != tt.wantType {
				t.Errorf("got type %d, want %d", resp.Type, tt.wantType)
			}
			if eph := resp.Data.Flags&discordgo.MessageFlagsEphemeral != 0; eph != tt.ephemeral {
				t.Errorf("got ephemeral %v, want %v", eph, tt.ephemeral)
			}
			if !mentionsOffData(resp) {
				t.Errorf("no allowed_mentions parse []")
			}
			tt.check(t, resp)
		})
	}
}
