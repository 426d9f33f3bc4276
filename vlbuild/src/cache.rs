//! The build cache: content keys (64-bit FNV-1a, stable across Rust
//! versions, unlike `DefaultHasher`) and entries that are built in a
//! temporary directory and renamed into place with a `DONE` marker, so an
//! interrupted or concurrent build never leaves a half-filled entry.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A running 64-bit FNV-1a hash; every item is length-prefixed, so
/// `["ab", "c"]` and `["a", "bc"]` key differently.
#[derive(Debug, Clone, Copy)]
pub struct Key(u64);

impl Default for Key {
    fn default() -> Self {
        Self::new()
    }
}

impl Key {
    pub fn new() -> Self {
        Key(0xcbf2_9ce4_8422_2325)
    }

    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        for x in (b.len() as u64).to_le_bytes().iter().chain(b) {
            self.0 ^= u64::from(*x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    /// Every file under `dir` (sorted), by path relative to `dir` and content.
    pub fn tree(&mut self, dir: &Path) -> Result<&mut Self> {
        for f in list_files(dir)? {
            let rel = f
                .strip_prefix(dir)
                .unwrap_or(&f)
                .to_string_lossy()
                .into_owned();
            self.str(&rel);
            self.bytes(&std::fs::read(&f).map_err(Error::io("cannot read", &f))?);
        }
        Ok(self)
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// One cache entry: `<cache>/<name>-<key as 16 hex digits>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub dir: PathBuf,
}

impl Entry {
    pub fn new(cache: &Path, name: &str, key: &Key) -> Entry {
        Entry {
            dir: cache.join(format!("{name}-{:016x}", key.finish())),
        }
    }

    /// Whether a finished build is in place.
    pub fn is_done(&self) -> bool {
        self.dir.join("DONE").exists()
    }

    /// An empty private directory to build this entry in (for [`Entry::commit`]).
    pub fn fresh_tmp(&self) -> Result<PathBuf> {
        let tmp = self
            .dir
            .with_extension(format!("tmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(Error::io("cannot create", &tmp))?;
        Ok(tmp)
    }

    /// Marks `tmp` done and renames it into place. If another build
    /// finished the same key first, its result is kept and `tmp` removed.
    pub fn commit(&self, tmp: &Path) -> Result<()> {
        let done = tmp.join("DONE");
        std::fs::write(&done, b"").map_err(Error::io("cannot write", &done))?;
        if let Err(source) = std::fs::rename(tmp, &self.dir) {
            let _ = std::fs::remove_dir_all(tmp);
            if !self.is_done() {
                return Err(Error::Io {
                    what: "cannot move the finished build into",
                    path: self.dir.clone(),
                    source,
                });
            }
        }
        Ok(())
    }
}

/// Every file under `dir`, recursively, sorted.
pub fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(Error::io("cannot list", &d))?;
        for e in rd {
            let p = e.map_err(Error::io("cannot list", &d))?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_fnv1a_over_length_prefixed_items() {
        // FNV-1a of the empty input is the offset basis.
        assert_eq!(Key::new().finish(), 0xcbf2_9ce4_8422_2325);
        let ab_c = Key::new().str("ab").str("c").finish();
        let a_bc = Key::new().str("a").str("bc").finish();
        assert_ne!(ab_c, a_bc);
        assert_eq!(ab_c, Key::new().str("ab").str("c").finish());
    }

    #[test]
    fn commit_renames_into_place_and_keeps_a_first_winner() {
        let cache = std::env::temp_dir().join(format!("vlbuild-cache-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&cache);
        std::fs::create_dir_all(&cache).unwrap();
        let entry = Entry::new(&cache, "model", Key::new().str("x"));
        assert!(!entry.is_done());
        let tmp = entry.fresh_tmp().unwrap();
        std::fs::write(tmp.join("a"), b"1").unwrap();
        entry.commit(&tmp).unwrap();
        assert!(entry.is_done());
        assert!(!tmp.exists());
        // A second build of the same key loses the race and keeps the first.
        let tmp = entry.fresh_tmp().unwrap();
        std::fs::write(tmp.join("a"), b"2").unwrap();
        entry.commit(&tmp).unwrap();
        assert_eq!(std::fs::read(entry.dir.join("a")).unwrap(), b"1");
        assert!(!tmp.exists());
        std::fs::remove_dir_all(&cache).unwrap();
    }
}
