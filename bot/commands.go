package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/bwmarrin/discordgo"
)

// Command and option names.
const (
	cmdAsk     = "ask"
	cmdSources = "sources"
	cmdHelp    = "help"
	cmdReindex = "reindex"

	optQuestion = "question"
	optSource   = "source"
	optResults  = "results"
	optPrivate  = "private"
)

// maxQuestion is the longest /ask question Discord lets users type.
const maxQuestion = 500

// commands returns the slash commands the bot registers.
func commands() []*discordgo.ApplicationCommand {
	minResults := 1.0
	manageServer := int64(discordgo.PermissionManageGuild)
	return []*discordgo.ApplicationCommand{
		{
			Type:        discordgo.ChatApplicationCommand,
			Name:        cmdAsk,
			Description: "Ask a question; get the passages that answer it, with citations",
			Options: []*discordgo.ApplicationCommandOption{
				{
					Type:        discordgo.ApplicationCommandOptionString,
					Name:        optQuestion,
					Description: "Your question",
					Required:    true,
					MaxLength:   maxQuestion,
				},
				{
					Type:         discordgo.ApplicationCommandOptionString,
					Name:         optSource,
					Description:  "Only search this document",
					Autocomplete: true,
				},
				{
					Type:        discordgo.ApplicationCommandOptionInteger,
					Name:        optResults,
					Description: "How many passages to show (1 to 5, default 3)",
					MinValue:    &minResults,
					MaxValue:    maxResults,
				},
				{
					Type:        discordgo.ApplicationCommandOptionBoolean,
					Name:        optPrivate,
					Description: "Show the answer only to you",
				},
			},
		},
		{
			Type:        discordgo.ChatApplicationCommand,
			Name:        cmdSources,
			Description: "List the documents I can quote",
		},
		{
			Type:        discordgo.ChatApplicationCommand,
			Name:        cmdHelp,
			Description: "What I do and how to ask",
		},
		{
			Type:                     discordgo.ChatApplicationCommand,
			Name:                     cmdReindex,
			Description:              "Reload the documents and rebuild the index (server managers)",
			DefaultMemberPermissions: &manageServer,
		},
	}
}

// registerCommands overwrites the registered commands (in the guild, or
// globally) with [commands], unless they already match.
func (b *Bot) registerCommands(ctx context.Context) error {
	_, appID := b.ids()
	scope := "global"
	if b.cfg.GuildID != "" {
		scope = "guild"
	}
	want := commands()
	have, err := b.s.ApplicationCommands(appID, b.cfg.GuildID, discordgo.WithContext(ctx))
	if err != nil {
		if isUnauthorized(err) {
			err = ErrInvalidToken
		}
		return fmt.Errorf("list commands: %w", err)
	}
	if sameCommands(have, want) {
		b.log.Info("commands up to date", "scope", scope, "commands", len(want))
		return nil
	}
	if _, err := b.s.ApplicationCommandBulkOverwrite(appID, b.cfg.GuildID, want, discordgo.WithContext(ctx)); err != nil {
		if isUnauthorized(err) {
			err = ErrInvalidToken
		}
		return fmt.Errorf("register commands: %w", err)
	}
	b.log.Info("commands registered", "scope", scope, "commands", len(want))
	return nil
}

// sameCommands reports whether the registered commands have the names,
// descriptions, options and permissions of want. Fields Discord adds (IDs,
// versions, defaults) are ignored.
func sameCommands(have, want []*discordgo.ApplicationCommand) bool {
	a, b := canonCommands(have), canonCommands(want)
	return bytes.Equal(a, b)
}

type canonCommand struct {
	Type        discordgo.ApplicationCommandType `json:"type"`
	Name        string                           `json:"name"`
	Description string                           `json:"description"`
	Permissions string                           `json:"permissions"`
	Options     []canonOption                    `json:"options"`
}

type canonOption struct {
	Type         discordgo.ApplicationCommandOptionType `json:"type"`
	Name         string                                 `json:"name"`
	Description  string                                 `json:"description"`
	Required     bool                                   `json:"required"`
	Autocomplete bool                                   `json:"autocomplete"`
	MinValue     *float64                               `json:"min_value"`
	MaxValue     float64                                `json:"max_value"`
	MinLength    *int                                   `json:"min_length"`
	MaxLength    int                                    `json:"max_length"`
	Choices      []string                               `json:"choices"`
	Options      []canonOption                          `json:"options"`
}

func canonCommands(cmds []*discordgo.ApplicationCommand) []byte {
	out := make([]canonCommand, 0, len(cmds))
	for _, c := range cmds {
		if c == nil {
			continue
		}
		cc := canonCommand{Type: c.Type, Name: c.Name, Description: c.Description, Options: canonOptions(c.Options)}
		if cc.Type == 0 {
			cc.Type = discordgo.ChatApplicationCommand
		}
		if c.DefaultMemberPermissions != nil {
			cc.Permissions = strconv.FormatInt(*c.DefaultMemberPermissions, 10)
		}
		out = append(out, cc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	data, _ := json.Marshal(out) // plain structs: cannot fail
	return data
}

func canonOptions(opts []*discordgo.ApplicationCommandOption) []canonOption {
	var out []canonOption
	for _, o := range opts {
		if o == nil {
			continue
		}
		co := canonOption{
			Type: o.Type, Name: o.Name, Description: o.Description, Required: o.Required,
			Autocomplete: o.Autocomplete, MinValue: o.MinValue, MaxValue: o.MaxValue,
			MinLength: o.MinLength, MaxLength: o.MaxLength, Options: canonOptions(o.Options),
		}
		for _, ch := range o.Choices {
			v, _ := json.Marshal(ch.Value)
			co.Choices = append(co.Choices, ch.Name+"="+string(v))
		}
		out = append(out, co)
	}
	return out
}
