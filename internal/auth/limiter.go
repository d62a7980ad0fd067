package auth

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// LimitParams shape how failed logins slow further attempts under one key
// (an account name or a client address). The first Free failures cost
// nothing; after that each attempt must wait Base, doubling with every
// further failure up to Max, counted from the last failure. A key that has
// not failed for Forget starts afresh.
type LimitParams struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
}

// Defaults: an account allows 5 quick failures, an address 20 (several
// people may share one), then 1 s, 2 s, 4 s, … up to 15 minutes between
// attempts, which holds a patient attacker to about a hundred guesses a day.
var (
	DefaultAccountLimit = LimitParams{Free: 5, Base: time.Second, Max: 15 * time.Minute, Forget: time.Hour}
	DefaultClientLimit  = LimitParams{Free: 20, Base: time.Second, Max: 15 * time.Minute, Forget: time.Hour}
)

// limiter counts failed logins per key, in memory (one process; see
// docs/security-accounts.md for several).
type limiter struct {
	p       LimitParams
	mu      sync.Mutex
	entries map[string]*failures
}

type failures struct {
	n    int
	last time.Time
}

// pruneAbove is the map size at which forgotten keys are dropped.
const pruneAbove = 10_000

func newLimiter(p LimitParams) *limiter {
	return &limiter{p: p, entries: map[string]*failures{}}
}

// wait returns how long key must wait at now before its next attempt.
func (l *limiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.entries[key]
	if f == nil || now.Sub(f.last) >= l.p.Forget {
		return 0
	}
	if f.n < l.p.Free {
		return 0
	}
	return max(0, f.last.Add(l.delay(f.n)).Sub(now))
}

// delay is the wait after n failures (n >= Free).
func (l *limiter) delay(n int) time.Duration {
	d := l.p.Base
	for i := l.p.Free; i < n && d < l.p.Max; i++ {
		d *= 2
	}
	return min(d, l.p.Max)
}

// fail records a failed attempt of key at now.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.entries[key]
	if f == nil || now.Sub(f.last) >= l.p.Forget {
		if len(l.entries) >= pruneAbove {
			l.prune(now)
		}
		f = &failures{}
		l.entries[key] = f
	}
	f.n++
	f.last = now
}

// reset forgets key's failures (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}

func (l *limiter) prune(now time.Time) {
	for k, f := range l.entries {
		if now.Sub(f.last) >= l.p.Forget {
			delete(l.entries, k)
		}
	}
}

// accountKey is the limiter key of a login name, case-folded as names are.
func accountKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// clientKey is the limiter key of a client address: the IPv4 address, or
// the /64 of an IPv6 one (one host usually holds a whole /64).
func clientKey(remoteAddr string) string {
	ap, err := netip.ParseAddrPort(remoteAddr)
	var a netip.Addr
	if err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(remoteAddr); err != nil {
		return remoteAddr
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64) // a /64 of an IPv6 address always exists
		return p.String()
	}
	return a.String()
}
