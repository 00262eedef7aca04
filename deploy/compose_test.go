package deploy_test

// Docker cannot run where the tests do, so this test loads docker-compose.yml
// the way `docker compose` does (compose-go: schema validation,
// interpolation, merge keys) and checks it against the code: the services
// and their images, the published ports, the start order and its health
// conditions, the settings the worker and the gateway read, and the search
// attributes the setup job registers. Deleting a service, a dependency or a
// variable the worker reads fails it.

import (
	"context"
	"encoding/base64"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"outbound/internal/api"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	enumspb "go.temporal.io/api/enums/v1"
	"go.yaml.in/yaml/v3"
)

const composeFile = "docker-compose.yml"

// The services of the stack.
const (
	svcPostgres = "postgres"
	svcSchema   = "temporal-schema" // one-shot: databases and schemas
	svcTemporal = "temporal"
	svcSetup    = "temporal-setup" // one-shot: namespace and search attributes
	svcUI       = "temporal-ui"
	svcS3       = "s3"       // SeaweedFS
	svcS3Setup  = "s3-setup" // one-shot: bucket, its policy and the worker's identity
	svcMailpit  = "mailpit"
	svcWorker   = "worker"
	svcGateway  = "gateway"
	svcDesktop  = "desktop" // profile desktop: needs an OpenID Connect provider
)

var allServices = []string{
	svcTLSSetup, svcPostgres, svcSchema, svcTemporal, svcSetup, svcUI,
	svcS3, svcS3Setup, svcMailpit, svcWorker, svcGateway, svcDesktop,
}

// oneShot services run to completion; whoever needs them waits for
// service_completed_successfully.
var oneShot = []string{svcTLSSetup, svcSchema, svcSetup, svcS3Setup}

// healthGated services must be healthy before what needs them starts.
var healthGated = []string{svcPostgres, svcTemporal, svcS3}

// workerEnv is what the worker reads outside --dev (worker/environment.go,
// the SDK's envconfig for TEMPORAL_*, internal/codec for the payload keys,
// --metrics-addr's METRICS_ADDR). TestWorkerEnvironment also adds every
// variable environment.go and main.go name in os.Getenv/envOr calls.
var workerEnv = []string{
	"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE",
	"OUTBOUND_ID_KEY", "OUTBOUND_CODEC_KEYS",
	"SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_STARTTLS",
	"SMS_API_URL", "SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN",
	"PUBLIC_URL",
	"S3_BUCKET", "S3_ENDPOINT", "S3_REGION", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_PUBLIC_URL", "S3_PATH_STYLE",
	"METRICS_ADDR",
}

// workerMayBeEmpty are the worker settings the stack leaves empty on purpose
// (Mailpit takes mail without authentication).
var workerMayBeEmpty = []string{"SMTP_USERNAME", "SMTP_PASSWORD"}

// gatewayEnv is what the gateway reads (gateway/main.go, envconfig, codec);
// TestGatewayEnvironment adds the names gateway/main.go reads.
var gatewayEnv = []string{
	"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE",
	"OUTBOUND_ID_KEY", "OUTBOUND_CODEC_KEYS",
	"SMS_AUTH_TOKEN", "PUBLIC_URL", "GATEWAY_LISTEN",
	"CODEC_LISTEN", "CODEC_ORIGIN",
}

// sharedEnv must be equal in the worker and the gateway: both derive the same
// workflow IDs, decrypt the same payloads and check the same signatures.
var sharedEnv = []string{
	"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "OUTBOUND_ID_KEY", "OUTBOUND_CODEC_KEYS",
	"SMS_AUTH_TOKEN", "PUBLIC_URL",
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// loadProject loads the compose file as `docker compose up` would with no
// .env file and no variables set: the file's own defaults apply.
func loadProject(t *testing.T) *types.Project {
	t.Helper()
	return loadProjectWith(t, types.Mapping{})
}

// loadProjectWith loads the compose file with these variables set.
func loadProjectWith(t *testing.T, vars types.Mapping) *types.Project {
	t.Helper()
	root := repoRoot(t)
	details := types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, composeFile)}},
		Environment: vars,
	}
	p, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName("outbound", true)
		o.Profiles = []string{"*"} // the desktop's profile too
	})
	if err != nil {
		t.Fatalf("load %s: %v", composeFile, err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("service %q is missing from %s", name, composeFile)
	}
	return s
}

// env returns a service's variable; set is false when the service does not
// define it at all.
func env(s types.ServiceConfig, name string) (value string, set bool) {
	v, ok := s.Environment[name]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

func mustEnv(t *testing.T, s types.ServiceConfig, name string) string {
	t.Helper()
	v, ok := env(s, name)
	if !ok || v == "" {
		t.Fatalf("service %s: %s is not set", s.Name, name)
	}
	return v
}

// published returns the host port a service publishes for a container port.
func published(s types.ServiceConfig, target uint32) (string, bool) {
	for _, p := range s.Ports {
		if p.Target == target && p.Published != "" {
			return p.Published, true
		}
	}
	return "", false
}

func TestServicesExist(t *testing.T) {
	p := loadProject(t)
	for _, name := range allServices {
		service(t, p, name)
	}
}

func TestEveryServiceHasAPinnedImageOrABuild(t *testing.T) {
	p := loadProject(t)
	for name, s := range p.Services {
		switch {
		case s.Build != nil:
			if s.Build.Context != repoRoot(t) {
				t.Errorf("service %s builds %s, want the repository root", name, s.Build.Context)
			}
		case s.Image == "":
			t.Errorf("service %s has neither an image nor a build", name)
		default:
			ref := s.Image
			if i := strings.LastIndex(ref, "/"); i >= 0 {
				ref = ref[i+1:]
			}
			_, tag, ok := strings.Cut(ref, ":")
			if !ok || tag == "" || tag == "latest" {
				t.Errorf("service %s: image %q is not pinned to a version", name, s.Image)
			}
		}
	}
	for _, name := range []string{svcWorker, svcGateway, svcDesktop} {
		if s := service(t, p, name); s.Build == nil {
			t.Errorf("service %s must be built from the repository's Dockerfile", name)
		}
	}
}

func TestPublishedPorts(t *testing.T) {
	p := loadProject(t)
	want := []struct {
		service   string
		published string
		target    uint32
		what      string
	}{
		{svcTemporal, "7233", 7233, "Temporal gRPC frontend"},
		{svcUI, "8233", 8080, "Temporal Web UI"},
		{svcMailpit, "8025", 8025, "Mailpit web view"},
		{svcS3, "9000", 8333, "S3 API and image URLs"},
		{svcGateway, "8080", 8080, "webhooks"},
		{svcGateway, "8081", 8081, "codec endpoint"},
		{svcWorker, "9090", 9090, "worker metrics"},
	}
	for _, w := range want {
		got, ok := published(service(t, p, w.service), w.target)
		if !ok || got != w.published {
			t.Errorf("%s (%s): container port %d published on %q, want %s", w.service, w.what, w.target, got, w.published)
		}
	}
	byHostPort := map[string]string{}
	for name, s := range p.Services {
		for _, port := range s.Ports {
			key := port.HostIP + ":" + port.Published + "/" + port.Protocol
			if other, dup := byHostPort[key]; dup {
				t.Errorf("services %s and %s both publish %s", other, name, key)
			}
			byHostPort[key] = name
		}
	}
}

// TestDependsOnUsesHealthConditions checks the start order: every dependency
// names its condition explicitly, setup jobs are awaited to completion,
// PostgreSQL, Temporal and the S3 server to health, and each of those defines a
// healthcheck; the edges that make the stack start in order are all there.
func TestDependsOnUsesHealthConditions(t *testing.T) {
	// compose-go fills in service_started for a bare dependency, so read the
	// file itself for the explicit conditions.
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), composeFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			DependsOn yaml.Node `yaml:"depends_on"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for name, s := range doc.Services {
		switch s.DependsOn.Kind {
		case 0: // none
		case yaml.MappingNode:
			var deps map[string]map[string]any
			if err := s.DependsOn.Decode(&deps); err != nil {
				t.Errorf("service %s: depends_on: %v", name, err)
				continue
			}
			for dep, opts := range deps {
				if opts["condition"] == nil {
					t.Errorf("service %s: depends_on %s has no condition", name, dep)
				}
			}
		default:
			t.Errorf("service %s: depends_on must map each dependency to its condition, not list them", name)
		}
	}

	p := loadProject(t)
	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			target, ok := p.Services[dep]
			if !ok {
				t.Errorf("service %s depends on %s, which does not exist", name, dep)
				continue
			}
			switch {
			case slices.Contains(oneShot, dep) && d.Condition != types.ServiceConditionCompletedSuccessfully:
				t.Errorf("service %s waits for setup job %s with %s, want %s", name, dep, d.Condition, types.ServiceConditionCompletedSuccessfully)
			case slices.Contains(healthGated, dep) && d.Condition != types.ServiceConditionHealthy:
				t.Errorf("service %s waits for %s with %s, want %s", name, dep, d.Condition, types.ServiceConditionHealthy)
			}
			switch d.Condition {
			case types.ServiceConditionHealthy:
				if hc := target.HealthCheck; hc == nil || hc.Disable || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
					t.Errorf("service %s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
				if target.Restart == types.RestartPolicyAlways || target.Restart == types.RestartPolicyUnlessStopped {
					t.Errorf("setup job %s has restart: %s, so it never completes", dep, target.Restart)
				}
			case types.ServiceConditionStarted:
			default:
				t.Errorf("service %s: depends_on %s has unknown condition %q", name, dep, d.Condition)
			}
		}
	}

	edges := []struct{ from, to, condition string }{
		{svcSchema, svcPostgres, types.ServiceConditionHealthy},
		{svcTemporal, svcPostgres, types.ServiceConditionHealthy},
		{svcTemporal, svcSchema, types.ServiceConditionCompletedSuccessfully},
		{svcSetup, svcTemporal, types.ServiceConditionHealthy},
		{svcUI, svcTemporal, types.ServiceConditionHealthy},
		{svcS3Setup, svcS3, types.ServiceConditionHealthy},
		{svcWorker, svcTemporal, types.ServiceConditionHealthy},
		{svcWorker, svcSetup, types.ServiceConditionCompletedSuccessfully},
		{svcWorker, svcS3Setup, types.ServiceConditionCompletedSuccessfully},
		{svcWorker, svcMailpit, ""}, // started or healthy
		{svcGateway, svcTemporal, types.ServiceConditionHealthy},
		{svcGateway, svcSetup, types.ServiceConditionCompletedSuccessfully},
	}
	for _, e := range edges {
		d, ok := service(t, p, e.from).DependsOn[e.to]
		switch {
		case !ok:
			t.Errorf("service %s must depend on %s", e.from, e.to)
		case e.condition != "" && d.Condition != e.condition:
			t.Errorf("service %s waits for %s with %s, want %s", e.from, e.to, d.Condition, e.condition)
		}
	}
}

// envReadIn lists the variables the Go files name in os.Getenv, os.LookupEnv
// and envOr calls with a literal name.
func envReadIn(t *testing.T, files ...string) []string {
	t.Helper()
	var names []string
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, filepath.Join(repoRoot(t), file), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			reads := false
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				pkg, ok := fn.X.(*ast.Ident)
				reads = ok && pkg.Name == "os" && (fn.Sel.Name == "Getenv" || fn.Sel.Name == "LookupEnv")
			case *ast.Ident:
				reads = fn.Name == "envOr"
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); reads && ok && lit.Kind == token.STRING {
				if name, err := strconv.Unquote(lit.Value); err == nil && !slices.Contains(names, name) {
					names = append(names, name)
				}
			}
			return true
		})
	}
	sort.Strings(names)
	return names
}

func checkEnv(t *testing.T, s types.ServiceConfig, names, mayBeEmpty []string) {
	t.Helper()
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		v, ok := env(s, name)
		switch {
		case !ok:
			t.Errorf("service %s does not set %s, which it reads", s.Name, name)
		case v == "" && !slices.Contains(mayBeEmpty, name):
			t.Errorf("service %s sets %s empty", s.Name, name)
		}
	}
}

func TestWorkerEnvironment(t *testing.T) {
	p := loadProject(t)
	worker := service(t, p, svcWorker)
	scanned := envReadIn(t, "worker/environment.go", "worker/main.go", "internal/imagestore/store.go") // S3_*: imagestore.ConfigFromEnv
	for _, name := range []string{"SMTP_HOST", "S3_BUCKET", "PUBLIC_URL"} {
		if !slices.Contains(scanned, name) {
			t.Fatalf("the scan of the worker's environment readers found %v, not %s: update envReadIn", scanned, name)
		}
	}
	checkEnv(t, worker, append(slices.Clone(workerEnv), scanned...), workerMayBeEmpty)

	if got := mustEnv(t, worker, "SMTP_HOST"); got != svcMailpit {
		t.Errorf("worker SMTP_HOST = %q, want %s", got, svcMailpit)
	}
	if got := mustEnv(t, worker, "SMTP_PORT"); got != "1025" {
		t.Errorf("worker SMTP_PORT = %q, want Mailpit's 1025", got)
	}
	if got := mustEnv(t, worker, "SMTP_STARTTLS"); got != "false" {
		t.Errorf("worker SMTP_STARTTLS = %q, want false (Mailpit speaks plain SMTP)", got)
	}

	if port := listenPort(t, worker, "METRICS_ADDR"); !publishedOK(worker, port) {
		t.Errorf("the worker serves metrics on port %d, which is not published", port)
	}
}

func publishedOK(s types.ServiceConfig, target uint32) bool {
	_, ok := published(s, target)
	return ok
}

func TestGatewayEnvironment(t *testing.T) {
	p := loadProject(t)
	gateway := service(t, p, svcGateway)
	scanned := envReadIn(t, "gateway/main.go", "gateway/codecauth.go", "internal/imagestore/store.go") // S3_*: the transcript archive
	if !slices.Contains(scanned, "SMS_AUTH_TOKEN") {
		t.Fatalf("the scan of gateway/main.go found %v, not SMS_AUTH_TOKEN: update envReadIn", scanned)
	}
	// Without a relay in front, senders are verified against DNS.
	// The codec endpoint takes the token file; the Web UI's sign-in is yours to add.
	checkEnv(t, gateway, append(slices.Clone(gatewayEnv), scanned...), []string{"MAIL_AUTHSERV_ID", "CODEC_OIDC_ISSUER", "CODEC_OIDC_AUDIENCE"})

	// The gateway listens where its port is published, and PUBLIC_URL (what
	// webhook signatures are computed over) reaches it from the host.
	port := listenPort(t, gateway, "GATEWAY_LISTEN")
	hostPort, ok := published(gateway, port)
	if !ok {
		t.Fatalf("the gateway listens on port %d, which is not published", port)
	}
	u := mustParseURL(t, mustEnv(t, gateway, "PUBLIC_URL"))
	if u.Port() != hostPort {
		t.Errorf("PUBLIC_URL %s does not reach the gateway, published on %s", u, hostPort)
	}
}

// listenPort is the port of a service's listen address variable, which must
// name every interface: a published port cannot reach a loopback listener.
func listenPort(t *testing.T, s types.ServiceConfig, name string) uint32 {
	t.Helper()
	host, port, err := net.SplitHostPort(mustEnv(t, s, name))
	if err != nil {
		t.Fatalf("service %s: %s: %v", s.Name, name, err)
	}
	if host != "" && host != "0.0.0.0" && host != "::" {
		t.Errorf("service %s: %s listens on %s only, out of reach of its published port", s.Name, name, host)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		t.Fatalf("service %s: %s needs a fixed port, not %q", s.Name, name, port)
	}
	return uint32(n)
}

func TestWorkerAndGatewayShareSecrets(t *testing.T) {
	p := loadProject(t)
	worker, gateway := service(t, p, svcWorker), service(t, p, svcGateway)
	for _, name := range sharedEnv {
		if w, g := mustEnv(t, worker, name), mustEnv(t, gateway, name); w != g {
			t.Errorf("%s differs between the worker and the gateway", name)
		}
	}
	ns := mustEnv(t, worker, "TEMPORAL_NAMESPACE")
	if got := mustEnv(t, service(t, p, svcSetup), "TEMPORAL_NAMESPACE"); got != ns {
		t.Errorf("temporal-setup creates namespace %q, the worker uses %q", got, ns)
	}
	if got := mustEnv(t, service(t, p, svcUI), "TEMPORAL_DEFAULT_NAMESPACE"); got != ns {
		t.Errorf("the UI opens namespace %q, the worker uses %q", got, ns)
	}
	for _, name := range []string{svcWorker, svcGateway, svcSetup, svcUI} {
		if got := mustEnv(t, service(t, p, name), "TEMPORAL_ADDRESS"); got != svcTemporal+":7233" {
			t.Errorf("service %s: TEMPORAL_ADDRESS = %q, want %s:7233", name, got, svcTemporal)
		}
	}
}

// TestCodecKeysDefault: the local default parses as internal/codec expects,
// "id:base64(32 bytes)" entries, so the worker starts with no .env at all.
func TestCodecKeysDefault(t *testing.T) {
	p := loadProject(t)
	spec := mustEnv(t, service(t, p, svcWorker), "OUTBOUND_CODEC_KEYS")
	for entry := range strings.SplitSeq(spec, ",") {
		id, key, ok := strings.Cut(strings.TrimSpace(entry), ":")
		if !ok || id == "" || strings.ContainsAny(id, " \t") {
			t.Fatalf("OUTBOUND_CODEC_KEYS entry is not id:base64key")
		}
		raw, err := base64.StdEncoding.DecodeString(key)
		if err != nil {
			t.Fatalf("OUTBOUND_CODEC_KEYS key %q: %v", id, err)
		}
		if len(raw) != 32 {
			t.Fatalf("OUTBOUND_CODEC_KEYS key %q is %d bytes, want 32 (AES-256)", id, len(raw))
		}
	}
}

// cliTypes are the temporal CLI's names of the search attribute types.
var cliTypes = map[enumspb.IndexedValueType]string{
	enumspb.INDEXED_VALUE_TYPE_TEXT:         "Text",
	enumspb.INDEXED_VALUE_TYPE_KEYWORD:      "Keyword",
	enumspb.INDEXED_VALUE_TYPE_INT:          "Int",
	enumspb.INDEXED_VALUE_TYPE_DOUBLE:       "Double",
	enumspb.INDEXED_VALUE_TYPE_BOOL:         "Bool",
	enumspb.INDEXED_VALUE_TYPE_DATETIME:     "Datetime",
	enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
}

// TestSetupRegistersSearchAttributes: temporal-setup registers exactly the
// attributes of api.SearchAttributes(), with their types, through its
// script.
func TestSetupRegistersSearchAttributes(t *testing.T) {
	p := loadProject(t)
	setup := service(t, p, svcSetup)
	file := hostPath(setup, mustEnv(t, setup, "SEARCH_ATTRIBUTES_FILE"))
	if file == "" {
		t.Fatal("SEARCH_ATTRIBUTES_FILE is not mounted")
	}
	list, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, field := range strings.Fields(string(list)) {
		name, typ, ok := strings.Cut(field, ":")
		if !ok || name == "" || typ == "" {
			t.Fatalf("%s: entry %q is not Name:Type", file, field)
		}
		got[name] = typ
	}
	want := api.SearchAttributes()
	for name, typ := range want {
		cli, ok := cliTypes[typ]
		if !ok {
			t.Fatalf("search attribute %s has type %s, unknown to this test", name, typ)
		}
		switch have, ok := got[name]; {
		case !ok:
			t.Errorf("temporal-setup does not register search attribute %s (%s)", name, cli)
		case have != cli:
			t.Errorf("temporal-setup registers %s as %s, the code uses %s", name, have, cli)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("temporal-setup registers %s, which api.SearchAttributes() does not list", name)
		}
	}

	script := mountedScript(t, setup)
	for _, s := range []string{"SEARCH_ATTRIBUTES_FILE", "temporal operator search-attribute create", "temporal operator namespace create", "TEMPORAL_NAMESPACE"} {
		if !strings.Contains(script, s) {
			t.Errorf("the temporal-setup script does not contain %q", s)
		}
	}
}

// TestTemporalSchemaAndServer: the schema job migrates the databases the
// server uses, with the credentials PostgreSQL has; the server's dynamic
// config is mounted where it reads it.
func TestTemporalSchemaAndServer(t *testing.T) {
	p := loadProject(t)
	pg, schema, server := service(t, p, svcPostgres), service(t, p, svcSchema), service(t, p, svcTemporal)

	if got := mustEnv(t, schema, "SQL_PLUGIN"); got != "postgres12" {
		t.Errorf("temporal-schema SQL_PLUGIN = %q, want postgres12", got)
	}
	if got := mustEnv(t, server, "DB"); got != "postgres12" {
		t.Errorf("temporal DB = %q, want postgres12", got)
	}
	same := [][3]string{ // schema job, server, meaning
		{"SQL_HOST", "POSTGRES_SEEDS", "database host"},
		{"SQL_PORT", "DB_PORT", "database port"},
		{"SQL_USER", "POSTGRES_USER", "database user"},
		{"SQL_PASSWORD", "POSTGRES_PWD", "database password"},
		{"TEMPORAL_DB", "DBNAME", "default store database"},
		{"TEMPORAL_VISIBILITY_DB", "VISIBILITY_DBNAME", "visibility database"},
	}
	for _, s := range same {
		if a, b := mustEnv(t, schema, s[0]), mustEnv(t, server, s[1]); a != b {
			t.Errorf("%s: temporal-schema %s=%q, temporal %s=%q", s[2], s[0], a, s[1], b)
		}
	}
	if got := mustEnv(t, server, "POSTGRES_SEEDS"); got != svcPostgres {
		t.Errorf("temporal POSTGRES_SEEDS = %q, want %s", got, svcPostgres)
	}
	if mustEnv(t, server, "POSTGRES_USER") != mustEnv(t, pg, "POSTGRES_USER") ||
		mustEnv(t, server, "POSTGRES_PWD") != mustEnv(t, pg, "POSTGRES_PASSWORD") {
		t.Errorf("the Temporal server's database credentials differ from PostgreSQL's")
	}

	script := mountedScript(t, schema)
	for _, s := range []string{"create-database", "setup-schema", "update-schema", "postgresql/v12/temporal", "postgresql/v12/visibility"} {
		if !strings.Contains(script, s) {
			t.Errorf("the temporal-schema script does not contain %q", s)
		}
	}

	dc := mustEnv(t, server, "DYNAMIC_CONFIG_FILE_PATH")
	if host := hostPath(server, dc); host == "" {
		t.Errorf("the server's dynamic config %s is not mounted", dc)
	} else if _, err := os.Stat(host); err != nil {
		t.Errorf("dynamic config: %v", err)
	}
}

// TestUIDecryptsThroughTheGateway: the UI's codec endpoint is the gateway's
// codec listener as the host publishes it (the browser calls it), on the
// loopback interface only; the gateway lets the UI's origins call it, and the
// UI accepts its own origin.
func TestUIDecryptsThroughTheGateway(t *testing.T) {
	p := loadProject(t)
	ui, gateway := service(t, p, svcUI), service(t, p, svcGateway)
	u := mustParseURL(t, mustEnv(t, ui, "TEMPORAL_CODEC_ENDPOINT"))
	if u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1" {
		t.Errorf("TEMPORAL_CODEC_ENDPOINT %s: the browser calls it, so it must name the host, not a service", u)
	}
	codecPort := listenPort(t, gateway, "CODEC_LISTEN")
	for _, port := range gateway.Ports {
		if port.Target != codecPort {
			continue
		}
		if u.Port() != port.Published {
			t.Errorf("TEMPORAL_CODEC_ENDPOINT %s: the codec endpoint is published on %s", u, port.Published)
		}
		if port.HostIP != "127.0.0.1" {
			t.Errorf("the codec endpoint decrypts any payload: publish it on 127.0.0.1, not %q", port.HostIP)
		}
	}
	if _, ok := published(gateway, codecPort); !ok {
		t.Errorf("the codec endpoint (port %d) is not published", codecPort)
	}
	if strings.HasSuffix(u.Path, "/decode") || strings.HasSuffix(u.Path, "/encode") {
		t.Errorf("TEMPORAL_CODEC_ENDPOINT %s: the UI appends /decode itself", u)
	}

	uiPort, _ := published(ui, 8080)
	uiOrigin := "http://localhost:" + uiPort
	if origins := strings.Split(mustEnv(t, ui, "TEMPORAL_CORS_ORIGINS"), ","); !slices.Contains(origins, uiOrigin) {
		t.Errorf("TEMPORAL_CORS_ORIGINS %v lacks the UI's own origin %s", origins, uiOrigin)
	}
	if origins := strings.Split(mustEnv(t, gateway, "CODEC_ORIGIN"), ","); !slices.Contains(origins, uiOrigin) {
		t.Errorf("the gateway's CODEC_ORIGIN %v lacks the UI's origin %s", origins, uiOrigin)
	}
}

// TestImageStore: the worker writes to the bucket s3-setup creates, with the
// identity it creates, and image URLs point at the S3 API as the host sees it,
// also when the bucket is renamed.
func TestImageStore(t *testing.T) {
	t.Run("defaults", func(t *testing.T) { checkImageStore(t, loadProject(t)) })
	t.Run("S3_BUCKET set", func(t *testing.T) {
		p := loadProjectWith(t, types.Mapping{"S3_BUCKET": "acme-images"})
		if got := mustEnv(t, service(t, p, svcWorker), "S3_BUCKET"); got != "acme-images" {
			t.Fatalf("S3_BUCKET = %q, want the value set", got)
		}
		checkImageStore(t, p)
	})
}

func checkImageStore(t *testing.T, p *types.Project) {
	t.Helper()
	worker, setup, server := service(t, p, svcWorker), service(t, p, svcS3Setup), service(t, p, svcS3)
	bucket := mustEnv(t, worker, "S3_BUCKET")
	for _, name := range []string{"S3_BUCKET", "S3_ACCESS_KEY", "S3_SECRET_KEY"} {
		if mustEnv(t, worker, name) != mustEnv(t, setup, name) {
			t.Errorf("%s differs between the worker and s3-setup", name)
		}
	}
	// SeaweedFS's admin identity comes from AWS_*; s3-setup signs with it.
	for serverVar, setupVar := range map[string]string{"AWS_ACCESS_KEY_ID": "S3_ROOT_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY": "S3_ROOT_SECRET_KEY"} {
		if mustEnv(t, server, serverVar) != mustEnv(t, setup, setupVar) {
			t.Errorf("s3 %s differs from s3-setup %s", serverVar, setupVar)
		}
	}
	if got := mustEnv(t, worker, "S3_PATH_STYLE"); got != "true" {
		t.Errorf("S3_PATH_STYLE = %q, want true (one host for every bucket)", got)
	}
	endpoint := mustParseURL(t, mustEnv(t, worker, "S3_ENDPOINT"))
	if endpoint.Hostname() != svcS3 || endpoint.Port() != "8333" {
		t.Errorf("S3_ENDPOINT %s, want http://%s:8333", endpoint, svcS3)
	}
	hostPort, _ := published(server, 8333)
	if got, want := mustEnv(t, worker, "S3_PUBLIC_URL"), "http://localhost:"+hostPort+"/"+bucket; got != want {
		t.Errorf("S3_PUBLIC_URL = %q, want %q", got, want)
	}
	script := mountedScript(t, setup)
	for _, s := range []string{"?policy", "s3.configure", "s3:GetObject", "S3_ACCESS_KEY"} {
		if !strings.Contains(script, s) {
			t.Errorf("the s3-setup script does not contain %q", s)
		}
	}
}

// TestBindMountsExist: every file or directory the stack mounts from the
// repository is there.
func TestBindMountsExist(t *testing.T) {
	p := loadProject(t)
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if v.Source == filepath.Join(repoRoot(t), certDir) {
				continue // generated; TestFrontendSpeaksMTLS checks it
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("service %s mounts %s: %v", name, v.Source, err)
			}
		}
	}
}

// TestVariablesHaveDefaults: `docker compose up` needs no .env file; every
// ${VAR} has a default.
func TestVariablesHaveDefaults(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), composeFile))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(raw), "$$", "") // escaped dollars
	for _, m := range regexp.MustCompile(`\$(\{[^}]*\}?|[A-Za-z_][A-Za-z0-9_]*)`).FindAllString(text, -1) {
		if !regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*:?-[^}]*\}$`).MatchString(m) {
			t.Errorf("%s has no default: write ${NAME:-default}", m)
		}
	}
}

// TestDockerfileBuildsEveryBinary: the image the worker, the gateway and the
// desktop run holds the three binaries, the starter and the probe.
func TestDockerfileBuildsEveryBinary(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"./worker", "./gateway", "./desktop", "./starter", "./probe"} {
		if !regexp.MustCompile(`go build[^\n]*` + regexp.QuoteMeta(pkg) + `\b`).Match(raw) {
			t.Errorf("the Dockerfile does not build %s", pkg)
		}
	}
	p := loadProject(t)
	for _, name := range []string{svcWorker, svcGateway, svcDesktop} {
		s := service(t, p, name)
		cmd := append(slices.Clone([]string(s.Entrypoint)), s.Command...)
		if len(cmd) == 0 || path.Base(cmd[0]) != name {
			t.Errorf("service %s runs %v, want its own binary", name, cmd)
		}
	}
}

// mountedScript reads the shell script a service runs (its entrypoint or
// command names a .sh file) from the repository directory mounted there.
func mountedScript(t *testing.T, s types.ServiceConfig) string {
	t.Helper()
	for _, arg := range append(slices.Clone([]string(s.Entrypoint)), s.Command...) {
		if !strings.HasSuffix(arg, ".sh") {
			continue
		}
		host := hostPath(s, arg)
		if host == "" {
			t.Fatalf("service %s runs %s, which no bind mount provides", s.Name, arg)
		}
		raw, err := os.ReadFile(host)
		if err != nil {
			t.Fatalf("service %s: %v", s.Name, err)
		}
		return string(raw)
	}
	t.Fatalf("service %s runs no .sh script: %v %v", s.Name, s.Entrypoint, s.Command)
	return ""
}

// hostPath maps a path inside a service's container to the repository file
// bind-mounted there ("" when none is).
func hostPath(s types.ServiceConfig, inContainer string) string {
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if inContainer == v.Target {
			return v.Source
		}
		if rest, ok := strings.CutPrefix(inContainer, strings.TrimSuffix(v.Target, "/")+"/"); ok {
			return filepath.Join(v.Source, filepath.FromSlash(rest))
		}
	}
	return ""
}

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		t.Fatalf("%q is not an absolute URL", s)
	}
	return u
}

// TestCodecEndpointWantsCredentials: the gateway reads its codec token from
// a secret the stack mounts, long enough for the gateway to accept it.
func TestCodecEndpointWantsCredentials(t *testing.T) {
	p := loadProject(t)
	gateway := service(t, p, svcGateway)
	path := mustEnv(t, gateway, "CODEC_TOKEN_FILE")
	if !slices.ContainsFunc(gateway.Secrets, func(s types.ServiceSecretConfig) bool {
		return s.Source == "codec_token" && path == "/run/secrets/codec_token"
	}) {
		t.Fatalf("CODEC_TOKEN_FILE %s is not the mounted codec_token secret", path)
	}
	data, err := os.ReadFile(p.Secrets["codec_token"].File)
	if err != nil || len(strings.TrimSpace(string(data))) < 16 {
		t.Fatalf("the codec token file: %d bytes, %v", len(data), err)
	}
}

// TestOnlyPublicPortsFaceTheNetwork: what customers and providers reach
// (webhooks, inbound mail, image URLs) is published on every interface;
// everything else (the frontend, the Web UI, the codec endpoint, metrics,
// Mailpit) on 127.0.0.1 only.
func TestOnlyPublicPortsFaceTheNetwork(t *testing.T) {
	public := map[string][]uint32{svcGateway: {8080, 2525}, svcS3: {8333}}
	p := loadProject(t)
	for _, s := range p.Services {
		for _, port := range s.Ports {
			if slices.Contains(public[s.Name], port.Target) {
				continue
			}
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %d on %q: publish it on 127.0.0.1", s.Name, port.Target, port.HostIP)
			}
		}
	}
}

// certDir is where `go run ./deploy/cluster --write-certs deploy/tls` puts
// the stack's CA and certificates (git-ignored).
const certDir = "deploy/tls"

// TestFrontendSpeaksMTLS: the server requires client certificates, and every
// client of the frontend (worker, gateway, desktop, setup job, Web UI)
// presents one, from the files tls-setup installs out of what the
// certificate writer creates.
func TestFrontendSpeaksMTLS(t *testing.T) {
	p := loadProject(t)
	certs := installCerts(t, p)
	certFile := func(s types.ServiceConfig, name string) {
		t.Helper()
		inContainer := mustEnv(t, s, name)
		volume := certs.certVolume(s, path.Dir(inContainer))
		if volume == "" {
			t.Errorf("%s %s=%s is not in a certificate volume", s.Name, name, inContainer)
			return
		}
		if _, err := os.Stat(filepath.Join(certs.dirs[volume], path.Base(inContainer))); err != nil {
			t.Errorf("%s %s: tls-setup does not install %s", s.Name, name, path.Base(inContainer))
		}
	}
	server := service(t, p, svcTemporal)
	if got := mustEnv(t, server, "TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"); got != "true" {
		t.Errorf("the frontend does not require client certificates (TEMPORAL_TLS_REQUIRE_CLIENT_AUTH=%q)", got)
	}
	for _, name := range []string{"TEMPORAL_TLS_FRONTEND_CERT", "TEMPORAL_TLS_FRONTEND_KEY", "TEMPORAL_TLS_CLIENT1_CA_CERT",
		"TEMPORAL_TLS_SERVER_CERT", "TEMPORAL_TLS_SERVER_KEY", "TEMPORAL_TLS_SERVER_CA_CERT"} {
		certFile(server, name)
	}
	for _, name := range []string{svcWorker, svcGateway, svcDesktop, svcSetup} {
		s := service(t, p, name)
		if mustEnv(t, s, "TEMPORAL_TLS") != "true" {
			t.Errorf("%s does not use TLS", name)
		}
		for _, v := range []string{"TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH", "TEMPORAL_TLS_SERVER_CA_CERT_PATH"} {
			certFile(s, v)
		}
	}
	ui := service(t, p, svcUI)
	for _, v := range []string{"TEMPORAL_TLS_CA", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY"} {
		certFile(ui, v)
	}
	out, err := exec.Command("git", "-C", repoRoot(t), "check-ignore", "-q", certDir+"/ca-key.pem").CombinedOutput()
	if err != nil {
		t.Errorf("%s is not git-ignored: its keys must never be committed (%v %s)", certDir, err, out)
	}
}

// Our services are healthy when their /readyz answers (Temporal reachable,
// the worker polling), probed by the image's own probe binary: distroless
// has no shell, curl or wget.
func TestOurServicesProbeReadiness(t *testing.T) {
	p := loadProject(t)
	for _, name := range []string{svcWorker, svcGateway, svcDesktop} {
		s := service(t, p, name)
		hc := s.HealthCheck
		if hc == nil || len(hc.Test) != 3 || hc.Test[0] != "CMD" || hc.Test[1] != "/usr/local/bin/probe" {
			t.Errorf("%s: healthcheck %+v, want [CMD /usr/local/bin/probe URL]", name, hc)
			continue
		}
		u := mustParseURL(t, hc.Test[2])
		if u.Path != "/readyz" || u.Port() != strconv.Itoa(int(listenPort(t, s, "METRICS_ADDR"))) {
			t.Errorf("%s probes %s, want /readyz on its METRICS_ADDR", name, hc.Test[2])
		}
	}
}

// The desktop's settings are the ones it reads.
func TestDesktopEnvironment(t *testing.T) {
	s := service(t, loadProject(t), svcDesktop)
	scanned := envReadIn(t, "desktop/main.go", "internal/imagestore/store.go")
	checkEnv(t, s, scanned, []string{"OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "DESKTOP_TLS_CERT_FILE", "DESKTOP_TLS_KEY_FILE"})
}

// The stack runs the Temporal versions the code is built and tested with:
// the server, its admin tools and the Web UI at go.mod's versions.
func TestImagesMatchGoMod(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	version := func(module string) string {
		m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(module) + ` v(\S+)`).FindSubmatch(mod)
		if m == nil {
			t.Fatalf("go.mod requires no %s", module)
		}
		return string(m[1])
	}
	server, ui := version("go.temporal.io/server"), version("github.com/temporalio/ui-server/v2")
	p := loadProject(t)
	for name, want := range map[string]string{
		svcTemporal: "temporalio/server:" + server,
		svcSchema:   "temporalio/admin-tools:" + server,
		svcSetup:    "temporalio/admin-tools:" + server,
		svcUI:       "temporalio/ui:" + ui,
	} {
		if got := service(t, p, name).Image; got != want {
			t.Errorf("%s runs %s, want %s (go.mod)", name, got, want)
		}
	}
}

// The build context leaves out the keys (deploy/tls) and the local cluster's
// data (.cluster): nothing secret can end up in an image layer.
func TestDockerIgnoreKeepsSecretsOut(t *testing.T) {
	lines := strings.Fields(read(t, filepath.Join(repoRoot(t), ".dockerignore")))
	for _, want := range []string{".git", ".data", ".cluster", "deploy/tls"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}
