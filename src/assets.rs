//! The dashboard bundle (wasm, JavaScript, CSS, icon) that `build.rs` compiled, hashed and
//! precompressed, embedded in the binary so that it runs from an empty folder.

use app::AssetLinks;
use std::borrow::Cow;
use std::io::Read;

/// One embedded file with its precompressed variants (empty when compression did not help).
#[derive(Debug)]
pub struct EmbeddedAsset {
    /// The URL path it is served on, such as `/pkg/cocolu-0123abcd.wasm`.
    pub path: &'static str,
    /// The `Content-Type` header value.
    pub content_type: &'static str,
    /// Whether the name carries a content hash, so browsers may cache it for a year.
    pub immutable: bool,
    /// The file itself, or empty when the gzip copy stands for it (see `http/assets.rs`).
    pub raw: &'static [u8],
    /// Brotli-compressed copy, or empty.
    pub brotli: &'static [u8],
    /// Gzip-compressed copy, or empty.
    pub gzip: &'static [u8],
}

impl EmbeddedAsset {
    /// The file itself: embedded as it is, or (to keep the binary small) its gzip copy
    /// expanded. Empty only if the build wrote a broken copy, which is logged.
    pub fn file(&self) -> Cow<'static, [u8]> {
        if !self.raw.is_empty() || self.gzip.is_empty() {
            return Cow::Borrowed(self.raw);
        }
        let mut out = Vec::new();
        match flate2::read::GzDecoder::new(self.gzip).read_to_end(&mut out) {
            Ok(_) => Cow::Owned(out),
            Err(error) => {
                tracing::error!(path = self.path, %error, "an embedded asset cannot be expanded");
                Cow::Borrowed(&[])
            }
        }
    }
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
    fn compressed_copies_are_smaller_than_the_file_and_one_of_them_stands_for_it() {
        for asset in all() {
            let size = asset.file().len();
            assert!(size > 0, "{}", asset.path);
            assert!(
                asset.brotli.len() < size || asset.brotli.is_empty(),
                "{}",
                asset.path
            );
            assert!(
                asset.gzip.len() < size || asset.gzip.is_empty(),
                "{}",
                asset.path
            );
        }
    }
}
