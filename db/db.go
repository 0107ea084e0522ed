// Package db keeps the history of mxaudit runs in SQLite (modernc.org/sqlite,
// pure Go): runs, the vendor list each used, every domain's evidence and its
// grade, findings, and the changes since the previous run. Each domain is
// committed in its own transaction, so a killed run keeps what finished and
// can be resumed.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/mxaudit/mxaudit/audit/evidence"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open history database.
type DB struct {
	sql  *sql.DB
	path string
	lock *os.File
	// addresses caches decoded address evidence (see joinAddresses).
	addresses *lru.Cache[addressKey, *evidence.Address]
	// stmts are the statements that store a domain, prepared once.
	stmts statements
}

// ErrLocked is returned by Lock when another process holds the database.
var ErrLocked = errors.New("database is in use by another mxaudit run")

// busyTimeout is how long a statement waits for a lock held by a reader.
const busyTimeout = 10 * time.Second

// Open opens (creating if needed) the database at path and brings its
// schema up to date. path is a file name, always: characters that mean
// something in a SQLite URI ('?', '#', '%') stay part of the name.
func Open(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, false)
}

// OpenLocked is Open for the commands that write runs (run, regrade): it
// takes the run lock (see Lock) before it creates or migrates anything, so
// two of them started at once on a new database never race to create its
// tables; the second is told the database is in use.
func OpenLocked(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, true)
}

func open(ctx context.Context, path string, lock bool) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	q := url.Values{}
	// busy_timeout first: switching a new database to WAL takes a lock
	// that another process creating it at the same moment may hold.
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(int(busyTimeout/time.Millisecond))+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	sdb, err := sql.Open("sqlite", fileURI(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	d := &DB{sql: sdb, path: path, addresses: newAddressCache()}
	if lock {
		if err := d.Lock(); err != nil {
			sdb.Close()
			return nil, err
		}
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// OpenReadOnly opens an existing database for reading only, as the
// commands that only read history do (runs, history, diff, report): they
// work on a database in a read-only directory or on a read-only file, and
// never create or migrate one. A database whose schema is older than this
// build's is brought up to date with Open when it can be written, and
// refused otherwise.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	q := url.Values{}
	q.Add("mode", "ro")
	if !writableDir(filepath.Dir(path)) && !hasWAL(path) {
		// SQLite must create the -shm file to read a WAL database. In a
		// directory nobody can write to, no writer can exist either, so
		// the file is safe to read as immutable.
		q.Add("immutable", "1")
	}
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(int(busyTimeout/time.Millisecond))+")")
	q.Add("_pragma", "query_only(1)")
	sdb, err := sql.Open("sqlite", fileURI(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	d := &DB{sql: sdb, path: path, addresses: newAddressCache()}
	v, err := d.storedSchema(ctx)
	if err != nil {
		sdb.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	latest, err := latestMigration()
	if err != nil {
		sdb.Close()
		return nil, err
	}
	switch {
	case v > latest:
		sdb.Close()
		return nil, fmt.Errorf("%s: %w", path, &NewerSchemaError{Schema: v, Known: latest})
	case v < latest:
		sdb.Close()
		rw, err := Open(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("%s has schema %d and must be upgraded to %d, which needs write access: %w", path, v, latest, err)
		}
		return rw, nil
	}
	return d, nil
}

// fileURI turns a file name into a SQLite URI naming exactly that file: the
// characters a URI gives a meaning to are percent-encoded, so a name with
// '#', '?' or "%20" in it is not cut short, decoded, or read as options.
// The name is made absolute so that it can never be read as an authority.
func fileURI(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	var b strings.Builder
	b.WriteString("file:")
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '%' || c == '?' || c == '#' || c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// writableDir reports whether files can be created in dir.
func writableDir(dir string) bool {
	return syscall.Access(dir, 2 /* W_OK */) == nil
}

// hasWAL reports whether a write-ahead log with content sits beside the
// database: its pages are part of the database and must not be ignored.
func hasWAL(path string) bool {
	fi, err := os.Stat(path + "-wal")
	return err == nil && fi.Size() > 0
}

// NewerSchemaError is returned when a database was written by a newer
// mxaudit: this build does not know its tables and must not write to them.
type NewerSchemaError struct {
	Schema, Known int
}

func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("written by a newer mxaudit (schema %d; this one knows schema %d and older): use that version, or another --db", e.Schema, e.Known)
}

// Close releases the run lock, if held, and closes the database.
func (d *DB) Close() error {
	d.Unlock()
	d.closeStmts()
	return d.sql.Close()
}

// Path is the database file.
func (d *DB) Path() string { return d.path }

// Lock takes the run lock: an exclusive advisory lock on a file beside the
// database, so that two runs on one database fail fast instead of
// interleaving. The kernel drops the lock when the process dies, even by
// SIGKILL, so a killed run never leaves a stale lock behind.
func (d *DB) Lock() error {
	f, err := os.OpenFile(d.path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(f.Name())
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			if h := strings.TrimSpace(string(holder)); h != "" {
				return fmt.Errorf("%w (%s); wait for it to finish or use another --db", ErrLocked, h)
			}
			return fmt.Errorf("%w; wait for it to finish or use another --db", ErrLocked)
		}
		return fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d since %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))), 0)
	d.lock = f
	return nil
}

// Unlock releases the run lock.
func (d *DB) Unlock() {
	if d.lock != nil {
		_ = syscall.Flock(int(d.lock.Fd()), syscall.LOCK_UN)
		d.lock.Close()
		d.lock = nil
	}
}

// migrate applies the embedded migrations not yet applied, in file-name
// order, each in its own immediate transaction: the write lock is taken
// before a migration is checked for, so two processes creating one new
// database at once apply each migration exactly once. A database written
// by a newer mxaudit is refused before anything is written to it.
func (d *DB) migrate(ctx context.Context) error {
	names, err := migrationNames()
	if err != nil {
		return err
	}
	latest, err := latestMigration()
	if err != nil {
		return err
	}
	for _, name := range names {
		base := filepath.Base(name)
		n, _ := migrationNumber(base)
		deadline := time.Now().Add(busyTimeout)
		for {
			err := d.applyMigration(ctx, name, base, n, latest)
			if err == nil {
				break
			}
			// Turning a brand-new file into a WAL database can answer
			// SQLITE_BUSY without waiting while another process does the
			// same; the migration is checked for again inside the write
			// lock, so trying again is safe.
			if !isBusy(err) || time.Now().After(deadline) {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(busyRetry):
			}
		}
	}
	return nil
}

// busyRetry is the pause before a migration is tried again after
// SQLITE_BUSY.
const busyRetry = 20 * time.Millisecond

// sqliteBusy is SQLITE_BUSY, the primary result code of "database is locked".
const sqliteBusy = 5

func isBusy(err error) bool {
	var se interface{ Code() int }
	return errors.As(err, &se) && se.Code()&0xff == sqliteBusy
}

func (d *DB) applyMigration(ctx context.Context, name, base string, n, latest int) error {
	tx, err := d.sql.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock): the write lock first
	if err != nil {
		return fmt.Errorf("migration %s: begin: %w", base, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var stored sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&stored); err != nil {
		return err
	}
	if int(stored.Int64) > latest {
		return &NewerSchemaError{Schema: int(stored.Int64), Known: latest}
	}
	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, n).Scan(&applied); err != nil {
		return err
	}
	if applied > 0 {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %s: exec: %w", base, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		n, base, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: %w", base, err)
	}
	return nil
}

// migrationNames lists the embedded migrations in order, each checked to
// start with its number.
func migrationNames() ([]string, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := migrationNumber(filepath.Base(name)); err != nil {
			return nil, err
		}
	}
	return names, nil
}

func migrationNumber(base string) (int, error) {
	n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
	if err != nil {
		return 0, fmt.Errorf("migration %s: name must start with a number", base)
	}
	return n, nil
}

// latestMigration is the schema version this build writes.
func latestMigration() (int, error) {
	names, err := migrationNames()
	if err != nil {
		return 0, err
	}
	latest := 0
	for _, name := range names {
		if n, _ := migrationNumber(filepath.Base(name)); n > latest {
			latest = n
		}
	}
	return latest, nil
}

// storedSchema reads the highest applied migration without writing; 0 for
// a database with no schema table (not an mxaudit database, or empty).
func (d *DB) storedSchema(ctx context.Context) (int, error) {
	var n int
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	return d.SchemaVersion(ctx)
}

// SchemaVersion reports the highest applied migration.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := d.sql.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
