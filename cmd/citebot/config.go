package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/citebot/citebot/bot"
	"github.com/citebot/citebot/corpus"
)

// setting is one environment variable citebot reads. Every one is
// documented in .env.example (a test keeps the two in step).
type setting struct {
	name   string
	secret bool // never logged
}

// settings lists every variable, in the order .env.example gives them.
var settings = []setting{
	{name: "DISCORD_TOKEN", secret: true},
	{name: "DISCORD_GUILD_ID"},
	{name: "DISCORD_API_BASE"},
	{name: "CITEBOT_ADMIN_IDS"},
	{name: "CITEBOT_CORPUS_DIR"},
	{name: "CITEBOT_INDEX_DIR"},
	{name: "CITEBOT_RATE_PER_MINUTE"},
	{name: "CITEBOT_RATE_BURST"},
	{name: "CITEBOT_LOG_LEVEL"},
	{name: "CITEBOT_LOG_FORMAT"},
}

// source says where the corpus comes from: a folder, or the embedded one.
type source struct {
	Dir string // "" means the embedded default corpus
}

func (s source) FS() fs.FS {
	if s.Dir == "" {
		return corpus.Default()
	}
	return os.DirFS(s.Dir)
}

func (s source) String() string {
	if s.Dir == "" {
		return "embedded default corpus"
	}
	return s.Dir
}

// corpusSource returns the corpus from the flag value, else
// CITEBOT_CORPUS_DIR, else the embedded corpus. A folder that does not
// exist is an error naming where it came from.
func corpusSource(flagDir string, getenv func(string) string) (source, error) {
	dir, from := flagDir, "--corpus"
	if dir == "" {
		dir, from = getenv("CITEBOT_CORPUS_DIR"), "CITEBOT_CORPUS_DIR"
	}
	if dir == "" {
		return source{}, nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return source{}, fmt.Errorf("%s: corpus folder %s: %w", from, dir, err)
	}
	if !st.IsDir() {
		return source{}, fmt.Errorf("%s: corpus folder %s: not a folder", from, dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return source{}, fmt.Errorf("%s: %w", from, err)
	}
	return source{Dir: abs}, nil
}

// indexDir returns the index folder from the flag value, else
// CITEBOT_INDEX_DIR, else a folder in the user cache named after the corpus
// (so two corpora never share an index).
func indexDir(flagDir string, src source, getenv func(string) string) (string, error) {
	if flagDir != "" {
		return flagDir, nil
	}
	if d := getenv("CITEBOT_INDEX_DIR"); d != "" {
		return d, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no index folder: set CITEBOT_INDEX_DIR or --index (%w)", err)
	}
	name := "default"
	if src.Dir != "" {
		sum := sha256.Sum256([]byte(src.Dir))
		name = filepath.Base(src.Dir) + "-" + hex.EncodeToString(sum[:4])
	}
	return filepath.Join(cache, "citebot", name), nil
}

// botConfig reads the Discord settings. Every error names its variable.
func botConfig(getenv func(string) string, logger *slog.Logger) (bot.Config, error) {
	cfg := bot.Config{
		Token:   strings.TrimSpace(getenv("DISCORD_TOKEN")),
		GuildID: strings.TrimSpace(getenv("DISCORD_GUILD_ID")),
		Logger:  logger,
	}
	cfg.Token = strings.TrimPrefix(cfg.Token, "Bot ")
	if cfg.GuildID != "" && !bot.ValidID(cfg.GuildID) {
		return cfg, fmt.Errorf("DISCORD_GUILD_ID: %q is not a Discord ID (digits only)", cfg.GuildID)
	}
	for _, id := range strings.Split(getenv("CITEBOT_ADMIN_IDS"), ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if !bot.ValidID(id) {
			return cfg, fmt.Errorf("CITEBOT_ADMIN_IDS: %q is not a Discord user ID (digits only)", id)
		}
		cfg.AdminIDs = append(cfg.AdminIDs, id)
	}
	if base := strings.TrimSpace(getenv("DISCORD_API_BASE")); base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cfg, fmt.Errorf("DISCORD_API_BASE: %q is not an http(s) URL such as http://127.0.0.1:8080", base)
		}
		cfg.APIBase = strings.TrimRight(base, "/")
	}
	var err error
	if cfg.RatePerMinute, err = intSetting(getenv, "CITEBOT_RATE_PER_MINUTE", 1, 10000); err != nil {
		return cfg, err
	}
	if cfg.Burst, err = intSetting(getenv, "CITEBOT_RATE_BURST", 1, 10000); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// intSetting reads an optional whole number in [lo, hi]; unset gives 0
// (the library's default).
func intSetting(getenv func(string) string, name string, lo, hi int) (int, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s: %q is not a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// newLogger builds the program's logger from CITEBOT_LOG_LEVEL (debug, info,
// warn, error; default info) and CITEBOT_LOG_FORMAT (text or json; default
// text).
func newLogger(getenv func(string) string, w io.Writer) (*slog.Logger, error) {
	return newLoggerAt(getenv, w, slog.LevelInfo)
}

// newCLILogger is [newLogger] for the terminal commands, whose output is the
// answer: unless CITEBOT_LOG_LEVEL says otherwise, only warnings are logged.
func newCLILogger(getenv func(string) string, w io.Writer) (*slog.Logger, error) {
	return newLoggerAt(getenv, w, slog.LevelWarn)
}

func newLoggerAt(getenv func(string) string, w io.Writer, level slog.Level) (*slog.Logger, error) {
	if v := strings.TrimSpace(getenv("CITEBOT_LOG_LEVEL")); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return nil, fmt.Errorf("CITEBOT_LOG_LEVEL: %q is not one of debug, info, warn, error", v)
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch f := strings.ToLower(strings.TrimSpace(getenv("CITEBOT_LOG_FORMAT"))); f {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("CITEBOT_LOG_FORMAT: %q is not text or json", f)
	}
}

// logSettings logs which settings are set, never a secret's value.
func logSettings(logger *slog.Logger, getenv func(string) string) {
	var set []any
	for _, s := range settings {
		v := getenv(s.name)
		if v == "" {
			continue
		}
		if s.secret {
			v = "(set)"
		}
		set = append(set, strings.ToLower(s.name), v)
	}
	logger.Info("settings", set...)
}
