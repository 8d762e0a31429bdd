//! What Cocolu publishes about its formats: the OpenAPI document of the API and the JSON
//! Schemas of the hand-editable documents. The tests generate them from the types (the
//! `schema` feature) and check them against `docs/openapi.json` and `docs/schema/`; the
//! binary carries those files brotli-compressed (`build.rs`).

include!(concat!(env!("OUT_DIR"), "/published.rs"));

/// A published file's text by its path under `docs/` (`openapi.json`,
/// `schema/rules.schema.json`); empty if there is none, which the tests rule out.
pub fn text(name: &str) -> String {
    PUBLISHED
        .iter()
        .find(|(path, _)| *path == name)
        .and_then(|(_, brotli)| crate::assets::expand(brotli).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}

/// A published JSON file, parsed (`null` if it is missing).
pub fn json(name: &str) -> serde_json::Value {
    serde_json::from_str(&text(name)).unwrap_or_default()
}

/// For the tests: fails unless the published `name` is `generated` (what the types make now),
/// naming the command that updates docs/; with `COCOLU_BLESS=1` it writes it instead.
#[cfg(feature = "schema")]
pub fn check(name: &str, generated: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(name);
    if std::env::var_os("COCOLU_BLESS").is_some() {
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, generated));
        if let Err(error) = written {
            panic!("cannot write {}: {error}", path.display());
        }
        return;
    }
    assert!(
        text(name) == generated,
        "docs/{name} is not what the types generate: run `COCOLU_BLESS=1 ./test.sh` (or the \
         failing test with it, `--features schema`) and review the difference"
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_published_file_is_carried_and_reads_back() {
        assert!(super::PUBLISHED.len() >= 4, "the API and three documents");
        for (name, _) in super::PUBLISHED {
            let text = super::text(name);
            assert!(
                serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                "{name} is JSON"
            );
        }
        assert_eq!(super::json("openapi.json")["openapi"], "3.1.0");
    }
}
