package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"
	"github.com/prismd/prismd/backends/s3/s3test"
)

const uiPassword = "browser test password"

// browser is a headless Chromium on one gateway's management UI.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string // screenshots
}

func newBrowser(t *testing.T, p *proc) *browser {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: make test installs it (make test-deps)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1280, 1000))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	// Chromium may send protocol events newer than cdproto knows: not errors of the test.
	ctx, cancel2 := chromedp.NewContext(actx, chromedp.WithErrorf(func(string, ...any) {}))
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 8*time.Minute) // a bound for a loaded machine, not a timing assertion
	t.Cleanup(cancel3)
	return &browser{t: t, ctx: ctx, base: p.Admin, dir: t.ArtifactDir()}
}

func (b *browser) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// page opens a page of the UI and waits until it has loaded its data.
func (b *browser) page(name string) {
	b.t.Helper()
	b.run("open "+name, chromedp.Navigate(b.base+"/#"+name), chromedp.WaitVisible(fmt.Sprintf(`#page[data-ready=%q]`, name)))
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	var buf []byte
	b.run("screenshot "+name, chromedp.FullScreenshot(&buf, 100)) // quality 100 writes PNG (below it, JPEG)
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// submit submits the form of the element sel as a user does (the
// form's submit event fires, unlike chromedp.Submit's form.submit()).
func submit(sel string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(e => (e.form || e).requestSubmit())(document.querySelector(%q))`, sel), nil)
}

// waitText polls until the text of sel contains want.
func (b *browser) waitText(sel, want string, bound time.Duration) string {
	b.t.Helper()
	deadline := time.Now().Add(bound)
	var got string
	for {
		if err := chromedp.Run(b.ctx, chromedp.Text(sel, &got, chromedp.ByQuery)); err == nil && strings.Contains(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: %q, want it to contain %q", sel, got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestWebUI drives the management UI in a real headless browser: log in,
// add a versitygw region and see it healthy, set a bucket policy, create
// an access key and use it with aws-sdk-go-v2, browse the bucket, run a
// scrub and watch its progress, export the config and import it into a
// second gateway with the same master key. Every page is saved as a
// screenshot under the test's artifact directory (go test -artifacts).
func TestWebUI(t *testing.T) {
	masterKey := "PRISMD_MASTER_KEY=" + strings.Repeat("5a", 32)
	env := []string{"PRISMD_ADMIN_PASSWORD=" + uiPassword, masterKey}
	cl := rgStartWith(t, rgThree, `purge_delay = "0s"`, env)
	ctx := context.Background()
	b := newBrowser(t, cl.p)

	b.run("login page", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible("#login"))
	b.screenshot("login")
	b.run("log in", chromedp.SendKeys("#password", uiPassword), submit("#login"), chromedp.WaitVisible(`#page[data-ready="dashboard"]`))
	b.waitText("#status", "serving", 10*time.Second)
	b.screenshot("dashboard")

	// A region added in the UI becomes healthy.
	extra := s3test.StartVersity(t, t.TempDir())
	b.page("regions")
	b.run("add region",
		chromedp.SendKeys(`input[name=name]`, "r3"),
		chromedp.SendKeys(`input[name=endpoint]`, extra.Endpoint()),
		chromedp.SendKeys(`input[name=region]`, s3test.Region),
		chromedp.SendKeys(`input[name=access_key]`, extra.AccessKey()),
		chromedp.SendKeys(`input[name=secret_key]`, extra.SecretKey()),
		chromedp.Click(`input[name=path_style]`),
		submit(`input[name=name]`),
		chromedp.WaitVisible(`span[data-region="r3"]`))
	b.waitText(`span[data-region="r3"]`, "ok", 5*time.Second)
	b.screenshot("regions")

	// Region discovery: a new endpoint measured, its throughput tested
	// with its credentials, and proposed and added as a region in one step.
	found := s3test.StartVersity(t, t.TempDir())
	b.page("discovery")
	b.run("measure", chromedp.SetValue(`textarea[name=endpoints]`, found.Endpoint()), chromedp.SetValue(`input[name=samples]`, "3"),
		submit(`textarea[name=endpoints]`))
	b.waitText("#page", "0/3", 20*time.Second)
	b.run("throughput", chromedp.SendKeys(`input[name=tp_access_key]`, found.AccessKey()), chromedp.SendKeys(`input[name=tp_secret_key]`, found.SecretKey()),
		chromedp.SendKeys(`input[name=tp_region]`, s3test.Region), chromedp.Click(`input[name=tp_path_style]`), submit(`input[name=tp_access_key]`))
	b.waitText("#throughput-result", "MiB/s", 30*time.Second)
	b.run("propose", chromedp.SetValue(`input[name=k]`, "1"), chromedp.SetValue(`input[name=m]`, "0"), submit(`input[name=k]`))
	b.waitText("#page", "1 regions over 1 providers", 10*time.Second)
	b.run("apply", chromedp.SetValue(`input[name=apply_name_0]`, "r4"), chromedp.SendKeys(`input[name=apply_ak_0]`, found.AccessKey()),
		chromedp.SendKeys(`input[name=apply_sk_0]`, found.SecretKey()), chromedp.SendKeys(`input[name=apply_region_0]`, s3test.Region),
		chromedp.Click(`input[name=apply_path_style]`), submit(`input[name=apply_name_0]`))
	b.waitText("#apply-result", "added: r4", 30*time.Second)
	b.screenshot("discovery")
	b.page("regions")
	b.waitText(`span[data-region="r4"]`, "ok", 15*time.Second)

	// A bucket with objects, its policy set in the UI.
	bucket := cl.createBucket(ctx, "ui")
	for i := range 5 {
		if err := cl.putObj(ctx, bucket, fmt.Sprintf("dir/obj-%d", i), rgRandom(50_000+i)); err != nil {
			t.Fatal(err)
		}
	}
	b.page("policies")
	b.run("set policy", chromedp.SendKeys(`input[name=bucket]`, bucket), chromedp.SetValue(`select[name=mode]`, "replica"),
		chromedp.SetValue(`input[name=k]`, "1"), chromedp.SetValue(`input[name=m]`, "1"),
		chromedp.Click(`//button[text()="Preview"]`, chromedp.BySearch))
	b.waitText("pre", "survives the loss of 1", 5*time.Second)
	b.run("apply policy", submit(`input[name=bucket]`), chromedp.WaitVisible(`#page[data-ready="policies"]`))
	b.waitText("#page", bucket+"\treplica k=1 m=1", 5*time.Second)
	b.screenshot("policies")

	// An access key created in the UI works with aws-sdk-go-v2.
	b.page("keys")
	var access, secret string
	b.run("create key", chromedp.SendKeys(`input[name=buckets]`, bucket), submit(`input[name=buckets]`),
		chromedp.WaitVisible("#new-key"), chromedp.Text("#new-access-key", &access), chromedp.Text("#new-secret-key", &secret))
	b.screenshot("keys")
	c := sdkClient(cl.p, access, secret)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("from-ui-key.txt"), Body: bytes.NewReader([]byte("hello"))}); err != nil {
		t.Fatalf("put with the UI's key: %v", err)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("from-ui-key.txt")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	if string(body) != "hello" {
		t.Fatalf("got %q", body)
	}

	// The object browser; the buckets list shows versioning and configurations.
	b.page("buckets")
	b.waitText(`span.versioning[data-bucket="`+bucket+`"]`, "unversioned", 5*time.Second)
	b.waitText("#page", "object-lock: not set", 5*time.Second)
	b.screenshot("buckets")
	// data-ready names the whole route once its page has its data: a click
	// waits for the page it is on, not a node of the page before it.
	b.run("browse", chromedp.Navigate(b.base+"/#buckets/"+bucket), chromedp.WaitVisible(`#page[data-ready="buckets/`+bucket+`"]`),
		chromedp.Click(`//a[text()="dir/"]`, chromedp.BySearch), chromedp.WaitVisible(`#page[data-ready="buckets/`+bucket+`/dir%2F"]`),
		chromedp.Click(`a.object`), chromedp.WaitVisible(`//td[text()="stored"]`, chromedp.BySearch))
	b.screenshot("object-browser")

	// A scrub started in the UI, its progress followed to the end.
	b.page("background")
	b.run("start scrub", chromedp.Click(`input[name=deep]`), submit(`input[name=deep]`))
	b.waitText("#scrub-line", "done:", time.Minute)
	b.screenshot("background")

	b.page("events")
	b.waitText("#events-list", "BucketCreated", 10*time.Second)
	b.screenshot("events")

	// Export, then import into a second gateway with the same master key.
	b.page("settings")
	var export string
	b.run("export", chromedp.Click("#export"), chromedp.WaitVisible(`#import-text`))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(export, "sealed_secret") {
		if time.Now().After(deadline) {
			t.Fatalf("no export: %q", export)
		}
		time.Sleep(200 * time.Millisecond)
		chromedp.Run(b.ctx, chromedp.Value("#import-text", &export))
	}
	if strings.Contains(export, secret) || strings.Contains(export, extra.SecretKey()) || strings.Contains(export, found.SecretKey()) {
		t.Fatal("the export holds a secret in clear")
	}
	b.screenshot("settings")
	if err := cl.p.stop(); err != nil { // two gateways must not share the added region
		t.Fatal(err)
	}
	second := start(t, filepath.Join(t.TempDir(), "second"), "", append(env, "PRISMD_ACCESS_KEY="+rootKey, "PRISMD_SECRET_KEY="+rootSecret))
	b2 := newBrowser(t, second)
	b2.dir = filepath.Join(b.dir, "second")
	os.MkdirAll(b2.dir, 0o755)
	b2.run("log in (second)", chromedp.Navigate(b2.base+"/"), chromedp.WaitVisible("#login"), chromedp.SendKeys("#password", uiPassword),
		submit("#login"), chromedp.WaitVisible(`#page[data-ready="dashboard"]`))
	b2.page("settings")
	b2.run("paste export", chromedp.SetValue("#import-text", export), chromedp.Click("#import-dry"))
	b2.waitText("#import-result", `"add"`, 10*time.Second)
	b2.run("import", chromedp.Click("#import-apply"))
	b2.waitText("#import-result", `"dry_run": false`, 30*time.Second)
	b2.screenshot("import")
	c2 := sdkClient(second, access, secret)
	if _, err := c2.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("second.txt"), Body: bytes.NewReader([]byte("again"))}); err != nil {
		t.Fatalf("the imported key on the second gateway: %v", err)
	}
	b2.page("regions")
	b2.waitText("#page", "r3", 5*time.Second)
	b2.page("policies")
	b2.waitText("#page", bucket+"\treplica k=1 m=1", 5*time.Second)
}
