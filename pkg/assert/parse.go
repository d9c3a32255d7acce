package assert

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parse reads one assertion:
//
//	assertion = figure op bound [ "during" stage ] .
//	bound     = quantity
//	          | [ "+" | "-" ] number "%" "vs" "baseline"
//	          | "baseline" [ ( "+" | "-" ) quantity ] .
//
// The full grammar, with the figures and units, is in docs/assertions.md.
// Errors are *ParseError with the 1-based column of the offending text.
func Parse(src string) (*Expr, error) {
	p := &parser{src: src}
	e, err := p.parse()
	if err != nil {
		return nil, err
	}
	e.Source = src
	return e, nil
}

type parser struct {
	src string
	pos int // byte offset
}

// errAt builds a ParseError at byte offset pos.
func (p *parser) errAt(pos int, format string, a ...any) error {
	return &ParseError{Expr: p.src, Column: utf8.RuneCountInString(p.src[:pos]) + 1, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

// word returns the text at pos up to the next space, for messages.
func (p *parser) word() string {
	end := p.pos
	for end < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[end:])
		if unicode.IsSpace(r) {
			break
		}
		end += n
	}
	w := p.src[p.pos:end]
	if len(w) > 20 {
		w = w[:20] + "..."
	}
	return w
}

// got describes the text at pos for a "want X, got Y" message.
func (p *parser) got() string {
	if p.eof() {
		return "the end"
	}
	return strconv.Quote(p.word())
}

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || ('0' <= c && c <= '9') }

// ident scans [A-Za-z_][A-Za-z0-9_]* at pos, or returns "".
func (p *parser) ident() string {
	start := p.pos
	if p.eof() || !isIdentStart(p.peek()) {
		return ""
	}
	for p.pos < len(p.src) && isIdentChar(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *parser) parse() (*Expr, error) {
	p.skipSpace()
	if p.eof() {
		return nil, p.errAt(p.pos, `empty assertion (want e.g. "p95 < 350ms during peak")`)
	}
	e := &Expr{}
	fig, info, err := p.figure()
	if err != nil {
		return nil, err
	}
	e.Figure = fig
	p.skipSpace()
	if e.Op, err = p.op(); err != nil {
		return nil, err
	}
	p.skipSpace()
	boundPos := p.pos
	if e.Bound, err = p.bound(); err != nil {
		return nil, err
	}
	if fig.Class != ClassSignal {
		if _, err := convert(e.Bound.Q, info.dim, fig.Name); err != nil && e.Bound.Kind != BaselineRelative {
			return nil, p.errAt(boundPos, "%v", err)
		}
	}
	p.skipSpace()
	if p.eof() {
		return e, nil
	}
	kwPos := p.pos
	if kw := p.ident(); kw != "during" {
		p.pos = kwPos
		return nil, p.errAt(kwPos, `unexpected %q (want "during STAGE" or the end)`, p.word())
	}
	if info.wholeRun {
		return nil, p.errAt(kwPos, "%s is a whole-run figure: it has no value during a stage", fig.Name)
	}
	p.skipSpace()
	if e.Stage, err = p.stage(); err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.errAt(p.pos, `unexpected %q after the stage name (quote a stage name that has spaces)`, p.word())
	}
	return e, nil
}

// figure scans `ident [ "." ident ]`.
func (p *parser) figure() (Figure, figureInfo, error) {
	start := p.pos
	name := p.ident()
	if name == "" {
		return Figure{}, figureInfo{}, p.errAt(start, "want a figure such as p95, timeout_rate or queue_depth.max, got %s", p.got())
	}
	for p.peek() == '.' {
		p.pos++
		partPos := p.pos
		if p.ident() == "" {
			return Figure{}, figureInfo{}, p.errAt(partPos, "want a name after %q", p.src[start:partPos])
		}
	}
	// Sliced, not concatenated part by part: a long dotted name must not
	// cost quadratic time.
	name = p.src[start:p.pos]
	fig, info, msg := lookupFigure(name)
	if msg != "" {
		return Figure{}, figureInfo{}, p.errAt(start, "%s", msg)
	}
	return fig, info, nil
}

func (p *parser) op() (Op, error) {
	start := p.pos
	two := ""
	if p.pos+2 <= len(p.src) {
		two = p.src[p.pos : p.pos+2]
	}
	for _, o := range []Op{OpLE, OpGE, OpEQ, OpNE} {
		if two == o.String() {
			p.pos += 2
			return o, nil
		}
	}
	switch p.peek() {
	case '<':
		p.pos++
		return OpLT, nil
	case '>':
		p.pos++
		return OpGT, nil
	}
	return 0, p.errAt(start, "want a comparison (<, <=, >, >=, ==, !=), got %s", p.got())
}

func (p *parser) bound() (Bound, error) {
	start := p.pos
	if id := p.ident(); id != "" {
		if id != "baseline" {
			p.pos = start
			return Bound{}, p.errAt(start, "want a number or baseline, got %s", p.got())
		}
		return p.baselineDelta()
	}
	sign := 0.0
	switch p.peek() {
	case '+':
		sign = 1
		p.pos++
	case '-':
		sign = -1
		p.pos++
	}
	if sign != 0 {
		p.skipSpace()
	}
	q, err := p.quantity()
	if err != nil {
		return Bound{}, err
	}
	p.skipSpace()
	vsPos := p.pos
	if p.ident() != "vs" {
		p.pos = vsPos
		if sign != 0 {
			return Bound{}, p.errAt(start, `a signed change needs "vs baseline" (e.g. +10%% vs baseline)`)
		}
		return Bound{Kind: Absolute, Q: q}, nil
	}
	p.skipSpace()
	basePos := p.pos
	if p.ident() != "baseline" {
		p.pos = basePos
		return Bound{}, p.errAt(basePos, `want "baseline" after "vs"`)
	}
	if q.Unit != UnitPercent {
		return Bound{}, p.errAt(start, `"vs baseline" takes a percentage change such as +10%%; for an absolute margin write "baseline + %s"`, q)
	}
	if sign < 0 {
		q.Value = -q.Value
	}
	return Bound{Kind: BaselineRelative, Q: q}, nil
}

// baselineDelta scans the optional `( "+" | "-" ) quantity` after "baseline".
func (p *parser) baselineDelta() (Bound, error) {
	save := p.pos
	p.skipSpace()
	sign := 0.0
	switch p.peek() {
	case '+':
		sign = 1
	case '-':
		sign = -1
	default:
		p.pos = save
		return Bound{Kind: BaselineDelta}, nil
	}
	p.pos++
	p.skipSpace()
	q, err := p.quantity()
	if err != nil {
		return Bound{}, err
	}
	q.Value *= sign
	return Bound{Kind: BaselineDelta, Q: q}, nil
}

// quantity scans `number [ unit ]` with an optional space before the unit.
func (p *parser) quantity() (Quantity, error) {
	start := p.pos
	for p.pos < len(p.src) && ('0' <= p.src[p.pos] && p.src[p.pos] <= '9' || p.src[p.pos] == '.') {
		p.pos++
	}
	text := p.src[start:p.pos]
	if text == "" {
		return Quantity{}, p.errAt(start, "want a number, got %s", p.got())
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || strings.Count(text, ".") > 1 {
		return Quantity{}, p.errAt(start, "invalid number %q", text)
	}
	q := Quantity{Value: v}
	save := p.pos
	p.skipSpace()
	unitPos := p.pos
	if p.peek() == '%' {
		p.pos++
		q.Unit = UnitPercent
		return q, nil
	}
	u := p.ident()
	switch u {
	case "":
		// Text glued to the number can only be a unit.
		if unitPos == save && !p.eof() {
			return Quantity{}, p.errAt(unitPos, "unknown unit %q (want ms, s, m, %%)", p.word())
		}
		p.pos = save
	case "ms", "s", "m":
		q.Unit = Unit(u)
	case "during", "vs":
		p.pos = save
	default:
		return Quantity{}, p.errAt(unitPos, "unknown unit %q (want ms, s, m, %%)", u)
	}
	return q, nil
}

// stage scans a bare word or a double-quoted name.
func (p *parser) stage() (string, error) {
	start := p.pos
	if p.eof() {
		return "", p.errAt(start, `want a stage name after "during"`)
	}
	if p.peek() != '"' {
		for p.pos < len(p.src) {
			r, n := utf8.DecodeRuneInString(p.src[p.pos:])
			if unicode.IsSpace(r) {
				break
			}
			p.pos += n
		}
		return p.src[start:p.pos], nil
	}
	p.pos++
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '\\':
			p.pos += 2
			continue
		case '"':
			p.pos++
			name, err := strconv.Unquote(p.src[start:p.pos])
			if err != nil {
				return "", p.errAt(start, "invalid quoted stage name %s", p.src[start:p.pos])
			}
			if name == "" {
				return "", p.errAt(start, "empty stage name")
			}
			return name, nil
		}
		p.pos++
	}
	return "", p.errAt(start, "unterminated stage name (missing closing quote)")
}
