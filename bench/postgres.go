package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// pgCost is what PostgreSQL did over a load: committed transactions, rows
// written (inserted, updated, deleted) in Temporal's two databases, and the
// growth of the history table. Read from pg_stat_database and the table's
// size when PGHOST names the cluster's PostgreSQL (cluster.env sets PGHOST,
// PGPORT, PGUSER and PGPASSFILE).
type pgCost struct {
	Xacts, Rows, HistoryBytes int64
}

type pgSnapshot struct {
	xacts, rows, historyBytes int64
	at                        time.Time
}

// pgStats reads the counters, or nothing without PGHOST.
func pgStats(ctx context.Context) (*pgSnapshot, error) {
	if os.Getenv("PGHOST") == "" {
		return nil, nil
	}
	db, err := sql.Open("pgx", "dbname=temporal")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// The statistics reach pg_stat_database within a second of each commit.
	time.Sleep(1500 * time.Millisecond)
	s := &pgSnapshot{at: time.Now()}
	err = db.QueryRowContext(ctx, `SELECT sum(xact_commit), sum(tup_inserted + tup_updated + tup_deleted)
		FROM pg_stat_database WHERE datname IN ('temporal', 'temporal_visibility')`).Scan(&s.xacts, &s.rows)
	if err != nil {
		return nil, fmt.Errorf("pg_stat_database: %w", err)
	}
	err = db.QueryRowContext(ctx, `SELECT pg_total_relation_size('history_node')`).Scan(&s.historyBytes)
	return s, err
}

func (s *pgSnapshot) since(before *pgSnapshot) *pgCost {
	if s == nil || before == nil {
		return nil
	}
	return &pgCost{Xacts: s.xacts - before.xacts, Rows: s.rows - before.rows, HistoryBytes: s.historyBytes - before.historyBytes}
}

func printPostgres(out io.Writer, res *Results) {
	if res.Baseline.PG == nil || res.Product.PG == nil {
		return
	}
	fmt.Fprintln(out, "PostgreSQL per delivered message (pg_stat_database over both Temporal databases; history_node growth):")
	for _, r := range []*loadResult{res.Baseline, res.Product} {
		n := float64(max(r.Messages, 1))
		fmt.Fprintf(out, "    %-9s %6.1f transactions, %6.1f rows written, %7.0f history bytes\n",
			r.Name, float64(r.PG.Xacts)/n, float64(r.PG.Rows)/n, float64(r.PG.HistoryBytes)/n)
	}
}

// machineCPU is the busy time of every core since boot (/proc/stat): with
// --address on a machine that runs the cluster alone, the CPU of the
// server, the workers, PostgreSQL and the clients together.
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy int64
	for i, f := range fields[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is counted in user already
			break
		}
		v, _ := strconv.ParseInt(f, 10, 64)
		busy += v
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}
