//! The oracle tests' fixture collections: zstd-compressed schema-18 files, opened
//! read-only from a decompressed copy.

use std::path::{Path, PathBuf};

use r2d2_sqlite::rusqlite::{Connection, OpenFlags};

use super::file;

/// Decompresses `dir/name` into `tmp`; returns the copy's path.
pub(crate) fn decompress_fixture(dir: &Path, name: &str, tmp: &Path) -> PathBuf {
    let compressed = std::fs::read(dir.join(name)).expect("fixture collection");
    let bytes = zstd::decode_all(compressed.as_slice()).expect("zstd");
    let path = tmp.join(name.trim_end_matches(".zst"));
    std::fs::write(&path, bytes).expect("write collection");
    path
}

/// Decompresses `dir/name` into `tmp` and opens the copy read-only.
pub(crate) fn open_fixture_in(dir: &Path, name: &str, tmp: &Path) -> Connection {
    let path = decompress_fixture(dir, name, tmp);
    file::open(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open")
}

/// [`open_fixture_in`] a temp dir of its own, which lives as long as the returned guard.
pub(crate) fn open_fixture(dir: &Path, name: &str) -> (tempfile::TempDir, Connection) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let conn = open_fixture_in(dir, name, tmp.path());
    (tmp, conn)
}

/// The oracle vectors a test compares against: the committed ones in
/// `server/tests/fixtures/<fixture>/vectors.json`, and the ones `test.sh` has the installed
/// `anki` build afresh for this run, named by the environment variable `var`.
pub(crate) fn vector_sets(fixture: &str, var: &str) -> Vec<PathBuf> {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture)
        .join("vectors.json");
    let mut sets = vec![committed];
    if let Ok(path) = std::env::var(var) {
        sets.push(PathBuf::from(path));
    }
    sets
}
