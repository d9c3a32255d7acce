package load

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func mustFeeder(t *testing.T, data, format, order string, seed int64) *RowFeeder {
	t.Helper()
	f, err := NewRowFeeder(strings.NewReader(data), format, order, seed)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestTemplates(t *testing.T) {
	feeder := mustFeeder(t, "sku,name\nA-1,kettle\nB-2,\"toaster \"\"pro\"\"\"\n", "csv", "sequential", 0)
	env := map[string]string{"API_TOKEN": "s3cret"}
	tr, err := NewTargeter([]Request{{
		Name: "a", Weight: 1, Method: "POST",
		URL:    "http://127.0.0.1:1/items/{{ .Row.sku }}?n={{ .Seq }}",
		Header: map[string]string{"Authorization": `Bearer {{ env "API_TOKEN" }}`, "X-Static": "yes"},
		Body:   `{"name": {{ json .Row.name }}, "kind": "{{ .Kind }}", "r": {{ .RandInt 1 6 }}}`,
	}}, feeder, 7, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var got []vegeta.Target
	for i := 0; i < 3; i++ {
		var tg vegeta.Target
		if err := tr.Target(&tg); err != nil {
			t.Fatal(err)
		}
		got = append(got, tg)
	}
	if got[0].URL != "http://127.0.0.1:1/items/A-1?n=0" || got[1].URL != "http://127.0.0.1:1/items/B-2?n=1" || got[2].URL != "http://127.0.0.1:1/items/A-1?n=2" {
		t.Fatalf("urls: %q %q %q", got[0].URL, got[1].URL, got[2].URL)
	}
	if !strings.HasPrefix(string(got[1].Body), `{"name": "toaster \"pro\"", "kind": "a", "r": `) {
		t.Fatalf("body: %s", got[1].Body)
	}
	if got[0].Header.Get("Authorization") != "Bearer s3cret" || got[0].Header.Get("X-Static") != "yes" {
		t.Fatalf("headers: %v", got[0].Header)
	}
	// RandInt is repeatable for a seed and request number.
	tr2, _ := NewTargeter([]Request{{Name: "a", Weight: 1, Method: "GET", URL: "http://x/", Body: "{{ .RandInt 1 1000000 }}"}}, nil, 7, nil)
	tr3, _ := NewTargeter([]Request{{Name: "a", Weight: 1, Method: "GET", URL: "http://x/", Body: "{{ .RandInt 1 1000000 }}"}}, nil, 7, nil)
	var a, b vegeta.Target
	_ = tr2.Target(&a)
	_ = tr3.Target(&b)
	if string(a.Body) != string(b.Body) {
		t.Fatalf("RandInt not repeatable: %s vs %s", a.Body, b.Body)
	}
}

func TestTemplateNamingAMissingColumnFailsUpFront(t *testing.T) {
	feeder := mustFeeder(t, "sku\nA-1\n", "csv", "", 0)
	_, err := NewTargeter([]Request{{Name: "a", Weight: 1, Method: "GET", URL: "http://x/", Body: "{{ .Row.skuu }}"}}, feeder, 0, nil)
	if err == nil || !strings.Contains(err.Error(), "skuu") {
		t.Fatalf("want an error naming the column, got %v", err)
	}
	if err := CheckTemplate("{{ .Row.sku "); err == nil {
		t.Fatal("an unclosed action must not check")
	}
}

func TestKindMixIsExactAndRepeatable(t *testing.T) {
	reqs := []Request{{Name: "short", Weight: 80}, {Name: "long", Weight: 20}}
	m1, err := NewKindMix(reqs, 42)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := NewKindMix(reqs, 42)
	m3, _ := NewKindMix(reqs, 43)
	const n = 100000
	var long, differ int
	for k := uint64(0); k < n; k++ {
		if m1.KindFor(k) != m2.KindFor(k) {
			t.Fatalf("same seed, request %d: kinds differ", k)
		}
		if m1.KindFor(k) != m3.KindFor(k) {
			differ++
		}
		if m1.KindFor(k) == 1 {
			long++
		}
	}
	if share := float64(long) / n; math.Abs(share-0.2) > 0.01 {
		t.Fatalf("long share %.3f, want 0.20", share)
	}
	if differ == 0 {
		t.Fatal("another seed must give another mix")
	}
	if _, err := NewKindMix([]Request{{Name: "z", Weight: 0}}, 0); err == nil {
		t.Fatal("zero weights must be refused")
	}
}

func TestKindMarkerIsNotSentToTheServer(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.RequestURI)
	}))
	defer srv.Close()
	tr, _ := NewTargeter([]Request{{Name: "a", Weight: 1, Method: "GET", URL: srv.URL + "/p?q=1"}, {Name: "b", Weight: 1, Method: "GET", URL: srv.URL + "/p?q=1"}}, nil, 0, nil)
	var tg vegeta.Target
	if err := tr.Target(&tg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tg.URL, "#surge-kind=") {
		t.Fatalf("result URL carries no kind: %s", tg.URL)
	}
	req, _ := tg.Request()
	if _, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != "/p?q=1" {
		t.Fatalf("server saw %q", seen)
	}
	if k, base := KindOf(tg.URL); base != srv.URL+"/p?q=1" || k != tr.KindFor(0) {
		t.Fatalf("KindOf = %d, %q", k, base)
	}
}

func TestFeeders(t *testing.T) {
	tests := []struct {
		name, data, format, order string
		want                      []string // the "id" of rows 0..3
		wantErr                   string
	}{
		{name: "csv in order, wrapping", data: "id\na\nb\nc\n", format: "csv", want: []string{"a", "b", "c", "a"}},
		{name: "jsonl with blank lines", data: "{\"id\":\"a\"}\n\n{\"id\":\"b\"}\n", format: "jsonl", want: []string{"a", "b", "a", "b"}},
		{name: "csv BOM and spaces in header", data: "\ufeff id \nx\n", format: "csv", want: []string{"x", "x", "x", "x"}},
		{name: "empty csv", data: "", format: "csv", wantErr: "empty CSV file"},
		{name: "header only", data: "id\n", format: "csv", wantErr: "no rows"},
		{name: "duplicate column", data: "id,id\n1,2\n", format: "csv", wantErr: `names column "id" twice`},
		{name: "ragged csv", data: "id,x\n1\n", format: "csv", wantErr: "wrong number of fields"},
		{name: "bad json line", data: "{\"id\":1}\n[1]\n", format: "jsonl", wantErr: "line 2: want a JSON object"},
		{name: "unknown order", data: "id\n1\n", format: "csv", order: "shuffled", wantErr: "unknown order"},
		{name: "unknown format", data: "id\n1\n", format: "xml", wantErr: "unknown format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewRowFeeder(strings.NewReader(tt.data), tt.format, tt.order, 0)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tt.want {
				if got := f.Row(uint64(i))["id"]; got != w {
					t.Fatalf("row %d: %v, want %s", i, got, w)
				}
			}
		})
	}
}

func TestRandomFeederIsSeededAndCoversRows(t *testing.T) {
	data := "id\n0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n"
	a := mustFeeder(t, data, "csv", "random", 3)
	b := mustFeeder(t, data, "csv", "random", 3)
	c := mustFeeder(t, data, "csv", "random", 4)
	seen := map[any]bool{}
	same := true
	for k := uint64(0); k < 1000; k++ {
		if a.Row(k)["id"] != b.Row(k)["id"] {
			t.Fatalf("request %d: same seed, other row", k)
		}
		if a.Row(k)["id"] != c.Row(k)["id"] {
			same = false
		}
		seen[a.Row(k)["id"]] = true
	}
	if len(seen) != 10 || same {
		t.Fatalf("random order saw %d of 10 rows; differs by seed: %v", len(seen), !same)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		code uint16
		err  string
		want Class
	}{
		{200, "", ClassOK},
		{302, "", ClassOK},
		{404, "404 Not Found", Class4xx},
		{503, "503 Service Unavailable", Class5xx},
		{0, `Post "http://x": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, ClassTimeout},
		{0, "dial tcp 127.0.0.1:1: connect: connection refused", ClassRefused},
		{0, "read tcp 127.0.0.1:5->127.0.0.1:6: read: connection reset by peer", ClassReset},
		{0, `Get "http://x": EOF`, ClassReset},
		{0, "tls: failed to verify certificate: x509: certificate signed by unknown authority", ClassOther},
	}
	for _, tt := range tests {
		if got := Classify(tt.code, tt.err); got != tt.want {
			t.Errorf("Classify(%d, %q) = %v, want %v", tt.code, tt.err, got, tt.want)
		}
	}
}
