package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os/user"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/audit"
	"github.com/livc/livc-broker/internal/redis/store"
	"github.com/livc/livc-broker/keys"
)

const keysUsage = `Usage:
  livc-broker keys init --keys DIR  create the broker's production keys in DIR, which must be missing or empty
  livc-broker keys rotate [flags]   add a new key-encryption key and re-wrap every data key under it;
                                    also rotate the broker's age identities, keeping the old ones for --grace
  livc-broker keys status [flags]   show the KEKs, key epochs and what the data keys are wrapped under

Flags (each also reads from the environment, as for serve):
`

// keysConf is the settings of `livc-broker keys`.
type keysConf struct {
	serve      serveConf
	grace      time.Duration
	identities bool
	// demo allows a command that writes to the cells (rotate audits into
	// each) to run on the embedded demo cell, when no --config is given.
	demo bool
}

func parseKeys(args []string, stderr io.Writer) (string, keysConf, error) {
	var kc keysConf
	if len(args) == 0 || (args[0] != "rotate" && args[0] != "status") {
		fmt.Fprint(stderr, keysUsage)
		if len(args) > 0 && !isHelp(args[0]) {
			return "", kc, fmt.Errorf("unknown subcommand %q", args[0])
		}
		return "", kc, flag.ErrHelp
	}
	sub := args[0]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var configs multiFlag
	fs.Var(&configs, "config", "a cell's configuration `FILE`, as serve has it: rotate audits into every cell (repeat; env LIVC_CONFIG, comma-separated)")
	fs.BoolVar(&kc.demo, "demo", false, "let rotate run without --config, auditing into the embedded demo cell (development only)")
	fs.StringVar(&kc.serve.RedisURL, "redis-url", envOr("LIVC_REDIS_URL", ""), "`URL` of the broker's Redis (required; env LIVC_REDIS_URL)")
	redisTLSFlags(fs, &kc.serve.RedisTLS)
	fs.StringVar(&kc.serve.KeysDir, "keys", envOr("LIVC_KEYS", ""), "the broker's key `DIR` (env LIVC_KEYS). Default: the development keys under --data")
	fs.StringVar(&kc.serve.DataDir, "data", envOr("LIVC_DATA", ".livc"), "`DIR` of the development keys (env LIVC_DATA)")
	fs.DurationVar(&kc.grace, "grace", 72*time.Hour, "how long the retired age identities still open signals (rotate)")
	fs.BoolVar(&kc.identities, "identities", true, "rotate the broker's age identities too (rotate)")
	fs.Usage = func() { fmt.Fprint(stderr, keysUsage); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		return "", kc, err
	}
	kc.serve.Configs = configs
	if len(configs) == 0 {
		if v := envOr("LIVC_CONFIG", ""); v != "" {
			kc.serve.Configs = strings.Split(v, ",")
		}
	}
	if sub == "rotate" && len(kc.serve.Configs) == 0 && !kc.demo {
		return "", kc, errors.New("rotate audits into every cell's log: give the cells' --config as serve has it (or LIVC_CONFIG); --demo runs it on the embedded demo cell")
	}
	kc.serve.EpochPeriod = keys.DefaultEpochPeriod
	if kc.serve.RedisURL == "" {
		return "", kc, errors.New("--redis-url is required: the data keys to re-wrap are in Redis")
	}
	if err := checkRedisTLS(kc.serve.RedisTLS, kc.serve.RedisURL); err != nil {
		return "", kc, err
	}
	if kc.grace < 0 {
		return "", kc, errors.New("--grace must not be negative")
	}
	return sub, kc, nil
}

// runKeys runs `livc-broker keys rotate|status`.
func runKeys(ctx context.Context, sub string, kc keysConf, stdout, stderr io.Writer) error {
	log := newLogger("text", slog.LevelInfo, stderr)
	kr, err := loadKeys(kc.serve, log)
	if err != nil {
		return err
	}
	client, closeRedis, err := openRedis(kc.serve, log)
	if err != nil {
		return err
	}
	defer closeRedis()
	st := store.New(client)
	if sub == "status" {
		return keysStatus(ctx, kr, st, stdout)
	}
	cells, err := loadCells(kc.serve, log)
	if err != nil {
		return err
	}
	return rotate(ctx, kc, kr, st, audit.New(client), slices.Sorted(maps.Keys(cells)), stdout)
}

// rotate adds a KEK (unless a rotation is in progress, which it resumes from
// the cursor saved in Redis), re-wraps every data key under it, checks with
// a second pass that none is left behind, audits and ends the rotation.
func rotate(ctx context.Context, kc keysConf, kr *keys.Keyring, st *store.Store, auditor broker.Auditor, cells []string, stdout io.Writer) error {
	rot, err := st.RotationInProgress(ctx)
	switch {
	case err == nil:
		if kr.CurrentKEK() != rot.Target {
			return fmt.Errorf("a rotation to KEK %s is in progress but the newest KEK on disk is %s; restore its file", rot.Target, kr.CurrentKEK())
		}
		fmt.Fprintf(stdout, "resuming the rotation to KEK %s started %s\n", rot.Target, rot.Started)
	case errors.Is(err, broker.ErrNotFound):
		prev, next, err := kr.RotateKEK()
		if err != nil {
			return err
		}
		rot = store.Rotation{Target: next, Started: time.Now().UTC().Format(time.RFC3339)}
		if err := st.SaveRotation(ctx, rot); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new KEK %s (previous %s)\n", next, prev)
		if kc.identities {
			if err := kr.RotateIdentities(kc.grace); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "new broker recipients %v; the old ones are accepted until %s\n",
				kr.Recipients(), time.Now().Add(kc.grace).UTC().Format(time.RFC3339))
		}
	default:
		return err
	}
	visited, changed, err := kr.RewrapAll(ctx, st, rot.Cursor, func(c uint64) error {
		rot.Cursor = c
		return st.SaveRotation(ctx, rot)
	})
	if err != nil {
		return fmt.Errorf("rotation interrupted (run keys rotate again to resume): %w", err)
	}
	_, late, err := kr.RewrapAll(ctx, st, 0, nil)
	if err != nil {
		return fmt.Errorf("rotation verification pass (run keys rotate again to resume): %w", err)
	}
	sub := "operator"
	if u, err := user.Current(); err == nil {
		sub = "operator:" + u.Username
	}
	reason := fmt.Sprintf("data keys re-wrapped under KEK %s: %d changed (%d late), %d visited", rot.Target, changed, late, visited)
	if err := auditKeys(ctx, auditor, cells, broker.ActionKeysRotate, sub, reason); err != nil {
		return err
	}
	if err := st.EndRotation(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s.\nOlder KEK files may be deleted once every broker process has reloaded its keys (one --key-check interval).\n", reason)
	return nil
}

// keysStatus prints what the data keys are wrapped under.
func keysStatus(ctx context.Context, kr *keys.Keyring, st *store.Store, stdout io.Writer) error {
	oldest, current, started := kr.Epochs()
	fmt.Fprintf(stdout, "current KEK %s\nkey epochs %d..%d (current since %s)\n", kr.CurrentKEK(), oldest, current, started.UTC().Format(time.RFC3339))
	counts := map[string]int{}
	var cur uint64
	for {
		next, err := st.ScanDataKeys(ctx, cur, 256, func(_ string, w []byte) error {
			info, err := keys.Inspect(w)
			if err != nil {
				counts["malformed"]++
				return nil
			}
			counts[fmt.Sprintf("format %d, KEK %s, epoch %d", info.Version, info.KEK, info.Epoch)]++
			return nil
		})
		if err != nil {
			return err
		}
		if cur = next; cur == 0 {
			break
		}
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(stdout, "data keys %s: %d\n", n, counts[n])
	}
	if rot, err := st.RotationInProgress(ctx); err == nil {
		fmt.Fprintf(stdout, "rotation to KEK %s in progress since %s\n", rot.Target, rot.Started)
	}
	return nil
}
