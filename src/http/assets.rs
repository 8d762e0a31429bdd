//! `GET /pkg/...`: the embedded dashboard bundle, served from memory in the best encoding the
//! browser accepts.

use super::state::AppState;
use crate::assets::{self, EmbeddedAsset};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;

pub fn router() -> Router<AppState> {
    Router::new().route("/pkg/{*file}", get(serve))
}

/// A content encoding we hold a precompressed copy in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// Picks brotli, then gzip, then none, among those the client accepts (`q=0` refuses).
fn negotiate(accept_encoding: &str, asset: &EmbeddedAsset) -> Encoding {
    let accepts = |name: &str| {
        accept_encoding.split(',').any(|part| {
            let mut pieces = part.split(';');
            let coding = pieces.next().unwrap_or("").trim();
            let refused = pieces.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            coding.eq_ignore_ascii_case(name) && !refused
        })
    };
    if !asset.brotli.is_empty() && accepts("br") {
        Encoding::Brotli
    } else if !asset.gzip.is_empty() && accepts("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

async fn serve(uri: Uri, request_headers: HeaderMap) -> Response {
    let Some(asset) = assets::find(uri.path()) else {
        return (
            StatusCode::NOT_FOUND,
            "no such file in the dashboard bundle\n",
        )
            .into_response();
    };
    let accept = request_headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let encoding = negotiate(accept, asset);
    let body = match encoding {
        Encoding::Brotli => Bytes::from_static(asset.brotli),
        Encoding::Gzip => Bytes::from_static(asset.gzip),
        Encoding::Identity => match asset.file() {
            std::borrow::Cow::Borrowed(file) => Bytes::from_static(file),
            std::borrow::Cow::Owned(file) => Bytes::from(file),
        },
    };
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    match encoding {
        Encoding::Brotli => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        }
        Encoding::Gzip => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        Encoding::Identity => {}
    }
    (headers, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: EmbeddedAsset = EmbeddedAsset {
        path: "/pkg/x.js",
        content_type: "text/javascript",
        immutable: true,
        raw: b"raw raw raw",
        brotli: b"br",
        gzip: b"gz",
    };

    #[test]
    fn brotli_is_preferred_when_accepted() {
        assert_eq!(
            negotiate("gzip, deflate, br, zstd", &BOTH),
            Encoding::Brotli
        );
    }

    #[test]
    fn gzip_is_used_when_brotli_is_not_accepted() {
        assert_eq!(negotiate("gzip, deflate", &BOTH), Encoding::Gzip);
        assert_eq!(negotiate("br;q=0, gzip", &BOTH), Encoding::Gzip);
    }

    #[test]
    fn no_accepted_encoding_means_the_raw_file() {
        assert_eq!(negotiate("", &BOTH), Encoding::Identity);
        assert_eq!(negotiate("identity", &BOTH), Encoding::Identity);
    }

    #[test]
    fn a_missing_compressed_copy_falls_back() {
        let raw_only = EmbeddedAsset {
            brotli: b"",
            gzip: b"",
            ..BOTH
        };
        assert_eq!(negotiate("br, gzip", &raw_only), Encoding::Identity);
    }

    #[test]
    fn a_client_without_compression_gets_the_gzip_copy_expanded() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(b"export const x = 1;").expect("written");
        let gzip: &'static [u8] = Box::leak(encoder.finish().expect("gzip").into_boxed_slice());
        let asset = EmbeddedAsset {
            path: "/pkg/x.js",
            content_type: "text/javascript",
            immutable: true,
            raw: b"",
            brotli: b"",
            gzip,
        };
        assert_eq!(negotiate("", &asset), Encoding::Identity);
        assert_eq!(&asset.file()[..], b"export const x = 1;");
    }
}
