package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses
)

// idExpression is how FerretDB v1's SQLite backend reads `_id` when it finds, updates or deletes
// documents by `_id`. Its own unique `_id_` index is on `_ferretdb_sjson->"_id"`, a different
// spelling that SQLite's planner does not match to this one, so each of those statements scanned
// the whole table (EXPLAIN QUERY PLAN: SCAN). An index on this exact expression turns them into
// index lookups.
const idExpression = `_ferretdb_sjson->'$._id'`

// How often new databases and collections are looked for; until then a new table is scanned.
const idIndexInterval = 2 * time.Second

// keepIDIndexes gives every collection table in dir's databases an index on idExpression, at
// start and then for each table FerretDB creates, until ctx ends. It keeps no state: a database
// dropped and created again is looked at afresh.
func keepIDIndexes(ctx context.Context, dir string, logger *slog.Logger) {
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, file := range files {
			if err := indexDatabase(ctx, file); err != nil && ctx.Err() == nil {
				logger.Warn("id index: will try again", "file", file, "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(idIndexInterval):
		}
	}
}

// indexDatabase creates the index on each collection table of one database that lacks it.
func indexDatabase(ctx context.Context, file string) error {
	// mode=rw: a database dropped since the directory was listed is not created again.
	db, err := sql.Open("sqlite", "file:"+file+"?mode=rw&_pragma=busy_timeout(30000)")
	if err != nil {
		return err
	}
	defer db.Close()
	tables, err := tablesWithoutIDIndex(ctx, db)
	if err != nil {
		return err
	}
	for _, table := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, table+idIndexSuffix, table, idExpression)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

const idIndexSuffix = "_cxloop_id"

// tablesWithoutIDIndex lists FerretDB's collection tables that lack the index (none before its
// metadata table exists).
func tablesWithoutIDIndex(ctx context.Context, db *sql.DB) ([]string, error) {
	var hasMetadata int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_ferretdb_collections'`).Scan(&hasMetadata)
	if err != nil || hasMetadata == 0 {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE NOT EXISTS
		(SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = table_name || ?)`, idIndexSuffix)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var table string
		if err := rows.Scan(&table); err != nil {
			return nil, err
		}
		tables = append(tables, table)
	}
	return tables, rows.Err()
}
