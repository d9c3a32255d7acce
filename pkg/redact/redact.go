// Package redact knows which values are credentials — header names, URL
// passwords and query parameters — and hides them, so that nothing surge
// saves, prints or reports carries a secret.
package redact

import (
	"net/url"
	"strings"
)

// Marker is what replaces a secret.
const Marker = "REDACTED"

// Header tells whether a header's value is a credential.
func Header(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token":
		return true
	}
	for _, w := range []string{"token", "secret", "password", "passwd", "apikey", "api-key", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// param tells whether a URL query parameter carries a credential
// (?api_key=..., ?access_token=..., a presigned URL's signature).
func param(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"token", "secret", "password", "passwd", "pwd", "key", "signature", "sig", "auth", "credential", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// URL hides a URL's password and the values of its credential query
// parameters. The rest of the text is kept byte for byte, so a templated
// URL stays readable; templated values name a variable and are kept.
func URL(raw string) string {
	out := raw
	if scheme := strings.Index(out, "://"); scheme >= 0 {
		rest := out[scheme+3:]
		// The authority ends at the first /, ? or #; a @ after it is not userinfo.
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			if user, pw, ok := strings.Cut(rest[:at], ":"); ok && pw != "" && !strings.Contains(pw, "{{") {
				out = out[:scheme+3] + user + ":" + Marker + rest[at:]
			}
		}
	}
	q := strings.Index(out, "?")
	if q < 0 {
		return out
	}
	query, frag := out[q+1:], ""
	if h := strings.Index(query, "#"); h >= 0 {
		query, frag = query[:h], query[h:]
	}
	params := strings.Split(query, "&")
	changed := false
	for i, p := range params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || v == "" || strings.Contains(v, "{{") {
			continue
		}
		name := k
		if u, err := url.QueryUnescape(k); err == nil {
			name = u
		}
		if param(name) {
			params[i] = k + "=" + Marker
			changed = true
		}
	}
	if !changed {
		return out
	}
	return out[:q+1] + strings.Join(params, "&") + frag
}
