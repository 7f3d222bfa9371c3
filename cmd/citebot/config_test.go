package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestEnvExampleDocumentsEverySetting keeps .env.example and the settings
// list in step: every setting is documented, and nothing else is.
func TestEnvExampleDocumentsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile(`(?m)^([A-Z][A-Z0-9_]*)=`).FindAllStringSubmatch(string(b), -1) {
		documented = append(documented, m[1])
	}
	var want []string
	for _, s := range settings {
		want = append(want, s.name)
	}
	if got, want := strings.Join(documented, " "), strings.Join(want, " "); got != want {
		t.Errorf(".env.example documents\n  %s\nwant (config.go settings, same order)\n  %s", got, want)
	}
}

func TestBotConfigErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // substring of the error; "" means no error
	}{
		{"defaults", map[string]string{"DISCORD_TOKEN": "abc"}, ""},
		{"guild not a snowflake", map[string]string{"DISCORD_GUILD_ID": "my-server"}, "DISCORD_GUILD_ID"},
		{"admin not a snowflake", map[string]string{"CITEBOT_ADMIN_IDS": "123, bob"}, "CITEBOT_ADMIN_IDS"},
		{"bad api base", map[string]string{"DISCORD_API_BASE": "localhost:8080"}, "DISCORD_API_BASE"},
		{"rate not a number", map[string]string{"CITEBOT_RATE_PER_MINUTE": "lots"}, "CITEBOT_RATE_PER_MINUTE"},
		{"burst zero", map[string]string{"CITEBOT_RATE_BURST": "0"}, "CITEBOT_RATE_BURST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := botConfig(func(k string) string { return tt.env[k] }, nil)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got error %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestBotConfigParsesValues(t *testing.T) {
	env := map[string]string{
		"DISCORD_TOKEN":           " Bot secret ",
		"DISCORD_GUILD_ID":        "123456789012345678",
		"CITEBOT_ADMIN_IDS":       "1, 22 ,,333",
		"DISCORD_API_BASE":        "http://127.0.0.1:8080/",
		"CITEBOT_RATE_PER_MINUTE": "30",
	}
	cfg, err := botConfig(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Token != "secret" {
		t.Errorf("got token %q, want %q", cfg.Token, "secret")
	}
	if got := strings.Join(cfg.AdminIDs, ","); got != "1,22,333" {
		t.Errorf("got admin IDs %q, want 1,22,333", got)
	}
	if cfg.APIBase != "http://127.0.0.1:8080" {
		t.Errorf("got API base %q, want http://127.0.0.1:8080", cfg.APIBase)
	}
	if cfg.RatePerMinute != 30 || cfg.Burst != 0 {
		t.Errorf("got rate %d burst %d, want 30 and 0", cfg.RatePerMinute, cfg.Burst)
	}
}

func TestLoggerSettings(t *testing.T) {
	for _, tt := range []struct {
		level, format string
		ok            bool
	}{
		{"", "", true}, {"debug", "json", true}, {"WARN", "text", true},
		{"loud", "", false}, {"", "xml", false},
	} {
		env := map[string]string{"CITEBOT_LOG_LEVEL": tt.level, "CITEBOT_LOG_FORMAT": tt.format}
		_, err := newLogger(func(k string) string { return env[k] }, os.Stderr)
		if (err == nil) != tt.ok {
			t.Errorf("level %q format %q: got error %v, want ok=%v", tt.level, tt.format, err, tt.ok)
		}
	}
}
