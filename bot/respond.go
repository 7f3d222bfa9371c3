package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// responseKind says how an interaction is answered.
type responseKind int

const (
	// newMessage answers with a new message (callback type 4; deferred,
	// type 5 then an edit of the original response).
	newMessage responseKind = iota
	// updateMessage replaces the message whose button was clicked
	// (callback type 7; deferred, type 6 then an edit).
	updateMessage
)

// responder sends the parts of an interaction's answer.
type responder interface {
	// respond sends the interaction callback; Discord accepts one, within
	// 3 seconds of the interaction.
	respond(ctx context.Context, resp *discordgo.InteractionResponse) error
	// editOriginal replaces the response (after a deferred callback).
	editOriginal(ctx context.Context, r reply) error
	// followup sends another message (after the callback).
	followup(ctx context.Context, r reply) error
}

// answerWithin runs h and answers the interaction with its reply within
// Discord's deadline. When h is done within budget the reply is the
// callback itself; otherwise answerWithin sends a deferred callback
// (ephemeral when asked, for new messages) as soon as the budget is spent
// and, once h is done, edits the reply in. A Notice reply to a deferred
// update goes out as an ephemeral followup instead, so an error never
// replaces the results the user clicked on. h runs with ctx, and must
// return soon after ctx ends. answerWithin returns once the reply is sent
// (or sending failed) and h has returned; deferred says whether it
// deferred.
func answerWithin(ctx context.Context, budget time.Duration, rs responder, kind responseKind, ephemeral bool, h func(context.Context) reply) (deferred bool, err error) {
	done := make(chan reply, 1) // h's goroutine never blocks, even if unread
	go func() { done <- h(ctx) }()
	t := time.NewTimer(budget)
	defer t.Stop()
	select {
	case r := <-done:
		if kind == newMessage && ephemeral {
			r.Ephemeral = true
		}
		return false, rs.respond(ctx, callback(kind, r))
	case <-t.C:
	}
	ack := &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{AllowedMentions: noMentions()},
	}
	if kind == updateMessage {
		ack.Type = discordgo.InteractionResponseDeferredMessageUpdate
	} else if ephemeral {
		ack.Data.Flags = discordgo.MessageFlagsEphemeral
	}
	ackErr := rs.respond(ctx, ack)
	r := <-done
	if ackErr != nil {
		return true, fmt.Errorf("defer: %w", ackErr)
	}
	if kind == updateMessage && r.Notice {
		r.Ephemeral = true
		return true, rs.followup(ctx, r)
	}
	return true, rs.editOriginal(ctx, r)
}

// callback is the interaction callback carrying r directly: a new message,
// or an update of the clicked message unless r is a Notice.
func callback(kind responseKind, r reply) *discordgo.InteractionResponse {
	r = fitLimits(r)
	data := &discordgo.InteractionResponseData{
		Content:         r.Content,
		Embeds:          nonNilEmbeds(r.Embeds),
		Components:      nonNilComponents(r.Components),
		AllowedMentions: noMentions(),
	}
	t := discordgo.InteractionResponseChannelMessageWithSource
	if kind == updateMessage && !r.Notice {
		t = discordgo.InteractionResponseUpdateMessage
	} else if r.Ephemeral || r.Notice {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	return &discordgo.InteractionResponse{Type: t, Data: data}
}

func nonNilEmbeds(e []*discordgo.MessageEmbed) []*discordgo.MessageEmbed {
	if e == nil {
		return []*discordgo.MessageEmbed{}
	}
	return e
}

func nonNilComponents(c []discordgo.MessageComponent) []discordgo.MessageComponent {
	if c == nil {
		return []discordgo.MessageComponent{}
	}
	return c
}

// sessionResponder answers one interaction through a discordgo session.
type sessionResponder struct {
	s *discordgo.Session
	i *discordgo.Interaction
}

func (sr sessionResponder) respond(ctx context.Context, resp *discordgo.InteractionResponse) error {
	if err := sr.s.InteractionRespond(sr.i, resp, discordgo.WithContext(ctx)); err != nil {
		return fmt.Errorf("interaction callback: %w", hideURL(err))
	}
	return nil
}

func (sr sessionResponder) editOriginal(ctx context.Context, r reply) error {
	r = fitLimits(r)
	embeds, comps := nonNilEmbeds(r.Embeds), nonNilComponents(r.Components)
	_, err := sr.s.InteractionResponseEdit(sr.i, &discordgo.WebhookEdit{
		Content:         &r.Content,
		Embeds:          &embeds,
		Components:      &comps,
		AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("edit interaction response: %w", hideURL(err))
	}
	return nil
}

func (sr sessionResponder) followup(ctx context.Context, r reply) error {
	r = fitLimits(r)
	p := &discordgo.WebhookParams{
		Content:         r.Content,
		Embeds:          r.Embeds,
		Components:      nonNilComponents(r.Components),
		AllowedMentions: noMentions(),
	}
	if r.Ephemeral {
		p.Flags = discordgo.MessageFlagsEphemeral
	}
	if _, err := sr.s.FollowupMessageCreate(sr.i, true, p, discordgo.WithContext(ctx)); err != nil {
		return fmt.Errorf("send followup: %w", hideURL(err))
	}
	return nil
}

// hideURL drops the request URL from a transport error (a timeout, a
// refused connection): interaction and webhook URLs hold the interaction
// token, which lets anyone answer as the bot for 15 minutes and has no
// place in the logs.
func hideURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("%s request timed out: %w", strings.ToUpper(ue.Op), ue.Err)
		}
		return fmt.Errorf("%s request: %w", strings.ToUpper(ue.Op), ue.Err)
	}
	return err
}

// messageSend is the channel message carrying r as a reply to the message
// ref (nil for none).
func messageSend(r reply, ref *discordgo.MessageReference) *discordgo.MessageSend {
	r = fitLimits(r)
	return &discordgo.MessageSend{
		Content:         r.Content,
		Embeds:          nonNilEmbeds(r.Embeds),
		Components:      nonNilComponents(r.Components),
		AllowedMentions: noMentions(),
		Reference:       ref,
	}
}

// fitLimits is the last guard before sending: whatever r holds, the
// message it becomes fits Discord's limits. Rendering already keeps within
// them, so normally it changes nothing.
func fitLimits(r reply) reply {
	if textLen(r.Content) > maxContent {
		r.Content = clip(r.Content, maxContent)
	}
	if len(r.Embeds) > maxEmbeds {
		r.Embeds = r.Embeds[:maxEmbeds]
	}
	r.Embeds = append([]*discordgo.MessageEmbed(nil), r.Embeds...) // never change the caller's
	total := 0
	for k, e := range r.Embeds {
		if textLen(e.Title) > maxEmbedTitle || textLen(e.Description) > maxEmbedDesc ||
			len(e.Fields) > maxFields || (e.Footer != nil && textLen(e.Footer.Text) > maxFooter) {
			c := *e
			c.Title = clip(c.Title, maxEmbedTitle)
			c.Description = clip(c.Description, maxEmbedDesc)
			if len(c.Fields) > maxFields {
				c.Fields = c.Fields[:maxFields]
			}
			if c.Footer != nil {
				c.Footer = &discordgo.MessageEmbedFooter{Text: clip(c.Footer.Text, maxFooter)}
			}
			r.Embeds[k] = &c
			e = &c
		}
		total += embedLen(e)
	}
	for k := len(r.Embeds) - 1; k >= 0 && total > maxEmbedsTotal; k-- {
		c := *r.Embeds[k]
		over := total - maxEmbedsTotal
		keep := max(textLen(c.Description)-over, 0)
		total -= textLen(c.Description)
		c.Description = clip(c.Description, keep)
		total += textLen(c.Description)
		r.Embeds[k] = &c
	}
	for total > maxEmbedsTotal && len(r.Embeds) > 0 { // titles and footers alone are too long
		total -= embedLen(r.Embeds[len(r.Embeds)-1])
		r.Embeds = r.Embeds[:len(r.Embeds)-1]
	}
	return r
}
