package discordtest_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/citebot/citebot/bot/discordtest"
)

// open starts a real discordgo session against srv. setup runs before Open
// (add handlers there). The session closes in t.Cleanup, before the server.
func open(t *testing.T, srv *discordtest.Server, setup func(*discordgo.Session)) *discordgo.Session {
	t.Helper()
	s, err := discordgo.New("Bot " + srv.Token)
	if err != nil {
		t.Fatal(err)
	}
	s.Client = srv.Client()
	// Fault tests provoke gateway errors that discordgo would print to
	// stderr through the log package.
	s.LogLevel = -1
	if os.Getenv("DG_DEBUG") != "" {
		s.LogLevel = discordgo.LogInformational
	}
	if setup != nil {
		setup(s)
	}
	if err := s.Open(); err != nil {
		t.Fatalf("open session: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := srv.WaitReady(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	return s
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// noPings is the allowed_mentions every citebot reply carries.
func noPings() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// restCode returns the Discord error code of a *discordgo.RESTError, or -1.
func restCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return -1
}

func restStatus(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode
	}
	return -1
}

// answerer responds to every interaction with content from reply, and
// sends each interaction it sees on got (buffered, never blocking).
func answerer(reply func(*discordgo.InteractionCreate) *discordgo.InteractionResponse, got chan<- *discordgo.InteractionCreate, errs chan<- error) func(*discordgo.Session) {
	return func(s *discordgo.Session) {
		s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
			if got != nil {
				select {
				case got <- ic:
				default:
				}
			}
			err := s.InteractionRespond(ic.Interaction, reply(ic))
			if errs != nil {
				select {
				case errs <- err:
				default:
				}
			}
		})
	}
}

func say(content string) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: content, AllowedMentions: noPings()},
	}
}
