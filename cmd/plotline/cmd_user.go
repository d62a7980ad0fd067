package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/auth"
	"golang.org/x/term"
)

const userUsage = `add NAME --role ROLE [--clearance TLP] [--password-file F | --generate-password]
  | list | disable NAME | enable NAME | set NAME [--role R] [--clearance C]
  | password NAME [--password-file F | --generate-password]
  | token NAME [--label L] [--expires DURATION] | tokens [NAME] | revoke TOKEN_ID`

// user manages accounts (docs/security-accounts.md).
func (m *Main) user(ctx context.Context, args []string) error {
	f := m.newFlags("user", userUsage)
	role := f.String("role", "", "role: "+strings.Join(plotline.Roles, ", "))
	clearance := f.String("clearance", "", "highest TLP marking the user may see: "+strings.Join(plotline.TLPs, ", ")+" (add: default clear)")
	pwFile := f.String("password-file", "", "read the password from the first line of this file (- for standard input)")
	generate := f.Bool("generate-password", false, "generate a random password and print it once")
	label := f.String("label", "", "token: what the token is for")
	expires := f.Duration("expires", 0, "token: lifetime (e.g. 720h); 0 = until revoked")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "user: which action? (%s)", "add, list, disable, enable, set, password, token, tokens, revoke")
	}
	action, pos := pos[0], pos[1:]
	needName := func() (string, error) {
		if len(pos) != 1 {
			return "", plotline.Errorf(plotline.EINVALID, "user %s takes one user name", action)
		}
		return pos[0], nil
	}
	db, err := m.openAnyStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	store, ok := db.(plotline.AccountStore)
	if !ok {
		return plotline.Errorf(plotline.ENOTIMPLEMENTED, "this store keeps no accounts")
	}
	svc := auth.New(auth.Config{Store: store, Now: m.Now})
	switch action {
	case "add":
		name, err := needName()
		if err != nil {
			return err
		}
		if *clearance == "" {
			*clearance = "clear"
		}
		pw, err := m.newPassword(*pwFile, *generate)
		if err != nil {
			return err
		}
		u := &plotline.User{Name: name, Role: *role, Clearance: *clearance}
		if err := svc.AddUser(ctx, u, pw); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "added user %s (id %d): role %s, clearance TLP:%s\n", u.Name, u.ID, u.Role, strings.ToUpper(u.Clearance))
		return nil
	case "list":
		return m.listUsers(ctx, svc)
	case "disable", "enable", "set":
		name, err := needName()
		if err != nil {
			return err
		}
		u, err := svc.User(ctx, name)
		if err != nil {
			return err
		}
		switch action {
		case "disable":
			u.Disabled = true
		case "enable":
			u.Disabled = false
		default:
			if *role == "" && *clearance == "" {
				return plotline.Errorf(plotline.EINVALID, "user set: give --role, --clearance or both")
			}
			if *role != "" {
				u.Role = *role
			}
			if *clearance != "" {
				u.Clearance = *clearance
			}
		}
		if err := svc.UpdateUser(ctx, u); err != nil {
			return err
		}
		state := "enabled"
		if u.Disabled {
			state = "disabled (sessions ended, tokens refused)"
		}
		fmt.Fprintf(m.Stdout, "user %s: role %s, clearance TLP:%s, %s\n", u.Name, u.Role, strings.ToUpper(u.Clearance), state)
		return nil
	case "password":
		name, err := needName()
		if err != nil {
			return err
		}
		pw, err := m.newPassword(*pwFile, *generate)
		if err != nil {
			return err
		}
		if err := svc.SetPassword(ctx, name, pw); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "user %s: password changed; its sessions are ended\n", name)
		return nil
	case "token":
		name, err := needName()
		if err != nil {
			return err
		}
		secret, t, err := svc.NewToken(ctx, name, *label, *expires)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "token %d for %s made; it is shown once, here, and cannot be shown again. Send it as \"Authorization: Bearer TOKEN\".\n", t.ID, t.UserName)
		fmt.Fprintln(m.Stdout, secret)
		return nil
	case "tokens":
		name := ""
		if len(pos) > 0 {
			if name, err = needName(); err != nil {
				return err
			}
		}
		return m.listTokens(ctx, svc, name)
	case "revoke":
		if len(pos) != 1 {
			return plotline.Errorf(plotline.EINVALID, "user revoke takes one token ID (see plotline user tokens)")
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return plotline.Errorf(plotline.EINVALID, "token ID %q is not a number", pos[0])
		}
		if err := svc.RevokeToken(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "token %d revoked\n", id)
		return nil
	}
	f.Usage()
	return plotline.Errorf(plotline.EINVALID, "user: unknown action %q", action)
}

func (m *Main) listUsers(ctx context.Context, svc *auth.Service) error {
	users, err := svc.Users(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tCLEARANCE\tSTATE\tCREATED")
	for _, u := range users {
		state := "enabled"
		if u.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Name, u.Role, u.Clearance, state, u.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func (m *Main) listTokens(ctx context.Context, svc *auth.Service, name string) error {
	tokens, err := svc.Tokens(ctx, name)
	if err != nil {
		return err
	}
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tLABEL\tCREATED\tLAST USED\tEXPIRES\tREVOKED")
	for _, t := range tokens {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.UserName, t.Label, when(&t.CreatedAt), when(t.UsedAt), when(t.ExpiresAt), when(t.RevokedAt))
	}
	return tw.Flush()
}

// newPassword reads a password from a file or standard input, prompts for
// it twice on a terminal, or generates one (printed once).
func (m *Main) newPassword(file string, generate bool) (string, error) {
	switch {
	case generate && file != "":
		return "", plotline.Errorf(plotline.EINVALID, "give --password-file or --generate-password, not both")
	case generate:
		pw := rand.Text() // 26 base32 characters, 130 bits
		fmt.Fprintf(m.Stdout, "password: %s\n", pw)
		return pw, nil
	case file == "-":
		return firstLine(os.Stdin)
	case file != "":
		fh, err := os.Open(file)
		if err != nil {
			return "", plotline.Errorf(plotline.EINVALID, "password file: %v", err)
		}
		defer fh.Close()
		return firstLine(fh)
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", plotline.Errorf(plotline.EINVALID, "no password: use --password-file FILE (- for standard input) or --generate-password")
	}
	fmt.Fprint(m.Stderr, "password: ")
	a, err := term.ReadPassword(fd)
	fmt.Fprintln(m.Stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprint(m.Stderr, "again: ")
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(m.Stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if string(a) != string(b) {
		return "", plotline.Errorf(plotline.EINVALID, "the two passwords differ")
	}
	return string(a), nil
}

func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, auth.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// accountFlags are serve's flags for accounts mode.
type accountFlags struct {
	auth, secure bool
	ttl          time.Duration
}

func (m *Main) accountFlags(fs *flag.FlagSet) *accountFlags {
	a := &accountFlags{}
	fs.BoolVar(&a.auth, "auth", false, "accounts mode: log in, roles, clearances (default: on when --addr is not a loopback address; --auth=false forces single-user mode)")
	fs.BoolVar(&a.secure, "secure-cookies", false, "mark session cookies Secure (set this behind a TLS-terminating proxy; direct TLS requests always get Secure cookies)")
	fs.DurationVar(&a.ttl, "session-ttl", 12*time.Hour, "how long a login lasts at most (sessions also end after 2 h unused)")
	return a
}

// service decides between single-user mode (nil) and accounts mode, which
// --auth turns on, and which is on by default on a non-loopback address.
// Accounts mode needs at least one enabled admin.
func (a *accountFlags) service(ctx context.Context, fs *flag.FlagSet, addr string, store plotline.Store, log *slog.Logger, now func() time.Time) (*auth.Service, error) {
	on, set := !isLoopback(addr), false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "auth" })
	if set {
		on = a.auth
	}
	if !on {
		if !isLoopback(addr) {
			log.Warn("single-user mode on a non-loopback address (--auth=false): anyone who can reach it may read and edit everything", "addr", addr)
		} else {
			log.Info("single-user mode: no accounts, everything editable (plotline serve --auth turns accounts on)")
		}
		return nil, nil
	}
	as, ok := store.(plotline.AccountStore)
	if !ok {
		return nil, plotline.Errorf(plotline.ENOTIMPLEMENTED, "this store keeps no accounts; accounts mode is unavailable")
	}
	users, err := as.Users(ctx)
	if err != nil {
		return nil, err
	}
	admins := 0
	for _, u := range users {
		if u.Role == plotline.RoleAdmin && !u.Disabled {
			admins++
		}
	}
	if admins == 0 {
		why := "--auth"
		if !set {
			why = "a non-loopback --addr"
		}
		return nil, plotline.Errorf(plotline.EINVALID, "accounts mode (%s) needs an enabled admin: create one with `plotline user add NAME --role admin --clearance red`, or serve on a loopback address in single-user mode", why)
	}
	log.Info("accounts mode: log in at /login; API clients send \"Authorization: Bearer TOKEN\"", "users", len(users))
	return auth.New(auth.Config{Store: as, Logger: log, Now: now, SecureCookies: a.secure, SessionTTL: a.ttl}), nil
}

// isLoopback reports whether a listen address is on the loopback interface
// only (an empty host listens on every interface).
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
