package report

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/surge-sh/surge/internal/testenv"
)

// The HTML must open offline from a CI artifact: nothing it references may
// be fetched.
func TestHTMLSelfContained(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, fixture()); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, bad := range []string{"<script", "<link", "src=", "@import", "url(", "<iframe"} {
		if strings.Contains(page, bad) {
			t.Errorf("report.html contains %q: it must not load anything", bad)
		}
	}
	if n := strings.Count(page, "<svg"); n != 6 {
		t.Errorf("%d inline charts, want 6", n)
	}
	if strings.Contains(page, "<?xml") {
		t.Error("an XML prolog leaked into the HTML")
	}
}

// Free text from the cluster or the scenario must not become markup.
func TestHTMLEscapesText(t *testing.T) {
	r := fixture()
	r.Scenario.Name = `<img onerror=alert(1)>`
	r.Warnings = []string{`<b>bold</b>`}
	r.Scaling.Events[0].Reason = `"><script>x</script>`
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"<img onerror", "<b>bold", "<script>x"} {
		if strings.Contains(buf.String(), raw) {
			t.Errorf("unescaped %q in the HTML", raw)
		}
	}
}

// sizeProbe is added to a copy of the page under test only: it measures
// every chart as laid out and leaves the sizes in the DOM that Chromium
// dumps. The report itself carries no script.
const sizeProbe = `<script>
document.body.setAttribute("data-chart-sizes", JSON.stringify(
  Array.from(document.querySelectorAll("figure.chart svg")).map(function (s) {
    var r = s.getBoundingClientRect();
    return {id: s.parentElement.id, w: r.width, h: r.height, paths: s.querySelectorAll("path").length};
  })));
</script>`

var chartSizes = regexp.MustCompile(`data-chart-sizes="([^"]*)"`)

// TestHTMLInChromium opens report.html in real headless Chromium: the
// charts must be laid out with a real size, and a screenshot must show
// the page, the chart lines and the verdict badge in their colours.
func TestHTMLInChromium(t *testing.T) {
	bin := testenv.Chromium(t)
	dir := t.TempDir()
	if err := WriteAll(dir, fixture(), []string{FormatHTML}); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "report.html")
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("charts laid out", func(t *testing.T) {
		probe := filepath.Join(dir, "probe.html")
		withProbe := strings.Replace(string(html), "</body>", sizeProbe+"</body>", 1)
		if err := os.WriteFile(probe, []byte(withProbe), 0o644); err != nil {
			t.Fatal(err)
		}
		dom := runChromium(t, bin, "--dump-dom", "--window-size=1280,2000", "file://"+probe)
		m := chartSizes.FindSubmatch(dom)
		if m == nil {
			t.Fatalf("no chart sizes in the dumped DOM:\n%.2000s", dom)
		}
		var sizes []struct {
			ID    string  `json:"id"`
			W     float64 `json:"w"`
			H     float64 `json:"h"`
			Paths int     `json:"paths"`
		}
		if err := json.Unmarshal([]byte(strings.ReplaceAll(string(m[1]), "&quot;", `"`)), &sizes); err != nil {
			t.Fatalf("decode chart sizes %q: %v", m[1], err)
		}
		if len(sizes) != 6 {
			t.Fatalf("%d charts in the page, want 6", len(sizes))
		}
		for _, s := range sizes {
			t.Logf("%s: %.0fx%.0f px, %d paths", s.ID, s.W, s.H, s.Paths)
			if s.W < 600 || s.H < 150 {
				t.Errorf("%s laid out at %.0fx%.0f px, want at least 600x150", s.ID, s.W, s.H)
			}
			if s.Paths < 10 {
				t.Errorf("%s has %d paths: nothing drawn", s.ID, s.Paths)
			}
		}
	})

	t.Run("screenshot not blank", func(t *testing.T) {
		shot := filepath.Join(dir, "report.png")
		runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2000", "file://"+page)
		f, err := os.Open(shot)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("decode screenshot: %v", err)
		}
		total, ink := 0, 0
		colours := map[string]int{}
		// The band colour is close to white, so it gets a tight tolerance.
		want := map[string]struct {
			c   colorRGB
			tol int
		}{"chart blue": {rgbOf(colBlue), 24}, "badge red": {colorRGB{0xcf, 0x22, 0x2e}, 24}, "stage band": {rgbOf(colBand), 4}}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				total++
				c := pixel(img, x, y)
				if c != (colorRGB{255, 255, 255}) {
					ink++
				}
				for name, w := range want {
					if c.near(w.c, w.tol) {
						colours[name]++
					}
				}
			}
		}
		t.Logf("screenshot %dx%d: %.1f%% non-white, colours %v", b.Dx(), b.Dy(), 100*float64(ink)/float64(total), colours)
		if frac := float64(ink) / float64(total); frac < 0.05 {
			t.Fatalf("screenshot is %.1f%% non-white: the page looks blank", frac*100)
		}
		for name := range want {
			if colours[name] < 50 {
				t.Errorf("screenshot has %d %s pixels: that part was not drawn", colours[name], name)
			}
		}
	})
}

func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, testenv.ChromiumArgs(t, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, tail(stderr.String(), 2000))
	}
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

type colorRGB struct{ r, g, b int }

func rgbOf(c interface{ RGBA() (r, g, b, a uint32) }) colorRGB {
	r, g, b, _ := c.RGBA()
	return colorRGB{int(r >> 8), int(g >> 8), int(b >> 8)}
}

func pixel(img image.Image, x, y int) colorRGB { return rgbOf(img.At(x, y)) }

func (c colorRGB) near(o colorRGB, tol int) bool {
	abs := func(v int) int {
		if v < 0 {
			return -v
		}
		return v
	}
	return abs(c.r-o.r) <= tol && abs(c.g-o.g) <= tol && abs(c.b-o.b) <= tol
}
