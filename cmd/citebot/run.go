package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/citebot/citebot/bot"
	"github.com/citebot/citebot/retrieval"
)

// Serve is `citebot serve`: the Discord bot.
type Serve struct {
	Bot      bot.Config
	Corpus   source
	IndexDir string
	Logger   *slog.Logger
	// HTTPClient, if set, carries the bot's REST calls (tests point it at
	// a fake Discord).
	HTTPClient *http.Client
	// Ready, if set, is called once the index is open and the bot is about
	// to connect.
	Ready func()
}

const noTokenHelp = `DISCORD_TOKEN is not set.

citebot needs a bot token to connect to Discord:
  1. Open https://discord.com/developers/applications and create an application.
  2. Under "Bot", reset and copy the token; put it in .env as DISCORD_TOKEN=...
  3. Under "OAuth2", pick the scopes "bot" and "applications.commands" and open
     the generated URL to add the bot to your server.
See README.md for details. To try citebot without Discord, ask from the terminal:
  citebot ask "How many Britons travelled to Syria and Iraq?"`

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: citebot [serve]\n\nAll settings come from the environment or .env; see .env.example.")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("serve: unexpected argument %q", fs.Arg(0))
	}
	logger, err := newLogger(getenv, stderr)
	if err != nil {
		return err
	}
	s := Serve{Logger: logger}
	if s.Bot, err = botConfig(getenv, logger); err != nil {
		return err
	}
	if s.Bot.Token == "" {
		return errors.New(noTokenHelp)
	}
	if s.Corpus, err = corpusSource("", getenv); err != nil {
		return err
	}
	if s.IndexDir, err = indexDir("", s.Corpus, getenv); err != nil {
		return err
	}
	logSettings(logger, getenv)
	return s.Run(ctx, stderr)
}

// Run opens the index (building it when needed) and serves Discord until ctx
// ends.
func (s *Serve) Run(ctx context.Context, stderr io.Writer) error {
	start := time.Now()
	st, c, built, err := openStore(ctx, s.Corpus, s.IndexDir, s.Logger, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	s.Logger.Info("index ready", "corpus", s.Corpus.String(), "index", s.IndexDir,
		"documents", len(c.Documents), "passages", len(c.Passages()), "skipped", len(c.Skipped),
		"built", built, "took_ms", time.Since(start).Milliseconds())

	reindex := func(ctx context.Context) (retrieval.Change, error) {
		c, err := loadCorpus(s.Corpus, io.Discard)
		if err != nil {
			return retrieval.Change{}, err
		}
		return st.Rebuild(ctx, c)
	}
	cfg := s.Bot
	if s.HTTPClient != nil {
		cfg.HTTPClient = s.HTTPClient
	}
	if cfg.Logger == nil {
		cfg.Logger = s.Logger
	}
	b, err := bot.New(cfg, st, reindex)
	if err != nil {
		return err
	}
	if s.Ready != nil {
		s.Ready()
	}
	return b.Run(ctx)
}
