package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/plotline-dev/plotline"
	"go.yaml.in/yaml/v3"
)

// Dataset is a parsed, checked dataset ready to apply to a store.
type Dataset struct {
	Batch *plotline.Batch
	// Digest identifies the dataset's content (SHA-256 over its files).
	Digest string
	Files  []string
}

// Errors is every problem found in a dataset, each naming file, line and field.
type Errors []*plotline.Error

func (e Errors) Error() string {
	var b strings.Builder
	for i, err := range e {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// Load reads every *.yaml file of fsys (organisation.yaml and incidents/*.yaml),
// checks it, and returns the dataset; on any problem it returns Errors and no dataset.
func Load(fsys fs.FS) (*Dataset, error) {
	names, err := files(fsys)
	if err != nil {
		return nil, err
	}
	l := &loader{batch: &plotline.Batch{By: "dataset", Note: "curated dataset"}, nodes: map[string]*yaml.Node{}}
	h := sha256.New()
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
		l.file(name, data)
	}
	l.crossCheck()
	if len(l.errs) > 0 {
		sort.SliceStable(l.errs, func(i, j int) bool {
			if l.errs[i].File != l.errs[j].File {
				return l.errs[i].File < l.errs[j].File
			}
			return l.errs[i].Line < l.errs[j].Line
		})
		return nil, l.errs
	}
	digest := hex.EncodeToString(h.Sum(nil))[:12]
	l.batch.Note = "curated dataset " + digest
	return &Dataset{Batch: l.batch, Digest: digest, Files: names}, nil
}

func files(fsys fs.FS) ([]string, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list dataset files: %w", err)
	}
	if len(names) == 0 {
		return nil, plotline.Errorf(plotline.EINVALID, "no dataset files (*.yaml) found")
	}
	sort.Strings(names)
	return names, nil
}

// origin remembers where a record came from, to report cross-file problems.
type origin struct {
	file string
	path string // field path of the record inside its file
}

type loader struct {
	batch *plotline.Batch
	errs  Errors
	nodes map[string]*yaml.Node

	sourceAt map[string]origin
	actorAt  map[string]origin
	// refs to check once every file is read
	sourceRefs []ref
	actorRefs  []ref
	reported   map[string]bool // file + field path already reported
	affAt      []origin        // parallel to batch.Affiliations
	incAt      []origin        // parallel to batch.Incidents
}

type ref struct {
	id string
	at origin
}

func (l *loader) fail(file string, line int, field, format string, args ...any) {
	l.errs = append(l.errs, &plotline.Error{Code: plotline.EINVALID, File: file, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) failAt(at origin, field, format string, args ...any) {
	p := at.path
	if field != "" {
		p += "." + field
	}
	if l.reported == nil {
		l.reported = map[string]bool{}
	}
	l.reported[at.file+"\x00"+p] = true
	l.fail(at.file, lineOf(l.nodes[at.file], p), p, format, args...)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func (l *loader) file(name string, data []byte) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		l.fail(name, yamlErrLine(err.Error()), "", "malformed YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	l.nodes[name] = &root
	var doc fileDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				l.fail(name, yamlErrLine(msg), "", "%s", msg)
			}
		} else {
			l.fail(name, yamlErrLine(err.Error()), "", "%s", err)
		}
		return
	}
	if l.sourceAt == nil {
		l.sourceAt, l.actorAt = map[string]origin{}, map[string]origin{}
	}
	for i := range doc.Sources {
		l.source(origin{name, pathf("sources[%d]", i)}, &doc.Sources[i])
	}
	for i := range doc.Actors {
		l.actor(origin{name, pathf("actors[%d]", i)}, &doc.Actors[i])
	}
	for i := range doc.Affiliations {
		l.affiliation(origin{name, pathf("affiliations[%d]", i)}, &doc.Affiliations[i])
	}
	for i := range doc.Incidents {
		l.incident(origin{name, pathf("incidents[%d]", i)}, &doc.Incidents[i])
	}
}

func yamlErrLine(msg string) int {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1]) // the pattern only matches digits
		return n
	}
	return 0
}

// date parses a dataset date, reporting a bad one against its field.
func (l *loader) date(at origin, field, s string) plotline.Date {
	d, err := plotline.ParseDate(s)
	if err != nil {
		l.failAt(at, field, "%v", err)
	}
	return d
}

// validated reports domain validation errors against their lines.
func (l *loader) validated(at origin, errs []*plotline.Error) {
	for _, e := range errs {
		if l.reported[at.file+"\x00"+at.path+"."+e.Field] {
			continue // a parse error was already reported for this field
		}
		l.failAt(at, e.Field, "%s", e.Message)
	}
}

func (l *loader) source(at origin, d *sourceDoc) {
	tlp := d.TLP
	if tlp == "" {
		tlp = "clear"
	}
	s := plotline.Source{ID: d.ID, Publisher: d.Publisher, Title: d.Title, URL: d.URL, Language: d.Language,
		Published: l.date(at, "published", d.Published), Kind: d.Kind, Reliability: d.Reliability,
		Credibility: d.Credibility, TLP: tlp, ArchiveURL: d.ArchiveURL, SHA256: d.SHA256}
	l.validated(at, s.Validate())
	if prev, ok := l.sourceAt[s.ID]; ok {
		l.failAt(at, "id", "source %q is already defined at %s:%d", s.ID, prev.file, lineOf(l.nodes[prev.file], prev.path))
		return
	}
	l.sourceAt[s.ID] = at
	l.batch.Sources = append(l.batch.Sources, s)
}

func (l *loader) sources(at origin, field string, ids []string) {
	for i, id := range ids {
		l.sourceRefs = append(l.sourceRefs, ref{id, origin{at.file, pathf("%s.%s[%d]", at.path, field, i)}})
	}
}

func (l *loader) actor(at origin, d *actorDoc) {
	a := plotline.Actor{ID: d.ID, Name: d.Name, Kind: d.Kind, Sources: d.Sources, Note: d.Note,
		Founded: l.date(at, "founded", d.Founded), Dissolved: l.date(at, "dissolved", d.Dissolved)}
	for _, al := range d.Aliases {
		a.Aliases = append(a.Aliases, plotline.Alias(al))
	}
	for i, h := range d.Home {
		a.Home = append(a.Home, plotline.HomeCountry{Country: h.Country,
			From: l.date(at, pathf("home[%d].from", i), h.From), To: l.date(at, pathf("home[%d].to", i), h.To)})
	}
	l.validated(at, a.Validate())
	if prev, ok := l.actorAt[a.ID]; ok {
		l.failAt(at, "id", "actor %q is already defined at %s:%d", a.ID, prev.file, lineOf(l.nodes[prev.file], prev.path))
		return
	}
	l.actorAt[a.ID] = at
	l.sources(at, "sources", a.Sources)
	l.batch.Actors = append(l.batch.Actors, a)
}

func (l *loader) affiliation(at origin, d *affiliationDoc) {
	f := plotline.Affiliation{ID: d.ID, ChildID: d.Child, ParentID: d.Parent, Sources: d.Sources, Note: d.Note,
		From: l.date(at, "from", d.From), To: l.date(at, "to", d.To)}
	if f.ID == "" {
		f.ID = d.Child + ":" + d.Parent
		if f.From.Known() {
			f.ID += ":" + f.From.String()
		}
	}
	l.validated(at, f.Validate())
	for _, a := range []struct{ field, id string }{{"child", f.ChildID}, {"parent", f.ParentID}} {
		l.actorRefs = append(l.actorRefs, ref{a.id, origin{at.file, at.path + "." + a.field}})
	}
	l.sources(at, "sources", f.Sources)
	l.batch.Affiliations = append(l.batch.Affiliations, f)
	l.affAt = append(l.affAt, at)
}

func (l *loader) incident(at origin, d *incidentDoc) {
	in := plotline.Incident{ID: d.ID, Title: d.Title, Kind: d.Kind, Outcome: d.Outcome, Stage: d.Stage,
		Date: l.date(at, "date", d.Date), Disclosed: l.date(at, "disclosed", d.Disclosed),
		Location: plotline.Location{Country: d.Location.Country, Admin1: d.Location.Admin1, Place: d.Location.Place,
			Lat: d.Location.Lat, Lon: d.Location.Lon, Precision: d.Location.Precision},
		TargetCountry: d.TargetCountry, TargetType: d.TargetType, Weapons: d.Weapons,
		Killed: plotline.Range(d.Killed), Injured: plotline.Range(d.Injured),
		Perpetrators: d.Perpetrators, Arrests: d.Arrests, Documentation: d.Documentation,
		Summary: strings.TrimSpace(d.Summary), Tags: d.Tags, Sources: d.Sources}
	ids := map[string]int{}
	for i := range d.Attributions {
		ad := &d.Attributions[i]
		aat := origin{at.file, pathf("%s.attributions[%d]", at.path, i)}
		a := plotline.Attribution{ID: ad.ID, IncidentID: in.ID, ActorID: ad.Actor, Basis: ad.Basis, AssertedBy: ad.AssertedBy,
			StatedOn: l.date(aat, "stated_on", ad.StatedOn), Link: ad.Link, Likelihood: ad.Likelihood, Confidence: ad.Confidence, TLP: ad.TLP,
			SupersededOn: l.date(aat, "superseded_on", ad.SupersededOn), RetractedOn: l.date(aat, "retracted_on", ad.RetractedOn),
			Note: strings.TrimSpace(ad.Note)}
		for _, s := range ad.Sources {
			a.Sources = append(a.Sources, plotline.SourceRef(s))
		}
		if a.ID == "" {
			a.ID = attributionID(&a)
		}
		if ids[a.ID]++; ids[a.ID] > 1 {
			a.ID += "-" + strconv.Itoa(ids[a.ID])
		}
		l.actorRefs = append(l.actorRefs, ref{a.ActorID, origin{aat.file, aat.path + ".actor"}})
		for j, s := range a.Sources {
			l.sourceRefs = append(l.sourceRefs, ref{s.ID, origin{aat.file, pathf("%s.sources[%d]", aat.path, j)}})
		}
		in.Attributions = append(in.Attributions, a)
	}
	l.validated(at, in.Validate())
	if len(in.Attributions) == 0 {
		l.failAt(at, "attributions", "an incident in the curated dataset needs at least one attribution")
	}
	l.sources(at, "sources", in.Sources)
	l.batch.Incidents = append(l.batch.Incidents, in)
	l.incAt = append(l.incAt, at)
}

// attributionID derives a stable ID from what the statement is, so that
// reordering statements in a file does not renumber them.
func attributionID(a *plotline.Attribution) string {
	return fmt.Sprintf("%s/%s-%s-%s", a.IncidentID, a.Basis, a.ActorID, a.StatedOn.Start)
}

// crossCheck verifies what needs every file: references, unique incident IDs
// and an acyclic organisation graph.
func (l *loader) crossCheck() {
	for _, r := range l.sourceRefs {
		if _, ok := l.sourceAt[r.id]; !ok {
			l.fail(r.at.file, lineOf(l.nodes[r.at.file], r.at.path), r.at.path, "source %q is not defined in any dataset file", r.id)
		}
	}
	for _, r := range l.actorRefs {
		if _, ok := l.actorAt[r.id]; !ok {
			l.fail(r.at.file, lineOf(l.nodes[r.at.file], r.at.path), r.at.path, "actor %q is not defined in any dataset file", r.id)
		}
	}
	seen := map[string]origin{}
	for i, in := range l.batch.Incidents {
		if prev, ok := seen[in.ID]; ok {
			l.failAt(l.incAt[i], "id", "incident %q is already defined at %s:%d", in.ID, prev.file, lineOf(l.nodes[prev.file], prev.path))
			continue
		}
		seen[in.ID] = l.incAt[i]
	}
	seenAff := map[string]bool{}
	for i, f := range l.batch.Affiliations {
		if seenAff[f.ID] {
			l.failAt(l.affAt[i], "", "affiliation %q (child:parent:from) is defined twice; give one an id", f.ID)
		}
		seenAff[f.ID] = true
	}
	if cycle := findCycle(l.batch.Affiliations); cycle != nil {
		for i, f := range l.batch.Affiliations {
			if f.ChildID == cycle[0] && f.ParentID == cycle[1] {
				l.failAt(l.affAt[i], "parent", "the organisation graph has a cycle: %s", strings.Join(cycle, " → "))
				break
			}
		}
	}
}

// findCycle returns one cycle of child→parent edges, ignoring dates (a unit
// cannot be its own ancestor at any time), or nil.
func findCycle(affs []plotline.Affiliation) []string {
	parents := map[string][]string{}
	for _, f := range affs {
		parents[f.ChildID] = append(parents[f.ChildID], f.ParentID)
	}
	keys := make([]string, 0, len(parents))
	for k := range parents {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	state := map[string]int{} // 0 new, 1 on stack, 2 done
	var stack []string
	var visit func(string) []string
	visit = func(n string) []string {
		switch state[n] {
		case 1:
			i := slices.Index(stack, n)
			return append(slices.Clone(stack[i:]), n)
		case 2:
			return nil
		}
		state[n] = 1
		stack = append(stack, n)
		for _, p := range parents[n] {
			if c := visit(p); c != nil {
				return c
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = 2
		return nil
	}
	for _, k := range keys {
		if c := visit(k); c != nil {
			return c
		}
	}
	return nil
}
