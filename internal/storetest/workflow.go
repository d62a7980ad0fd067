package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
)

// workflowTests are the review-workflow and audit conformance tests; a
// store passing Run must implement plotline.Workflow.
var workflowTests = []struct {
	name string
	fn   func(t *testing.T, s plotline.Store, w plotline.Workflow)
}{
	{"DraftInvisibleByDefault", testDraftInvisible},
	{"DraftPublish", testDraftPublish},
	{"DraftReturnAndSupersede", testDraftReturn},
	{"DraftDelete", testDraftDelete},
	{"DraftThenDirectEdit", testDraftThenDirectEdit},
	{"Revert", testRevert},
	{"Audit", testAudit},
}

func workflow(t *testing.T, s plotline.Store) plotline.Workflow {
	t.Helper()
	w, ok := s.(plotline.Workflow)
	if !ok {
		t.Fatalf("%T does not implement plotline.Workflow", s)
	}
	return w
}

var drafts = plotline.AsOf{IncludeDrafts: true}

// draftBatch retitles istanbul and proposes a new incident with one statement.
func draftBatch() *plotline.Batch {
	b := &plotline.Batch{By: "alice", Note: "retitle; add Moscow", Draft: true}
	in := Fixture().Incidents[0]
	in.Attributions = nil
	in.Title = "Santa Maria church attack"
	b.Incidents = []plotline.Incident{in, {
		ID: "moscow", Title: "Concert hall attack", Kind: "attack", Outcome: "completed",
		Date: plotline.MustDate("2024-03-22"), Location: plotline.Location{Country: "RUS"}, TargetCountry: "RUS",
		Stage: "execution", TargetType: "civilian", Sources: []string{"s2"},
		Attributions: []plotline.Attribution{{ID: "moscow/claim", ActorID: "is-khorasan", Basis: "claim",
			AssertedBy: "Islamic State (Amaq)", Link: "directed",
			StatedOn: plotline.MustDate("2024-03-22"), Sources: []plotline.SourceRef{{ID: "s2"}}}},
	}}
	return b
}

func title(t *testing.T, s plotline.Store, id string, asOf plotline.AsOf) string {
	t.Helper()
	in, err := s.Incident(context.Background(), id, asOf)
	if plotline.ErrorCode(err) == plotline.ENOTFOUND {
		return "(none)"
	}
	if err != nil {
		t.Fatal(err)
	}
	return in.Title
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if plotline.ErrorCode(err) != code {
		t.Errorf("%s: err %v; want %s", what, err, code)
	}
}

func testDraftInvisible(t *testing.T, s plotline.Store, w plotline.Workflow) {
	ctx := context.Background()
	mustApply(t, s, Fixture())
	ch := mustApply(t, s, draftBatch())
	if ch.Action != plotline.ActionDraft || ch.Created != 2 || ch.Updated != 1 {
		t.Errorf("draft change = %+v; want action draft, 2 created (incident, statement), 1 updated", ch)
	}
	now := time.Now()
	for _, asOf := range []plotline.AsOf{{}, {Recorded: &now}, {Recorded: &now, IncludeDrafts: true}} {
		if got := title(t, s, "istanbul", asOf); got != "Church attack" {
			t.Errorf("%+v: istanbul title %q; want the published one", asOf, got)
		}
		if got := title(t, s, "moscow", asOf); got != "(none)" {
			t.Errorf("%+v: the drafted incident is visible (%q)", asOf, got)
		}
	}
	list, err := s.Incidents(ctx, plotline.IncidentFilter{}, plotline.AsOf{})
	if err != nil || len(list) != 1 {
		t.Errorf("default list: %d incidents, %v; want 1", len(list), err)
	}
	snap, err := s.Snapshot(ctx, plotline.AsOf{})
	if err != nil || len(snap.Incidents) != 1 || snap.Incidents[0].Title != "Church attack" {
		t.Errorf("default snapshot sees the draft (%v)", err)
	}
	if got := title(t, s, "istanbul", drafts); got != "Santa Maria church attack" {
		t.Errorf("with drafts: istanbul title %q; want the draft's", got)
	}
	list, err = s.Incidents(ctx, plotline.IncidentFilter{Kind: "attack"}, drafts)
	if err != nil || len(list) != 2 || list[1].ID != "moscow" || len(list[1].Attributions) != 1 {
		t.Errorf("with drafts: %+v, %v; want istanbul and moscow with its claim", list, err)
	}
	// The published version stays current for writers too: re-applying the
	// fixture changes nothing.
	if re := mustApply(t, s, Fixture()); re.Unchanged != 11 || re.Created+re.Updated != 0 {
		t.Errorf("re-apply after a draft: %+v; want 11 unchanged", re)
	}
	// History is of published versions; the workflow lists a record's drafts.
	h, err := s.History(ctx, plotline.Ref{Kind: plotline.RecIncident, ID: "istanbul"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].Version != 1 || h[0].Status != plotline.StatusPublished || h[0].ChangeID != 1 {
		t.Errorf("history = %+v; want the published version 1 only", h)
	}
	if _, err := s.History(ctx, plotline.Ref{Kind: plotline.RecIncident, ID: "moscow"}); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Errorf("history of a record that exists only as a draft: %v; want ENOTFOUND", err)
	}
	for _, ref := range []plotline.Ref{{Kind: plotline.RecIncident, ID: "istanbul"}, {Kind: plotline.RecAttribution, ID: "moscow/claim"}} {
		ds, err := w.Drafts(ctx, plotline.DraftFilter{Kind: ref.Kind, ID: ref.ID, Status: "all"})
		if err != nil || len(ds) != 1 || ds[0].Change.ID != ch.ID || ds[0].Change.RecordedBy != "alice" {
			t.Errorf("drafts of %v = %+v, %v; want the one by alice", ref, ds, err)
		}
	}
	if ds, err := w.Drafts(ctx, plotline.DraftFilter{Kind: plotline.RecActor, ID: "is", Status: "all"}); err != nil || len(ds) != 0 {
		t.Errorf("drafts of an actor no draft touches: %+v, %v", ds, err)
	}
	_, err = w.Drafts(ctx, plotline.DraftFilter{ID: "istanbul"})
	wantCode(t, "drafts of an ID without a kind", err, plotline.EINVALID)
	queue, err := w.Drafts(ctx, plotline.DraftFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) != 1 || queue[0].Change.ID != ch.ID || queue[0].Status != plotline.StatusDraft || len(queue[0].Records) != 3 {
		t.Fatalf("queue = %+v; want the one draft with 3 records", queue)
	}
	d, err := w.Draft(ctx, ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Records {
		switch r.ID {
		case "istanbul":
			if r.CurrentVersion != 1 || len(r.Current) == 0 || len(r.Data) == 0 {
				t.Errorf("istanbul draft record = %+v; want data beside published version 1", r)
			}
		case "moscow", "moscow/claim":
			if r.CurrentVersion != 0 || r.Current != nil {
				t.Errorf("new record %s has a current version: %+v", r.ID, r)
			}
		default:
			t.Errorf("unexpected draft record %+v", r)
		}
	}
	if _, err := w.Draft(ctx, 1); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("Draft(1) of an edit: err %v; want EINVALID", err)
	}
}

func testDraftPublish(t *testing.T, s plotline.Store, w plotline.Workflow) {
	ctx := context.Background()
	mustApply(t, s, Fixture())
	d := mustApply(t, s, draftBatch())
	_, err := w.Publish(ctx, d.ID, "", "ok")
	wantCode(t, "publish without a name", err, plotline.EINVALID)
	p, err := w.Publish(ctx, d.ID, "rita", "checked against both sources")
	if err != nil {
		t.Fatal(err)
	}
	if p.Action != plotline.ActionPublish || p.Target != d.ID || p.Created != 2 || p.Updated != 1 || p.RecordedBy != "rita" {
		t.Errorf("publish change = %+v; want publish of %d by rita, 2 created, 1 updated", p, d.ID)
	}
	if got := title(t, s, "istanbul", plotline.AsOf{}); got != "Santa Maria church attack" {
		t.Errorf("published title %q", got)
	}
	in, err := s.Incident(ctx, "moscow", plotline.AsOf{})
	if err != nil || len(in.Attributions) != 1 {
		t.Fatalf("published moscow: %+v, %v; want it with its claim", in, err)
	}
	h, err := s.History(ctx, plotline.Ref{Kind: plotline.RecIncident, ID: "istanbul"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[1].Version != 2 || h[1].RecordedBy != "rita" || h[1].ChangeID != p.ID {
		t.Errorf("history = %+v; want v1, then v2 by rita", h)
	}
	got, err := w.Draft(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != plotline.StatusPublished || len(got.Reviews) != 1 || got.Reviews[0].Note != "checked against both sources" {
		t.Errorf("draft after publish = %+v; want published with the reviewer's note", got)
	}
	_, err = w.Publish(ctx, d.ID, "rita", "")
	wantCode(t, "publish twice", err, plotline.ECONFLICT)
	_, err = w.Publish(ctx, p.ID, "rita", "")
	wantCode(t, "publish a publish", err, plotline.EINVALID)
	_, err = w.Publish(ctx, 999, "rita", "")
	wantCode(t, "publish a missing change", err, plotline.ENOTFOUND)
	if q, err := w.Drafts(ctx, plotline.DraftFilter{}); err != nil || len(q) != 0 {
		t.Errorf("pending queue after publish: %+v, %v; want empty", q, err)
	}
	if q, err := w.Drafts(ctx, plotline.DraftFilter{Status: plotline.StatusPublished}); err != nil || len(q) != 1 {
		t.Errorf("published drafts: %+v, %v; want 1", q, err)
	}
	_, err = w.Drafts(ctx, plotline.DraftFilter{Status: "bogus"})
	wantCode(t, "bad status filter", err, plotline.EINVALID)
}

func testDraftReturn(t *testing.T, s plotline.Store, w plotline.Workflow) {
	ctx := context.Background()
	mustApply(t, s, Fixture())
	d := mustApply(t, s, draftBatch())
	_, err := w.Return(ctx, d.ID, "rita", " ")
	wantCode(t, "return without a comment", err, plotline.EINVALID)
	r, err := w.Return(ctx, d.ID, "rita", "Moscow: cite the claim itself")
	if err != nil {
		t.Fatal(err)
	}
	if r.Action != plotline.ActionReturn || r.Target != d.ID || r.Created+r.Updated+r.Deleted != 0 {
		t.Errorf("return change = %+v; want a return of %d writing nothing", r, d.ID)
	}
	_, err = w.Return(ctx, d.ID, "rita", "again")
	wantCode(t, "return twice", err, plotline.ECONFLICT)
	got, err := w.Draft(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != plotline.StatusReturned || len(got.Reviews) != 1 || got.Reviews[0].Note != "Moscow: cite the claim itself" {
		t.Errorf("returned draft = %+v", got)
	}
	if title(t, s, "moscow", plotline.AsOf{}) != "(none)" || title(t, s, "moscow", drafts) != "Concert hall attack" {
		t.Errorf("a returned draft must stay unpublished and stay visible to its authors")
	}
	if q, _ := w.Drafts(ctx, plotline.DraftFilter{Status: plotline.StatusReturned, By: "alice"}); len(q) != 1 {
		t.Errorf("alice's returned drafts: %d; want 1", len(q))
	}
	// The revision supersedes the returned draft record by record.
	b := draftBatch()
	b.Incidents = b.Incidents[1:]
	b.Incidents[0].Title = "Crocus City Hall attack"
	rev := mustApply(t, s, b)
	if got := title(t, s, "moscow", drafts); got != "Crocus City Hall attack" {
		t.Errorf("with drafts after revision: %q", got)
	}
	if got := title(t, s, "istanbul", drafts); got != "Santa Maria church attack" {
		t.Errorf("istanbul keeps the first draft's title, got %q", got)
	}
	old, err := w.Draft(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range old.Records {
		want := plotline.StatusSuperseded
		if rec.ID == "istanbul" {
			want = plotline.StatusReturned
		}
		if rec.Status != want {
			t.Errorf("first draft's %s: status %q; want %q", rec.ID, rec.Status, want)
		}
	}
	if q, err := w.Drafts(ctx, plotline.DraftFilter{}); err != nil || len(q) != 1 || q[0].Change.ID != rev.ID {
		t.Errorf("pending queue = %+v, %v; want the revision only", q, err)
	}
	if _, err := w.Publish(ctx, rev.ID, "rita", ""); err != nil {
		t.Fatal(err)
	}
	if got := title(t, s, "moscow", plotline.AsOf{}); got != "Crocus City Hall attack" {
		t.Errorf("published revision: %q", got)
	}
	if got := title(t, s, "istanbul", plotline.AsOf{}); got != "Church attack" {
		t.Errorf("publishing the revision published the returned record too: %q", got)
	}
}

func testDraftDelete(t *testing.T, s plotline.Store, w plotline.Workflow) {
	ctx := context.Background()
	mustApply(t, s, Fixture())
	d := mustApply(t, s, &plotline.Batch{By: "alice", Draft: true, Deletes: []plotline.Ref{{Kind: plotline.RecIncident, ID: "istanbul"}}})
	if d.Deleted != 4 {
		t.Errorf("draft delete = %+v; want the incident and its 3 statements", d)
	}
	if title(t, s, "istanbul", plotline.AsOf{}) != "Church attack" {
		t.Errorf("a drafted delete removed the published incident")
	}
	if got := title(t, s, "istanbul", drafts); got != "(none)" {
		t.Errorf("with drafts, the deleted incident is still there: %q", got)
	}
	if _, err := w.Publish(ctx, d.ID, "rita", "duplicate"); err != nil {
		t.Fatal(err)
	}
	if got := title(t, s, "istanbul", plotline.AsOf{}); got != "(none)" {
		t.Errorf("after publishing the delete: %q", got)
	}
}

func testDraftThenDirectEdit(t *testing.T, s plotline.Store, w plotline.Workflow) {
	ctx := context.Background()
	mustApply(t, s, Fixture())
	d := mustApply(t, s, draftBatch())
	b := Fixture()
	b.Incidents[0].Title = "Edited directly"
	if e := mustApply(t, s, b); e.Updated != 1 {
		t.Errorf("direct edit beside a draft: %+v; want 1 updated", e)
	}
	if got := title(t, s, "istanbul", plotline.AsOf{}); got != "Edited directly" {
		t.Errorf("title %q", got)
	}
	if got := title(t, s, "istanbul", drafts); got != "Santa Maria church attack" {
		t.Errorf("the pending draft still reads in place of it, got %q", got)
	}
	if _, err := w.Publish(ctx, d.ID, "rita", ""); err != nil {
		t.Fatal(err)
	}
	h, err := s.History(ctx, plotline.Ref{Kind: plotline.RecIncident, ID: "istanbul"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 || h[2].Version != 3 || h[2].ChangeID <= d.ID || h[2].Data == nil {
		t.Errorf("history = %+v; want versions 1 to 3, the last the published draft", h)
	}
}

func testRevert(t *testing.T, s plotline.Store, w plotline.Workflow) {
	ctx := context.Background()
	first := mustApply(t, s, Fixture())
	b := Fixture()
	b.By, b.Note = "bob", "typo"
	b.Incidents[0].Title = "Chruch attack"
	b.Incidents[0].Attributions = b.Incidents[0].Attributions[:1]
	edit := mustApply(t, s, b)
	add := mustApply(t, s, &plotline.Batch{By: "bob", Incidents: draftBatch().Incidents[1:]})

	_, err := w.Revert(ctx, first.ID, "rita", "")
	wantCode(t, "revert a change whose records changed since", err, plotline.ECONFLICT)
	if got := title(t, s, "istanbul", plotline.AsOf{}); got != "Chruch attack" {
		t.Errorf("a refused revert wrote: %q", got)
	}
	r, err := w.Revert(ctx, edit.ID, "rita", "wrong title")
	if err != nil {
		t.Fatal(err)
	}
	if r.Action != plotline.ActionRevert || r.Target != edit.ID || r.Updated != 1 || r.Note != "wrong title" {
		t.Errorf("revert change = %+v", r)
	}
	if got := title(t, s, "istanbul", plotline.AsOf{}); got != "Church attack" {
		t.Errorf("reverted title %q", got)
	}
	h, err := s.History(ctx, plotline.Ref{Kind: plotline.RecIncident, ID: "istanbul"})
	if err != nil || len(h) != 3 || h[2].RecordedBy != "rita" {
		t.Errorf("history after revert: %d versions, %v; want 3, the last by rita", len(h), err)
	}
	// Reverting a creation deletes what it created.
	if _, err := w.Revert(ctx, add.ID, "rita", ""); err != nil {
		t.Fatal(err)
	}
	if got := title(t, s, "moscow", plotline.AsOf{}); got != "(none)" {
		t.Errorf("reverted creation still there: %q", got)
	}
	if _, err := s.Incident(ctx, "moscow", plotline.AsOf{Recorded: &add.RecordedAt}); err != nil {
		t.Errorf("as recorded before the revert, moscow: %v", err)
	}
	// A revert is a change like any other: reverting it restores the record.
	last, err := s.Changes(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Revert(ctx, last[0].ID, "rita", "undo the undo"); err != nil {
		t.Fatal(err)
	}
	if got := title(t, s, "moscow", plotline.AsOf{}); got != "Concert hall attack" {
		t.Errorf("after reverting the revert: %q", got)
	}
	d := mustApply(t, s, draftBatch())
	_, err = w.Revert(ctx, d.ID, "rita", "")
	wantCode(t, "revert a draft", err, plotline.EINVALID)
	ret, err := w.Return(ctx, d.ID, "rita", "no")
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Revert(ctx, ret.ID, "rita", "")
	wantCode(t, "revert a return", err, plotline.EINVALID)
	_, err = w.Revert(ctx, 999, "rita", "")
	wantCode(t, "revert a missing change", err, plotline.ENOTFOUND)
}

func testAudit(t *testing.T, s plotline.Store, w plotline.Workflow) {
	ctx := context.Background()
	first := mustApply(t, s, Fixture())
	d := mustApply(t, s, draftBatch())
	p, err := w.Publish(ctx, d.ID, "rita", "fine")
	if err != nil {
		t.Fatal(err)
	}
	all, err := w.Audit(ctx, plotline.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].ID != p.ID || all[1].ID != d.ID || all[2].ID != first.ID {
		t.Fatalf("audit = %+v; want the publish, the draft, the fixture, newest first", all)
	}
	if all[0].Action != plotline.ActionPublish || all[0].Target != d.ID || all[0].Count != 3 || all[0].RecordedBy != "rita" || all[0].Note != "fine" {
		t.Errorf("publish entry = %+v", all[0])
	}
	if all[2].Action != plotline.ActionEdit || all[2].Count != 11 || len(all[2].Records) != 11 || all[2].Records[0] != (plotline.Ref{Kind: plotline.RecSource, ID: "s1"}) {
		t.Errorf("fixture entry = %+v", all[2])
	}
	count := func(f plotline.AuditFilter) int {
		t.Helper()
		es, err := w.Audit(ctx, f)
		if err != nil {
			t.Fatalf("Audit(%+v): %v", f, err)
		}
		return len(es)
	}
	after := first.RecordedAt.Add(time.Nanosecond)
	for _, c := range []struct {
		f    plotline.AuditFilter
		want int
	}{
		{plotline.AuditFilter{By: "alice"}, 1},
		{plotline.AuditFilter{By: "nobody"}, 0},
		{plotline.AuditFilter{Action: plotline.ActionDraft}, 1},
		{plotline.AuditFilter{Kind: plotline.RecActor}, 1},
		{plotline.AuditFilter{Kind: plotline.RecIncident, ID: "moscow"}, 2},
		{plotline.AuditFilter{Kind: plotline.RecIncident, ID: "istanbul"}, 3},
		{plotline.AuditFilter{From: &after}, 2},
		{plotline.AuditFilter{To: &after}, 1},
		{plotline.AuditFilter{From: &after, By: "rita"}, 1},
		{plotline.AuditFilter{Limit: 1, Offset: 1}, 1},
		{plotline.AuditFilter{Offset: 3}, 0},
	} {
		if got := count(c.f); got != c.want {
			t.Errorf("Audit(%+v): %d entries; want %d", c.f, got, c.want)
		}
	}
	_, err = w.Audit(ctx, plotline.AuditFilter{Kind: "bogus"})
	wantCode(t, "audit of a bad kind", err, plotline.EINVALID)
	changes, err := s.Changes(ctx, 10)
	if err != nil || len(changes) != 3 || changes[1].Action != plotline.ActionDraft || changes[0].Target != d.ID {
		t.Errorf("Changes = %+v, %v; want actions and targets", changes, err)
	}
}
