package httpapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/sqlite"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// The review handlers are called directly with the acting user in the
// context, so these tests hold whatever the access middleware does; the
// authorisation matrix covers the routes through it.

func reviewServer(t *testing.T) (*Server, *sqlite.DB) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "review.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Apply(context.Background(), storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	return NewServer(Config{Store: db}), db
}

var (
	alice = &plotline.User{ID: 2, Name: "alice", Role: plotline.RoleAnalyst, Clearance: "red"}
	rita  = &plotline.User{ID: 3, Name: "rita", Role: plotline.RoleReviewer, Clearance: "red"}
	ada   = &plotline.User{ID: 4, Name: "ada", Role: plotline.RoleAdmin, Clearance: "red"}
	rex   = &plotline.User{ID: 5, Name: "rex", Role: plotline.RoleReader, Clearance: "red"}
)

type reviewCall struct {
	h      func(http.ResponseWriter, *http.Request) error
	method string
	target string
	id     string
	body   string
}

// call runs h as u and returns the recorded response and the handler's error.
func call(t *testing.T, u *plotline.User, c reviewCall) (*httptest.ResponseRecorder, error) {
	t.Helper()
	var body *strings.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(c.method, c.target, body)
	if c.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if c.id != "" {
		r.SetPathValue("id", c.id)
	}
	if u != nil {
		r = r.WithContext(plotline.WithUser(r.Context(), u))
	}
	w := httptest.NewRecorder()
	return w, c.h(w, r)
}

func TestReviewRoles(t *testing.T) {
	s, db := reviewServer(t)
	d, err := db.Apply(context.Background(), &plotline.Batch{By: "alice", Draft: true, Deletes: []plotline.Ref{{Kind: plotline.RecAttribution, ID: "istanbul/claim"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(d.ID, 10)
	calls := map[string]reviewCall{
		"queue":   {s.reviewQueue, "GET", "/api/v1/review/queue", "", ""},
		"draft":   {s.getDraft, "GET", "/api/v1/review/drafts/" + id, id, ""},
		"audit":   {s.audit, "GET", "/api/v1/audit", "", ""},
		"return":  {s.returnDraft, "POST", "/api/v1/review/drafts/" + id + "/return", id, `{"note":"no"}`},
		"revert":  {s.revertChange, "POST", "/api/v1/changes/1/revert", "1", ""},
		"publish": {s.publishDraft, "POST", "/api/v1/review/drafts/" + id + "/publish", id, ""},
	}
	// Each user tries everything; the write routes are tried by those
	// allowed only after every refusal was checked, in this order.
	allowed := map[*plotline.User][]string{
		nil:   nil,
		rex:   nil,
		alice: {"queue", "draft"},
		rita:  {"queue", "draft"},
		ada:   {"queue", "draft", "audit"},
	}
	for _, u := range []*plotline.User{nil, rex, alice, rita, ada} {
		for name, c := range calls {
			if c.method == "POST" {
				continue
			}
			_, err := call(t, u, c)
			ok := strings.Contains(strings.Join(allowed[u], ","), name)
			if ok && err != nil {
				t.Errorf("%v %s: %v; want allowed", u, name, err)
			}
			if !ok && plotline.ErrorCode(err) != plotline.EFORBIDDEN {
				t.Errorf("%v %s: err %v; want forbidden", u, name, err)
			}
		}
		if u != rita && u != ada {
			for _, name := range []string{"return", "revert", "publish"} {
				if _, err := call(t, u, calls[name]); plotline.ErrorCode(err) != plotline.EFORBIDDEN {
					t.Errorf("%v %s: err %v; want forbidden", u, name, err)
				}
			}
		}
	}
	if _, err := call(t, rita, calls["publish"]); err != nil {
		t.Fatalf("reviewer publishes: %v", err)
	}
	if _, err := db.Incident(context.Background(), "istanbul", plotline.AsOf{}); err != nil {
		t.Fatal(err)
	}
	h, err := db.History(context.Background(), plotline.Ref{Kind: plotline.RecAttribution, ID: "istanbul/claim"})
	if err != nil || !h[len(h)-1].Deleted || h[len(h)-1].RecordedBy != "rita" {
		t.Errorf("after publish, the statement's last version = %+v, %v; want a tombstone by rita", h[len(h)-1], err)
	}
}

func TestReviewFlow(t *testing.T) {
	s, db := reviewServer(t)
	ctx := context.Background()
	// An analyst's API write is a draft.
	w, err := call(t, alice, reviewCall{s.createSource, "POST", "/api/v1/sources",
		"", `{"id":"s3","publisher":"Example","title":"Third","url":"https://example.org/s3","kind":"news","tlp":"clear","published":"2024-02-01"}`})
	if err != nil {
		t.Fatal(err)
	}
	var wr WriteResult[plotline.Source]
	if err := json.Unmarshal(w.Body.Bytes(), &wr); err != nil {
		t.Fatal(err)
	}
	if wr.Change.Action != plotline.ActionDraft || wr.Change.RecordedBy != alice.Name {
		t.Fatalf("analyst's write: change %+v; want a draft recorded as %s", wr.Change, alice.Name)
	}
	if _, err := db.Source(ctx, "s3", plotline.AsOf{}); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Errorf("the draft source is published: %v", err)
	}
	draftID := wr.Change.ID
	id := strconv.FormatInt(draftID, 10)
	w, err = call(t, alice, reviewCall{s.reviewQueue, "GET", "/api/v1/review/queue", "", ""})
	if err != nil {
		t.Fatal(err)
	}
	var q DraftList
	if err := json.Unmarshal(w.Body.Bytes(), &q); err != nil || len(q.Drafts) != 1 || q.Drafts[0].Change.ID != wr.Change.ID {
		t.Fatalf("queue = %s; want the draft", w.Body)
	}
	ret := reviewCall{s.returnDraft, "POST", "/api/v1/review/drafts/" + id + "/return", id, `{"note":""}`}
	if _, err := call(t, rita, ret); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("return without a note: %v; want invalid", err)
	}
	ret.body = `{"note":"which page?"}`
	if _, err := call(t, rita, ret); err != nil {
		t.Fatal(err)
	}
	pub := reviewCall{s.publishDraft, "POST", "/api/v1/review/drafts/" + id + "/publish", id, `{"note":"fine after all"}`}
	w, err = call(t, rita, pub)
	if err != nil {
		t.Fatal(err)
	}
	var ch plotline.Change
	if err := json.Unmarshal(w.Body.Bytes(), &ch); err != nil || ch.Action != plotline.ActionPublish || ch.RecordedBy != "rita" {
		t.Errorf("publish answer %s", w.Body)
	}
	if _, err := db.Source(ctx, "s3", plotline.AsOf{}); err != nil {
		t.Errorf("published source: %v", err)
	}
	// A reviewer's own write publishes directly; reverting it removes it again.
	w, err = call(t, rita, reviewCall{s.createSource, "POST", "/api/v1/sources",
		"", `{"id":"s4","publisher":"Example","title":"Fourth","url":"https://example.org/s4","kind":"news","tlp":"clear","published":"2024-02-01"}`})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &wr); err != nil || wr.Change.Action != plotline.ActionEdit {
		t.Fatalf("reviewer's write: %s; want a published edit", w.Body)
	}
	rid := strconv.FormatInt(wr.Change.ID, 10)
	if _, err := call(t, rita, reviewCall{s.revertChange, "POST", "/api/v1/changes/" + rid + "/revert", rid, ""}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Source(ctx, "s4", plotline.AsOf{}); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Errorf("reverted source: %v; want not found", err)
	}
	if _, err := call(t, rita, reviewCall{s.revertChange, "POST", "/api/v1/changes/x/revert", "x", ""}); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("revert x: %v; want invalid", err)
	}

	// The audit log, filtered and as CSV.
	w, err = call(t, ada, reviewCall{s.audit, "GET", "/api/v1/audit?by=rita&action=publish", "", ""})
	if err != nil {
		t.Fatal(err)
	}
	var log AuditLog
	if err := json.Unmarshal(w.Body.Bytes(), &log); err != nil || len(log.Entries) != 1 || log.Entries[0].Target != draftID {
		t.Errorf("audit by rita, publish = %s", w.Body)
	}
	w, err = call(t, ada, reviewCall{s.audit, "GET", "/api/v1/audit?format=csv&kind=source&id=s3", "", ""})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(AuditCSVHeader, ",") ||
		rows[1][3] != plotline.ActionPublish || rows[2][3] != plotline.ActionDraft || rows[2][7] != "source/s3" {
		t.Errorf("audit CSV for s3 = %q", rows)
	}
	for _, bad := range []string{"?action=nope", "?kind=nope", "?id=s3", "?from=yesterday", "?format=xml", "?as_of=2024-02-30"} {
		if _, err := call(t, ada, reviewCall{s.audit, "GET", "/api/v1/audit" + bad, "", ""}); plotline.ErrorCode(err) != plotline.EINVALID {
			t.Errorf("audit%s: %v; want invalid", bad, err)
		}
	}
}

func TestAuditCSVInert(t *testing.T) {
	var b strings.Builder
	err := WriteAuditCSV(&b, []plotline.AuditEntry{{Change: plotline.Change{ID: 1, RecordedBy: "=cmd()", Note: "@SUM(A1)", Action: "edit"}}})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[1][2] != "'=cmd()" || rows[1][5] != "'@SUM(A1)" {
		t.Errorf("row = %q; want formula-like cells prefixed with an apostrophe", rows[1])
	}
}
