package bot

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// onMessage answers direct messages and messages that mention the bot.
// Other bots' messages and the bot's own are ignored.
func (b *Bot) onMessage(_ *discordgo.Session, mc *discordgo.MessageCreate) {
	start := time.Now()
	if mc == nil || mc.Message == nil {
		return
	}
	m := mc.Message
	self, _ := b.ids()
	question, ok := questionFrom(m, self)
	if !ok {
		return
	}
	b.arrived.Store(start.UnixNano())
	if !b.tasks.enter() {
		return
	}
	go func() {
		defer b.tasks.leave()
		ctx := b.workCtx
		if !b.questions.enter() {
			b.sendReply(ctx, m, msgRestarting, start)
			return
		}
		defer b.questions.leave()
		if ok, warn := b.limiter.allow(m.Author.ID); !ok {
			b.log.Info("rate limited", "user_id", m.Author.ID, "warned", warn)
			if warn {
				b.sendReply(ctx, m, msgRateLimited, start)
			}
			return
		}
		if blank(question) {
			b.sendReply(ctx, m, msgNoQuestion, start)
			return
		}
		if b.log.Enabled(ctx, slog.LevelDebug) {
			b.log.Debug("question", "message_id", m.ID, "question", question)
		}
		b.sendReply(ctx, m, b.askPage(ctx, question, "", 0, defaultResults, ""), start)
	}()
}

// sendReply posts r as a reply to m.
func (b *Bot) sendReply(ctx context.Context, m *discordgo.Message, r reply, start time.Time) {
	noFail := false
	ref := &discordgo.MessageReference{MessageID: m.ID, ChannelID: m.ChannelID, GuildID: m.GuildID, FailIfNotExists: &noFail}
	_, err := b.s.ChannelMessageSendComplex(m.ChannelID, messageSend(r, ref), discordgo.WithContext(ctx))
	attrs := []any{"message_id", m.ID, "user_id", m.Author.ID, "guild_id", m.GuildID, "dm", m.GuildID == "",
		"took_ms", time.Since(start).Milliseconds()}
	if err != nil {
		b.log.Error("message reply failed", append(attrs, "err", err)...)
		return
	}
	b.log.Info("message answered", attrs...)
}

// questionFrom returns the question a message asks the bot (self is its
// user ID), and false when the message is not for the bot: sent by a bot
// (itself included), or in a server without mentioning it. In a direct
// message all the text is the question; in a server, the text without the
// bot's mention. The question may be "" (a bare mention).
func questionFrom(m *discordgo.Message, self string) (string, bool) {
	if m.Author == nil || m.Author.Bot || m.Author.ID == self || self == "" {
		return "", false
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return "", false
	}
	text := m.Content
	if m.GuildID != "" {
		mentioned := strings.Contains(text, "<@"+self+">") || strings.Contains(text, "<@!"+self+">")
		for _, u := range m.Mentions {
			if u != nil && u.ID == self {
				mentioned = true
			}
		}
		if !mentioned {
			return "", false
		}
	}
	text = strings.NewReplacer("<@"+self+">", " ", "<@!"+self+">", " ").Replace(text)
	return oneLine(text), true
}
