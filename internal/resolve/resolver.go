package resolve

import (
	"fmt"
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
)

// PlaceholderPrefix starts the ID of every placeholder actor.
const PlaceholderPrefix = "unresolved:"

// Where is what an import knows about the incident that names a group,
// used only to corroborate weak aliases.
type Where struct {
	Country string // ISO alpha-3 of the incident
	Date    plotline.Date
}

// Result is the outcome of resolving one name.
type Result struct {
	Key     string // the normalised name
	ActorID string // the matched actor; "" when unmatched
	// Decided is set when a reviewer's decision gave the result.
	Decided bool
	// Verdict of that decision, or VerdictUnsure when the rules found
	// candidates they may not accept on their own.
	Verdict    string
	Reason     string
	Suggestion string // a candidate actor for the reviewer, never applied
}

// Matched reports whether the name resolved to an actor.
func (r Result) Matched() bool { return r.ActorID != "" }

// Resolver matches names against a fixed set of actors and decisions. It
// is not safe for concurrent use (it caches results).
type Resolver struct {
	actors             map[string]*plotline.Actor
	strong, strongFold map[string][]string // key → actor IDs
	words              map[string][]string
	weak, weakFold     map[string][]string
	nameWords          map[string][]string // actor → word sets of its strong names
	decisions          map[[2]string]plotline.NameDecision
	cache              map[[3]string]Result
	usedWhere          bool            // set by weakMatch when the incident's place decided
	placeholders       map[string]bool // placeholder actors already stored
}

// New indexes actors (placeholders excluded: they are not identities; only
// their IDs are kept, see HasPlaceholder) and the current decisions.
func New(actors []plotline.Actor, decisions []plotline.NameDecision) *Resolver {
	r := &Resolver{
		actors: map[string]*plotline.Actor{},
		strong: map[string][]string{}, strongFold: map[string][]string{}, words: map[string][]string{},
		weak: map[string][]string{}, weakFold: map[string][]string{},
		nameWords:    map[string][]string{},
		decisions:    map[[2]string]plotline.NameDecision{},
		cache:        map[[3]string]Result{},
		placeholders: map[string]bool{},
	}
	add := func(m map[string][]string, k, id string) {
		if k != "" && !slices.Contains(m[k], id) {
			m[k] = append(m[k], id)
		}
	}
	for i := range actors {
		a := &actors[i]
		if strings.HasPrefix(a.ID, PlaceholderPrefix) {
			r.placeholders[a.ID] = true
			continue
		}
		r.actors[a.ID] = a
		names := []plotline.Alias{{Name: a.Name}}
		names = append(names, a.Aliases...)
		for _, al := range names {
			main, inner := splitParens(al.Name)
			forms := []string{al.Name, main}
			for _, f := range forms {
				k := Normalize(f)
				if al.Weak {
					add(r.weak, k, a.ID)
					add(r.weakFold, Fold(k), a.ID)
					continue
				}
				add(r.strong, k, a.ID)
				add(r.strongFold, Fold(k), a.ID)
				add(r.words, wordSet(k), a.ID)
				if w := wordSet(k); w != "" && !slices.Contains(r.nameWords[a.ID], w) {
					r.nameWords[a.ID] = append(r.nameWords[a.ID], w)
				}
			}
			for _, in := range inner { // "(ISIL)" in a name is a weak acronym
				k := Normalize(in)
				add(r.weak, k, a.ID)
				add(r.weakFold, Fold(k), a.ID)
			}
		}
	}
	for _, d := range decisions {
		k := [2]string{d.Dataset, d.Key}
		if cur, ok := r.decisions[k]; !ok || d.ID > cur.ID {
			r.decisions[k] = d
		}
	}
	return r
}

// Resolve matches one name as dataset spells it.
func (r *Resolver) Resolve(dataset, name string, w Where) Result {
	// Only weak aliases look at where the incident is: other results are
	// cached by name alone, so the cache stays as small as the set of names.
	byName := [3]string{dataset, name, ""}
	if res, ok := r.cache[byName]; ok {
		return res
	}
	byWhere := [3]string{dataset, name, w.Country + "|" + w.Date.String()}
	if res, ok := r.cache[byWhere]; ok {
		return res
	}
	r.usedWhere = false
	res := r.resolve(dataset, name, w)
	if r.usedWhere {
		r.cache[byWhere] = res
	} else {
		r.cache[byName] = res
	}
	return res
}

func (r *Resolver) resolve(dataset, name string, w Where) Result {
	key := Normalize(name)
	res := Result{Key: key}
	for _, ds := range []string{dataset, ""} {
		d, ok := r.decisions[[2]string{ds, key}]
		if !ok {
			continue
		}
		res.Decided, res.Verdict = true, d.Verdict
		res.Reason = fmt.Sprintf("%s by %s on %s", d.Verdict, d.By, d.At.Format("2006-01-02"))
		if d.Verdict == plotline.VerdictMatch {
			if _, ok := r.actors[d.ActorID]; ok {
				res.ActorID = d.ActorID
				return res
			}
			res.Decided, res.Verdict = false, ""
			res.Reason = fmt.Sprintf("decided match with %s, which no longer exists", d.ActorID)
			break
		}
		if d.Verdict == plotline.VerdictUnsure {
			res.Suggestion = r.suggest(name)
		}
		return res
	}
	main, inner := splitParens(name)
	forms := []string{name}
	if main != name && main != "" {
		forms = append(forms, main)
	}
	var ambiguous []string
	for _, f := range forms {
		k := Normalize(f)
		for _, rule := range []struct {
			m      map[string][]string
			k, why string
		}{
			{r.strong, k, "name or alias %q"},
			{r.strongFold, Fold(k), "transliteration variant of %q"},
			{r.words, wordSet(k), "same name words as %q"},
		} {
			ids := r.lookup(rule.m, rule.k)
			switch {
			case len(ids) == 1 && f == main && main != name && !r.aliasesOf(ids[0], inner):
				// "Islamic State (Afghanistan)": the qualifier narrows the
				// name; the bare name's actor is only a suggestion.
				res.Verdict, res.Suggestion = plotline.VerdictUnsure, ids[0]
				res.Reason = fmt.Sprintf("without its qualifier (%s) the name is %q", strings.Join(inner, ", "), r.actors[ids[0]].Name)
				return res
			case len(ids) == 1:
				res.ActorID = ids[0]
				res.Reason = fmt.Sprintf(rule.why, r.actors[ids[0]].Name)
				return res
			case len(ids) > 1 && ambiguous == nil:
				ambiguous = ids
			}
		}
	}
	if m, ok := r.weakMatch(name, main, inner, w); ok {
		return m
	} else if m.Suggestion != "" {
		m.Key = key
		return m
	}
	res.Verdict = ""
	if len(ambiguous) > 0 {
		res.Verdict = plotline.VerdictUnsure
		res.Suggestion = ambiguous[0]
		res.Reason = "matches several actors: " + strings.Join(ambiguous, ", ")
		return res
	}
	res.Suggestion = r.suggest(name)
	if res.Suggestion != "" {
		res.Reason = fmt.Sprintf("name words are a part of %q", r.actors[res.Suggestion].Name)
	}
	return res
}

// aliasesOf reports whether every part is a name or alias of the actor.
func (r *Resolver) aliasesOf(id string, parts []string) bool {
	for _, p := range parts {
		k := Normalize(p)
		found := false
		for _, m := range []map[string][]string{r.strong, r.weak} {
			if slices.Contains(m[k], id) {
				found = true
			}
		}
		for _, m := range []map[string][]string{r.strongFold, r.weakFold} {
			if slices.Contains(m[Fold(k)], id) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (r *Resolver) lookup(m map[string][]string, k string) []string {
	if k == "" {
		return nil
	}
	return m[k]
}

// weakMatch tries weak aliases (the whole name, or an acronym in
// parentheses). A weak alias alone never matches; it needs the rest of the
// name to contain all words of one of the actor's strong names, or the
// incident to lie in one of the actor's home countries at its date.
func (r *Resolver) weakMatch(name, main string, inner []string, w Where) (Result, bool) {
	var cands []string
	var via string
	for _, f := range append([]string{name, main}, inner...) {
		k := Normalize(f)
		for _, ids := range [][]string{r.lookup(r.weak, k), r.lookup(r.weakFold, Fold(k))} {
			for _, id := range ids {
				if !slices.Contains(cands, id) {
					cands = append(cands, id)
					via = f
				}
			}
		}
	}
	if len(cands) == 0 {
		return Result{}, false
	}
	r.usedWhere = true
	ctxWords := strings.Fields(wordSet(Normalize(main)))
	var ok []string
	var why string
	for _, id := range cands {
		if sub := r.wordsWithin(id, ctxWords); sub {
			ok = append(ok, id)
			why = fmt.Sprintf("weak alias %q corroborated by the name words of %q", via, r.actors[id].Name)
			continue
		}
		if w.Country != "" && w.Date.Known() && r.actors[id].HomeOn(w.Country, w.Date.Start) {
			ok = append(ok, id)
			why = fmt.Sprintf("weak alias %q corroborated by home country %s", via, w.Country)
		}
	}
	if len(ok) == 1 {
		return Result{ActorID: ok[0], Reason: why}, true
	}
	res := Result{Verdict: plotline.VerdictUnsure, Suggestion: cands[0]}
	if len(ok) > 1 {
		res.Reason = "weak alias corroborated for several actors: " + strings.Join(ok, ", ")
	} else {
		res.Reason = fmt.Sprintf("weak alias %q of %s, not corroborated", via, strings.Join(cands, ", "))
	}
	return res, false
}

// wordsWithin reports whether all words of one of the actor's strong names
// occur among ws.
func (r *Resolver) wordsWithin(id string, ws []string) bool {
	if len(ws) == 0 {
		return false
	}
	for _, set := range r.nameWords[id] {
		all := true
		for _, x := range strings.Fields(set) {
			if !slices.Contains(ws, x) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// suggest returns the one actor whose strong name words include all the
// name's words (at least two), if exactly one does.
func (r *Resolver) suggest(name string) string {
	ws := strings.Fields(wordSet(Normalize(name)))
	if len(ws) < 2 {
		return ""
	}
	var found []string
	for id, sets := range r.nameWords {
		for _, set := range sets {
			have := strings.Fields(set)
			all := true
			for _, x := range ws {
				if !slices.Contains(have, x) {
					all = false
					break
				}
			}
			if all {
				found = append(found, id)
				break
			}
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

// Actor returns an indexed actor.
func (r *Resolver) Actor(id string) (*plotline.Actor, bool) {
	a, ok := r.actors[id]
	return a, ok
}

// HasPlaceholder reports whether the placeholder actor id was among the
// actors New was given: an import leaves a stored placeholder as it is (it
// is named as the source first spelt it; a later spelling of the same key,
// in another file, must not make a new version).
func (r *Resolver) HasPlaceholder(id string) bool { return r.placeholders[id] }
