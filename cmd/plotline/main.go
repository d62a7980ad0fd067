// Command plotline is the one Plotline binary: it wires the store, the
// curated dataset, the analysis and the server together. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/plotline-dev/plotline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain(os.Stdout, os.Stderr, os.Getenv)
	err := m.Run(ctx, os.Args[1:])
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "plotline:", plotline.ErrorMessage(err))
			if plotline.ErrorCode(err) == plotline.EINTERNAL {
				fmt.Fprintln(os.Stderr, "  cause:", err)
			}
		}
		os.Exit(exitCode(err))
	}
}

// exitCode maps error codes to exit statuses: 2 for bad input, 1 otherwise.
func exitCode(err error) int {
	switch plotline.ErrorCode(err) {
	case plotline.EINVALID, plotline.ENOTFOUND:
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// Main is the program, with its outputs and environment passed in so tests
// can drive it end to end.
type Main struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Now is the clock used for "today" (default as-of dates).
	Now func() time.Time
}

// NewMain returns a Main writing to the given streams.
func NewMain(stdout, stderr io.Writer, getenv func(string) string) *Main {
	return &Main{Stdout: stdout, Stderr: stderr, Getenv: getenv, Now: time.Now}
}

type command struct {
	summary string
	run     func(m *Main, ctx context.Context, args []string) error
}

func (m *Main) commands() map[string]command {
	return map[string]command{
		"serve":   {"run the web app and JSON API", (*Main).serve},
		"query":   {"list incidents matching a filter", (*Main).query},
		"show":    {"print one incident with its attribution timeline and sources", (*Main).show},
		"report":  {"run a report (external-ops)", (*Main).report},
		"project": {"rate so far in a period and a projection of its total, with earlier years", (*Main).project},
		"dataset": {"check or load the curated dataset (check [DIR] | load)", (*Main).datasetCmd},
		"history": {"list the versions of one record (history KIND ID)", (*Main).history},
		"gen":     {"generate synthetic ACLED-like events (--rows N --seed S, into --db or --csv acled|gtd --out FILE)", (*Main).genCmd},

		// Store operations (docs/operations.md).
		"migrate-store": {"copy a whole store, history included, into an empty one and verify it (migrate-store FROM TO)", (*Main).migrateStore},
		"backup":        {"write a consistent, verified copy of the database to FILE (backup FILE)", (*Main).backup},
		"restore":       {"replace the database with a backup (restore FILE)", (*Main).restore},

		// Exchange formats (docs/exports.md).
		"export": {"export incidents, statements, actors and sources (export csv|json|geojson|stix [--out FILE] [QUERY])", (*Main).exportCmd},
		"import": {"import a dataset (import gtd|acled|ucdp|csv|stix FILE [--mapping F] [--keep-going --rejects FILE])", (*Main).importCmd},
		"review": {"review unmatched group names and duplicate candidates (review names | review duplicates)", (*Main).review},
		"user":   {"manage accounts and API tokens (user add|list|disable|enable|set|password|token|tokens|revoke)", (*Main).user},

		// Review workflow and audit (cmd_workflow.go).
		"workflow": {"drafts awaiting review: list, show, publish or send back (workflow drafts | show|publish|return CHANGE)", (*Main).workflowCmd},
		"revert":   {"undo a change as a new change (revert CHANGE [--note WHY])", (*Main).revert},
		"audit":    {"the audit log: every change, who, when, what, why (audit [--by --action --kind --id --from --to] [--format text|csv|json])", (*Main).audit},

		// Measurement (docs/api.md).
		"loadtest": {"measure requests/s and p50/p99 of the dashboard endpoints on a loopback server (bounded)", (*Main).loadtest},

		// Measurement with writes (docs/operations.md).
		"loadtest-mixed": {"mixed reads and writes from N clients for a bounded time on a loopback server; writes to the database (loadtest-mixed --clients 32 --duration 60s)", (*Main).loadtestMixed},
	}
}

// Run dispatches to a subcommand.
func (m *Main) Run(ctx context.Context, args []string) error {
	cmds := m.commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		m.usage(cmds)
		return flag.ErrHelp
	}
	// Accept a global --db before the subcommand too.
	var pre []string
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		if strings.Contains(args[0], "=") {
			pre, args = append(pre, args[0]), args[1:]
			continue
		}
		pre, args = append(pre, args[0], args[1]), args[2:]
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		m.usage(cmds)
		return plotline.Errorf(plotline.EINVALID, "unknown command %q", args[0])
	}
	return cmd.run(m, ctx, append(pre, args[1:]...))
}

func (m *Main) usage(cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(m.Stderr, "Usage: plotline [--db PATH] COMMAND [flags] [args]\n\nCommands:")
	for _, n := range names {
		fmt.Fprintf(m.Stderr, "  %-13s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(m.Stderr, "\nThe database is plotline.db unless --db or PLOTLINE_DB says otherwise. Run 'plotline COMMAND -h' for a command's flags.")
}

// flags is what every command accepts.
type flags struct {
	*flag.FlagSet
	db string
}

func (m *Main) newFlags(name, usage string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	f := &flags{FlagSet: fs}
	def := m.Getenv("PLOTLINE_DB")
	if def == "" {
		def = "plotline.db"
	}
	fs.StringVar(&f.db, "db", def, "database path (or PLOTLINE_DB)")
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: plotline %s %s\n\nFlags:\n", name, usage)
		fs.PrintDefaults()
	}
	return f
}

// parse parses flags wherever they stand among the positional arguments.
// An unknown or malformed flag is the user's error (EINVALID, with the flag
// package's message); --help stays flag.ErrHelp.
func (f *flags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, plotline.Errorf(plotline.EINVALID, "%v", err)
		}
		args = f.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// asOfFlags registers --as-of (world clock) and --recorded (record clock).
type asOfFlags struct{ stated, recorded string }

func (a *asOfFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.stated, "as-of", "", "world clock: only what had been stated (and made public) by this day, YYYY-MM-DD")
	fs.StringVar(&a.recorded, "recorded", "", "record clock: only what Plotline had recorded by this day (YYYY-MM-DD) or instant (RFC 3339)")
}

func (a *asOfFlags) parse() (plotline.AsOf, error) {
	var out plotline.AsOf
	if a.stated != "" {
		d, err := plotline.ParseDay(a.stated)
		if err != nil {
			return out, plotline.FieldError("as-of", "%v", err)
		}
		out.Stated = &d
	}
	if a.recorded != "" {
		t, err := parseInstant(a.recorded)
		if err != nil {
			return out, plotline.FieldError("recorded", "%v", err)
		}
		out.Recorded = &t
	}
	return out, nil
}

// parseInstant reads an RFC 3339 instant, or a day meaning its last instant.
func parseInstant(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := plotline.ParseDay(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a day nor an RFC 3339 time", s)
	}
	return d.EndTime(), nil
}

// today returns the current day on Main's clock.
func (m *Main) today() plotline.Day { return plotline.DayOf(m.Now()) }
