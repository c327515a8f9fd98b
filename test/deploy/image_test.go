// Package deploy checks the deployment files of deploy/ as an operator
// uses them: the container image built with podman from deploy/Containerfile,
// the systemd unit verified by systemd-analyze, the compose file parsed.
package deploy

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// podman runs podman on storage of the test's own (vfs: no overlay
// mount needed), returning its output or failing the test.
func podman(t *testing.T, store string, args ...string) []byte {
	t.Helper()
	base := []string{"--root", filepath.Join(store, "root"), "--runroot", filepath.Join(store, "run"), "--storage-driver", "vfs"}
	cmd := exec.Command("podman", append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// buildContext is what `make image` puts together: deploy/Containerfile,
// a static broker binary and the host's CA bundle under build/.
func buildContext(t *testing.T) string {
	t.Helper()
	ctx := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(ctx, "build"), 0o755))
	cf, err := os.ReadFile("../../deploy/Containerfile")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(ctx, "Containerfile"), cf, 0o644))
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s", "-o", filepath.Join(ctx, "build", "livc-broker"), "../../cmd/livc-broker")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the static binary: %v\n%s", err, out)
	}
	ca, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Fatal("the host's CA bundle goes into the image (Debian: ca-certificates):", err)
	}
	must(t, os.WriteFile(filepath.Join(ctx, "build", "ca-certificates.crt"), ca, 0o644))
	return ctx
}

// TestContainerImage builds the image with podman from deploy/Containerfile
// and checks what podman says of it and what it holds: a numeric non-root
// user, the broker as entrypoint, a health check through `livc-broker
// probe`, two files and no shell, and a static binary that runs.
func TestContainerImage(t *testing.T) {
	if _, err := exec.LookPath("podman"); err != nil {
		t.Fatal("podman builds the image in this test (.ci/run installs it):", err)
	}
	ctx, store := buildContext(t), t.TempDir()
	const tag = "localhost/livc-broker:test"
	// --isolation chroot: a RUN step would need no user namespace; there is
	// none, and FROM scratch pulls nothing.
	podman(t, store, "build", "--format", "docker", "--isolation", "chroot", "-t", tag, "-f", filepath.Join(ctx, "Containerfile"), ctx)

	var inspect []struct {
		Config struct {
			User       string
			Entrypoint []string
			Cmd        []string
			Env        []string
		}
		HealthCheck struct{ Test []string } // podman puts it beside Config
	}
	must(t, json.Unmarshal(podman(t, store, "image", "inspect", tag), &inspect))
	if len(inspect) != 1 {
		t.Fatalf("inspect: %d images", len(inspect))
	}
	c := inspect[0].Config
	uid, gid, _ := strings.Cut(c.User, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("user %q: want a numeric uid other than 0", c.User)
	}
	if n, err := strconv.Atoi(gid); err != nil || n == 0 {
		t.Errorf("user %q: want a numeric gid other than 0", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/livc-broker"}) || !slices.Equal(c.Cmd, []string{"serve"}) {
		t.Errorf("entrypoint %q, cmd %q; want /livc-broker serve", c.Entrypoint, c.Cmd)
	}
	if want := []string{"CMD", "/livc-broker", "probe", "http://127.0.0.1:8080/readyz"}; !slices.Equal(inspect[0].HealthCheck.Test, want) {
		t.Errorf("health check %q, want %q", inspect[0].HealthCheck.Test, want)
	}
	if !slices.Contains(c.Env, "LIVC_LISTEN=0.0.0.0:8080") {
		t.Errorf("env %q: the broker must listen beyond the container's loopback", c.Env)
	}

	archive := filepath.Join(t.TempDir(), "image.tar")
	podman(t, store, "save", "--format", "docker-archive", "-o", archive, tag)
	files := imageFiles(t, archive)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"etc/ssl/certs/ca-certificates.crt", "livc-broker"}; !slices.Equal(names, want) {
		t.Errorf("the image holds %q, want only %q", names, want)
	}
	for _, sh := range []string{"bin/sh", "bin/bash", "bin/busybox", "usr/bin/sh"} {
		if _, ok := files[sh]; ok {
			t.Errorf("the image has a shell: /%s", sh)
		}
	}
	checkStatic(t, files["livc-broker"])
}

// imageFiles reads a docker-archive and returns the regular files of its
// layers (path without the leading slash) with their content; a symbolic
// or hard link counts as a file too, empty.
func imageFiles(t *testing.T, archive string) map[string][]byte {
	t.Helper()
	f, err := os.Open(archive)
	must(t, err)
	defer f.Close()
	layers := map[string][]byte{}
	var manifest []struct{ Layers []string }
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		raw, err := io.ReadAll(tr)
		must(t, err)
		if h.Name == "manifest.json" {
			must(t, json.Unmarshal(raw, &manifest))
		} else {
			layers[h.Name] = raw
		}
	}
	if len(manifest) != 1 || len(manifest[0].Layers) == 0 {
		t.Fatalf("the archive's manifest: %+v", manifest)
	}
	files := map[string][]byte{}
	for _, l := range manifest[0].Layers {
		lt := tar.NewReader(bytes.NewReader(layers[l]))
		for {
			h, err := lt.Next()
			if err == io.EOF {
				break
			}
			must(t, err)
			if h.Typeflag == tar.TypeDir {
				continue
			}
			raw, err := io.ReadAll(lt)
			must(t, err)
			files[strings.TrimPrefix(filepath.Clean("/"+h.Name), "/")] = raw
		}
	}
	return files
}

// checkStatic: the image's binary asks for no dynamic loader nor shared
// library (a FROM scratch image has none), and runs.
func checkStatic(t *testing.T, bin []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("the image's /livc-broker is no ELF binary: %v", err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the image's /livc-broker asks for a dynamic loader: build it with CGO_ENABLED=0")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the image's /livc-broker needs %v", libs)
	}
	path := filepath.Join(t.TempDir(), "livc-broker")
	must(t, os.WriteFile(path, bin, 0o755))
	out, err := exec.Command(path, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "livc-broker ") {
		t.Fatalf("the image's binary: %v %s", err, out)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
