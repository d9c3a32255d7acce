package redact

import "testing"

func TestURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "http://127.0.0.1:8080/enrich", want: "http://127.0.0.1:8080/enrich"},
		{name: "user and password", in: "https://alice:s3cret@api.example/v1", want: "https://alice:REDACTED@api.example/v1"},
		{name: "user only", in: "https://alice@api.example/v1", want: "https://alice@api.example/v1"},
		{name: "empty password", in: "https://alice:@api.example/v1", want: "https://alice:@api.example/v1"},
		{name: "at sign in the path is not userinfo", in: "http://api.example/users/a:b@c", want: "http://api.example/users/a:b@c"},
		{name: "at sign in the query is not userinfo", in: "http://api.example/?email=a:b@c", want: "http://api.example/?email=a:b@c"},
		{name: "password with at sign", in: "http://u:p@ss@h/x", want: "http://u:REDACTED@h/x"},
		{name: "credential query parameters", in: "http://h/x?sku=1&api_key=k1&access_token=t1&X-Amz-Signature=abc#frag", want: "http://h/x?sku=1&api_key=REDACTED&access_token=REDACTED&X-Amz-Signature=REDACTED#frag"},
		{name: "escaped parameter name", in: "http://h/x?api%5Fkey=k1", want: "http://h/x?api%5Fkey=REDACTED"},
		{name: "templated values are kept", in: `http://{{ env "U" }}:{{ env "P" }}@h/x?token={{ env "T" }}`, want: `http://{{ env "U" }}:{{ env "P" }}@h/x?token={{ env "T" }}`},
		{name: "empty value", in: "http://h/x?token=", want: "http://h/x?token="},
		{name: "not a URL", in: "%%%?password=x", want: "%%%?password=REDACTED"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := URL(tt.in); got != tt.want {
				t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
