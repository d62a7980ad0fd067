package main

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/httpapi"
	"github.com/plotline-dev/plotline/internal/postgres"
	"github.com/plotline-dev/plotline/internal/postgres/pgtest"
)

// seedTeam adds what a team server holds beside the history: accounts, API
// tokens, a login session, name and duplicate decisions, a pending name, and
// review workflow (a draft sent back, a draft published).
func seedTeam(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	m := NewMain(&strings.Builder{}, &strings.Builder{}, func(string) string { return "" })
	db, err := m.openCatalogueStore(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	acc := db.(plotline.AccountStore)
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, u := range []plotline.User{
		{Name: "alice", Role: plotline.RoleAdmin, Clearance: "red"},
		{Name: "bob", Role: plotline.RoleAnalyst, Clearance: "amber", Disabled: true},
	} {
		if err := acc.CreateUser(ctx, &u, "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$"+u.Name); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte("token of " + u.Name))
		tok := plotline.APIToken{UserID: u.ID, Label: "script", Hash: sum[:], CreatedAt: now}
		if err := acc.CreateToken(ctx, &tok); err != nil {
			t.Fatal(err)
		}
		if u.Name == "bob" {
			if err := acc.RevokeToken(ctx, tok.ID, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		session := sha256.Sum256([]byte("session of " + u.Name))
		if err := acc.CreateSession(ctx, &plotline.Session{Hash: session[:], UserID: u.ID, CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := db.Incidents(ctx, plotline.IncidentFilter{}, plotline.AsOf{})
	if err != nil || len(list) < 4 {
		t.Fatalf("curated incidents: %d, %v", len(list), err)
	}
	actors, err := db.Actors(ctx, plotline.AsOf{})
	if err != nil || len(actors) == 0 {
		t.Fatalf("actors: %v", err)
	}
	for _, d := range []plotline.NameDecision{
		{Dataset: "gtd", Name: "Khorasan Province", Key: "khorasan province", Verdict: plotline.VerdictUnsure, By: "bob"},
		{Dataset: "gtd", Name: "Khorasan Province", Key: "khorasan province", Verdict: plotline.VerdictMatch, ActorID: actors[0].ID, By: "alice", Note: "same group"},
	} {
		if err := db.SaveNameDecision(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveDuplicateDecision(ctx, &plotline.DuplicateDecision{A: list[2].ID, B: list[3].ID, Verdict: plotline.DuplicateDistinct, Score: 0.42, By: "alice"}); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginImport(ctx, "import:gtd", "names only")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.AddPendingName(ctx, &plotline.PendingName{Dataset: "gtd", Key: "unknown cell", Name: "Unknown Cell", ActorID: actors[0].ID, Example: list[2].ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	wf := db.(plotline.Workflow)
	for i, publish := range []bool{false, true} {
		in := list[2+i]
		in.Summary += " (draft)"
		in.Attributions = nil
		ch, err := db.Apply(ctx, &plotline.Batch{By: "bob", Note: "draft", Draft: true, Incidents: []plotline.Incident{in}})
		if err != nil {
			t.Fatal(err)
		}
		if publish {
			_, err = wf.Publish(ctx, ch.ID, "alice", "fine")
		} else {
			_, err = wf.Return(ctx, ch.ID, "alice", "source?")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// teamState is what a store holds beside the history, read through the
// stores' own interfaces, plus the table checksums migrate-store verifies.
type teamState struct {
	Users     []plotline.User
	Tokens    []plotline.APIToken
	Names     []plotline.NameDecision
	Pending   []plotline.PendingName
	Dupes     []plotline.DuplicateDecision
	Drafts    []plotline.Draft
	Audit     []plotline.AuditEntry
	TableSums map[string]string
}

func readTeam(t *testing.T, dsn string) teamState {
	t.Helper()
	ctx := context.Background()
	m := NewMain(&strings.Builder{}, &strings.Builder{}, func(string) string { return "" })
	db, err := m.openCatalogueStore(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var st teamState
	acc := db.(plotline.AccountStore)
	wf := db.(plotline.Workflow)
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	st.Users, err = acc.Users(ctx)
	check(err)
	st.Tokens, err = acc.Tokens(ctx, 0)
	check(err)
	st.Names, err = db.NameDecisions(ctx, true)
	check(err)
	st.Pending, err = db.PendingNames(ctx, "")
	check(err)
	st.Dupes, err = db.DuplicateDecisions(ctx, true)
	check(err)
	st.Drafts, err = wf.Drafts(ctx, plotline.DraftFilter{Status: "all"})
	check(err)
	st.Audit, err = wf.Audit(ctx, plotline.AuditFilter{})
	check(err)
	// Times compare as instants (a SQLite and a PostgreSQL read may differ in location).
	for i := range st.Users {
		st.Users[i].CreatedAt = st.Users[i].CreatedAt.UTC()
	}
	tables, err := openTables(dsn, db)
	check(err)
	defer tables.Close()
	sums := newHistorySums()
	st.TableSums = map[string]string{}
	for _, tb := range auxTables {
		rows, err := readTable(ctx, tables, tb)
		check(err)
		sums.register(tb.name)
		for _, r := range rows {
			sums.addRow(tb.name, r)
		}
		st.TableSums[tb.name] = sums.sum(tb.name)
	}
	return st
}

func sameTeam(t *testing.T, what string, got, want teamState) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range g.NumField() {
		if !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
			t.Errorf("%s: %s\n got %+v\nwant %+v", what, g.Type().Field(i).Name, g.Field(i).Interface(), w.Field(i).Interface())
		}
	}
}

// TestMigrateStoreCopiesTeamTables copies accounts, tokens, decisions,
// pending names and the review workflow between SQLite files; login
// sessions stay behind, and migrate-store says so.
func TestMigrateStoreCopiesTeamTables(t *testing.T) {
	src, dst := newDB(t), newDB(t)
	seedHistory(t, src)
	seedTeam(t, src)
	want, wantTeam := readState(t, src), readTeam(t, src)
	if len(wantTeam.Users) != 2 || len(wantTeam.Tokens) != 2 || len(wantTeam.Names) != 2 || len(wantTeam.Pending) != 1 ||
		len(wantTeam.Dupes) != 1 || len(wantTeam.Drafts) == 0 {
		t.Fatalf("seeded %+v", wantTeam)
	}
	out, stderr, err := run(t, src, "migrate-store", src, dst)
	if err != nil {
		t.Fatalf("migrate-store: %v\n%s", err, stderr)
	}
	for _, tb := range auxTables {
		if !strings.Contains(out, tb.name) {
			t.Errorf("output does not report table %s:\n%s", tb.name, out)
		}
	}
	if !strings.Contains(stderr, "2 login sessions were not copied") {
		t.Errorf("stderr does not say the sessions stayed behind: %q", stderr)
	}
	sameState(t, "copy", readState(t, dst), want)
	sameTeam(t, "copy", readTeam(t, dst), wantTeam)
}

// TestMigrateStoreTeamThroughPostgres copies SQLite → PostgreSQL → SQLite:
// the PostgreSQL copy and the last SQLite copy hold the first one's
// accounts, decisions and workflow; the copy's identity sequences follow
// the copied IDs; an API token made before the move still signs in.
func TestMigrateStoreTeamThroughPostgres(t *testing.T) {
	pg := pgtest.DSN(t)
	src, back := newDB(t), newDB(t)
	seedHistory(t, src)
	seedTeam(t, src)
	want, wantTeam := readState(t, src), readTeam(t, src)
	if _, stderr, err := run(t, src, "migrate-store", src, pg); err != nil {
		t.Fatalf("SQLite → PostgreSQL: %v\n%s", err, stderr)
	}
	sameState(t, "PostgreSQL copy", readState(t, pg), want)
	sameTeam(t, "PostgreSQL copy", readTeam(t, pg), wantTeam)
	if _, stderr, err := run(t, src, "migrate-store", pg, back); err != nil {
		t.Fatalf("PostgreSQL → SQLite: %v\n%s", err, stderr)
	}
	sameState(t, "round trip", readState(t, back), want)
	sameTeam(t, "round trip", readTeam(t, back), wantTeam)

	ctx := context.Background()
	db, err := postgres.Open(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum := sha256.Sum256([]byte("token of alice"))
	if _, u, err := db.TokenUser(ctx, sum[:]); err != nil || u.Name != "alice" {
		t.Errorf("alice's token after the move: %v %v", u, err)
	}
	carol := plotline.User{Name: "carol", Role: plotline.RoleReader, Clearance: "clear"}
	if err := db.CreateUser(ctx, &carol, "x"); err != nil || carol.ID != 3 {
		t.Errorf("a new user after the move: id %d, %v; want 3", carol.ID, err)
	}
	d := plotline.NameDecision{Dataset: "gtd", Name: "Other", Key: "other", Verdict: plotline.VerdictNoMatch, By: "carol"}
	if err := db.SaveNameDecision(ctx, &d); err != nil || d.ID != 3 {
		t.Errorf("a new decision after the move: id %d, %v; want 3", d.ID, err)
	}
}

// TestServeRefreshesOnNotify: a server on PostgreSQL answers from the
// engine, and a write by another process reaches its index through the
// change notification, without a request to trigger the staleness check.
func TestServeRefreshesOnNotify(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := NewMain(&strings.Builder{}, &strings.Builder{}, func(string) string { return "" })
	db, err := m.openAnyStore(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)
	analytics, err := m.analytics(ctx, db, log)
	if err != nil {
		t.Fatal(err)
	}
	ea, ok := analytics.(*httpapi.EngineAnalytics)
	if !ok {
		t.Fatalf("analytics on PostgreSQL: %T; want the engine", analytics)
	}
	ea.MaxStale = time.Hour // only the notification may refresh it
	go followChanges(ctx, db.(plotline.ChangeSubscriber), ea, log)
	before := ea.Engine.Stats().Incidents

	other, err := postgres.Open(ctx, dsn) // another process's store
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	list, err := other.Incidents(ctx, plotline.IncidentFilter{}, plotline.AsOf{})
	if err != nil || len(list) == 0 {
		t.Fatalf("incidents: %v", err)
	}
	in := list[0]
	in.ID, in.Attributions = "notify-test", nil
	if _, err := other.Apply(ctx, &plotline.Batch{By: "other", Incidents: []plotline.Incident{in}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for ea.Engine.Stats().Incidents != before+1 {
		if time.Now().After(deadline) {
			t.Fatalf("index still has %d incidents 10 s after another process added one to %d", ea.Engine.Stats().Incidents, before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
