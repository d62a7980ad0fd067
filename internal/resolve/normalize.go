// Package resolve matches the group names of imported datasets to Plotline
// actors (aliases, normalisation, recorded review decisions) and finds
// incidents that two sources may both report (duplicate candidates).
//
// Nothing here guesses: a name matches only through an alias, a
// normalisation of one, a weak alias corroborated by the rest of the name or
// by the incident's country, or a reviewer's decision. Everything else stays
// unmatched and goes to the review list. Duplicates are only ever proposed.
package resolve

import (
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// stopwords carry no identity in group names (articles and connectives in
// English, French and transliterated Arabic).
var stopwords = map[string]bool{
	"the": true, "of": true, "in": true, "and": true, "for": true, "a": true,
	"al": true, "el": true, "ad": true, "ash": true, "as": true, "an": true, "ar": true, "at": true,
	"az": true, "ath": true, "adh": true, "wa": true, "fi": true,
	"de": true, "du": true, "la": true, "le": true, "des": true, "et": true,
	"في": true, "و": true,
}

// unitWords name the kind of unit, not the unit: "Khorasan Province of the
// Islamic State" and "Khorasan Chapter of the Islamic State" are one unit.
var unitWords = map[string]bool{"province": true, "chapter": true, "branch": true, "wilayat": true, "wilaya": true, "wilayah": true, "vilayat": true, "vilayeti": true, "velayat": true, "ولايه": true}

// Normalize returns the comparison key of a name: Unicode compatibility
// folded, diacritics and Arabic vowel marks removed, Arabic letter variants
// unified (alef forms, ta marbuta, alef maqsura, Persian kaf and yeh, the
// article "al-"), lower case, punctuation as spaces, stopwords dropped.
func Normalize(s string) string {
	return strings.Join(tokens(s), " ")
}

func tokens(s string) []string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		r = unicode.ToLower(r)
		switch {
		case unicode.Is(unicode.Mn, r) || r == 'ـ': // marks, harakat, tatweel
			continue
		case r == '\'' || r == '’' || r == 'ʿ' || r == 'ʾ' || r == '`' || r == '‘':
			continue // Da'ish = Daish
		}
		switch r {
		case 'ٱ', 'أ', 'إ', 'آ':
			r = 'ا'
		case 'ة':
			r = 'ه'
		case 'ى', 'ی':
			r = 'ي'
		case 'ک':
			r = 'ك'
		case 'ı':
			r = 'i'
		case 'ß':
			b.WriteString("ss")
			continue
		case 'ø':
			r = 'o'
		case 'æ':
			b.WriteString("ae")
			continue
		case 'đ':
			r = 'd'
		case 'ł':
			r = 'l'
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteByte(' ')
		}
	}
	var out []string
	for _, t := range strings.Fields(b.String()) {
		if isArabic(t) && strings.HasPrefix(t, "ال") && len([]rune(t)) > 3 {
			t = strings.TrimPrefix(t, "ال")
		}
		if stopwords[t] {
			continue
		}
		out = append(out, t)
	}
	return out
}

func isArabic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) {
			return true
		}
	}
	return false
}

// Fold maps a key to a coarser one that transliteration variants share
// (Khorasan/Khurasan, Farouq/Faruq, Wilayah/Wilayat, Dhu/Zhu, doubled
// letters). A fold match is only accepted when it points at one actor.
func Fold(key string) string {
	ts := strings.Fields(key)
	for i, t := range ts {
		ts[i] = foldToken(t)
	}
	return strings.Join(ts, " ")
}

// translit folds transliteration variants of Latin spellings of Arabic
// and Persian names (built once: a Replacer is costly to make).
var translit = strings.NewReplacer("ou", "u", "oo", "u", "o", "u", "ee", "i", "ph", "f", "q", "k", "dh", "z", "zh", "z", "w", "w")

func foldToken(t string) string {
	if unitWords[t] {
		return "province"
	}
	if isArabic(t) {
		return t
	}
	t = translit.Replace(t)
	t = strings.TrimSuffix(t, "h") // wilayah/wilaya, dawlah/dawla
	var b strings.Builder
	var last rune
	for _, c := range t {
		if c != last {
			b.WriteRune(c)
		}
		last = c
	}
	return b.String()
}

// wordSet returns the sorted distinct non-unit words of a key: the shape
// "Khorasan Chapter of the Islamic State" and "Islamic State Khorasan
// Province" share.
func wordSet(key string) string {
	var ws []string
	for _, t := range strings.Fields(Fold(key)) {
		if t == "province" {
			continue
		}
		ws = append(ws, t)
	}
	slices.Sort(ws)
	return strings.Join(slices.Compact(ws), " ")
}

// splitParens separates "Islamic State in the Greater Sahara (ISGS)" into
// the main name and the parenthesised parts.
func splitParens(s string) (main string, inner []string) {
	var b strings.Builder
	depth := 0
	var cur strings.Builder
	for _, r := range s {
		switch {
		case r == '(':
			if depth == 0 {
				cur.Reset()
			} else {
				cur.WriteRune(r)
			}
			depth++
		case r == ')' && depth > 0:
			depth--
			if depth == 0 {
				if t := strings.TrimSpace(cur.String()); t != "" {
					inner = append(inner, t)
				}
			} else {
				cur.WriteRune(r)
			}
		case depth > 0:
			cur.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " "), inner
}

// PlaceholderID returns the ID of the placeholder actor for a name a
// dataset spells and nothing matched: "unresolved:gtd:left-wing-militants".
// It is stable, so re-imports point at the same placeholder.
func PlaceholderID(dataset, key string) string {
	var b strings.Builder
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	slug := b.String()
	ascii := true
	for _, r := range key {
		if r > unicode.MaxASCII {
			ascii = false
		}
	}
	if !ascii || slug == "" || len(slug) > 120 {
		h := fnv.New64a()
		h.Write([]byte(key)) //nolint:errcheck // hash writes cannot fail
		if len(slug) > 120 {
			slug = slug[:120]
		}
		if slug != "" {
			slug += "-"
		}
		slug += strconv.FormatUint(h.Sum64(), 36)
	}
	return "unresolved:" + dataset + ":" + slug
}
