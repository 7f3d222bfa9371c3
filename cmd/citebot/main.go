// Command citebot answers questions from a document corpus by quoting the
// passages that best answer them, each with its citation. It runs as a
// Discord bot, or from the terminal.
//
// Usage:
//
//	citebot [serve]                 run the Discord bot (needs DISCORD_TOKEN)
//	citebot ask [flags] QUESTION    print the best passages for a question
//	citebot index [flags]           build the index and print what it holds
//	citebot eval [flags]            score retrieval on a question set
//	citebot help                    print this help
//
// Examples:
//
//	citebot ask "How many Britons travelled to Syria and Iraq?"
//	citebot ask --json -k 5 "what did Basu say about the 20,000?"
//	citebot index --corpus ./docs --index ./docs-index
//	citebot eval --questions ../shared/eval/seed-dev.jsonl
//	citebot eval --squad ../shared/data/squad/dev-v1.1.json --json
//	DISCORD_TOKEN=... citebot serve
//
// Without --corpus (or CITEBOT_CORPUS_DIR), citebot uses the corpus embedded
// in the binary, and keeps its index in the user cache folder. Settings come
// from flags, then the environment, then a .env file in the working folder
// (the real environment wins over .env); .env.example documents each one.
//
// Exit status: 0 on success, 2 on a usage error, 1 on any other error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/joho/godotenv"
)

func main() {
	// A missing .env is normal; a malformed one is worth saying.
	if err := godotenv.Load(); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "citebot: read .env: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// usageError marks an error in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// errHelp is returned when -h was asked for: the usage is printed, and the
// program exits 0.
var errHelp = errors.New("help requested")

func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "citebot: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "Run 'citebot help' for usage.")
		return 2
	}
	return 1
}

const helpText = `citebot answers questions by quoting the passages of a corpus that answer them.

Usage:
  citebot [serve]                 run the Discord bot (needs DISCORD_TOKEN)
  citebot ask [flags] QUESTION    print the best passages for a question
  citebot index [flags]           build the index and print what it holds
  citebot eval [flags]            score retrieval on a question set
  citebot help                    print this help

Run 'citebot COMMAND -h' for a command's flags. Settings are read from the
environment and from .env; see .env.example.
`

// run is the whole program: main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve", "run":
		return runServe(ctx, args, getenv, stdout, stderr)
	case "ask":
		return runAsk(ctx, args, getenv, stdout, stderr)
	case "index":
		return runIndex(ctx, args, getenv, stdout, stderr)
	case "eval":
		return runEval(ctx, args, getenv, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, helpText)
		return nil
	default:
		return usagef("unknown command %q", cmd)
	}
}
