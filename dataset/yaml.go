package dataset

import (
	"fmt"

	"github.com/plotline-dev/plotline"
	"go.yaml.in/yaml/v3"
)

// The YAML shapes of the dataset files. Dates stay strings here so that a
// bad date is reported with its field and line rather than as a decode error.

type fileDoc struct {
	Sources      []sourceDoc      `yaml:"sources"`
	Actors       []actorDoc       `yaml:"actors"`
	Affiliations []affiliationDoc `yaml:"affiliations"`
	Incidents    []incidentDoc    `yaml:"incidents"`
}

type sourceDoc struct {
	ID          string `yaml:"id"`
	Publisher   string `yaml:"publisher"`
	Title       string `yaml:"title"`
	URL         string `yaml:"url"`
	Language    string `yaml:"language"`
	Published   string `yaml:"published"`
	Kind        string `yaml:"kind"`
	Reliability string `yaml:"reliability"`
	Credibility string `yaml:"credibility"`
	TLP         string `yaml:"tlp"`
	ArchiveURL  string `yaml:"archive_url"`
	SHA256      string `yaml:"sha256"`
}

type aliasDoc struct {
	Name   string `yaml:"name"`
	Lang   string `yaml:"lang"`
	Script string `yaml:"script"`
	Weak   bool   `yaml:"weak"`
}

type homeDoc struct {
	Country string `yaml:"country"`
	From    string `yaml:"from"`
	To      string `yaml:"to"`
}

type actorDoc struct {
	ID        string     `yaml:"id"`
	Name      string     `yaml:"name"`
	Kind      string     `yaml:"kind"`
	Aliases   []aliasDoc `yaml:"aliases"`
	Home      []homeDoc  `yaml:"home"`
	Founded   string     `yaml:"founded"`
	Dissolved string     `yaml:"dissolved"`
	Sources   []string   `yaml:"sources"`
	Note      string     `yaml:"note"`
}

type affiliationDoc struct {
	ID      string   `yaml:"id"`
	Child   string   `yaml:"child"`
	Parent  string   `yaml:"parent"`
	From    string   `yaml:"from"`
	To      string   `yaml:"to"`
	Sources []string `yaml:"sources"`
	Note    string   `yaml:"note"`
}

type locationDoc struct {
	Country   string   `yaml:"country"`
	Admin1    string   `yaml:"admin1"`
	Place     string   `yaml:"place"`
	Lat       *float64 `yaml:"lat"`
	Lon       *float64 `yaml:"lon"`
	Precision string   `yaml:"precision"`
}

type rangeDoc struct {
	Low  *int `yaml:"low"`
	Best *int `yaml:"best"`
	High *int `yaml:"high"`
}

type incidentDoc struct {
	ID            string           `yaml:"id"`
	Title         string           `yaml:"title"`
	Kind          string           `yaml:"kind"`
	Outcome       string           `yaml:"outcome"`
	Stage         string           `yaml:"stage"`
	Date          string           `yaml:"date"`
	Disclosed     string           `yaml:"disclosed"`
	Location      locationDoc      `yaml:"location"`
	TargetCountry string           `yaml:"target_country"`
	TargetType    string           `yaml:"target_type"`
	Weapons       []string         `yaml:"weapons"`
	Killed        rangeDoc         `yaml:"killed"`
	Injured       rangeDoc         `yaml:"injured"`
	Perpetrators  *int             `yaml:"perpetrators"`
	Arrests       *int             `yaml:"arrests"`
	Documentation string           `yaml:"documentation"`
	Summary       string           `yaml:"summary"`
	Tags          []string         `yaml:"tags"`
	Sources       []string         `yaml:"sources"`
	Attributions  []attributionDoc `yaml:"attributions"`
}

type attributionDoc struct {
	ID           string         `yaml:"id"`
	Actor        string         `yaml:"actor"`
	Basis        string         `yaml:"basis"`
	AssertedBy   string         `yaml:"asserted_by"`
	StatedOn     string         `yaml:"stated_on"`
	Link         string         `yaml:"link"`
	Likelihood   string         `yaml:"likelihood"`
	Confidence   string         `yaml:"confidence"`
	SupersededOn string         `yaml:"superseded_on"`
	RetractedOn  string         `yaml:"retracted_on"`
	Sources      []sourceRefDoc `yaml:"sources"`
	Note         string         `yaml:"note"`
	TLP          string         `yaml:"tlp"`
}

// sourceRefDoc is either a bare source ID or {id, reliability, credibility}.
type sourceRefDoc plotline.SourceRef

func (r *sourceRefDoc) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		r.ID = n.Value
		return nil
	}
	var m struct {
		ID          string `yaml:"id"`
		Reliability string `yaml:"reliability"`
		Credibility string `yaml:"credibility"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	*r = sourceRefDoc{ID: m.ID, Reliability: m.Reliability, Credibility: m.Credibility}
	return nil
}

// lineOf finds the line of the node at a field path such as
// "incidents[3].attributions[1].basis" under root (a document's mapping).
// When the path ends early (a missing field), it returns the deepest line found.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	for _, step := range splitPath(path) {
		if n == nil {
			break
		}
		var next *yaml.Node
		switch {
		case step.index >= 0 && n.Kind == yaml.SequenceNode && step.index < len(n.Content):
			next = n.Content[step.index]
		case step.index < 0 && n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == step.key {
					next = n.Content[i+1]
					if next.Kind == yaml.ScalarNode || next.Line == 0 {
						next.Line = n.Content[i].Line
					}
					break
				}
			}
		}
		if next == nil {
			break
		}
		n, line = next, next.Line
	}
	return line
}

type pathStep struct {
	key   string
	index int // -1 for a key step
}

// splitPath turns "a[1].b" into [a, [1], b].
func splitPath(path string) []pathStep {
	var out []pathStep
	key := ""
	flush := func() {
		if key != "" {
			out = append(out, pathStep{key: key, index: -1})
			key = ""
		}
	}
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '.':
			flush()
		case '[':
			flush()
			j := i + 1
			idx := 0
			for j < len(path) && path[j] >= '0' && path[j] <= '9' {
				idx = idx*10 + int(path[j]-'0')
				j++
			}
			out = append(out, pathStep{index: idx})
			i = j // skip ']'
		default:
			key += string(c)
		}
	}
	flush()
	return out
}

func pathf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
