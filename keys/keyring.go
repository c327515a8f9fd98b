package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/broker"
)

// CheckpointKeyName is the name in the broker's checkpoint keys, and so in
// the signature lines of its audit checkpoints.
const CheckpointKeyName = "livc-broker"

// Tags of the LIVC key lines; the tag is also the label of the key's id.
const (
	tagPseudonym = "LIVC-PSEUDONYM-KEY-1"
	tagKEK       = "LIVC-KEK-1"
)

const secretSize = 32

var b64 = base64.RawURLEncoding

// Keyring is the broker's key material, loaded from a key directory. It is
// safe for concurrent use. It implements broker.Pseudonymizer and
// broker.Sealer.
type Keyring struct {
	conf      Conf
	pseudonym []byte
	signer    string // note signer key
	verifier  string // note verifier key
	cache     *dataKeyCache
	reload    reloader // reload.go

	// mu guards what a rotation, an epoch change or a Reload replaces.
	mu      sync.RWMutex
	x25519  *age.X25519Identity
	hybrid  *age.HybridIdentity
	retired []retiredIdentity
	kekID   [4]byte            // the current KEK, which wraps new data keys
	kekGen  int                // its generation (file kek.key is 1, kek-N.key is N)
	keks    map[[4]byte][]byte // every KEK on disk, by id
	epoch   epochState         // the epoch ratchet (epoch.go)
}

var (
	_ broker.Pseudonymizer = (*Keyring)(nil)
	_ broker.Sealer        = (*Keyring)(nil)
	_ slog.LogValuer       = (*Keyring)(nil)
)

// Load loads the keyring of dir with the default cache settings. See LoadWith.
func Load(dir string) (*Keyring, error) {
	return LoadWith(Conf{Dir: dir})
}

// LoadWith loads the keyring of c.Dir. It refuses, naming the file, a key
// file that is missing, corrupt, not a regular file or accessible by group or
// others, and a directory writable by group or others.
func LoadWith(c Conf) (*Keyring, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := checkDir(c.Dir); err != nil {
		return nil, err
	}
	kr := &Keyring{conf: c, cache: newDataKeyCache(c.CacheSize, c.CacheTTL)}
	kr.cache.now = c.Now
	kr.reload.every = defaultReloadEvery
	if err := kr.loadFiles(); err != nil {
		return nil, err
	}
	return kr, nil
}

// loadFiles reads every key file of the directory into kr. It is called
// before kr is shared, or on a fresh Keyring whose state Reload then adopts.
func (kr *Keyring) loadFiles() error {
	for _, step := range []struct {
		name  string
		parse func(line string) error
	}{
		{FileX25519, kr.parseX25519},
		{FileHybrid, kr.parseHybrid},
		{FilePseudonym, kr.parsePseudonym},
		{FileCheckpoint, kr.parseCheckpoint},
	} {
		path := filepath.Join(kr.conf.Dir, step.name)
		line, err := readKeyFile(path)
		if err != nil {
			return err
		}
		if err := step.parse(line); err != nil {
			return &fileError{path: path, err: fmt.Errorf("corrupt key file: %w", err)}
		}
	}
	if err := kr.loadKEKs(); err != nil {
		return err
	}
	if err := kr.loadEpoch(); err != nil {
		return err
	}
	return kr.loadRetired()
}

// Create makes dir (mode 0700) if needed and a fresh keyring in it, with the
// default cache settings. See CreateWith.
func Create(dir string) (*Keyring, error) {
	return CreateWith(Conf{Dir: dir})
}

// CreateWith generates every key and writes the key files into c.Dir, each
// mode 0600. It refuses to overwrite: if any key file exists it writes
// nothing and returns an error wrapping ErrExists. It returns the keyring as
// Load reads it back.
func CreateWith(c Conf) (*Keyring, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, &fileError{path: c.Dir, err: err}
	}
	if err := checkDir(c.Dir); err != nil {
		return nil, err
	}
	files, err := generateFiles()
	if err != nil {
		return nil, err
	}
	if err := writeKeyFiles(c.Dir, files); err != nil {
		return nil, err
	}
	return LoadWith(c)
}

// LoadOrCreateWith loads the keyring of c.Dir, or creates it if the
// directory holds none of the key files; created tells which. A directory
// holding only some of the files is refused, naming a missing one: filling
// the gap would silently replace a lost key.
func LoadOrCreateWith(c Conf) (kr *Keyring, created bool, err error) {
	present, err := presentFiles(c.Dir)
	if err != nil {
		return nil, false, err
	}
	if len(present) == 0 {
		kr, err := CreateWith(c)
		return kr, err == nil, err
	}
	kr, err = LoadWith(c)
	return kr, false, err
}

// generateFiles returns the content of every key file of a fresh keyring.
func generateFiles() (map[string][]byte, error) {
	x, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("keys: generate X25519 identity: %w", err)
	}
	h, err := age.GenerateHybridIdentity()
	if err != nil {
		return nil, fmt.Errorf("keys: generate hybrid identity: %w", err)
	}
	skey, _, err := note.GenerateKey(rand.Reader, CheckpointKeyName)
	if err != nil {
		return nil, fmt.Errorf("keys: generate checkpoint key: %w", err)
	}
	return map[string][]byte{
		FileX25519: fmt.Appendf(nil, "# livc-broker age X25519 identity\n# recipient: %s\n%s\n",
			x.Recipient(), x),
		FileHybrid: fmt.Appendf(nil, "# livc-broker age hybrid ML-KEM-768+X25519 identity\n# recipient: %s\n%s\n",
			h.Recipient(), h),
		FilePseudonym:  secretLine("livc-broker pseudonym secret: losing or changing it unlinks every person", tagPseudonym, randomKey()),
		FileKEK:        secretLine("livc-broker key-encryption key", tagKEK, randomKey()),
		FileCheckpoint: fmt.Appendf(nil, "# livc-broker audit checkpoint signer key (golang.org/x/mod/sumdb/note)\n%s\n", skey),
	}, nil
}

func randomKey() []byte {
	k := make([]byte, secretSize)
	rand.Read(k) // never fails; crashes the program if the system has no randomness
	return k
}

func secretLine(comment, tag string, key []byte) []byte {
	id := keyID(tag, key)
	return fmt.Appendf(nil, "# %s\n%s %s %s\n", comment, tag, hex.EncodeToString(id[:]), b64.EncodeToString(key))
}

// keyID names a key and checks it: the first 4 bytes of SHA-256(tag, 0, key).
func keyID(tag string, key []byte) [4]byte {
	h := sha256.New()
	h.Write([]byte(tag))
	h.Write([]byte{0})
	h.Write(key)
	var id [4]byte
	copy(id[:], h.Sum(nil))
	return id
}

// parseSecretLine parses "<tag> <id> <key>" and checks the id.
func parseSecretLine(tag, line string) ([4]byte, []byte, error) {
	var id [4]byte
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != tag {
		return id, nil, fmt.Errorf("want %q, an id and a key", tag)
	}
	idb, err := hex.DecodeString(f[1])
	if err != nil || len(idb) != len(id) {
		return id, nil, errors.New("malformed key id")
	}
	key, err := b64.Strict().DecodeString(f[2])
	if err != nil || len(key) != secretSize {
		return id, nil, errors.New("malformed key")
	}
	copy(id[:], idb)
	if keyID(tag, key) != id {
		return id, nil, errors.New("key does not match its id (damaged?)")
	}
	return id, key, nil
}

func (kr *Keyring) parseX25519(line string) error {
	id, err := age.ParseX25519Identity(line)
	if err != nil {
		return errors.New("not an age X25519 identity")
	}
	kr.x25519 = id
	return nil
}

func (kr *Keyring) parseHybrid(line string) error {
	id, err := age.ParseHybridIdentity(line)
	if err != nil {
		return errors.New("not an age hybrid identity")
	}
	kr.hybrid = id
	return nil
}

func (kr *Keyring) parsePseudonym(line string) error {
	_, key, err := parseSecretLine(tagPseudonym, line)
	kr.pseudonym = key
	return err
}

// parseCheckpoint checks the signer key and derives its verifier key. The
// note package has no function from signer to verifier key, so the Ed25519
// seed is decoded here ("PRIVATE+KEY+<name>+<hash>+<base64(0x01 seed)>") and
// the pair is proven by signing and verifying a probe.
func (kr *Keyring) parseCheckpoint(skey string) error {
	signer, err := note.NewSigner(skey)
	if err != nil {
		return errors.New("not a note signer key")
	}
	parts := strings.SplitN(skey, "+", 5) // base64 may hold "+"
	if len(parts) != 5 {
		return errors.New("not a note signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return errors.New("not an Ed25519 note signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(signer.Name(), pub)
	if err != nil {
		return errors.New("not an Ed25519 note signer key")
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return errors.New("derived verifier key is invalid")
	}
	probe := []byte("livc-broker checkpoint key probe\n")
	sig, err := signer.Sign(probe)
	if err != nil || verifier.KeyHash() != signer.KeyHash() || !verifier.Verify(probe, sig) {
		return errors.New("signer and derived verifier key disagree")
	}
	kr.signer, kr.verifier = skey, vkey
	return nil
}

// Identities returns the age identities that open client envelopes: X25519,
// then hybrid.
//
// After a rotation of the broker's identities (RotateIdentities) it also
// returns the retired ones until their not-after time has passed, so that
// signals encrypted to the old recipients while clients learn the new ones
// still open.
func (kr *Keyring) Identities() []age.Identity {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	ids := []age.Identity{kr.x25519, kr.hybrid}
	now := kr.conf.Now()
	for _, r := range kr.retired {
		if now.Before(r.notAfter) {
			ids = append(ids, r.id)
		}
	}
	return ids
}

// Recipients returns the broker's age recipients, as GET /v1/keys publishes
// them: X25519 ("age1…") first, then hybrid ("age1pq1…"). A client encrypts
// to one kind only (age refuses to mix them), preferably the hybrid one.
func (kr *Keyring) Recipients() []string {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return []string{kr.x25519.Recipient().String(), kr.hybrid.Recipient().String()}
}

// CheckpointSigner returns a signer for audit checkpoints.
func (kr *Keyring) CheckpointSigner() (note.Signer, error) {
	return note.NewSigner(kr.signer)
}

// CheckpointVerifierKey returns the note verifier key of the checkpoint
// signer, "livc-broker+<hash>+<key>", as GET /v1/keys publishes it.
func (kr *Keyring) CheckpointVerifierKey() string { return kr.verifier }

// String hides the key material from fmt.
func (kr *Keyring) String() string { return "keys.Keyring{…}" }

// GoString hides the key material from %#v.
func (kr *Keyring) GoString() string { return kr.String() }

// LogValue hides the key material from slog and names only public keys.
func (kr *Keyring) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Any("recipients", kr.Recipients()),
		slog.String("checkpoint_key", kr.verifier),
		slog.String("kek_id", kr.CurrentKEK()),
	)
}
