package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/resolve"
)

// review: "review names" lists group names no import could match and
// records decisions on them; "review duplicates" lists incidents two
// sources may both report and records whether they are one.
func (m *Main) review(ctx context.Context, args []string) error {
	f := m.newFlags("review", `names [match NAME ACTOR | no-match NAME | unsure NAME | history]
       plotline review duplicates [same A B | distinct A B | history]`)
	dataset := f.String("dataset", "", "names: the dataset the name comes from (gtd, acled, ucdp, a mapping's name); empty = every dataset")
	by := f.String("by", "", "who decides (default PLOTLINE_USER, then USER)")
	note := f.String("note", "", "why")
	km := f.Float64("km", 25, "duplicates: farthest apart two located incidents may be")
	minScore := f.Float64("min-score", 0.3, "duplicates: lowest score listed (0..1)")
	limit := f.Int("limit", 100, "list at most this many")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || (pos[0] != "names" && pos[0] != "duplicates") {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "review: want names or duplicates")
	}
	who := *by
	for _, env := range []string{"PLOTLINE_USER", "USER"} {
		if who == "" {
			who = m.Getenv(env)
		}
	}
	db, err := openStoreAs[reviewStore](ctx, m, f.db, "keep review decisions")
	if err != nil {
		return err
	}
	defer db.Close()
	if pos[0] == "names" {
		return m.reviewNames(ctx, db, pos[1:], *dataset, who, *note, *limit)
	}
	return m.reviewDuplicates(ctx, db, pos[1:], who, *note, *km, *minScore, *limit)
}

func (m *Main) reviewNames(ctx context.Context, db reviewStore, args []string, dataset, who, note string, limit int) error {
	if len(args) == 0 {
		pending, err := db.PendingNames(ctx, dataset)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			fmt.Fprintln(m.Stdout, "no group names waiting for review")
			return nil
		}
		w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "DATASET\tINCIDENTS\tNAME\tSTATE\tSUGGESTION\tWHY")
		for i, p := range pending {
			if i == limit {
				fmt.Fprintf(w, "…\t\t(%d more; --limit)\n", len(pending)-limit)
				break
			}
			state := "unmatched"
			if p.Verdict == plotline.VerdictUnsure {
				state = "unsure"
			}
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", p.Dataset, p.Incidents, p.Name, state, p.Suggestion, p.Reason)
		}
		w.Flush()
		fmt.Fprintln(m.Stdout, "\ndecide with: plotline review names match NAME ACTOR | no-match NAME | unsure NAME [--dataset D] [--by WHO] [--note WHY]")
		return nil
	}
	if args[0] == "history" {
		ds, err := db.NameDecisions(ctx, true)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tAT\tBY\tDATASET\tNAME\tVERDICT\tACTOR\tNOTE")
		for _, d := range ds {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.At.Format("2006-01-02 15:04"), d.By, orAll(d.Dataset), d.Name, d.Verdict, d.ActorID, d.Note)
		}
		return w.Flush()
	}
	d := plotline.NameDecision{Dataset: dataset, Verdict: args[0], By: who, Note: note}
	switch {
	case args[0] == plotline.VerdictMatch && len(args) == 3:
		d.Name, d.ActorID = args[1], args[2]
	case (args[0] == plotline.VerdictNoMatch || args[0] == plotline.VerdictUnsure) && len(args) == 2:
		d.Name = args[1]
	default:
		return plotline.Errorf(plotline.EINVALID, "review names: want match NAME ACTOR, no-match NAME, unsure NAME or history")
	}
	d.Key = resolve.Normalize(d.Name)
	known, err := nameSeen(ctx, db, d.Dataset, d.Key)
	if err != nil {
		return err
	}
	if err := db.SaveNameDecision(ctx, &d); err != nil {
		return err
	}
	if !known {
		fmt.Fprintf(m.Stderr, "plotline: warning: no import of %s has left %q for review, and no decision named it before; "+
			"the decision waits for an import that meets it (check the spelling and --dataset against 'plotline review names')\n", orAll(d.Dataset), d.Name)
	}
	fmt.Fprintf(m.Stdout, "recorded decision %d: %q (%s) %s %s by %s; the next import of %s uses it\n",
		d.ID, d.Name, orAll(d.Dataset), d.Verdict, d.ActorID, d.By, orAll(d.Dataset))
	return nil
}

// nameSeen reports whether a name (its key) waits for review in dataset
// ("" = any), or was decided before there.
func nameSeen(ctx context.Context, db reviewStore, dataset, key string) (bool, error) {
	pending, err := db.PendingNames(ctx, dataset)
	if err != nil {
		return false, err
	}
	for _, p := range pending {
		if p.Key == key {
			return true, nil
		}
	}
	decided, err := db.NameDecisions(ctx, true)
	if err != nil {
		return false, err
	}
	for _, d := range decided {
		if d.Key == key && (dataset == "" || d.Dataset == dataset) {
			return true, nil
		}
	}
	return false, nil
}

func orAll(dataset string) string {
	if dataset == "" {
		return "every dataset"
	}
	return dataset
}

func (m *Main) reviewDuplicates(ctx context.Context, db reviewStore, args []string, who, note string, km, minScore float64, limit int) error {
	current, err := db.DuplicateDecisions(ctx, len(args) > 0 && args[0] == "history")
	if err != nil {
		return err
	}
	switch {
	case len(args) == 0:
	case args[0] == "history":
		w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tAT\tBY\tA\tB\tVERDICT\tSCORE\tNOTE")
		for _, d := range current {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%.2f\t%s\n", d.ID, d.At.Format("2006-01-02 15:04"), d.By, d.A, d.B, d.Verdict, d.Score, d.Note)
		}
		return w.Flush()
	case (args[0] == plotline.DuplicateSame || args[0] == plotline.DuplicateDistinct) && len(args) == 3:
		d := plotline.DuplicateDecision{A: args[1], B: args[2], Verdict: args[0], By: who, Note: note}
		if err := resolve.NewLinks(current).Check(d); err != nil {
			return fmt.Errorf("review duplicates: %w", err)
		}
		p, scored := m.scorePair(ctx, db, d.A, d.B, km)
		if scored {
			d.Score, d.Reason = p.Score, p.Reason
		}
		if err := db.SaveDuplicateDecision(ctx, &d); err != nil {
			return err
		}
		if !scored && d.Verdict == plotline.DuplicateSame {
			fmt.Fprintf(m.Stderr, "plotline: warning: %s and %s are not a duplicate candidate (their dates, places or actors disagree, or one is not current); linked as asked\n", d.A, d.B)
		}
		what := "linked as one incident (both records kept)"
		if d.Verdict == plotline.DuplicateDistinct {
			what = "marked distinct"
		}
		fmt.Fprintf(m.Stdout, "recorded decision %d: %s and %s %s by %s\n", d.ID, d.A, d.B, what, d.By)
		return nil
	default:
		return plotline.Errorf(plotline.EINVALID, "review duplicates: want same A B, distinct A B or history")
	}
	snap, err := db.Snapshot(ctx, plotline.AsOf{})
	if err != nil {
		return err
	}
	pairs := resolve.OpenPairs(snap.Incidents, snap.Affiliations, current, resolve.DuplicateOptions{MaxKm: km, MinScore: minScore})
	if len(pairs) == 0 {
		fmt.Fprintln(m.Stdout, "no duplicate candidates")
		return nil
	}
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SCORE\tA\tB\tWHY")
	for i, p := range pairs {
		if i == limit {
			fmt.Fprintf(w, "…\t(%d more; --limit)\n", len(pairs)-limit)
			break
		}
		fmt.Fprintf(w, "%.2f\t%s\t%s\t%s\n", p.Score, p.A, p.B, p.Reason)
	}
	w.Flush()
	fmt.Fprintln(m.Stdout, "\ndecide with: plotline review duplicates same A B | distinct A B [--by WHO] [--note WHY]; nothing is merged")
	return nil
}

// scorePair scores one pair for the record of a decision.
func (m *Main) scorePair(ctx context.Context, db reviewStore, a, b string, km float64) (resolve.Pair, bool) {
	list, err := db.Incidents(ctx, plotline.IncidentFilter{IDs: []string{a, b}}, plotline.AsOf{})
	if err != nil || len(list) != 2 {
		return resolve.Pair{}, false
	}
	affs, err := db.Affiliations(ctx, plotline.AsOf{})
	if err != nil {
		return resolve.Pair{}, false
	}
	return resolve.Score(list[0], list[1], affs, km)
}
