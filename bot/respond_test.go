package bot

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bwmarrin/discordgo"
)

// recResponder records what answerWithin sends, with the (fake) time.
type recResponder struct {
	mu        sync.Mutex
	start     time.Time
	calls     []recCall
	failFirst error
}

type recCall struct {
	what string // "callback", "edit", "followup"
	at   time.Duration
	resp *discordgo.InteractionResponse
	r    reply
}

func (rr *recResponder) add(c recCall) error {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	c.at = time.Since(rr.start)
	rr.calls = append(rr.calls, c)
	if len(rr.calls) == 1 && rr.failFirst != nil {
		return rr.failFirst
	}
	return nil
}

func (rr *recResponder) respond(_ context.Context, resp *discordgo.InteractionResponse) error {
	return rr.add(recCall{what: "callback", resp: resp})
}

func (rr *recResponder) editOriginal(_ context.Context, r reply) error {
	return rr.add(recCall{what: "edit", r: r})
}

func (rr *recResponder) followup(_ context.Context, r reply) error {
	return rr.add(recCall{what: "followup", r: r})
}

func TestAnswerWithinDeadline(t *testing.T) {
	const budget = 1500 * time.Millisecond
	answer := reply{Content: "the answer"}
	tests := []struct {
		name      string
		work      time.Duration
		kind      responseKind
		ephemeral bool
		r         reply
		want      []string // calls in order
		wantType  []discordgo.InteractionResponseType
		deferred  bool
		flags     discordgo.MessageFlags // of the first callback
	}{
		{name: "fast new message", work: time.Second, r: answer, want: []string{"callback"},
			wantType: []discordgo.InteractionResponseType{discordgo.InteractionResponseChannelMessageWithSource}},
		{name: "fast private", work: 0, ephemeral: true, r: answer, want: []string{"callback"},
			wantType: []discordgo.InteractionResponseType{discordgo.InteractionResponseChannelMessageWithSource}, flags: discordgo.MessageFlagsEphemeral},
		{name: "slow new message", work: 2 * time.Second, r: answer, want: []string{"callback", "edit"},
			wantType: []discordgo.InteractionResponseType{discordgo.InteractionResponseDeferredChannelMessageWithSource}, deferred: true},
		{name: "slow private", work: 5 * time.Second, ephemeral: true, r: answer, want: []string{"callback", "edit"},
			wantType: []discordgo.InteractionResponseType{discordgo.InteractionResponseDeferredChannelMessageWithSource}, deferred: true, flags: discordgo.MessageFlagsEphemeral},
		{name: "fast update", work: time.Millisecond, kind: updateMessage, r: answer, want: []string{"callback"},
			wantType: []discordgo.InteractionResponseType{discordgo.InteractionResponseUpdateMessage}},
		{name: "slow update", work: 3 * time.Second, kind: updateMessage, r: answer, want: []string{"callback", "edit"},
			wantType: []discordgo.InteractionResponseType{discordgo.InteractionResponseDeferredMessageUpdate}, deferred: true},
		{name: "fast notice on update is a new ephemeral message", work: 0, kind: updateMessage, r: msgSearchFailed, want: []string{"callback"},
			wantType: []discordgo.InteractionResponseType{discordgo.InteractionResponseChannelMessageWithSource}, flags: discordgo.MessageFlagsEphemeral},
		{name: "slow notice on update is a followup", work: 2 * time.Second, kind: updateMessage, r: msgSearchFailed, want: []string{"callback", "followup"},
			wantType: []discordgo.InteractionResponseType{discordgo.InteractionResponseDeferredMessageUpdate}, deferred: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rr := &recResponder{start: time.Now()}
				deferred, err := answerWithin(t.Context(), budget, rr, tt.kind, tt.ephemeral, func(ctx context.Context) reply {
					time.Sleep(tt.work)
					return tt.r
				})
				if err != nil {
					t.Fatalf("answerWithin: %v", err)
				}
				if deferred != tt.deferred {
					t.Errorf("deferred = %v, want %v", deferred, tt.deferred)
				}
				var got []string
				for _, c := range rr.calls {
					got = append(got, c.what)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("got calls %v, want %v", got, tt.want)
				}
				for k := range got {
					if got[k] != tt.want[k] {
						t.Fatalf("got calls %v, want %v", got, tt.want)
					}
				}
				first := rr.calls[0]
				if first.resp.Type != tt.wantType[0] {
					t.Errorf("callback type %d, want %d", first.resp.Type, tt.wantType[0])
				}
				if first.resp.Data.Flags != tt.flags {
					t.Errorf("callback flags %d, want %d", first.resp.Data.Flags, tt.flags)
				}
				if !mentionsOffData(first.resp) {
					t.Errorf("callback without allowed_mentions parse []")
				}
				// The callback always goes out within the budget (Discord's
				// deadline is 3 s); a direct answer as soon as it is ready.
				wantAt := min(tt.work, budget)
				if first.at != wantAt {
					t.Errorf("callback at %v, want %v", first.at, wantAt)
				}
				if tt.deferred && rr.calls[1].at != tt.work {
					t.Errorf("%s at %v, want %v (as soon as the answer is ready)", rr.calls[1].what, rr.calls[1].at, tt.work)
				}
				if rr.calls[len(rr.calls)-1].what == "followup" && !rr.calls[1].r.Ephemeral {
					t.Errorf("followup not ephemeral")
				}
			})
		})
	}
}

func mentionsOffData(resp *discordgo.InteractionResponse) bool {
	data, err := json.Marshal(resp.Data)
	if err != nil {
		return false
	}
	var m struct {
		AllowedMentions json.RawMessage `json:"allowed_mentions"`
	}
	_ = json.Unmarshal(data, &m)
	return mentionsOff(m.AllowedMentions)
}

func TestAnswerWithinAckFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rr := &recResponder{start: time.Now(), failFirst: errors.New("HTTP 404 Not Found, Unknown interaction")}
		finished := false
		deferred, err := answerWithin(t.Context(), time.Second, rr, newMessage, false, func(ctx context.Context) reply {
			time.Sleep(2 * time.Second)
			finished = true
			return reply{Content: "late"}
		})
		if err == nil || !deferred {
			t.Errorf("got deferred=%v err=%v, want deferred with an error", deferred, err)
		}
		if !finished {
			t.Errorf("answerWithin returned before the handler finished")
		}
		if len(rr.calls) != 1 {
			t.Errorf("got %d calls, want only the failed acknowledgement", len(rr.calls))
		}
	})
}

func TestCallbackAlwaysHasAllowedMentions(t *testing.T) {
	for _, kind := range []responseKind{newMessage, updateMessage} {
		for _, r := range []reply{{}, msgRateLimited, renderHelp(), renderSources(docs(30), 1)} {
			resp := callback(kind, r)
			if !mentionsOffData(resp) {
				t.Errorf("kind %d reply %q: no allowed_mentions parse []", kind, r.Content)
			}
			data, _ := json.Marshal(resp.Data)
			if p := limitProblems(data); p != nil {
				t.Errorf("limits: %v", p)
			}
		}
	}
}
