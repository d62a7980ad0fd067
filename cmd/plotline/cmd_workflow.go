package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/httpapi"
)

// The review workflow and the audit log from the command line (workflow.go
// in the root package). The command line acts on the database directly, as
// whoever may open it: it records --by (default PLOTLINE_USER, then USER).
// "review" stays the command for names and duplicates (cmd_review.go);
// drafts are "workflow".

// workflowStore is a store with the review workflow.
func (m *Main) workflowStore(ctx context.Context, dsn string) (plotline.Store, plotline.Workflow, error) {
	db, err := m.openAnyStore(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	wf, ok := db.(plotline.Workflow)
	if !ok {
		db.Close()
		return nil, nil, plotline.Errorf(plotline.ENOTIMPLEMENTED, "this store keeps no review workflow")
	}
	return db, wf, nil
}

func (m *Main) who(by string) string {
	for _, env := range []string{"PLOTLINE_USER", "USER"} {
		if by == "" {
			by = m.Getenv(env)
		}
	}
	return by
}

func parseChange(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || id < 1 {
		return 0, plotline.Errorf(plotline.EINVALID, "%q is not a change number", s)
	}
	return id, nil
}

// workflowCmd: drafts, show, publish, return.
func (m *Main) workflowCmd(ctx context.Context, args []string) error {
	f := m.newFlags("workflow", `drafts [--status draft|returned|published|superseded|all] [--by USER]
       plotline workflow show CHANGE
       plotline workflow publish CHANGE [--note WHY]
       plotline workflow return CHANGE --note WHY`)
	by := f.String("by", "", "drafts: only this author; publish, return: who decides (default PLOTLINE_USER, then USER)")
	note := f.String("note", "", "why (required to return)")
	status := f.String("status", "", "drafts: status to list (default draft: awaiting review)")
	limit := f.Int("limit", 100, "drafts: list at most this many")
	format := f.String("format", "text", "text or json")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "workflow: want drafts, show, publish or return")
	}
	if *format != "text" && *format != "json" {
		return plotline.FieldError("format", "%q is not text or json", *format)
	}
	want := map[string]int{"drafts": 0, "show": 1, "publish": 1, "return": 1}
	n, ok := want[pos[0]]
	if !ok || len(pos)-1 != n {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "workflow: want drafts, or show|publish|return CHANGE")
	}
	var change int64
	if n == 1 {
		if change, err = parseChange(pos[1]); err != nil {
			return err
		}
	}
	db, wf, err := m.workflowStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	switch pos[0] {
	case "drafts":
		list, err := wf.Drafts(ctx, plotline.DraftFilter{Status: *status, By: *by, Limit: *limit})
		if err != nil {
			return err
		}
		if *format == "json" {
			return m.printJSON(list)
		}
		if len(list) == 0 {
			fmt.Fprintln(m.Stdout, "No drafts.")
			return nil
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "change\trecorded\tby\tstatus\trecords\tnote")
		for _, d := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", d.Change.ID, d.Change.RecordedAt.Format(time.RFC3339), d.Change.RecordedBy,
				d.Status, draftRecords(d.Records), oneLine(d.Change.Note))
		}
		return tw.Flush()
	case "show":
		d, err := wf.Draft(ctx, change)
		if err != nil {
			return err
		}
		if *format == "json" {
			return m.printJSON(d)
		}
		return m.printDraft(d)
	}
	who := m.who(*by)
	var ch *plotline.Change
	if pos[0] == "publish" {
		ch, err = wf.Publish(ctx, change, who, *note)
	} else {
		ch, err = wf.Return(ctx, change, who, *note)
	}
	if err != nil {
		return err
	}
	if *format == "json" {
		return m.printJSON(ch)
	}
	fmt.Fprintf(m.Stdout, "change %d: %s of draft %d by %s (%d created, %d updated, %d deleted)\n",
		ch.ID, ch.Action, change, ch.RecordedBy, ch.Created, ch.Updated, ch.Deleted)
	return nil
}

func draftRecords(rs []plotline.DraftRecord) string {
	var parts []string
	for i, r := range rs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("… %d more", len(rs)-3))
			break
		}
		p := r.Kind + " " + r.ID
		if r.Deleted {
			p += " (delete)"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (m *Main) printJSON(v any) error {
	enc := json.NewEncoder(m.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printDraft shows each record of a draft as the fields it changes.
func (m *Main) printDraft(d *plotline.Draft) error {
	fmt.Fprintf(m.Stdout, "Draft %d by %s, %s: %s\nStatus: %s\n", d.Change.ID, d.Change.RecordedBy,
		d.Change.RecordedAt.Format(time.RFC3339), oneLine(d.Change.Note), d.Status)
	for _, r := range d.Reviews {
		fmt.Fprintf(m.Stdout, "Change %d: %s by %s, %s: %s\n", r.ID, r.Action, r.RecordedBy, r.RecordedAt.Format(time.RFC3339), oneLine(r.Note))
	}
	for _, r := range d.Records {
		fmt.Fprintf(m.Stdout, "\n%s %s (%s)", r.Kind, r.ID, r.Status)
		switch {
		case r.Deleted:
			fmt.Fprintln(m.Stdout, ": delete")
			continue
		case r.Current == nil:
			fmt.Fprintln(m.Stdout, ": new")
		default:
			fmt.Fprintf(m.Stdout, ": changes version %d\n", r.CurrentVersion)
		}
		lines, err := fieldChanges(r.Current, r.Data)
		if err != nil {
			return err
		}
		for _, l := range lines {
			fmt.Fprintln(m.Stdout, "  "+l)
		}
	}
	return nil
}

// fieldChanges lists the top-level fields that differ between two stored
// records as "field: old → new".
func fieldChanges(a, b []byte) ([]string, error) {
	var ma, mb map[string]json.RawMessage
	for _, x := range []struct {
		data []byte
		dst  *map[string]json.RawMessage
	}{{a, &ma}, {b, &mb}} {
		if x.data == nil {
			continue
		}
		if err := json.Unmarshal(x.data, x.dst); err != nil {
			return nil, fmt.Errorf("decode stored record: %w", err)
		}
	}
	keys := map[string]bool{}
	for k := range ma {
		keys[k] = true
	}
	for k := range mb {
		keys[k] = true
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if string(ma[k]) == string(mb[k]) {
			continue
		}
		old, new := string(ma[k]), string(mb[k])
		if old == "" {
			old = "(unset)"
		}
		if new == "" {
			new = "(unset)"
		}
		out = append(out, fmt.Sprintf("%s: %s → %s", k, old, new))
	}
	return out, nil
}

// revert: plotline revert CHANGE [--note WHY].
func (m *Main) revert(ctx context.Context, args []string) error {
	f := m.newFlags("revert", "CHANGE [--note WHY]")
	by := f.String("by", "", "who reverts (default PLOTLINE_USER, then USER)")
	note := f.String("note", "", "why")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "revert: want one change number (see plotline audit)")
	}
	change, err := parseChange(pos[0])
	if err != nil {
		return err
	}
	db, wf, err := m.workflowStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	ch, err := wf.Revert(ctx, change, m.who(*by), *note)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "change %d: reverted change %d (%d restored, %d deleted)\n", ch.ID, change, ch.Created+ch.Updated, ch.Deleted)
	return nil
}

// audit: the instance-wide audit log, filtered, as text, CSV or JSON.
func (m *Main) audit(ctx context.Context, args []string) error {
	f := m.newFlags("audit", "[--by USER] [--action A] [--kind K [--id ID]] [--from DAY] [--to DAY] [--format text|csv|json]")
	by := f.String("by", "", "only changes recorded by this user")
	action := f.String("action", "", "only this action: "+strings.Join(plotline.Actions, ", "))
	kind := f.String("kind", "", "only changes that wrote this kind of record")
	id := f.String("id", "", "with --kind: only changes that wrote this record")
	from := f.String("from", "", "recorded on or after this day (YYYY-MM-DD) or RFC 3339 instant")
	to := f.String("to", "", "recorded on or before this day, or before this RFC 3339 instant")
	limit := f.Int("limit", 100, "at most this many changes")
	offset := f.Int("offset", 0, "skip this many")
	format := f.String("format", "text", "text, csv or json")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "audit: takes flags only")
	}
	filter := plotline.AuditFilter{By: *by, Action: *action, Kind: *kind, ID: *id, Limit: *limit, Offset: *offset}
	if *action != "" && !slices.Contains(plotline.Actions, *action) {
		return plotline.FieldError("action", "%q is not one of %s", *action, strings.Join(plotline.Actions, ", "))
	}
	if filter.From, err = instantFlag("from", *from, false); err != nil {
		return err
	}
	if filter.To, err = instantFlag("to", *to, true); err != nil {
		return err
	}
	if *format != "text" && *format != "csv" && *format != "json" {
		return plotline.FieldError("format", "%q is not text, csv or json", *format)
	}
	db, wf, err := m.workflowStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := wf.Audit(ctx, filter)
	if err != nil {
		return err
	}
	switch *format {
	case "csv":
		return httpapi.WriteAuditCSV(m.Stdout, list)
	case "json":
		if list == nil {
			list = []plotline.AuditEntry{}
		}
		return m.printJSON(list)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "change\trecorded\tby\taction\ttarget\trecords\tnote")
	for _, e := range list {
		target := ""
		if e.Target != 0 {
			target = strconv.FormatInt(e.Target, 10)
		}
		recs := make([]string, 0, 3)
		for i, r := range e.Records {
			if i == 3 {
				break
			}
			recs = append(recs, r.Kind+" "+r.ID)
		}
		if e.Count > len(recs) {
			recs = append(recs, fmt.Sprintf("… %d in all", e.Count))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.RecordedAt.Format(time.RFC3339), e.RecordedBy, e.Action, target,
			strings.Join(recs, ", "), oneLine(e.Note))
	}
	return tw.Flush()
}

func instantFlag(name, s string, end bool) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return &t, nil
	}
	d, err := plotline.ParseDay(s)
	if err != nil {
		return nil, plotline.FieldError(name, "%q is neither a day (YYYY-MM-DD) nor an RFC 3339 time", s)
	}
	t := d.Time()
	if end {
		t = d.EndTime().Add(time.Nanosecond)
	}
	return &t, nil
}
