// Package authtest is the conformance suite of plotline.AccountStore: both
// stores run it against a real database (see internal/sqlite/users_test.go
// and internal/postgres/users_test.go).
package authtest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
)

// Run checks store, which must hold no accounts yet.
func Run(t *testing.T, store plotline.AccountStore) {
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	code := plotline.ErrorCode

	users, err := store.Users(ctx)
	if err != nil || len(users) != 0 {
		t.Fatalf("Users on an empty store: got %v, %v; want none", users, err)
	}
	ann := &plotline.User{Name: "Ann", Role: plotline.RoleAdmin, Clearance: "red", CreatedAt: t0}
	if err := store.CreateUser(ctx, ann, "$argon2id$hash-a"); err != nil {
		t.Fatal(err)
	}
	if ann.ID <= 0 {
		t.Errorf("got ID %d, want a positive ID (0 and -1 are the local and anonymous users)", ann.ID)
	}
	bob := &plotline.User{Name: "bob", Role: plotline.RoleReader, Clearance: "green", CreatedAt: t0}
	if err := store.CreateUser(ctx, bob, "$argon2id$hash-b"); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateUser(ctx, &plotline.User{Name: "ANN", Role: plotline.RoleReader, Clearance: "clear"}, "x"); code(err) != plotline.ECONFLICT {
		t.Errorf("second user named ANN: got %v, want conflict", err)
	}

	t.Run("users", func(t *testing.T) {
		u, hash, err := store.UserByName(ctx, "ann")
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != ann.ID || u.Name != "Ann" || u.Role != plotline.RoleAdmin || u.Clearance != "red" || u.Disabled || !u.CreatedAt.Equal(t0) || hash != "$argon2id$hash-a" {
			t.Errorf("UserByName(ann): got %+v %q", u, hash)
		}
		if _, _, err := store.UserByName(ctx, "nobody"); code(err) != plotline.ENOTFOUND {
			t.Errorf("unknown name: got %v, want not_found", err)
		}
		if _, err := store.UserByID(ctx, 9999); code(err) != plotline.ENOTFOUND {
			t.Errorf("unknown ID: got %v, want not_found", err)
		}
		bob.Role, bob.Clearance, bob.Disabled = plotline.RoleAnalyst, "amber", true
		if err := store.UpdateUser(ctx, bob); err != nil {
			t.Fatal(err)
		}
		got, err := store.UserByID(ctx, bob.ID)
		if err != nil || got.Role != plotline.RoleAnalyst || got.Clearance != "amber" || !got.Disabled {
			t.Errorf("after update: got %+v, %v", got, err)
		}
		bob.Disabled = false
		if err := store.UpdateUser(ctx, bob); err != nil {
			t.Fatal(err)
		}
		if err := store.UpdateUser(ctx, &plotline.User{ID: 9999, Role: plotline.RoleReader, Clearance: "clear"}); code(err) != plotline.ENOTFOUND {
			t.Errorf("update unknown: got %v, want not_found", err)
		}
		if err := store.SetPassword(ctx, bob.ID, "$argon2id$hash-b2"); err != nil {
			t.Fatal(err)
		}
		if _, hash, _ := store.UserByName(ctx, "bob"); hash != "$argon2id$hash-b2" {
			t.Errorf("after SetPassword: got %q", hash)
		}
		all, err := store.Users(ctx)
		if err != nil || len(all) != 2 || all[0].Name != "Ann" || all[1].Name != "bob" {
			t.Errorf("Users: got %+v, %v", all, err)
		}
	})

	t.Run("sessions", func(t *testing.T) {
		h1, h2, h3 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)
		for _, s := range []*plotline.Session{
			{Hash: h1, UserID: ann.ID, Client: "127.0.0.1:5000", CreatedAt: t0, SeenAt: t0, ExpiresAt: t0.Add(time.Hour)},
			{Hash: h2, UserID: ann.ID, CreatedAt: t0, SeenAt: t0, ExpiresAt: t0.Add(10 * time.Hour)},
			{Hash: h3, UserID: bob.ID, CreatedAt: t0, SeenAt: t0, ExpiresAt: t0.Add(10 * time.Hour)},
		} {
			if err := store.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		s, u, err := store.SessionUser(ctx, h1)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != ann.ID || u.Role != plotline.RoleAdmin || s.UserID != ann.ID || s.Client != "127.0.0.1:5000" || !s.ExpiresAt.Equal(t0.Add(time.Hour)) || !s.SeenAt.Equal(t0) {
			t.Errorf("SessionUser: got %+v %+v", s, u)
		}
		if err := store.TouchSession(ctx, h2, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if s, _, _ := store.SessionUser(ctx, h2); s == nil || !s.SeenAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("after touch: got %+v", s)
		}
		// At t0+2h, h1 has expired; h3 was last seen at t0, idle since.
		n, err := store.DeleteExpiredSessions(ctx, t0.Add(2*time.Hour), t0.Add(30*time.Second))
		if err != nil || n != 2 {
			t.Errorf("DeleteExpiredSessions: got %d, %v; want 2", n, err)
		}
		for h, want := range map[*[]byte]string{&h1: plotline.ENOTFOUND, &h2: "", &h3: plotline.ENOTFOUND} {
			if _, _, err := store.SessionUser(ctx, *h); code(err) != want {
				t.Errorf("session %x after purge: got %v, want %q", (*h)[:1], err, want)
			}
		}
		if err := store.DeleteSessions(ctx, ann.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := store.SessionUser(ctx, h2); code(err) != plotline.ENOTFOUND {
			t.Errorf("after DeleteSessions: got %v", err)
		}
		if err := store.DeleteSession(ctx, h2); err != nil {
			t.Errorf("deleting a gone session: %v", err)
		}
	})

	t.Run("tokens", func(t *testing.T) {
		exp := t0.Add(24 * time.Hour)
		ta := &plotline.APIToken{UserID: ann.ID, Label: "nightly export", Hash: bytes.Repeat([]byte{7}, 32), CreatedAt: t0}
		tb := &plotline.APIToken{UserID: bob.ID, Label: "", Hash: bytes.Repeat([]byte{8}, 32), CreatedAt: t0, ExpiresAt: &exp}
		for _, tok := range []*plotline.APIToken{ta, tb} {
			if err := store.CreateToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if ta.ID <= 0 || tb.ID == ta.ID {
			t.Errorf("token IDs %d, %d", ta.ID, tb.ID)
		}
		if err := store.CreateToken(ctx, &plotline.APIToken{UserID: 9999, Hash: []byte{9}, CreatedAt: t0}); code(err) != plotline.ENOTFOUND {
			t.Errorf("token of unknown user: got %v, want not_found", err)
		}
		got, u, err := store.TokenUser(ctx, tb.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != tb.ID || got.UserName != "bob" || u.ID != bob.ID || u.Role != plotline.RoleAnalyst || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || got.UsedAt != nil || got.RevokedAt != nil {
			t.Errorf("TokenUser: got %+v, user %+v", got, u)
		}
		if _, _, err := store.TokenUser(ctx, []byte("nope")); code(err) != plotline.ENOTFOUND {
			t.Errorf("unknown token: got %v", err)
		}
		if err := store.TouchToken(ctx, ta.ID, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := store.RevokeToken(ctx, ta.ID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := store.RevokeToken(ctx, ta.ID, t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := store.RevokeToken(ctx, 9999, t0); code(err) != plotline.ENOTFOUND {
			t.Errorf("revoke unknown: got %v", err)
		}
		got, _, err = store.TokenUser(ctx, ta.Hash)
		if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(t0.Add(time.Hour)) || got.UsedAt == nil || !got.UsedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("after touch and revoke: got %+v, %v (the first revocation time must stay)", got, err)
		}
		all, err := store.Tokens(ctx, 0)
		if err != nil || len(all) != 2 || all[0].ID != ta.ID || all[0].Label != "nightly export" || all[0].UserName != "Ann" {
			t.Errorf("Tokens(0): got %+v, %v", all, err)
		}
		mine, err := store.Tokens(ctx, bob.ID)
		if err != nil || len(mine) != 1 || mine[0].ID != tb.ID {
			t.Errorf("Tokens(bob): got %+v, %v", mine, err)
		}
	})
}
