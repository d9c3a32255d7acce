package load

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Request is one kind of request with its templates.
type Request struct {
	Name   string
	Weight float64
	Method string
	// URL, Header values and Body are Go templates rendered per request.
	URL    string
	Header map[string]string
	Body   string
}

// TemplateData is what request templates see.
type TemplateData struct {
	// Seq numbers requests from 0 in the order they are built.
	Seq uint64
	// Row is the feeder row for this request (nil without a feeder).
	Row map[string]any
	// Kind is the request kind's name.
	Kind string

	seed  int64
	draws uint64
}

// RandInt returns an integer in [lo, hi]: {{ .RandInt 1 100 }}. The draws
// are repeatable for a given load seed and request number.
func (d *TemplateData) RandInt(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	d.draws++
	return lo + int(mix(uint64(d.seed), d.Seq, d.draws)%uint64(hi-lo+1))
}

// funcMap is shared by validation and rendering, so that a template that
// validates also runs. env reads through the getenv given at build time.
func funcMap(getenv func(string) string) template.FuncMap {
	return template.FuncMap{
		"env": func(name string) string {
			if getenv == nil {
				return ""
			}
			return getenv(name)
		},
		"uuid": func() string {
			var b [16]byte
			_, _ = rand.Read(b[:])
			b[6] = b[6]&0x0f | 0x40
			b[8] = b[8]&0x3f | 0x80
			h := hex.EncodeToString(b[:])
			return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		},
		// json writes a value as JSON, quoting strings: {"name": {{ json .Row.name }}}.
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}
}

// CheckTemplate parses text as a request template.
func CheckTemplate(text string) error {
	if !strings.Contains(text, "{{") {
		return nil
	}
	_, err := template.New("t").Option("missingkey=error").Funcs(funcMap(nil)).Parse(text)
	if err != nil {
		return fmt.Errorf("template: %s", strings.TrimPrefix(err.Error(), "template: t:"))
	}
	return nil
}

// kindFragment marks which request kind a result belongs to. The URL
// fragment travels with vegeta's Result but is never sent to the server
// (HTTP request lines carry no fragment), so results can be split by kind
// without touching the requests.
const kindFragment = "surge-kind="

// KindOf returns the request-kind index recorded in a result URL (0 when
// there is none) and the URL without the marker.
func KindOf(rawURL string) (int, string) {
	base, frag, ok := strings.Cut(rawURL, "#"+kindFragment)
	if !ok {
		return 0, rawURL
	}
	i, err := strconv.Atoi(frag)
	if err != nil {
		return 0, base
	}
	return i, base
}

type compiled struct {
	req     Request
	url     *template.Template // nil: static
	header  http.Header        // static headers
	theader map[string]*template.Template
	body    *template.Template
	static  []byte
}

// KindMix picks the request kind of each request number by weight. The
// pick is a pure function of (seed, request number), so a report rebuilt
// from the results stream knows every planned request's kind.
type KindMix struct {
	names []string
	cum   []float64 // cumulative weights, normalised to 1
	seed  int64
}

// NewKindMix builds the mix of the request kinds.
func NewKindMix(kinds []Request, seed int64) (*KindMix, error) {
	if len(kinds) == 0 {
		return nil, fmt.Errorf("kind mix: no requests")
	}
	var total float64
	for _, k := range kinds {
		total += k.Weight
	}
	if !(total > 0) {
		return nil, fmt.Errorf("kind mix: weights must add up to a positive number")
	}
	m := &KindMix{seed: seed}
	var acc float64
	for _, k := range kinds {
		acc += k.Weight / total
		m.names = append(m.names, k.Name)
		m.cum = append(m.cum, acc)
	}
	m.cum[len(m.cum)-1] = 1
	return m, nil
}

// Names lists the request kinds in index order.
func (m *KindMix) Names() []string { return m.names }

// KindFor picks the request kind of request seq.
func (m *KindMix) KindFor(seq uint64) int {
	if len(m.cum) == 1 {
		return 0
	}
	u := float64(mix(uint64(m.seed), seq, 0x6b696e64)>>11) / (1 << 53)
	for i, c := range m.cum {
		if u < c {
			return i
		}
	}
	return len(m.cum) - 1
}

// Targeter builds each request: it picks the kind by weight, takes the next
// feeder row, and renders the templates. It is safe for concurrent use.
type Targeter struct {
	*KindMix
	kinds  []compiled
	feeder Feeder
	getenv func(string) string
	seq    atomic.Uint64
	bufs   sync.Pool
}

// Feeder hands out data rows by request number.
type Feeder interface {
	Row(seq uint64) map[string]any
}

// NewTargeter compiles the request kinds.
func NewTargeter(kinds []Request, feeder Feeder, seed int64, getenv func(string) string) (*Targeter, error) {
	km, err := NewKindMix(kinds, seed)
	if err != nil {
		return nil, fmt.Errorf("targeter: %w", err)
	}
	t := &Targeter{KindMix: km, feeder: feeder, getenv: getenv}
	t.bufs.New = func() any { return new(bytes.Buffer) }
	for _, k := range kinds {
		c := compiled{req: k, header: http.Header{}, theader: map[string]*template.Template{}}
		parse := func(what, text string) (*template.Template, error) {
			if !strings.Contains(text, "{{") {
				return nil, nil
			}
			tp, err := template.New(what).Option("missingkey=error").Funcs(funcMap(getenv)).Parse(text)
			if err != nil {
				return nil, fmt.Errorf("targeter: request %q: %s: %w", k.Name, what, err)
			}
			return tp, nil
		}
		var err error
		if c.url, err = parse("url", k.URL); err != nil {
			return nil, err
		}
		if c.url == nil {
			if _, err := url.Parse(k.URL); err != nil {
				return nil, fmt.Errorf("targeter: request %q: %w", k.Name, err)
			}
		}
		if c.body, err = parse("body", k.Body); err != nil {
			return nil, err
		}
		if c.body == nil {
			c.static = []byte(k.Body)
		}
		for name, v := range k.Header {
			tp, err := parse("header "+name, v)
			if err != nil {
				return nil, err
			}
			if tp != nil {
				c.theader[name] = tp
			} else {
				c.header.Set(name, v)
			}
		}
		t.kinds = append(t.kinds, c)
	}
	// Render every kind once now, so that a template naming a column the
	// data does not have fails before the run, not as the first request.
	for i := range t.kinds {
		var probe vegeta.Target
		if err := t.build(&probe, 0, i); err != nil {
			return nil, fmt.Errorf("targeter: %w", err)
		}
	}
	return t, nil
}

// Built is the number of requests built so far.
func (t *Targeter) Built() uint64 { return t.seq.Load() }

// Target implements vegeta.Targeter.
func (t *Targeter) Target(tgt *vegeta.Target) error {
	seq := t.seq.Add(1) - 1
	return t.build(tgt, seq, t.KindFor(seq))
}

func (t *Targeter) build(tgt *vegeta.Target, seq uint64, ki int) error {
	k := &t.kinds[ki]
	data := TemplateData{Seq: seq, Kind: k.req.Name, seed: t.seed}
	if t.feeder != nil {
		data.Row = t.feeder.Row(seq)
	}
	tgt.Method = k.req.Method
	tgt.URL = k.req.URL
	if k.url != nil {
		u, err := t.render(k.url, &data)
		if err != nil {
			return fmt.Errorf("request %q: url: %w", k.req.Name, err)
		}
		tgt.URL = string(u)
	}
	if len(t.kinds) > 1 {
		tgt.URL += "#" + kindFragment + strconv.Itoa(ki)
	}
	tgt.Body = k.static
	if k.body != nil {
		b, err := t.render(k.body, &data)
		if err != nil {
			return fmt.Errorf("request %q: body: %w", k.req.Name, err)
		}
		tgt.Body = b
	}
	tgt.Header = k.header
	if len(k.theader) > 0 {
		h := k.header.Clone()
		for name, tp := range k.theader {
			v, err := t.render(tp, &data)
			if err != nil {
				return fmt.Errorf("request %q: header %s: %w", k.req.Name, name, err)
			}
			h.Set(name, string(v))
		}
		tgt.Header = h
	}
	return nil
}

func (t *Targeter) render(tp *template.Template, data *TemplateData) ([]byte, error) {
	buf := t.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer t.bufs.Put(buf)
	if err := tp.Execute(buf, data); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

// mix is splitmix64 over its inputs: a cheap, lock-free, repeatable hash.
func mix(vs ...uint64) uint64 {
	var z uint64
	for _, v := range vs {
		z += v + 0x9e3779b97f4a7c15
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
	}
	return z
}
