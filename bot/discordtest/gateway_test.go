package discordtest_test

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/citebot/citebot/bot/discordtest"
	"github.com/gorilla/websocket"
)

func TestInvalidTokenAtOpen(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	s, _ := discordgo.New("Bot not-the-token")
	s.Client = srv.Client()
	s.LogLevel = -1
	err := s.Open()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4004 {
		t.Fatalf("Open error = %v, want *websocket.CloseError with code 4004", err)
	}
	if _, err := s.User("@me"); restStatus(err) != 401 {
		t.Errorf("GET /users/@me error = %v, want HTTP 401", err)
	}
	if ids := srv.Identifies(); len(ids) != 1 || ids[0].TokenValid {
		t.Errorf("identifies = %+v, want one with TokenValid false", ids)
	}
}

func TestRejectTokenWhileRunning(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t)
	disconnected := make(chan struct{}, 1)
	s := open(t, srv, func(s *discordgo.Session) {
		// discordgo would reconnect forever after 4004; a bot that wants
		// to stop must take over reconnecting, as here.
		s.ShouldReconnectOnError = false
		s.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) {
			select {
			case disconnected <- struct{}{}:
			default:
			}
		})
	})
	srv.RejectToken()
	select {
	case <-disconnected:
	case <-time.After(5 * time.Second):
		t.Fatal("client did not disconnect after close 4004")
	}
	ctx := ctxFor(t, 5*time.Second)
	ev, err := srv.WaitGateway(ctx, func(e discordtest.GatewayEvent) bool { return e.Kind == discordtest.GatewayServerClose })
	if err != nil || ev.Code != 4004 {
		t.Fatalf("server close = %+v, %v; want code 4004", ev, err)
	}
	err = s.Open()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4004 {
		t.Errorf("Open after rejection = %v, want close 4004", err)
	}
	if _, err := s.User("@me"); restStatus(err) != 401 {
		t.Errorf("GET /users/@me = %v, want HTTP 401", err)
	}
}

// TestIntents checks Discord's intent rules: a privileged intent is
// refused (4014) unless allowed; with MESSAGE_CONTENT allowed a guild
// message keeps its content without a mention; without DIRECT_MESSAGES a
// DM cannot be delivered.
func TestIntents(t *testing.T) {
	t.Parallel()
	intents := discordgo.IntentsGuildMessages | discordgo.IntentMessageContent

	refused := discordtest.NewServer(t)
	s, _ := discordgo.New("Bot " + refused.Token)
	s.Client = refused.Client()
	s.LogLevel = -1
	s.Identify.Intents = intents
	var ce *websocket.CloseError
	if err := s.Open(); !errors.As(err, &ce) || ce.Code != 4014 {
		t.Errorf("Open with MESSAGE_CONTENT not allowed: %v, want close 4014", err)
	}

	srv := discordtest.NewServer(t, discordtest.WithPrivilegedIntents(discordgo.IntentMessageContent))
	got := make(chan *discordgo.MessageCreate, 1)
	open(t, srv, func(s *discordgo.Session) {
		s.Identify.Intents = intents
		s.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) { got <- m })
	})
	sent := srv.Message(discordtest.MessageCreate{Content: "no mention"})
	select {
	case m := <-got:
		if m.ID != sent.ID || m.Content != "no mention" {
			t.Errorf("bot saw %s %q, want %s %q", m.ID, m.Content, sent.ID, "no mention")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("message not delivered")
	}
	if _, err := srv.SendMessage(discordtest.MessageCreate{Content: "hi", From: discordtest.From{DM: true}}); !errors.Is(err, discordtest.ErrIntent) {
		t.Errorf("DM without DIRECT_MESSAGES: %v, want ErrIntent", err)
	}
}

// TestCallbackRejected checks the answers to callbacks Discord refuses:
// an expired interaction and one past the acknowledgement deadline.
func TestCallbackRejected(t *testing.T) {
	t.Parallel()
	srv := discordtest.NewServer(t, discordtest.WithCallbackDeadline(300*time.Millisecond))
	gate := make(chan struct{})
	errs := make(chan error, 1)
	open(t, srv, func(s *discordgo.Session) {
		s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
			switch ic.ApplicationCommandData().Name {
			case "late":
				time.Sleep(400 * time.Millisecond)
			case "expired":
				<-gate
			}
			errs <- s.InteractionRespond(ic.Interaction, say("answer"))
		})
	})
	tests := []struct {
		name     string
		wantCode int
	}{
		{"ok", 0},
		{"late", 10062},
		{"expired", 10062},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := srv.Interaction(discordtest.SlashCommand{Name: tt.name})
			if tt.name == "expired" {
				srv.ExpireInteraction(in.ID)
				close(gate)
			}
			err := <-errs
			if got := restCode(err); (tt.wantCode == 0 && err != nil) || (tt.wantCode != 0 && got != tt.wantCode) {
				t.Errorf("respond: %v, want code %d", err, tt.wantCode)
			}
		})
	}
}

// TestCloseLeavesNoGoroutines runs a server with a session in a subtest
// and checks that the goroutine count returns to where it started once
// both are closed.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	before := runtime.NumGoroutine()
	t.Run("run", func(t *testing.T) {
		srv := discordtest.NewServer(t)
		open(t, srv, answerer(func(*discordgo.InteractionCreate) *discordgo.InteractionResponse { return say("x") }, nil, nil))
		in := srv.Interaction(discordtest.SlashCommand{Name: "x"})
		if _, err := srv.WaitCallback(ctxFor(t, 5*time.Second), in.ID); err != nil {
			t.Fatal(err)
		}
		srv.SetDelay(time.Hour) // an in-flight delayed request must not hold Close up
		go func() {
			resp, err := srv.Client().Get("https://discord.com/api/v9/users/@me")
			if err == nil {
				resp.Body.Close()
			}
		}()
		time.Sleep(50 * time.Millisecond)
	})
	var after int
	for range 100 {
		after = runtime.NumGoroutine()
		if after <= before {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	n := runtime.Stack(buf, true)
	t.Errorf("goroutines: got %d after close, want at most %d\n%s", after, before, buf[:n])
}
