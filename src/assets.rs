//! The dashboard bundle (wasm, JavaScript, CSS, icon) that `build.rs` compiled, hashed and
//! precompressed, embedded in the binary so that it runs from an empty folder.

use app::AssetLinks;
use bytes::Bytes;
use flate2::write::GzEncoder;
use parking_lot::Mutex;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::LazyLock;

/// One embedded file: its brotli copy, or the file itself when compression did not help.
#[derive(Debug)]
pub struct EmbeddedAsset {
    /// The URL path it is served on, such as `/pkg/cocolu-0123abcd.wasm`.
    pub path: &'static str,
    /// The `Content-Type` header value.
    pub content_type: &'static str,
    /// Whether the name carries a content hash, so browsers may cache it for a year.
    pub immutable: bool,
    /// The file itself, or empty when the brotli copy stands for it.
    pub raw: &'static [u8],
    /// Brotli-compressed copy (quality 11), or empty.
    pub brotli: &'static [u8],
}

impl EmbeddedAsset {
    /// The file itself: embedded as it is, or (to keep the binary small) its brotli copy
    /// expanded. Empty only if the build wrote a broken copy, which is logged.
    pub fn file(&self) -> Cow<'static, [u8]> {
        if !self.raw.is_empty() || self.brotli.is_empty() {
            return Cow::Borrowed(self.raw);
        }
        match expand(self.brotli) {
            Ok(out) => Cow::Owned(out),
            Err(error) => {
                tracing::error!(path = self.path, %error, "an embedded asset cannot be expanded");
                Cow::Borrowed(&[])
            }
        }
    }

    /// A gzip copy for a browser that does not take brotli (browsers send brotli only over
    /// HTTPS, so this is a dashboard opened over plain HTTP): compressed on first request and
    /// kept, so only installs that need it pay its memory.
    pub fn gzip(&self) -> Bytes {
        static MADE: LazyLock<Mutex<HashMap<&'static str, Bytes>>> = LazyLock::new(Mutex::default);
        if let Some(copy) = MADE.lock().get(self.path) {
            return copy.clone();
        }
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        let copy = match encoder
            .write_all(&self.file())
            .and_then(|()| encoder.finish())
        {
            Ok(bytes) => Bytes::from(bytes),
            Err(error) => {
                tracing::error!(path = self.path, %error, "an embedded asset cannot be gzipped");
                return Bytes::new();
            }
        };
        MADE.lock().insert(self.path, copy.clone());
        copy
    }
}

/// A brotli-compressed embedded file, expanded.
pub fn expand(brotli: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(brotli.len() * 4);
    brotli_decompressor::Decompressor::new(brotli, 16 * 1024).read_to_end(&mut out)?;
    Ok(out)
}

include!(concat!(env!("OUT_DIR"), "/bundle.rs"));

/// Every embedded file.
pub fn all() -> &'static [EmbeddedAsset] {
    ASSETS
}

/// The embedded file served at `path`, if any.
pub fn find(path: &str) -> Option<&'static EmbeddedAsset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

/// Each lazy page's name (as the wasm's split points name it) and the files its code is in.
pub fn pages() -> &'static [(&'static str, &'static [&'static str])] {
    PAGES
}

/// The links the HTML shell needs.
pub fn links() -> AssetLinks {
    AssetLinks {
        css: CSS_PATH.into(),
        js: JS_PATH.into(),
        wasm: WASM_PATH.into(),
        boot: BOOT_PATH.into(),
        loader: LINK_PATH.into(),
        icon: ICON_PATH.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_link_of_the_shell_is_embedded() {
        let links = links();
        for path in [
            &links.css,
            &links.js,
            &links.boot,
            &links.icon,
            &links.loader,
        ] {
            assert!(find(path).is_some(), "{path} is not embedded");
        }
    }

    #[test]
    fn every_file_expands_and_its_compressed_copies_are_smaller_and_read_back() {
        for asset in all() {
            let file = asset.file();
            assert!(!file.is_empty(), "{}", asset.path);
            assert!(
                asset.brotli.len() < file.len() || asset.brotli.is_empty(),
                "{}",
                asset.path
            );
            let gzip = asset.gzip();
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&gzip[..])
                .read_to_end(&mut back)
                .expect("gunzipped");
            assert_eq!(back, &file[..], "{}", asset.path);
        }
    }
}
