//! `schema.sql`, compiled in, and the version it declares.

/// The schema file at the workspace root, run unchanged by every engine.
pub const SCHEMA_SQL: &str = include_str!("../../../schema.sql");

/// The version this build creates and understands; `schema.sql` declares the same number
/// (checked by a test so the two cannot drift apart).
pub const SCHEMA_VERSION: i64 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_file_declares_the_version_this_build_knows() {
        let declared = SCHEMA_SQL
            .lines()
            .find_map(|l| l.strip_prefix("-- schema-version:"))
            .map(|v| v.trim().parse::<i64>());
        assert_eq!(declared.transpose().ok().flatten(), Some(SCHEMA_VERSION));
    }
}
