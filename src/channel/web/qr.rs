//! The pairing string as a QR code in SVG, drawn on the server: the dashboard shows it as an
//! image (`GET` of the current code), so the browser's bundle carries no QR encoder. Dark
//! modules are runs of one-module-high rectangles on a white square with the standard quiet
//! zone of four modules; the `viewBox` is in modules, so the page scales it freely.

use qrcode::{Color, EcLevel, QrCode};
use std::fmt::Write as _;

/// Modules of white around the code, as the QR standard asks.
const QUIET_ZONE: usize = 4;

/// The SVG of `data`, or why it cannot be encoded (too long for a QR code).
pub fn svg(data: &str) -> Result<String, String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::L)
        .map_err(|e| format!("cannot draw the QR code: {e}"))?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * QUIET_ZONE;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\" role=\"img\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\""
    );
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] == Color::Dark {
                let start = x;
                while x < width && row[x] == Color::Dark {
                    x += 1;
                }
                let _ = write!(
                    svg,
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE,
                    x - start,
                    x - start
                );
            } else {
                x += 1;
            }
        }
    }
    svg.push_str("\"/></svg>");
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the drawing back into pixels (`scale` per module) from the path this module
    /// writes, and decodes it with an independent QR reader.
    fn decode(svg: &str, scale: usize) -> String {
        let view = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .expect("viewBox");
        let path = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("path");
        let mut dark = vec![false; view * view];
        for run in path.split('M').filter(|r| !r.is_empty()) {
            let (x, rest) = run.split_once(' ').expect("x");
            let (y, rest) = rest.split_once('h').expect("y");
            let (len, _) = rest.split_once('v').expect("length");
            let (x, y, len): (usize, usize, usize) = (
                x.parse().expect("x"),
                y.parse().expect("y"),
                len.parse().expect("len"),
            );
            for i in x..x + len {
                dark[y * view + i] = true;
            }
        }
        let side = view * scale;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            if dark[(y / scale) * view + x / scale] {
                0
            } else {
                255
            }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the drawing");
        grids[0].decode().expect("decodes").1
    }

    #[test]
    fn a_pairing_string_draws_as_a_qr_code_that_reads_back() {
        // The shape of WhatsApp's pairing strings: a ref and three base64 keys.
        let pairing = format!(
            "2@{},{},{},{}",
            "Xk3Q".repeat(22),
            "aGVsbG8gd29ybGQgcGFpcmluZyBrZXkgb25lISE=",
            "c2Vjb25kIGtleSBmb3IgdGhlIHBhaXJpbmcgcXI=",
            "dGhpcmQga2V5OiB0aGUgYWR2IHNlY3JldCEhISE="
        );
        let drawing = svg(&pairing).expect("drawn");
        assert!(drawing.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(decode(&drawing, 4), pairing);
    }

    #[test]
    fn too_much_text_is_refused_with_the_reason() {
        let error = svg(&"x".repeat(8000)).expect_err("too long");
        assert!(error.contains("QR code"), "{error}");
    }
}
