//! The zips media sync exchanges (protocol §4.3, §4.4). Every limit is enforced while
//! reading, never trusted from the zip's own headers: an entry is read at most one byte
//! past its cap, so a zip bomb stops there.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::collection::media_names as names;

/// At most this many files per upload, plus `_meta`.
pub const MAX_FILES: usize = 25;
const MAX_META_BYTES: u64 = 50 * 1024;
/// The largest single media file (the client skips larger ones).
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
/// All files of one upload together, decompressed.
const MAX_UPLOAD_BYTES: u64 = MAX_FILE_BYTES + 8 * 1024 * 1024;
/// `downloadFiles` stops adding files once the zip holds more than this.
pub const DOWNLOAD_BATCH_BYTES: usize = 2_621_440;

#[derive(Debug, thiserror::Error)]
#[error("bad media zip: {0}")]
pub struct BadZip(pub String);

/// One change from an upload: a file's new content, or `None` for a deletion.
pub struct UploadedChange {
    pub fname: String,
    pub data: Option<Vec<u8>>,
}

/// Reads an `uploadChanges` zip: `_meta` lists `[real name, entry name or null]`.
pub fn read_upload(zip_bytes: &[u8]) -> Result<Vec<UploadedChange>, BadZip> {
    let bad = |why: String| BadZip(why);
    let mut archive = ZipArchive::new(Cursor::new(zip_bytes)).map_err(|e| bad(e.to_string()))?;
    if archive.len() > MAX_FILES + 1 {
        return Err(bad(format!(
            "{} entries, at most {}",
            archive.len(),
            MAX_FILES + 1
        )));
    }
    let meta_bytes = read_entry(&mut archive, "_meta", MAX_META_BYTES)?;
    let meta: Vec<(String, Option<String>)> = serde_json::from_slice(&meta_bytes)
        .map_err(|e| bad(format!("_meta is not [[name, entry|null], ...]: {e}")))?;
    if meta.len() > MAX_FILES {
        return Err(bad(format!("{} changes, at most {MAX_FILES}", meta.len())));
    }
    let mut total: u64 = 0;
    let mut changes = Vec::with_capacity(meta.len());
    for (fname, entry) in meta {
        names::validate(&fname).map_err(bad)?;
        let data = match entry.filter(|e| !e.is_empty()) {
            None => None,
            Some(entry) => {
                let data = read_entry(&mut archive, &entry, MAX_FILE_BYTES)?;
                if data.is_empty() {
                    return Err(bad(format!("{fname:?} is empty")));
                }
                total += data.len() as u64;
                if total > MAX_UPLOAD_BYTES {
                    return Err(bad("upload too large".into()));
                }
                Some(data)
            }
        };
        changes.push(UploadedChange { fname, data });
    }
    Ok(changes)
}

fn read_entry(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limit: u64,
) -> Result<Vec<u8>, BadZip> {
    let entry = archive
        .by_name(name)
        .map_err(|e| BadZip(format!("entry {name:?}: {e}")))?;
    // Sized from the header, but never trusting it for more than 1 MiB up front.
    let mut data = Vec::with_capacity(usize::try_from(entry.size().min(1 << 20)).unwrap_or(0));
    entry
        .take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|e| BadZip(format!("entry {name:?}: {e}")))?;
    if data.len() as u64 > limit {
        return Err(BadZip(format!("entry {name:?} is over {limit} bytes")));
    }
    Ok(data)
}

/// Builds a `downloadFiles` zip: entries "0", "1", ... and a `_meta` object mapping them
/// to the real names.
pub fn write_download(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, BadZip> {
    let io = |e: zip::result::ZipError| BadZip(e.to_string());
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    // Stored: the transport compresses the whole body with zstd anyway.
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let mut meta = serde_json::Map::new();
    for (index, (fname, data)) in files.iter().enumerate() {
        let entry = index.to_string();
        zip.start_file(entry.as_str(), options).map_err(io)?;
        zip.write_all(data).map_err(|e| BadZip(e.to_string()))?;
        meta.insert(entry, fname.clone().into());
    }
    zip.start_file("_meta", options).map_err(io)?;
    zip.write_all(serde_json::Value::Object(meta).to_string().as_bytes())
        .map_err(|e| BadZip(e.to_string()))?;
    Ok(zip.finish().map_err(io)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload_zip(meta: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, data) in files {
            zip.start_file(*name, options).expect("start");
            zip.write_all(data).expect("write");
        }
        zip.start_file("_meta", options).expect("start");
        zip.write_all(meta.as_bytes()).expect("write");
        zip.finish().expect("finish").into_inner()
    }

    #[test]
    fn an_upload_zip_yields_adds_and_deletes() {
        let zip = upload_zip(
            r#"[["a.jpg","0"],["gone.png",null],["old.txt",""]]"#,
            &[("0", b"abc")],
        );
        let changes = read_upload(&zip).expect("read");
        assert_eq!(changes.len(), 3);
        assert_eq!(changes[0].fname, "a.jpg");
        assert_eq!(changes[0].data.as_deref(), Some(&b"abc"[..]));
        assert!(changes[1].data.is_none() && changes[2].data.is_none());
    }

    #[test]
    fn traversal_names_empty_files_and_bombs_are_refused() {
        for meta in [
            r#"[["../x","0"]]"#,
            r#"[["/etc/passwd","0"]]"#,
            r#"[["a/b","0"]]"#,
        ] {
            assert!(
                read_upload(&upload_zip(meta, &[("0", b"x")])).is_err(),
                "{meta}"
            );
        }
        assert!(read_upload(&upload_zip(r#"[["e.txt","0"]]"#, &[("0", b"")])).is_err());
        let bomb = vec![0u8; (MAX_FILE_BYTES + 2) as usize];
        assert!(read_upload(&upload_zip(r#"[["big","0"]]"#, &[("0", &bomb)])).is_err());
        assert!(read_upload(b"not a zip").is_err());
        let many: Vec<String> = (0..26).map(|i| format!(r#"["f{i}",null]"#)).collect();
        assert!(read_upload(&upload_zip(&format!("[{}]", many.join(",")), &[])).is_err());
    }

    #[test]
    fn a_download_zip_maps_entries_to_names() {
        let zip = write_download(&[("a.jpg".into(), b"abc".to_vec())]).expect("write");
        let mut archive = ZipArchive::new(Cursor::new(&zip[..])).expect("zip");
        let mut meta = String::new();
        archive
            .by_name("_meta")
            .expect("meta")
            .read_to_string(&mut meta)
            .expect("read");
        assert_eq!(meta, r#"{"0":"a.jpg"}"#);
    }
}
