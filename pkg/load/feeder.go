package load

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// FeederFormat guesses a data file's format from its name: "csv" or "jsonl".
func FeederFormat(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return "csv"
	case ".jsonl", ".ndjson", ".json":
		return "jsonl"
	}
	return ""
}

// RowFeeder serves rows held in memory, in order (wrapping around) or in a
// seeded random order.
type RowFeeder struct {
	rows   []map[string]any
	random bool
	seed   int64
}

// NewRowFeeder reads rows in format ("csv": the first line names the
// columns; "jsonl": one JSON object per line) and serves them sequentially or
// at random (seeded).
func NewRowFeeder(r io.Reader, format, order string, seed int64) (*RowFeeder, error) {
	var rows []map[string]any
	var err error
	switch format {
	case "csv":
		rows, err = readCSV(r)
	case "jsonl":
		rows, err = readJSONLines(r)
	default:
		return nil, fmt.Errorf("read data: unknown format %q (want csv or jsonl)", format)
	}
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("read data: no rows")
	}
	switch order {
	case "", "sequential":
		return &RowFeeder{rows: rows}, nil
	case "random":
		return &RowFeeder{rows: rows, random: true, seed: seed}, nil
	}
	return nil, fmt.Errorf("read data: unknown order %q (want sequential or random)", order)
}

// Len is the number of rows.
func (f *RowFeeder) Len() int { return len(f.rows) }

// Row implements Feeder.
func (f *RowFeeder) Row(seq uint64) map[string]any {
	i := seq % uint64(len(f.rows))
	if f.random {
		i = mix(uint64(f.seed), seq, 0xfeed) % uint64(len(f.rows))
	}
	return f.rows[i]
}

func readCSV(r io.Reader) ([]map[string]any, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("read data: empty CSV file (want a header line naming the columns)")
	}
	if err != nil {
		return nil, fmt.Errorf("read data: %w", err)
	}
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if h == "" {
			return nil, fmt.Errorf("read data: CSV header column %d is empty", i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("read data: CSV header names column %q twice", h)
		}
		seen[h] = true
		header[i] = h
	}
	var rows []map[string]any
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read data: %w", err)
		}
		row := make(map[string]any, len(header))
		for i, h := range header {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
}

func readJSONLines(r io.Reader) ([]map[string]any, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var rows []map[string]any
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var row map[string]any
		if err := json.Unmarshal(b, &row); err != nil {
			return nil, fmt.Errorf("read data: line %d: want a JSON object: %w", line, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read data: %w", err)
	}
	return rows, nil
}
