package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/citebot/citebot/corpus"
	"github.com/citebot/citebot/retrieval"
)

// onInteraction hands an interaction to a tracked goroutine; with
// SyncEvents the gateway reader waits for event handlers, so they must
// not block.
func (b *Bot) onInteraction(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
	start := time.Now()
	b.arrived.Store(start.UnixNano())
	if ic == nil || ic.Interaction == nil || !b.tasks.enter() {
		return
	}
	go func() {
		defer b.tasks.leave()
		i := ic.Interaction
		defer b.forgetBuckets(i)
		rs := sessionResponder{s: b.s, i: i}
		if !b.questions.enter() {
			b.refuseRestarting(rs, i)
			return
		}
		defer b.questions.leave()
		b.handleInteraction(b.workCtx, rs, i, start)
	}()
}

// refuseRestarting answers an interaction that arrived during shutdown.
func (b *Bot) refuseRestarting(rs responder, i *discordgo.Interaction) {
	resp := callback(newMessage, msgRestarting)
	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		resp = &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{}, AllowedMentions: noMentions()},
		}
	}
	if err := rs.respond(b.workCtx, resp); err != nil {
		b.log.Warn("refuse interaction", "interaction_id", i.ID, "err", err)
	}
}

// interactionLog is what one answered interaction logs.
type interactionLog struct {
	name     string // command, or button kind
	deferred bool
	err      error
}

// handleInteraction routes one interaction and logs how it went.
func (b *Bot) handleInteraction(ctx context.Context, rs responder, i *discordgo.Interaction, start time.Time) {
	var l interactionLog
	switch i.Type {
	case discordgo.InteractionApplicationCommandAutocomplete:
		l = b.autocomplete(ctx, rs, i)
	case discordgo.InteractionApplicationCommand:
		l = b.command(ctx, rs, i)
	case discordgo.InteractionMessageComponent:
		l = b.button(ctx, rs, i)
	default:
		b.log.Debug("interaction ignored", "interaction_type", int(i.Type))
		return
	}
	attrs := []any{
		"kind", l.name, "interaction_id", i.ID, "user_id", interactionUser(i),
		"guild_id", i.GuildID, "deferred", l.deferred, "took_ms", time.Since(start).Milliseconds(),
	}
	if l.err != nil {
		b.log.Error("interaction reply failed", append(attrs, "err", l.err)...)
		return
	}
	b.log.Info("interaction answered", attrs...)
}

// answer runs h within the ack budget; see [answerWithin].
func (b *Bot) answer(ctx context.Context, rs responder, kind responseKind, ephemeral bool, h func(context.Context) reply) (bool, error) {
	return answerWithin(ctx, b.cfg.AckBudget, rs, kind, ephemeral, h)
}

// now sends r as the immediate callback.
func (b *Bot) now(ctx context.Context, rs responder, kind responseKind, r reply) error {
	return rs.respond(ctx, callback(kind, r))
}

func (b *Bot) command(ctx context.Context, rs responder, i *discordgo.Interaction) interactionLog {
	data := i.ApplicationCommandData()
	l := interactionLog{name: data.Name}
	switch data.Name {
	case cmdAsk:
		l.deferred, l.err = b.cmdAsk(ctx, rs, i, data)
	case cmdSources:
		l.deferred, l.err = b.answer(ctx, rs, newMessage, false, func(context.Context) reply {
			return renderSources(b.search.Documents(), 0)
		})
	case cmdHelp:
		l.err = b.now(ctx, rs, newMessage, renderHelp())
	case cmdReindex:
		l.deferred, l.err = b.cmdReindex(ctx, rs, i)
	default:
		l.err = b.now(ctx, rs, newMessage, notice("I don't know that command. Try /help."))
	}
	return l
}

func (b *Bot) cmdAsk(ctx context.Context, rs responder, i *discordgo.Interaction, data discordgo.ApplicationCommandInteractionData) (bool, error) {
	var question, sourceOpt string
	limit, private := defaultResults, false
	for _, o := range data.Options {
		switch o.Name {
		case optQuestion:
			question = strings.TrimSpace(o.StringValue())
		case optSource:
			sourceOpt = strings.TrimSpace(o.StringValue())
		case optResults:
			limit = min(max(int(o.IntValue()), 1), maxResults)
		case optPrivate:
			private = o.BoolValue()
		}
	}
	if blank(question) {
		return false, b.now(ctx, rs, newMessage, msgNoQuestion)
	}
	source := ""
	if sourceOpt != "" {
		var ok bool
		if source, ok = b.sourceOption(sourceOpt); !ok {
			return false, b.now(ctx, rs, newMessage, notice("I don't know a document called “"+escapeClip(oneLine(sourceOpt), 200)+"”. See /sources for the list."))
		}
	}
	if ok, _ := b.limiter.allow(interactionUser(i)); !ok {
		b.log.Info("rate limited", "user_id", interactionUser(i))
		return false, b.now(ctx, rs, newMessage, msgRateLimited)
	}
	b.debugQuestion(i, question)
	return b.answer(ctx, rs, newMessage, private, func(ctx context.Context) reply {
		return b.askPage(ctx, question, source, 0, limit, "")
	})
}

// debugQuestion logs question text, at Debug only.
func (b *Bot) debugQuestion(i *discordgo.Interaction, q string) {
	if b.log.Enabled(context.Background(), slog.LevelDebug) {
		b.log.Debug("question", "interaction_id", i.ID, "question", q)
	}
}

// sourceOption maps the /ask source option to a document path: the path
// itself or its key (what autocomplete sends), else a title typed by hand.
func (b *Bot) sourceOption(v string) (string, bool) {
	docs := b.search.Documents()
	if src, ok := resolveSource(docs, v); ok {
		return src, true
	}
	found := ""
	for _, d := range docs {
		if strings.EqualFold(oneLine(d.Title), oneLine(v)) {
			if found != "" {
				return "", false // ambiguous
			}
			found = d.Source
		}
	}
	return found, found != ""
}

// askPage searches and renders one page of results. ref is the page
// buttons' reference ("" to make one when there is more than one page).
func (b *Bot) askPage(ctx context.Context, question, source string, offset, limit int, ref string) reply {
	ctx, cancel := context.WithTimeout(ctx, searchTimeout)
	defer cancel()
	start := time.Now()
	res, err := b.search.Search(ctx, question, retrieval.SearchOptions{Limit: limit, Offset: offset, Source: source})
	if err != nil {
		b.log.Error("search failed", "err", err, "source", source, "offset", offset)
		return msgSearchFailed
	}
	b.log.Debug("searched", "hits", len(res.Hits), "total", res.Total, "none_relevant", res.NoneRelevant,
		"took_ms", time.Since(start).Milliseconds())
	if ref == "" && (offset > 0 || offset+len(res.Hits) < res.Total) {
		var ok bool
		if ref, ok = inlineAskRef(question, source); !ok {
			ref = "#" + b.refs.put(askRef{Question: question, Source: source})
		}
	}
	v := askView{Question: question, Offset: offset, Limit: limit, Ref: ref}
	if source != "" {
		v.SourceTitle = source
		for _, d := range b.search.Documents() {
			if d.Source == source {
				v.SourceTitle = d.Title
				break
			}
		}
	}
	return renderAnswer(v, res)
}

func (b *Bot) cmdReindex(ctx context.Context, rs responder, i *discordgo.Interaction) (bool, error) {
	user := interactionUser(i)
	if !canReindex(i, b.admins) {
		b.log.Info("reindex refused", "user_id", user, "guild_id", i.GuildID)
		return false, b.now(ctx, rs, newMessage, msgRefused)
	}
	if b.reindex == nil {
		return false, b.now(ctx, rs, newMessage, notice("Re-indexing is not available in this setup."))
	}
	if !b.reindexing.CompareAndSwap(false, true) {
		return false, b.now(ctx, rs, newMessage, msgBusy)
	}
	b.log.Info("reindex started", "user_id", user)
	// A rebuild takes longer than any budget: defer at once.
	return answerWithin(ctx, 0, rs, newMessage, true, func(ctx context.Context) reply {
		defer b.reindexing.Store(false)
		start := time.Now()
		ch, err := b.reindex(ctx)
		if err != nil {
			if errors.Is(err, retrieval.ErrBuildRunning) {
				b.log.Info("reindex already running", "user_id", user)
			} else {
				b.log.Error("reindex failed", "user_id", user, "err", err, "took_ms", time.Since(start).Milliseconds())
			}
			return renderReindexFailed(err)
		}
		b.log.Info("reindexed", "user_id", user, "documents", ch.Documents, "passages", ch.Passages,
			"docs_added", len(ch.DocsAdded), "docs_removed", len(ch.DocsRemoved), "docs_changed", len(ch.DocsChanged),
			"skipped", len(ch.Skipped), "took_ms", ch.Took.Milliseconds())
		return renderReindex(ch)
	})
}

// canReindex reports whether the interaction's user may /reindex: a
// listed admin anywhere, or in a server a member with Manage Server or
// Administrator.
func canReindex(i *discordgo.Interaction, admins map[string]bool) bool {
	if u := interactionUser(i); u != "" && admins[u] {
		return true
	}
	if i.GuildID == "" || i.Member == nil {
		return false
	}
	return i.Member.Permissions&(discordgo.PermissionManageGuild|discordgo.PermissionAdministrator) != 0
}

// interactionUser is the ID of the user who caused i.
func interactionUser(i *discordgo.Interaction) string {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User.ID
	}
	if i.User != nil {
		return i.User.ID
	}
	return ""
}

func (b *Bot) autocomplete(ctx context.Context, rs responder, i *discordgo.Interaction) interactionLog {
	data := i.ApplicationCommandData()
	l := interactionLog{name: data.Name + " autocomplete"}
	typed := ""
	for _, o := range data.Options {
		if o.Focused {
			typed = o.StringValue()
		}
	}
	l.err = rs.respond(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{
			Choices:         sourceChoices(b.search.Documents(), typed),
			AllowedMentions: noMentions(),
		},
	})
	return l
}

// sourceChoices are the autocomplete choices for the /ask source option:
// documents whose title or path contains typed (case-insensitive), those
// starting with it first, at most 25. Each choice shows the title and
// sends the document's path (or its key, when the path is too long).
func sourceChoices(docs []retrieval.DocInfo, typed string) []*discordgo.ApplicationCommandOptionChoice {
	t := strings.ToLower(oneLine(typed))
	var first, rest []retrieval.DocInfo
	for _, d := range docs {
		title := strings.ToLower(oneLine(d.Title))
		src := strings.ToLower(d.Source)
		switch {
		case t == "" || strings.HasPrefix(title, t) || strings.HasPrefix(src, t):
			first = append(first, d)
		case strings.Contains(title, t) || strings.Contains(src, t):
			rest = append(rest, d)
		}
	}
	titles := make(map[string]int)
	for _, d := range docs {
		titles[oneLine(d.Title)]++
	}
	out := []*discordgo.ApplicationCommandOptionChoice{}
	for _, d := range append(first, rest...) {
		if len(out) == maxChoices {
			break
		}
		name := oneLine(d.Title)
		if name == "" || titles[name] > 1 {
			name = strings.TrimSpace(name + " (" + d.Source + ")")
		}
		value := d.Source
		if textLen(value) > maxChoiceValue {
			value = hashKey(d.Source)
		}
		out = append(out, &discordgo.ApplicationCommandOptionChoice{
			Name:  neutraliseMentions(clip(name, maxChoiceName-2)), // room for a zero-width space
			Value: value,
		})
	}
	return out
}

func (b *Bot) button(ctx context.Context, rs responder, i *discordgo.Interaction) interactionLog {
	data := i.MessageComponentData()
	id, err := parseButtonID(data.CustomID)
	l := interactionLog{name: "button " + id.Kind}
	if err != nil {
		b.log.Warn("unknown button", "err", err)
		l.err = b.now(ctx, rs, newMessage, msgExpired)
		return l
	}
	switch id.Kind {
	case kindAsk:
		l.deferred, l.err = b.moreResults(ctx, rs, i, id)
	case kindContext:
		l.err = b.now(ctx, rs, newMessage, b.showContext(id))
	case kindSources:
		l.deferred, l.err = b.answer(ctx, rs, updateMessage, false, func(context.Context) reply {
			return renderSources(b.search.Documents(), id.Page)
		})
	}
	return l
}

// moreResults answers a Previous / More results click by replacing the
// clicked message with the requested page.
func (b *Bot) moreResults(ctx context.Context, rs responder, i *discordgo.Interaction, id buttonID) (bool, error) {
	var question, source, ref string
	if id.CacheID != "" {
		r, ok := b.refs.get(id.CacheID)
		if !ok {
			return false, b.now(ctx, rs, newMessage, msgExpired)
		}
		question, source, ref = r.Question, r.Source, "#"+id.CacheID
	} else {
		question = id.Question
		if id.SourceKey != "" {
			var ok bool
			if source, ok = resolveSource(b.search.Documents(), id.SourceKey); !ok {
				return false, b.now(ctx, rs, newMessage, notice("That document is no longer in the index. Please ask again with /ask."))
			}
		}
		ref, _ = inlineAskRef(question, source)
	}
	if ok, _ := b.limiter.allow(interactionUser(i)); !ok {
		b.log.Info("rate limited", "user_id", interactionUser(i))
		return false, b.now(ctx, rs, newMessage, msgRateLimited)
	}
	b.debugQuestion(i, question)
	return b.answer(ctx, rs, updateMessage, false, func(ctx context.Context) reply {
		return b.askPage(ctx, question, source, id.Offset, id.Limit, ref)
	})
}

// showContext renders the passage of a Show context click between its
// neighbours.
func (b *Bot) showContext(id buttonID) reply {
	src, ok := resolveSource(b.search.Documents(), id.SourceKey)
	if !ok {
		return msgNoContext
	}
	p, ok := b.search.Passage(src, id.Seq)
	if !ok {
		return msgNoContext
	}
	var prev, next *corpus.Passage
	if id.Seq > 0 {
		if q, ok := b.search.Passage(src, id.Seq-1); ok {
			prev = &q
		}
	}
	if q, ok := b.search.Passage(src, id.Seq+1); ok {
		next = &q
	}
	return renderContext(p, prev, next)
}
