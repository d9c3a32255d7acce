package units

import (
	"encoding/json"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr bool
	}{
		{name: "millis", in: "500ms", want: 500 * time.Millisecond},
		{name: "seconds", in: "90s", want: 90 * time.Second},
		{name: "minutes", in: "2m", want: 2 * time.Minute},
		{name: "bare seconds", in: "30", want: 30 * time.Second},
		{name: "fractional seconds", in: "1.5", want: 1500 * time.Millisecond},
		{name: "negative", in: "-1s", wantErr: true},
		{name: "negative bare", in: "-3", wantErr: true},
		{name: "garbage", in: "soon", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseDuration(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got.D() != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, want %v", tt.in, got.D(), tt.want)
			}
		})
	}
}

func TestDurationRoundTrip(t *testing.T) {
	var v struct {
		D Duration `yaml:"d" json:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 2m30s\n"), &v); err != nil {
		t.Fatal(err)
	}
	if v.D.D() != 150*time.Second {
		t.Fatalf("yaml: got %v", v.D)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"d":"2m30s"}` {
		t.Fatalf("json: got %s", b)
	}
	if err := yaml.Unmarshal([]byte("d: [1]\n"), &v); err == nil {
		t.Fatal("a list must not decode as a duration")
	}
}

func TestParseRatio(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{in: "1%", want: 0.01},
		{in: "0.5 %", want: 0.005},
		{in: "0.25", want: 0.25},
		{in: "100%", want: 1},
		{in: "120%", wantErr: true},
		{in: "-1%", wantErr: true},
		{in: "lots", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRatio(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && float64(got) != tt.want {
				t.Fatalf("got %v, want %v", float64(got), tt.want)
			}
		})
	}
}

func TestYAMLErrorsAreCollectedWithPosition(t *testing.T) {
	var v struct {
		A Duration `yaml:"a"`
		B Ratio    `yaml:"b"`
	}
	err := yaml.Unmarshal([]byte("a: soon\nb: 300%\n"), &v)
	te, ok := err.(*yaml.TypeError)
	if !ok || len(te.Errors) != 2 {
		t.Fatalf("want a TypeError with both problems, got %#v", err)
	}
	if te.Errors[0] != `line 1:4: invalid duration "soon" (want e.g. 500ms, 90s, 2m)` {
		t.Fatalf("first problem: %q", te.Errors[0])
	}
}
