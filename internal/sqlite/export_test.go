package sqlite

import "github.com/plotline-dev/plotline"

// SetImportDeferAfter lowers the number of versions after which an import
// defers secondary indexes, so that tests reach it with a few records.
func SetImportDeferAfter(db *DB, n int) { db.deferAfter = n }

// DeferredIndexes is how many indexes tx has dropped until its commit.
func DeferredIndexes(tx plotline.ImportTx) int { return len(tx.(*importTx).deferred) }

// WriteForeignKeys reads PRAGMA foreign_keys on the write connection.
func WriteForeignKeys(db *DB) (int, error) {
	var on int
	err := db.write.QueryRow(`PRAGMA foreign_keys`).Scan(&on)
	return on, err
}

// SetImportFTSChunk sets how many incident versions an import writes between
// additions to the full-text index.
func SetImportFTSChunk(db *DB, n int) { db.ftsChunk = n }
