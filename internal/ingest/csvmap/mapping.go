// Package csvmap imports any CSV with a mapping file that says which column
// holds which Plotline field and how values translate. The format is
// documented in docs/csv-mapping.md.
package csvmap

import (
	"bytes"
	"errors"
	"fmt"

	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
	"go.yaml.in/yaml/v3"
)

// Fields a column may be mapped to.
var Fields = []string{"id", "title", "date", "kind", "outcome", "stage", "country", "admin1", "place", "lat", "lon",
	"location_precision", "target_country", "target_type", "event_type", "weapons", "killed", "killed_low", "killed_high",
	"injured", "perpetrators", "arrests", "summary", "tags", "group", "disclosed"}

// Mapping is a parsed mapping file.
type Mapping struct {
	Dataset     string                       `yaml:"dataset"`
	Source      SourceDoc                    `yaml:"source"`
	Encoding    string                       `yaml:"encoding"`
	Delimiter   string                       `yaml:"delimiter"`
	Columns     map[string]string            `yaml:"columns"`
	DateFormat  string                       `yaml:"date_format"`
	Values      map[string]map[string]string `yaml:"values"`
	Defaults    map[string]string            `yaml:"defaults"`
	Split       map[string]string            `yaml:"split"`
	Attribution AttributionDoc               `yaml:"attribution"`

	// File is the mapping file's name, for errors about the sheet that
	// come from the mapping (a column it names that the header lacks).
	File string `yaml:"-"`
}

// SourceDoc describes the spreadsheet as a source.
type SourceDoc struct {
	Publisher string `yaml:"publisher"`
	Title     string `yaml:"title"`
	URL       string `yaml:"url"`
	Kind      string `yaml:"kind"`
	TLP       string `yaml:"tlp"`
}

// AttributionDoc sets how group names become attributions.
type AttributionDoc struct {
	Basis      string `yaml:"basis"`
	AssertedBy string `yaml:"asserted_by"`
	Link       string `yaml:"link"`
}

// ParseMapping reads a mapping file. Errors name the file's line and key.
func ParseMapping(data []byte, file string) (*Mapping, error) {
	fail := func(line int, field, format string, args ...any) error {
		return &plotline.Error{Code: plotline.EINVALID, File: file, Line: line, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if !utf8.Valid(data) {
		return nil, fail(0, "", "the mapping file is not UTF-8")
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fail(yamlLine(err), "", "%v", yamlMessage(err))
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fail(1, "", "the mapping file must be a YAML mapping (dataset:, source:, columns:, ...)")
	}
	if err := knownKeys(root.Content[0], file); err != nil {
		return nil, err
	}
	m := Mapping{File: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fail(yamlLine(err), "", "%v", yamlMessage(err))
	}
	doc := root.Content[0]
	line := func(path ...string) int { return lineOf(doc, path...) }
	if m.Dataset == "" || ingest.Slug(m.Dataset) != m.Dataset {
		return nil, fail(line("dataset"), "dataset", "%q must be a lower-case name (letters, digits, '-'): it prefixes every record ID", m.Dataset)
	}
	switch m.Dataset {
	case "gtd", "acled", "ucdp", "stix", "unresolved":
		return nil, fail(line("dataset"), "dataset", "%q is reserved for a built-in importer", m.Dataset)
	}
	if u, err := url.Parse(m.Source.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fail(line("source", "url"), "source.url", "%q is not an http(s) URL (where the spreadsheet or its description lives)", m.Source.URL)
	}
	if m.Source.Publisher == "" || m.Source.Title == "" {
		return nil, fail(line("source"), "source", "publisher and title are required")
	}
	if m.Source.Kind == "" {
		m.Source.Kind = "research"
	}
	if m.Source.TLP == "" {
		m.Source.TLP = "clear"
	}
	if !slices.Contains(plotline.SourceKinds, m.Source.Kind) {
		return nil, fail(line("source", "kind"), "source.kind", "%q is not one of %s", m.Source.Kind, strings.Join(plotline.SourceKinds, ", "))
	}
	if !slices.Contains(plotline.TLPs, m.Source.TLP) {
		return nil, fail(line("source", "tlp"), "source.tlp", "%q is not one of %s", m.Source.TLP, strings.Join(plotline.TLPs, ", "))
	}
	switch m.Encoding {
	case "":
		m.Encoding = ingest.EncodingUTF8
	case ingest.EncodingUTF8, ingest.EncodingLatin1, ingest.EncodingAuto:
	default:
		return nil, fail(line("encoding"), "encoding", "%q is not utf-8, latin1 or auto", m.Encoding)
	}
	switch utf8.RuneCountInString(m.Delimiter) {
	case 0:
		m.Delimiter = ","
	case 1:
		if r, _ := utf8.DecodeRuneInString(m.Delimiter); r == '"' || r == '\n' || r == '\r' || r == utf8.RuneError {
			return nil, fail(line("delimiter"), "delimiter", "%q cannot be a delimiter", m.Delimiter)
		}
	default:
		return nil, fail(line("delimiter"), "delimiter", "%q must be one character", m.Delimiter)
	}
	for _, f := range sortedKeys(m.Columns) {
		if !slices.Contains(Fields, f) {
			return nil, fail(line("columns", f), "columns."+f, "%q is not a field (one of %s)", f, strings.Join(Fields, ", "))
		}
		if strings.TrimSpace(m.Columns[f]) == "" {
			return nil, fail(line("columns", f), "columns."+f, "names no column")
		}
	}
	for _, need := range []string{"id", "date", "country"} {
		if m.Columns[need] == "" {
			return nil, fail(line("columns"), "columns."+need, "is required")
		}
	}
	if m.Columns["title"] == "" && m.Columns["summary"] == "" {
		return nil, fail(line("columns"), "columns.title", "title or summary is required (a title is made from the summary)")
	}
	for _, f := range sortedKeys(m.Values) {
		if !slices.Contains(Fields, f) {
			return nil, fail(line("values", f), "values."+f, "%q is not a field", f)
		}
	}
	for _, f := range sortedKeys(m.Defaults) {
		if err := checkDefault(f, m.Defaults[f]); err != nil {
			return nil, fail(line("defaults", f), "defaults."+f, "%s", err)
		}
	}
	for _, f := range sortedKeys(m.Split) {
		if !slices.Contains([]string{"group", "tags", "weapons"}, f) {
			return nil, fail(line("split", f), "split."+f, "only group, tags and weapons can be split")
		}
		if m.Split[f] == "" {
			return nil, fail(line("split", f), "split."+f, "names no separator")
		}
	}
	if m.DateFormat != "" {
		probe := time.Date(2006, 1, 2, 0, 0, 0, 0, time.UTC).Format(m.DateFormat)
		if t, err := time.Parse(m.DateFormat, probe); err != nil || t.Day() != 2 || t.Month() != 1 || t.Year() != 2006 {
			return nil, fail(line("date_format"), "date_format", "%q is not a Go date layout with day, month and year (e.g. 02/01/2006)", m.DateFormat)
		}
	}
	a := &m.Attribution
	if a.Basis == "" {
		a.Basis = plotline.BasisMedia
	}
	if a.Link == "" {
		a.Link = "unknown"
	}
	if a.AssertedBy == "" {
		a.AssertedBy = m.Source.Publisher
	}
	if !slices.Contains(plotline.Bases, a.Basis) {
		return nil, fail(line("attribution", "basis"), "attribution.basis", "%q is not one of %s", a.Basis, strings.Join(plotline.Bases, ", "))
	}
	if !slices.Contains(plotline.Links, a.Link) {
		return nil, fail(line("attribution", "link"), "attribution.link", "%q is not one of %s", a.Link, strings.Join(plotline.Links, ", "))
	}
	return &m, nil
}

// defaultVocab are the fields that can have a default, with the values it
// may take (nil: a country name or code).
var defaultVocab = map[string][]string{
	"kind": plotline.IncidentKinds, "outcome": plotline.Outcomes, "stage": plotline.Stages,
	"location_precision": plotline.LocPrecisions, "country": nil, "target_country": nil,
}

// checkDefault checks a default as the row would, so a mistyped default is
// reported against the mapping file, not against every row of the sheet.
func checkDefault(field, v string) error {
	vocab, ok := defaultVocab[field]
	switch {
	case !ok:
		return fmt.Errorf("%q cannot have a default (kind, outcome, stage, location_precision, country, target_country can)", field)
	case v == "":
		return nil
	case field == "country" || field == "target_country":
		if _, ok := ingest.CountryCode(v); !ok {
			return fmt.Errorf("%q is not a country name or ISO 3166-1 alpha-3 code", v)
		}
	case !slices.Contains(vocab, v):
		return fmt.Errorf("%q is not one of %s", v, strings.Join(vocab, ", "))
	}
	return nil
}

// knownKeys refuses a key the mapping format does not have, at its line,
// with the keys it could have been (the YAML decoder would name a Go type).
func knownKeys(doc *yaml.Node, file string) error {
	check := func(n *yaml.Node, section string, valid []string) error {
		prefix, where := "", ""
		if section != "" {
			prefix, where = section+".", " in "+section
		}
		if n.Kind != yaml.MappingNode {
			return nil // the decoder reports a wrong shape
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Tag != "!!merge" && !slices.Contains(valid, k.Value) {
				return &plotline.Error{Code: plotline.EINVALID, File: file, Line: k.Line,
					Message: fmt.Sprintf("unknown key %q (valid keys%s: %s)", prefix+k.Value, where, strings.Join(valid, ", "))}
			}
		}
		return nil
	}
	if err := check(doc, "", yamlKeys(Mapping{})); err != nil {
		return err
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		var err error
		switch doc.Content[i].Value {
		case "source":
			err = check(doc.Content[i+1], "source", yamlKeys(SourceDoc{}))
		case "attribution":
			err = check(doc.Content[i+1], "attribution", yamlKeys(AttributionDoc{}))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// yamlKeys lists the YAML keys of a struct's fields, in declaration order.
func yamlKeys(v any) []string {
	t := reflect.TypeOf(v)
	var keys []string
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}

// OpenMapping reads a mapping file from disk.
func OpenMapping(path string) (*Mapping, error) {
	b, err := ingest.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseMapping(b, path)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lineOf finds the line of a key path in a YAML mapping node (0 if absent).
func lineOf(n *yaml.Node, path ...string) int {
	line := n.Line
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line = n.Content[i].Line
				n = n.Content[i+1]
				found = true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

func yamlLine(err error) int {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	var n int
	if i := strings.Index(msg, "line "); i >= 0 {
		fmt.Sscanf(msg[i+5:], "%d", &n) //nolint:errcheck // no number leaves 0: no line
	}
	return n
}

func yamlMessage(err error) string {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		if _, rest, ok := strings.Cut(msg, ": "); ok {
			msg = rest
		}
	}
	return msg
}
