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

/// A content encoding the file is sent in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// Picks brotli, then gzip, then none, among those the client accepts (`q=0` refuses). A file
/// that compression does not shrink (it has no brotli copy) goes as it is.
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
    if asset.brotli.is_empty() {
        Encoding::Identity
    } else if accepts("br") {
        Encoding::Brotli
    } else if accepts("gzip") {
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
        Encoding::Gzip => asset.gzip(),
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
        raw: b"",
        brotli: b"br",
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
    fn no_accepted_encoding_means_the_file_itself() {
        assert_eq!(negotiate("", &BOTH), Encoding::Identity);
        assert_eq!(negotiate("identity", &BOTH), Encoding::Identity);
    }

    #[test]
    fn a_file_compression_does_not_shrink_goes_as_it_is() {
        let raw_only = EmbeddedAsset {
            raw: b"<svg/>",
            brotli: b"",
            ..BOTH
        };
        assert_eq!(negotiate("br, gzip", &raw_only), Encoding::Identity);
    }

    #[test]
    fn a_client_without_brotli_gets_the_brotli_copy_expanded_or_gzipped() {
        let mut brotli = Vec::new();
        let params = brotli::enc::BrotliEncoderParams::default();
        brotli::BrotliCompress(&mut &b"export const x = 1;"[..], &mut brotli, &params)
            .expect("compressed");
        let asset = EmbeddedAsset {
            path: "/pkg/y.js",
            raw: b"",
            brotli: Box::leak(brotli.into_boxed_slice()),
            ..BOTH
        };
        assert_eq!(&asset.file()[..], b"export const x = 1;");
        let mut back = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&asset.gzip()[..]),
            &mut back,
        )
        .expect("gunzipped");
        assert_eq!(back, b"export const x = 1;");
    }
}
