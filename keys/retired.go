package keys

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
)

// Retired identities. RotateIdentities replaces the broker's age identities
// and keeps the old ones beside them, each in a file named
//
//	age-x25519.retired-<not-after-unix>.key, age-pq.retired-<not-after-unix>.key
//
// Until its not-after time a retired identity still opens envelopes (signals
// in flight, clients still holding the old GET /v1/keys answer); after it,
// Identities leaves it out and PurgeRetired deletes its file.

type retiredIdentity struct {
	id       age.Identity
	notAfter time.Time
	path     string
}

const retiredInfix = ".retired-"

// loadRetired reads every retired identity file of the directory.
func (kr *Keyring) loadRetired() error {
	ents, err := os.ReadDir(kr.conf.Dir)
	if err != nil {
		return &fileError{path: kr.conf.Dir, err: err}
	}
	var out []retiredIdentity
	for _, e := range ents {
		base, rest, ok := strings.Cut(e.Name(), retiredInfix)
		if !ok {
			continue
		}
		path := filepath.Join(kr.conf.Dir, e.Name())
		unix, ok := strings.CutSuffix(rest, ".key")
		sec, err := strconv.ParseInt(unix, 10, 64)
		if !ok || err != nil || (base != "age-x25519" && base != "age-pq") {
			return fileErr(path, "not a retired identity file name (age-x25519|age-pq.retired-<unix>.key)")
		}
		line, err := readKeyFile(path)
		if err != nil {
			return err
		}
		var id age.Identity
		if base == "age-pq" {
			id, err = age.ParseHybridIdentity(line)
		} else {
			id, err = age.ParseX25519Identity(line)
		}
		if err != nil {
			return fileErr(path, "corrupt key file: not an age identity")
		}
		out = append(out, retiredIdentity{id: id, notAfter: time.Unix(sec, 0), path: path})
	}
	kr.retired = out
	return nil
}

// RotateIdentities retires the broker's age identities, to be accepted until
// now+grace, and writes new ones, which Recipients then publishes. The
// retired identities are written before the new ones replace them, so a
// crash loses none.
func (kr *Keyring) RotateIdentities(grace time.Duration) error {
	if grace < 0 {
		return errors.New("keys: negative grace period")
	}
	x, err := age.GenerateX25519Identity()
	if err != nil {
		return fmt.Errorf("keys: generate X25519 identity: %w", err)
	}
	h, err := age.GenerateHybridIdentity()
	if err != nil {
		return fmt.Errorf("keys: generate hybrid identity: %w", err)
	}
	kr.reload.mu.Lock() // no reload in between adopts an older directory
	defer kr.reload.mu.Unlock()
	kr.mu.Lock()
	defer kr.mu.Unlock()
	notAfter, suffix, err := kr.freeRetiredName(kr.conf.Now().Add(grace))
	if err != nil {
		return err
	}
	retired := []retiredIdentity{
		{id: kr.x25519, notAfter: notAfter, path: filepath.Join(kr.conf.Dir, "age-x25519"+suffix)},
		{id: kr.hybrid, notAfter: notAfter, path: filepath.Join(kr.conf.Dir, "age-pq"+suffix)},
	}
	contents := []string{kr.x25519.String(), kr.hybrid.String()}
	for i, r := range retired {
		c := fmt.Appendf(nil, "# retired livc-broker age identity, accepted until %s\n%s\n", notAfter.UTC().Format(time.RFC3339), contents[i])
		if err := writeNew(r.path, c); err != nil {
			return err
		}
	}
	if err := replaceFile(filepath.Join(kr.conf.Dir, FileX25519), fmt.Appendf(nil, "# livc-broker age X25519 identity\n# recipient: %s\n%s\n", x.Recipient(), x)); err != nil {
		return err
	}
	if err := replaceFile(filepath.Join(kr.conf.Dir, FileHybrid), fmt.Appendf(nil, "# livc-broker age hybrid ML-KEM-768+X25519 identity\n# recipient: %s\n%s\n", h.Recipient(), h)); err != nil {
		return err // X25519 already rotated; Reload reads what is on disk
	}
	kr.x25519, kr.hybrid = x, h
	kr.retired = append(kr.retired, retired...)
	return nil
}

// freeRetiredName returns the not-after time and file name suffix of the
// identities a rotation retires: notAfter, or the first second after it
// whose files do not exist yet. Two rotations within one second (an
// operator's retry, two brokers) would otherwise name the same files, and
// the second would be refused; accepting the older identities a second or
// two longer is harmless.
func (kr *Keyring) freeRetiredName(notAfter time.Time) (time.Time, string, error) {
	notAfter = notAfter.Truncate(time.Second)
	for range 60 {
		suffix := retiredInfix + strconv.FormatInt(notAfter.Unix(), 10) + ".key"
		taken := false
		for _, base := range []string{"age-x25519", "age-pq"} {
			if _, err := os.Lstat(filepath.Join(kr.conf.Dir, base+suffix)); err == nil {
				taken = true
			} else if !errors.Is(err, os.ErrNotExist) {
				return time.Time{}, "", &fileError{path: filepath.Join(kr.conf.Dir, base+suffix), err: err}
			}
		}
		if !taken {
			return notAfter, suffix, nil
		}
		notAfter = notAfter.Add(time.Second)
	}
	return time.Time{}, "", errors.New("keys: no free name for the retired identities within a minute of their not-after time")
}

// PurgeRetired deletes the retired identities whose not-after time has
// passed, from memory and from disk, and returns how many.
func (kr *Keyring) PurgeRetired() (int, error) {
	kr.reload.mu.Lock() // no reload in between adopts an older directory
	defer kr.reload.mu.Unlock()
	kr.mu.Lock()
	defer kr.mu.Unlock()
	now := kr.conf.Now()
	keep := kr.retired[:0]
	n := 0
	var firstErr error
	for _, r := range kr.retired {
		if now.Before(r.notAfter) {
			keep = append(keep, r)
			continue
		}
		if err := os.Remove(r.path); err != nil && !errors.Is(err, os.ErrNotExist) && firstErr == nil {
			firstErr = &fileError{path: r.path, err: err}
		}
		n++
	}
	kr.retired = keep
	return n, firstErr
}
