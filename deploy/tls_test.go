package deploy_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"outbound/internal/dev/cluster"

	"github.com/compose-spec/compose-go/v2/types"
)

const svcTLSSetup = "tls-setup" // one-shot: each service's certificates

// installedCerts runs tls-setup's script on certificates the cluster command
// writes, into a temporary directory, with chown recorded instead of done
// (the tests need not run as root). It returns the directory each of
// tls-setup's named volumes would hold, and the owner given to each file.
type installedCerts struct {
	dirs   map[string]string // volume name -> directory
	owners map[string]string // file -> "uid:gid"
}

func installCerts(t *testing.T, p *types.Project) installedCerts {
	t.Helper()
	setup := service(t, p, svcTLSSetup)
	source, target, shim := t.TempDir(), t.TempDir(), t.TempDir()
	if err := cluster.WriteCerts(source); err != nil {
		t.Fatal(err)
	}
	chownLog := filepath.Join(shim, "chown.log")
	if err := os.WriteFile(filepath.Join(shim, "chown"), []byte("#!/bin/sh\necho \"$1 $2\" >>\"$CHOWN_LOG\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := hostPath(setup, setup.Entrypoint[len(setup.Entrypoint)-1])
	cmd := exec.Command("sh", script)
	cmd.Env = append(os.Environ(), "PATH="+shim+":"+os.Getenv("PATH"), "CHOWN_LOG="+chownLog,
		"TLS_SOURCE="+source, "TLS_TARGET="+target)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}

	var c installedCerts
	c.dirs = map[string]string{}
	for _, v := range setup.Volumes {
		if v.Type != types.VolumeTypeVolume {
			continue
		}
		rest, ok := strings.CutPrefix(v.Target, "/target/")
		if !ok {
			t.Fatalf("tls-setup mounts volume %s at %s, outside /target", v.Source, v.Target)
		}
		c.dirs[v.Source] = filepath.Join(target, rest)
	}
	c.owners = map[string]string{}
	log, _ := os.ReadFile(chownLog)
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		owner, file, _ := strings.Cut(line, " ")
		c.owners[file] = owner
	}
	return c
}

// certVolume is the tls-setup volume a service mounts at dir ("" if none).
func (c installedCerts) certVolume(s types.ServiceConfig, dir string) string {
	for _, v := range s.Volumes {
		if _, ok := c.dirs[v.Source]; ok && v.Type == types.VolumeTypeVolume && v.Target == dir {
			return v.Source
		}
	}
	return ""
}

// tlsEnv lists a service's settings that name certificate files.
func tlsEnv(s types.ServiceConfig) map[string]string {
	files := map[string]string{}
	for name, v := range s.Environment {
		if v != nil && strings.HasPrefix(name, "TEMPORAL_TLS_") && strings.HasSuffix(*v, ".pem") {
			files[name] = *v
		}
	}
	return files
}

// TestOnlyTLSSetupMountsTheKeys: deploy/tls (every key, the CA's among them,
// 0600 for the host user) is mounted by the one-shot setup job only, and the
// CA's key reaches no volume.
func TestOnlyTLSSetupMountsTheKeys(t *testing.T) {
	p := loadProject(t)
	keys := filepath.Join(repoRoot(t), certDir)
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind && (v.Source == keys || strings.HasPrefix(v.Source, keys+"/")) && name != svcTLSSetup {
				t.Errorf("service %s mounts %s: give it its files through tls-setup", name, v.Source)
			}
		}
	}
	c := installCerts(t, p)
	for volume, dir := range c.dirs {
		if _, err := os.Stat(filepath.Join(dir, "ca-key.pem")); err == nil {
			t.Errorf("tls-setup copies the CA's key into volume %s", volume)
		}
	}
}

// TestEachServiceReadsOnlyItsOwnKeys: every certificate volume belongs to the
// uid its services run as (so a key at 0400 is readable there, on Linux,
// and by no one else), holds only files those services name, and holds every
// file they name. A key copied to the wrong volume or owner fails it.
func TestEachServiceReadsOnlyItsOwnKeys(t *testing.T) {
	p := loadProject(t)
	c := installCerts(t, p)
	named := map[string][]string{} // volume -> the files its services name
	for name, s := range p.Services {
		for env, file := range tlsEnv(s) {
			volume := c.certVolume(s, path.Dir(file))
			if volume == "" {
				t.Errorf("%s %s=%s: no certificate volume is mounted at %s", name, env, file, path.Dir(file))
				continue
			}
			named[volume] = append(named[volume], path.Base(file))
			if _, err := os.Stat(filepath.Join(c.dirs[volume], path.Base(file))); err != nil {
				t.Errorf("%s %s=%s: tls-setup does not put %s in volume %s", name, env, file, path.Base(file), volume)
			}
		}
		for _, v := range s.Volumes {
			dir, ok := c.dirs[v.Source]
			if !ok || name == svcTLSSetup {
				continue
			}
			if !v.ReadOnly {
				t.Errorf("%s mounts certificate volume %s read-write", name, v.Source)
			}
			if s.User == "" {
				t.Errorf("%s mounts certificate volume %s but sets no user: to own its keys", name, v.Source)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				file := filepath.Join(dir, e.Name())
				if owner := c.owners[file]; owner != s.User {
					t.Errorf("%s runs as %q, but %s in volume %s belongs to %q", name, s.User, e.Name(), v.Source, owner)
				}
			}
		}
	}
	for volume, dir := range c.dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("volume %s: %v", volume, err)
		}
		for _, e := range entries {
			if !slices.Contains(named[volume], e.Name()) {
				t.Errorf("volume %s holds %s, which none of its services needs", volume, e.Name())
			}
			info, _ := e.Info()
			want := fs.FileMode(0o444)
			if strings.HasSuffix(e.Name(), "-key.pem") {
				want = 0o400
			}
			if info.Mode().Perm() != want {
				t.Errorf("volume %s: %s has mode %v, want %v", volume, e.Name(), info.Mode().Perm(), want)
			}
		}
	}
}
