//! A user's collection as a `.colpkg`, the file Anki 2.1.50 and later export and open
//! (File > Import, or a profile's restore): a zip of
//! - `meta`: the package version (3, the current one),
//! - `collection.anki21b`: the schema-18 collection, zstd-compressed,
//! - `0`, `1`, …: the media files, each zstd-compressed,
//! - `media`: their names, sizes and SHA-1s in that order, a zstd-compressed protobuf,
//!
//! all stored (the parts are compressed already). The collection is a consistent copy
//! (`VACUUM INTO`, one read transaction), so a sync running meanwhile is either wholly in
//! it or not at all; the media folder is read as it is while the export runs. Anki's
//! own export also puts a placeholder collection for versions before 2.1.50 in the
//! package; this one does not, and those versions cannot open it.
//!
//! A snapshot's package holds the snapshot's collection, the media folder as it is, and
//! the files of the media trash its notes use that the folder no longer has.

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use r2d2_sqlite::rusqlite::OpenFlags;

use super::file::{
    self as collection_file, collection_path, media_folder, user_dir, LEFTOVER_PREFIX,
};
use super::{media_refs, media_trash, snapshots};

/// `PackageMetadata { version: LATEST (3) }`.
const META: [u8; 2] = [0x08, 0x03];
const LEVEL: i32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("copying the collection: {0}")]
    Sqlite(#[from] r2d2_sqlite::rusqlite::Error),
    #[error("writing the package: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("reading the snapshot: {0}")]
    Snapshot(String),
}

fn io_at(path: &Path) -> impl Fn(io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A package written to a scratch file in the user's folder, removed when dropped.
#[derive(Debug)]
pub struct Package {
    pub path: PathBuf,
    pub bytes: u64,
    pub media_files: usize,
}

impl Drop for Package {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// What a package holds: the collection as it is now, or one of the user's snapshots.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    Current,
    /// A snapshot by id, with the media folder as it is now and, from the media trash,
    /// the files its notes use that the folder no longer has.
    Snapshot(&'a str),
}

/// Writes the user's collection (or a snapshot of it) and media as a `.colpkg`; `None`
/// when the user has no collection, or no snapshot of that id. Blocking.
pub fn write_package(
    data_dir: &Path,
    user_id: i64,
    source: Source,
) -> Result<Option<Package>, ExportError> {
    let snapshot = match source {
        Source::Current if !collection_path(data_dir, user_id).exists() => return Ok(None),
        Source::Current => None,
        Source::Snapshot(id) => match snapshots::data_file(data_dir, user_id, id) {
            Some(data) => Some(data),
            None => return Ok(None),
        },
    };
    let dir = user_dir(data_dir, user_id);
    let nonce = hex::encode(rand::random::<[u8; 6]>());
    // Named as upload leftovers are, so the sweep after a crash removes them too.
    let copy = dir.join(format!("{LEFTOVER_PREFIX}export-{nonce}.anki2.tmp"));
    let mut package = Package {
        path: dir.join(format!("{LEFTOVER_PREFIX}export-{nonce}.colpkg.tmp")),
        bytes: 0,
        media_files: 0,
    };
    let folder = media_folder(data_dir, user_id);
    let written = match snapshot {
        None => collection_file::consistent_copy(&collection_path(data_dir, user_id), &copy)
            .map_err(ExportError::from)
            .and_then(|()| write_zip(&copy, &folder, &[], &package.path)),
        Some(data) => snapshots::decompress(&data, &copy)
            .map_err(|e| ExportError::Snapshot(e.to_string()))
            .and_then(|()| from_trash(data_dir, user_id, &copy, &folder))
            .and_then(|extra| write_zip(&copy, &folder, &extra, &package.path)),
    };
    // The uncompressed copy is scratch whatever happened.
    let _ = fs::remove_file(&copy);
    package.media_files = written?;
    package.bytes = fs::metadata(&package.path)
        .map_err(io_at(&package.path))?
        .len();
    Ok(Some(package))
}

/// The media trash's copies of the files the collection at `copy` uses that `folder`
/// lacks, by name.
fn from_trash(
    data_dir: &Path,
    user_id: i64,
    copy: &Path,
    folder: &Path,
) -> Result<Vec<(String, PathBuf)>, ExportError> {
    let conn = collection_file::open(copy, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let used = media_refs::referenced_by_notes(&conn)?;
    Ok(used
        .into_iter()
        .filter(|name| !folder.join(name).exists())
        .filter_map(|name| media_trash::find(data_dir, user_id, &name).map(|kept| (name, kept)))
        .collect())
}

/// The zip; returns how many media files went in.
fn write_zip(
    collection: &Path,
    media: &Path,
    extra: &[(String, PathBuf)],
    out: &Path,
) -> Result<usize, ExportError> {
    let file = File::create(out).map_err(io_at(out))?;
    let mut zip = ZipWriter::new(BufWriter::new(file));
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(true);
    zip.start_file("meta", stored)?;
    zip.write_all(&META).map_err(io_at(out))?;
    zip.start_file("collection.anki21b", stored)?;
    compress_file(collection, &mut zip)?;

    let mut entries = Vec::new();
    let mut files = media_files(media)?;
    files.extend_from_slice(extra);
    for (name, path) in files {
        // A file removed by a media sync since the folder was listed is left out.
        let Ok(data) = fs::read(&path) else { continue };
        zip.start_file(entries.len().to_string(), stored)?;
        let compressed = zstd::encode_all(data.as_slice(), LEVEL).map_err(io_at(&path))?;
        zip.write_all(&compressed).map_err(io_at(out))?;
        entries.push(media_entry(&name, &data));
    }
    zip.start_file("media", stored)?;
    let list = zstd::encode_all(entries.concat().as_slice(), LEVEL).map_err(io_at(out))?;
    zip.write_all(&list).map_err(io_at(out))?;
    let writer = zip.finish()?;
    let file = writer.into_inner().map_err(|e| ExportError::Io {
        path: out.to_owned(),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(io_at(out))?;
    Ok(entries.len())
}

fn compress_file(path: &Path, into: &mut impl Write) -> Result<(), ExportError> {
    let mut encoder = zstd::Encoder::new(into, LEVEL).map_err(io_at(path))?;
    let input = File::open(path).map_err(io_at(path))?;
    io::copy(&mut BufReader::new(input), &mut encoder).map_err(io_at(path))?;
    encoder.finish().map_err(io_at(path))?;
    Ok(())
}

/// The regular files of the media folder, by name, in name order.
fn media_files(folder: &Path) -> Result<Vec<(String, PathBuf)>, ExportError> {
    let listing = match fs::read_dir(folder) {
        Ok(listing) => listing,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_at(folder)(e)),
    };
    let mut files = Vec::new();
    for entry in listing {
        let entry = entry.map_err(io_at(folder))?;
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if let (true, Ok(name)) = (is_file, entry.file_name().into_string()) {
            files.push((name, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

/// One `entries` field of `MediaEntries`: `MediaEntry { name = 1, size = 2, sha1 = 3 }`.
fn media_entry(name: &str, data: &[u8]) -> Vec<u8> {
    let mut entry = Vec::new();
    length_delimited(&mut entry, 1, name.as_bytes());
    entry.push(2 << 3);
    varint(&mut entry, data.len() as u64);
    length_delimited(&mut entry, 3, &Sha1::digest(data));
    let mut field = Vec::with_capacity(entry.len() + 6);
    length_delimited(&mut field, 1, &entry);
    field
}

fn length_delimited(out: &mut Vec<u8>, field: u8, bytes: &[u8]) {
    out.push(field << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A varint of `bytes` at `at`, moving `at` past it (for the tests).
#[cfg(test)]
fn read_varint(bytes: &[u8], at: &mut usize) -> usize {
    let mut value = 0usize;
    let mut shift = 0;
    loop {
        let b = bytes[*at];
        *at += 1;
        value |= usize::from(b & 0x7f) << shift;
        if b < 0x80 {
            return value;
        }
        shift += 7;
    }
}

/// Reads a package's media list back (for the tests): names in zip order.
#[cfg(test)]
fn read_media_names(list: &[u8]) -> Vec<String> {
    let data = zstd::decode_all(list).expect("zstd");
    let mut names = Vec::new();
    let mut at = 0;
    while at < data.len() {
        assert_eq!(data[at], 1 << 3 | 2);
        at += 1;
        let len = read_varint(&data, &mut at);
        let entry = &data[at..at + len];
        at += len;
        assert_eq!(entry[0], 1 << 3 | 2);
        let mut e = 1;
        let name_len = read_varint(entry, &mut e);
        names.push(String::from_utf8(entry[e..e + name_len].to_vec()).expect("utf-8"));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_entries_encode_name_size_and_sha1_as_anki_reads_them() {
        // The bytes Anki 26.09 writes for a 70-byte "a.png" (its export, read back).
        let entry = media_entry("a.png", &b"PNGDATA".repeat(10));
        assert_eq!(
            entry[..9],
            [0x0a, 0x1f, 0x0a, 0x05, b'a', b'.', b'p', b'n', b'g']
        );
        assert_eq!(entry[9..12], [0x10, 70, 0x1a]);
        assert_eq!(entry.len(), 2 + 0x1f);
        let list = zstd::encode_all(entry.as_slice(), 3).expect("zstd");
        assert_eq!(read_media_names(&list), ["a.png"]);
    }

    #[test]
    fn a_user_without_a_collection_has_nothing_to_export() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(write_package(dir.path(), 7, Source::Current)
            .expect("export")
            .is_none());
        assert!(write_package(dir.path(), 7, Source::Snapshot("../x"))
            .expect("export")
            .is_none());
    }

    #[test]
    fn varints_carry_past_seven_bits() {
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
    }
}
