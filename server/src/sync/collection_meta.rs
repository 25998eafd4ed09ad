//! The `col` row facts `meta` reports, read from a user's collection file when one exists.

use std::path::{Path, PathBuf};

use r2d2_sqlite::rusqlite::{Connection, OpenFlags};

/// Where a user's collection lives under the data dir (DESIGN §6).
pub fn collection_path(data_dir: &Path, user_id: i64) -> PathBuf {
    data_dir
        .join("users")
        .join(user_id.to_string())
        .join("collection.anki2")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectionMeta {
    pub modified_ms: i64,
    pub schema_ms: i64,
    pub usn: i32,
    pub empty: bool,
}

/// Reads `mod`, `scm`, `usn` and whether any card exists; `None` when the user has no
/// collection yet.
pub fn read_collection_meta(path: &Path) -> Result<Option<CollectionMeta>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open collection: {e}"))?;
    let (modified_ms, schema_ms, usn) = conn
        .query_row("SELECT mod, scm, usn FROM col", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(|e| format!("cannot read col row: {e}"))?;
    let empty = conn
        .query_row("SELECT NOT EXISTS (SELECT 1 FROM cards)", [], |r| r.get(0))
        .map_err(|e| format!("cannot count cards: {e}"))?;
    Ok(Some(CollectionMeta {
        modified_ms,
        schema_ms,
        usn,
        empty,
    }))
}
