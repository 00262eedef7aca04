package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// pgUser is the PostgreSQL superuser the Temporal services connect as.
const pgUser = "temporal"

// postgresBinDir finds Debian's server binaries (initdb, postgres), which
// live outside PATH in /usr/lib/postgresql/<version>/bin.
func postgresBinDir() (string, error) {
	if dir := os.Getenv("POSTGRES_BIN_DIR"); dir != "" {
		return dir, nil
	}
	if path, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(path), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("PostgreSQL's server programs (initdb, postgres) are not installed: " +
		"apt-get install postgresql (Debian), or set POSTGRES_BIN_DIR to the directory that holds them")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// postgresCredential is who runs PostgreSQL: the current user, or, for root
// (which PostgreSQL refuses), the postgres account Debian's package creates.
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root, PostgreSQL needs the postgres account (Debian's postgresql package creates it)")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// initPostgres creates the database cluster in dataDir unless it exists.
func initPostgres(ctx context.Context, binDir, dataDir, password string, cred *syscall.Credential) error {
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err == nil {
		return nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	if cred != nil {
		if err := reachableBy(dataDir); err != nil {
			return err
		}
		if err := os.Chown(dataDir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	// The password goes through a file of initdb's user, never the arguments.
	pwfile, err := passwordFile(filepath.Dir(dataDir), password, cred)
	if err != nil {
		return err
	}
	defer os.Remove(pwfile)
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), "-D", dataDir, "-U", pgUser,
		"--pwfile="+pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return nil
}

func passwordFile(dir, password string, cred *syscall.Credential) (string, error) {
	f, err := os.CreateTemp(dir, "pwfile-")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if cred != nil {
		if err := f.Chown(int(cred.Uid), int(cred.Gid)); err != nil {
			return f.Name(), err
		}
	}
	_, err = f.WriteString(password + "\n")
	return f.Name(), err
}

// reachableBy checks that every directory above dir lets other users pass,
// since PostgreSQL runs as another user than root.
func reachableBy(dir string) error {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("PostgreSQL runs as the postgres user and cannot reach %s: chmod o+x %s, or choose a --data-dir it can reach", dir, d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// postgresProcess runs the server on 127.0.0.1 only, without a Unix socket.
func postgresProcess(binDir, dataDir, logDir string, port int, cred *syscall.Credential) *process {
	return &process{
		name: "postgres", bin: filepath.Join(binDir, "postgres"),
		args: []string{"-D", dataDir, "-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1",
			"-c", "unix_socket_directories=", "-c", "max_connections=300", "-c", "track_counts=on"},
		env:        []string{"LANG=C"},
		logPath:    filepath.Join(logDir, "postgres.log"),
		cred:       cred,
		stopSignal: syscall.SIGINT, // fast shutdown
	}
}

// openPostgres connects to a database of the cluster's PostgreSQL.
func openPostgres(port int, password, database string) (*sql.DB, error) {
	dsn := fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=%s sslmode=disable", port, pgUser, password, database)
	return sql.Open("pgx", dsn)
}

// waitPostgres returns once PostgreSQL answers a query.
func waitPostgres(ctx context.Context, port int, password string) error {
	db, err := openPostgres(port, password, "postgres")
	if err != nil {
		return err
	}
	defer db.Close()
	for {
		err := db.PingContext(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("PostgreSQL did not come up: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
