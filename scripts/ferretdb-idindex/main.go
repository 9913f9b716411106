// Command ferretdb-idindex adds the missing `_id` lookup index to the SQLite tables of a
// local FerretDB v1 (SQLite backend) while it runs.
//
// FerretDB v1.24 declares each collection's unique `_id` index on the expression
// `_ferretdb_sjson->"_id"`, but pushes `{_id: <string|ObjectId>}` filters down as
// `_ferretdb_sjson->'$._id' = ?`. SQLite matches index expressions by their text, so that index
// is never used and every find, update or upsert by `_id` scans its whole table (an upsert costs
// ~50 ms at 20k documents instead of ~0.7 ms). This tool creates an index on the pushed-down
// expression for every collection table, so SQLite can use it. FerretDB never sees the index in
// its own metadata (listIndexes does not show it) and drops it with the table.
//
// It only ever runs beside a FerretDB that Tally starts itself (./data, tests, the bench); a
// server given by MONGODB_URL is left as it is. MongoDB needs none of this.
//
// Usage: ferretdb-idindex -dir <FerretDB SQLite dir> -watch-pid <pid> [-interval 200ms]
// It exits when the watched process is gone.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite"
)

const indexSuffix = "__tally_id_path"

func main() {
	dir := flag.String("dir", "", "FerretDB SQLite directory (its --sqlite-url)")
	watchPid := flag.Int("watch-pid", 0, "exit when this process is gone")
	interval := flag.Duration("interval", 200*time.Millisecond, "how often to look for new tables")
	flag.Parse()
	if *dir == "" || *watchPid <= 0 {
		log.Fatal("usage: ferretdb-idindex -dir <dir> -watch-pid <pid>")
	}
	for alive(*watchPid) {
		files, err := filepath.Glob(filepath.Join(*dir, "*.sqlite"))
		if err != nil {
			log.Fatal(err)
		}
		for _, f := range files {
			if err := indexFile(f); err != nil {
				// A database dropped between the listing and the open, or busy for longer than the
				// timeout: the next round tries again.
				log.Printf("ferretdb-idindex: %s: %v", filepath.Base(f), err)
			}
		}
		time.Sleep(*interval)
	}
}

func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// indexFile opens the file anew every round: FerretDB deletes a database's file when the
// database is dropped and may create a new one under the same name.
func indexFile(path string) error {
	q := url.Values{}
	q.Add("mode", "rw")
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	tables, err := unindexedTables(db)
	if err != nil {
		return err
	}
	for _, t := range tables {
		stmt := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+indexSuffix, t)
		if _, err := db.Exec(stmt); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	return nil
}

func unindexedTables(db *sql.DB) ([]string, error) {
	rows, err := db.Query(`SELECT c.table_name FROM _ferretdb_collections c
		WHERE c.table_name IN (SELECT name FROM sqlite_master WHERE type = 'table')
		AND c.table_name || ? NOT IN (SELECT name FROM sqlite_master WHERE type = 'index')`, indexSuffix)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil, nil // a database with no collection yet
		}
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

func init() {
	log.SetOutput(os.Stderr)
	log.SetFlags(log.LstdFlags)
}
