package deploy

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeService is every key deploy/compose.yaml gives a service (the
// decoder refuses others, so a misspelt key fails the test).
type composeService struct {
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Volumes     []string          `yaml:"volumes"`
	User        string            `yaml:"user"`
	ReadOnly    bool              `yaml:"read_only"`
	CapDrop     []string          `yaml:"cap_drop"`
	SecurityOpt []string          `yaml:"security_opt"`
	Ports       []string          `yaml:"ports"`
	EnvFile     string            `yaml:"env_file"`
	Environment map[string]string `yaml:"environment"`
	Restart     string            `yaml:"restart"`
	DependsOn   []string          `yaml:"depends_on"`
	Tmpfs       []string          `yaml:"tmpfs"`
	Healthcheck struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
}

// TestComposeFile: deploy/compose.yaml parses (unknown keys refused) and
// runs Redis durable (append-only file fsynced on every write) with the
// ACL file of deploy/users.acl, unpublished; the broker non-root, read-only,
// without capabilities, its secrets from an env file, checked by the probe.
func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/compose.yaml")
	must(t, err)
	var f struct {
		Name     string                    `yaml:"name"`
		Services map[string]composeService `yaml:"services"`
		Volumes  map[string]any            `yaml:"volumes"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("deploy/compose.yaml: %v", err)
	}
	redis, broker := f.Services["redis"], f.Services["broker"]
	arg := func(cmd []string, name string) string {
		if i := slices.Index(cmd, name); i >= 0 && i+1 < len(cmd) {
			return cmd[i+1]
		}
		return ""
	}
	for _, tc := range []struct{ name, got, want string }{
		{"redis appendonly", arg(redis.Command, "--appendonly"), "yes"},
		{"redis appendfsync", arg(redis.Command, "--appendfsync"), "always"},
		{"redis aclfile", arg(redis.Command, "--aclfile"), "/etc/redis/users.acl"},
		{"redis user", redis.User, "999:999"}, // without capabilities it cannot switch user itself
		{"broker user", broker.User, "65532:65532"},
		{"broker keys", broker.Environment["LIVC_KEYS"], "/keys"},
		{"broker secrets", broker.EnvFile, "broker.env"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if !slices.Contains(redis.Volumes, "./users.acl:/etc/redis/users.acl:ro") {
		t.Errorf("redis volumes %q: the ACL file is not mounted read-only", redis.Volumes)
	}
	if len(redis.Ports) != 0 {
		t.Errorf("redis publishes %q: only the broker may reach it", redis.Ports)
	}
	for name, s := range map[string]composeService{"redis": redis, "broker": broker} {
		if !s.ReadOnly || !slices.Equal(s.CapDrop, []string{"ALL"}) || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("%s: read_only %v, cap_drop %q, security_opt %q", name, s.ReadOnly, s.CapDrop, s.SecurityOpt)
		}
	}
	if want := []string{"CMD", "/livc-broker", "probe", "http://127.0.0.1:8080/readyz"}; !slices.Equal(broker.Healthcheck.Test, want) {
		t.Errorf("broker health check %q, want %q", broker.Healthcheck.Test, want)
	}
	if broker.Image != "localhost/livc-broker:latest" {
		t.Errorf("broker image %q: `make image` tags localhost/livc-broker:latest", broker.Image)
	}
}
