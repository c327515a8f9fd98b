package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/redis/go-redis/v9"
)

// Helpers of the cryptography tests: the stock age CLI, Redis with an AOF,
// dumps of everything Redis holds, brokers that restart on one key
// directory.

var (
	ageOnce sync.Once
	ageBin  string
	ageErr  error
)

// ageCLI builds the stock age command from filippo.io/age/cmd/age (a tool
// dependency of go.mod) once per test binary.
func ageCLI(t testing.TB) string {
	t.Helper()
	ageOnce.Do(func() {
		ageBin = filepath.Join(binDir, "age")
		out, err := exec.Command("go", "build", "-o", ageBin, "filippo.io/age/cmd/age").CombinedOutput()
		if err != nil {
			ageErr = fmt.Errorf("building the age CLI: %v: %s", err, out)
		}
	})
	if ageErr != nil {
		t.Fatal(ageErr)
	}
	return ageBin
}

// ageEncrypt encrypts plaintext to recipient with the stock age CLI.
func ageEncrypt(t testing.TB, recipient string, plaintext []byte, armor bool) []byte {
	t.Helper()
	args := []string{"-r", recipient}
	if armor {
		args = append(args, "-a")
	}
	cmd := exec.Command(ageCLI(t), args...)
	cmd.Stdin = bytes.NewReader(plaintext)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("age -r: %v: %s", err, errb.String())
	}
	return out.Bytes()
}

// validNN returns a valid Belgian national number (born before 2000)
// for a birth date yymmdd and a sequence number.
func validNN(yymmdd string, seq int) string {
	first := fmt.Sprintf("%s%03d", yymmdd, seq)
	n, _ := strconv.Atoi(first)
	return fmt.Sprintf("%s%02d", first, 97-n%97)
}

// signalJSON is a signal about the person with national number nn, given
// name givenOf(family) and birth date birthOf(nn), so that every person's
// identity is its own and a leak of any part of it can be told apart.
func signalJSON(nn, family, text string) []byte {
	return fmt.Appendf(nil, `{"subject":{"national_number":%q,"family_name":%q,"given_name":%q,"birth_date":%q},"observed_at":"2026-01-20T09:30:00Z","fields":{"signal_text":%q,"presence":"absent"}}`,
		nn, family, givenOf(family), birthOf(nn), text)
}

// givenOf is the given name signalJSON gives the person of family.
func givenOf(family string) string { return "Gv" + family }

// birthOf is the birth date in national number nn (born before 2000).
func birthOf(nn string) string { return "19" + nn[0:2] + "-" + nn[2:4] + "-" + nn[4:6] }

// personSecrets is everything of a signalJSON that must never be stored in
// the clear: the identity, the national number's unkeyed digests and text.
func personSecrets(nn, family, text string) []string {
	return append([]string{nn, family, givenOf(family), birthOf(nn), text}, unkeyedDigests(nn)...)
}

// startRedisAOF starts a redis-server that appends every write to an AOF
// file, flushed at once, in dir.
func startRedisAOF(t testing.TB, dir string) *redisServer {
	t.Helper()
	return startRedis(t, "--dir", dir, "--appendonly", "yes", "--appendfsync", "always")
}

// dumpRedis returns every key of Redis with a canonical text of its value;
// skip leaves out keys (such as audit streams) by name.
func dumpRedis(t testing.TB, c *redis.Client, skip func(string) bool) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	must(t, err)
	out := map[string]string{}
	for _, k := range keys {
		if skip != nil && skip(k) {
			continue
		}
		var b strings.Builder
		switch typ := c.Type(ctx, k).Val(); typ {
		case "string":
			b.WriteString(c.Get(ctx, k).Val())
		case "hash":
			h := c.HGetAll(ctx, k).Val()
			for _, f := range slices.Sorted(maps.Keys(h)) {
				fmt.Fprintf(&b, "%s=%s\n", f, h[f])
			}
		case "list":
			b.WriteString(strings.Join(c.LRange(ctx, k, 0, -1).Val(), "\n"))
		case "set":
			b.WriteString(strings.Join(slices.Sorted(slices.Values(c.SMembers(ctx, k).Val())), "\n"))
		case "zset":
			b.WriteString(strings.Join(c.ZRange(ctx, k, 0, -1).Val(), "\n"))
		case "stream":
			for _, m := range c.XRange(ctx, k, "-", "+").Val() {
				for _, f := range slices.Sorted(maps.Keys(m.Values)) {
					fmt.Fprintf(&b, "%s=%v\n", f, m.Values[f])
				}
			}
		default:
			t.Errorf("key %s of unexpected type %s", k, typ)
		}
		out[k] = b.String()
	}
	return out
}

func isAudit(k string) bool { return strings.Contains(k, ":audit") }

// readTree returns the bytes of every file under dir.
func readTree(t testing.TB, dir string) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		all = append(all, b...)
		return err
	})
	must(t, err)
	return all
}

// copyTree copies the files of src into a new directory.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	must(t, err)
	return dst
}

// stop ends a broker started by startBroker and waits for it.
func (b *brokerProc) stop(t testing.TB) {
	t.Helper()
	contracts.Delete(hostOf(b.URL)) // see startBroker's cleanup
	b.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
}

// identity is an age identity of an actor, its recipient in the config.
func newHybridIdentity(t testing.TB) *age.HybridIdentity {
	t.Helper()
	id, err := age.GenerateHybridIdentity()
	must(t, err)
	return id
}

// configWithRecipient writes the example cell with recipient given to actor
// pz and returns its path.
func configWithRecipient(t testing.TB, recipient string) string {
	t.Helper()
	b, err := os.ReadFile(examplePath)
	must(t, err)
	s := strings.Replace(string(b), "    type: police\n", "    type: police\n    recipients:\n      - "+recipient+"\n", 1)
	if s == string(b) {
		t.Fatal("could not add a recipient to the example cell")
	}
	p := filepath.Join(t.TempDir(), "cell.yaml")
	must(t, os.WriteFile(p, []byte(s), 0o600))
	return p
}

// livcctl runs the real livc-broker binary with args and returns its output.
func runBroker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(binDir, "livc-broker"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("livc-broker %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// unkeyedDigests returns the SHA-256 of each value in the encodings a store
// might hold it in (hex, either case; base64, standard and URL, padded or
// not). An unkeyed hash of a national number is as good as the number: the
// space of numbers is small enough to hash in full.
func unkeyedDigests(values ...string) []string {
	var out []string
	for _, v := range values {
		sum := sha256.Sum256([]byte(v))
		h := hex.EncodeToString(sum[:])
		out = append(out, h, strings.ToUpper(h),
			base64.StdEncoding.EncodeToString(sum[:]), base64.RawStdEncoding.EncodeToString(sum[:]),
			base64.URLEncoding.EncodeToString(sum[:]), base64.RawURLEncoding.EncodeToString(sum[:]))
	}
	return out
}
