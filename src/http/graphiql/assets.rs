//! The vendored files, embedded in the binary. `assets/graphiql/refresh.sh`
//! fetches them from npm at pinned versions and records those versions in
//! `VERSIONS`, whose hash names the build.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

pub struct Asset {
    pub content_type: &'static str,
    pub body: &'static [u8],
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

const VERSIONS: &str = include_str!("../../../assets/graphiql/VERSIONS");

const FILES: &[(&str, Asset)] = &[
    (
        "graphiql.min.css",
        Asset { content_type: CSS, body: include_bytes!("../../../assets/graphiql/graphiql.min.css") },
    ),
    (
        "graphiql.min.js",
        Asset { content_type: JAVASCRIPT, body: include_bytes!("../../../assets/graphiql/graphiql.min.js") },
    ),
    (
        "react.production.min.js",
        Asset { content_type: JAVASCRIPT, body: include_bytes!("../../../assets/graphiql/react.production.min.js") },
    ),
    (
        "react-dom.production.min.js",
        Asset {
            content_type: JAVASCRIPT,
            body: include_bytes!("../../../assets/graphiql/react-dom.production.min.js"),
        },
    ),
    ("start.js", Asset { content_type: JAVASCRIPT, body: include_bytes!("start.js") }),
];

pub fn find(name: &str) -> Option<&'static Asset> {
    FILES.iter().find(|(file, _)| *file == name).map(|(_, asset)| asset)
}

/// Names this set of files: the first 12 hex digits of the SHA-256 of the
/// recorded versions and of the startup script.
pub fn build() -> &'static str {
    static BUILD: OnceLock<String> = OnceLock::new();
    BUILD.get_or_init(|| {
        let mut hash = Sha256::new();
        hash.update(VERSIONS.as_bytes());
        hash.update(find("start.js").map_or(&[][..], |asset| asset.body));
        hash.finalize().iter().take(6).map(|byte| format!("{byte:02x}")).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendored_file_is_recorded_with_its_hash() {
        for (name, asset) in FILES.iter().filter(|(name, _)| *name != "start.js") {
            let digest: String = Sha256::digest(asset.body).iter().map(|byte| format!("{byte:02x}")).collect();
            assert!(VERSIONS.contains(&format!("{digest}  {name}")), "{name} differs from VERSIONS: run refresh.sh");
        }
    }

    #[test]
    fn the_build_is_twelve_hex_digits() {
        assert_eq!(build().len(), 12);
        assert!(build().bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
