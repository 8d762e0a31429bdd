//! Builds the dashboard's hydration bundle and embeds it in the server binary.
//!
//! Steps: compile the `app` crate for `wasm32-unknown-unknown` with the `hydrate` feature (a
//! nested cargo with its own target folder: sharing the outer one deadlocks on its lock, and
//! the linker keeps its relocations), split the module at its lazy pages
//! (`wasm_split_cli_support`, what cargo-leptos's `--split` runs: the main module, one module
//! per page, shared chunks and their loader), run wasm-bindgen on the main module through its
//! library (pinned to the same version as the `wasm-bindgen` crate), drop the wasm's custom
//! sections, put the split set in one folder named after a hash of its content (its files
//! refer to each other by relative names) and the rest under their own hashes, precompress
//! each file with brotli, and write `bundle.rs` into `OUT_DIR` for `src/assets.rs` to
//! include. Nothing is downloaded except, on a fresh machine, the wasm target through rustup.
//!
//! `COCOLU_SKIP_WASM=1` skips the wasm step (for editors that run build scripts on every
//! keystroke); the resulting binary serves the dashboard without interactivity, and says so in
//! a build warning. The test command never sets it.

use sha2::{Digest, Sha256};
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const WASM_PROFILE: &str = "wasm-release";
const APP_PACKAGE: &str = "cocolu-app";
/// The app crate's library name, which names the compiled wasm file.
const APP_LIB: &str = "app";

type BuildResult<T> = Result<T, String>;

/// One file of the bundle before it is written out.
struct Asset {
    /// URL path the server answers on.
    path: String,
    content_type: &'static str,
    /// Content-hashed names can be cached for a year.
    immutable: bool,
    bytes: Vec<u8>,
}

fn main() {
    if let Err(message) = run() {
        eprintln!("error: building the dashboard bundle failed: {message}");
        std::process::exit(1);
    }
}

fn run() -> BuildResult<()> {
    let root = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    for watched in [
        "app/src",
        "app/style",
        "app/assets",
        "app/Cargo.toml",
        "Cargo.toml",
        "core/src",
        "core/Cargo.toml",
        "Cargo.lock",
        "docs/openapi.json",
        "docs/schema",
    ] {
        println!("cargo:rerun-if-changed={watched}");
    }
    println!("cargo:rerun-if-env-changed=COCOLU_SKIP_WASM");
    // Release builds: the linker folds functions whose machine code is identical (generic
    // code instantiated for types of the same layout), and leaves out the unwind tables and
    // their lookup index, which only unwinding and a backtrace read: a release build aborts on
    // panic (`panic = "abort"`; the message still names the place) and carries no symbols to
    // show in a backtrace. The tables were 1.1 MB of the binary. Tests and debug builds keep
    // them.
    if env::var("PROFILE").is_ok_and(|profile| profile == "release") {
        println!("cargo:rustc-link-arg-bins=-Wl,--icf=all");
        println!("cargo:rustc-link-arg-bins=-Wl,--no-eh-frame-hdr");
        let script = out_dir.join("no-unwind-tables.ld");
        fs::write(
            &script,
            "SECTIONS { /DISCARD/ : { *(.eh_frame) } } INSERT AFTER .text;\n",
        )
        .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }

    write_published(&root, &out_dir)?;

    let mut assets = Vec::new();
    let css = concat_dir(&root.join("app/style"), "css")?;
    let css_path = push_hashed(&mut assets, "cocolu", "css", "text/css; charset=utf-8", css);
    let icon = read(&root.join("app/assets/favicon.svg"))?;
    let icon_path = push_hashed(&mut assets, "favicon", "svg", "image/svg+xml", icon);

    let skip = env::var("COCOLU_SKIP_WASM").is_ok_and(|v| !v.is_empty() && v != "0");
    let app = if skip {
        println!(
            "cargo:warning=COCOLU_SKIP_WASM is set: this build serves the dashboard without hydration"
        );
        let note = b"// COCOLU_SKIP_WASM: this build carries no hydration bundle.\n".to_vec();
        let js = push_hashed(&mut assets, "cocolu", "js", JS, note.clone());
        let boot = push_hashed(&mut assets, "boot", "js", JS, note);
        AppFiles {
            link: js.clone(),
            js,
            wasm: String::from("/pkg/cocolu-none.wasm"),
            boot,
            splits: Vec::new(),
        }
    } else {
        let wasm = compile_app(&root)?;
        let split = split_wasm(&out_dir, &wasm)?;
        bindgen(&mut assets, &split)?
    };

    write_bundle(
        &out_dir,
        &assets,
        &[
            ("CSS", &css_path),
            ("JS", &app.js),
            ("WASM", &app.wasm),
            ("BOOT", &app.boot),
            ("LINK", &app.link),
            ("ICON", &icon_path),
        ],
        &app.splits,
    )
}

/// Where the dashboard's code went: the glue, the main module, the boot module, the split
/// loader, and for each lazy page the files it loads (paths under `/pkg/`).
struct AppFiles {
    js: String,
    wasm: String,
    boot: String,
    link: String,
    splits: Vec<(String, Vec<String>)>,
}

/// The module rustc built, split: the main module (still to go through wasm-bindgen), one
/// module per lazy page and the chunks pages share, the loader, and which files each page
/// needs.
struct Split {
    main: PathBuf,
    dir: PathBuf,
    modules: Vec<PathBuf>,
    pages: Vec<(String, Vec<String>)>,
}

/// The loader's name, relative to the glue: the main module imports it under this name.
const LINK_JS: &str = "__wasm_split.js";
/// The glue's name inside the split set: the loader imports `initSync` from it.
const GLUE_JS: &str = "cocolu.js";

/// Splits the raw module at its lazy functions (`#[lazy_route]` pages).
fn split_wasm(out_dir: &Path, wasm: &Path) -> BuildResult<Split> {
    let raw = read(wasm)?;
    let dir = out_dir.join("split");
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let main = dir.join("main.wasm");
    let link = format!("./{LINK_JS}");
    let glue = format!("./{GLUE_JS}");
    let mut options = wasm_split_cli_support::Options::new(&raw);
    options.output_dir = &dir;
    options.main_out_path = &main;
    options.link_name = &link;
    options.main_module = &glue;
    let split = wasm_split_cli_support::transform(options)
        .map_err(|e| format!("splitting the dashboard's wasm failed: {e:?}"))?;
    let mut pages: Vec<(String, Vec<String>)> = split.prefetch_map.into_iter().collect();
    pages.sort();
    Ok(Split {
        main,
        dir,
        modules: split.split_modules,
        pages,
    })
}

const JS: &str = "text/javascript; charset=utf-8";
const WASM: &str = "application/wasm";

fn env_var(name: &str) -> BuildResult<String> {
    env::var(name).map_err(|_| format!("cargo did not set {name}"))
}

fn read(path: &Path) -> BuildResult<Vec<u8>> {
    fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// All files with the given extension in a folder, in name order, joined.
fn concat_dir(dir: &Path, extension: &str) -> BuildResult<Vec<u8>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    let mut joined = Vec::new();
    for file in files {
        joined.extend(read(&file)?);
        joined.push(b'\n');
    }
    Ok(joined)
}

fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..8]
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Adds a file under `/pkg/{stem}-{hash}.{ext}` and returns that path.
fn push_hashed(
    assets: &mut Vec<Asset>,
    stem: &str,
    ext: &str,
    content_type: &'static str,
    bytes: Vec<u8>,
) -> String {
    let path = format!("/pkg/{stem}-{}.{ext}", short_hash(&bytes));
    assets.push(Asset {
        path: path.clone(),
        content_type,
        immutable: true,
        bytes,
    });
    path
}

/// Makes sure the wasm target is installed, so that the README's commands work on a fresh
/// machine with rustup's stable toolchain.
fn ensure_wasm_target() -> BuildResult<()> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let libdir = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .output()
        .map_err(|e| format!("cannot run {rustc}: {e}"))?;
    let libdir = String::from_utf8_lossy(&libdir.stdout).trim().to_string();
    if !libdir.is_empty() && Path::new(&libdir).is_dir() {
        return Ok(());
    }
    println!("cargo:warning=installing the {WASM_TARGET} target with rustup (first build only)");
    let status = Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .status()
        .map_err(|e| {
            format!("the {WASM_TARGET} target is missing and rustup could not run: {e}")
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`rustup target add {WASM_TARGET}` failed ({status})"
        ))
    }
}

/// Compiles the app crate to wasm and returns the path of the module.
fn compile_app(root: &Path) -> BuildResult<PathBuf> {
    ensure_wasm_target()?;
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("wasm");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args([
            "rustc",
            "-p",
            APP_PACKAGE,
            "--lib",
            "--crate-type",
            "cdylib",
        ])
        .args(["--target", WASM_TARGET, "--profile", WASM_PROFILE])
        .args(["--no-default-features", "--features", "hydrate"])
        .arg("--target-dir")
        .arg(&target_dir)
        // Only for this crate (not its dependencies): the splitter needs the relocations.
        .args(["--", "-C", "link-arg=--emit-relocs"]);
    // Settings meant for the outer (native) build must not leak into the wasm one.
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CARGO_LLVM_COV",
        "LLVM_PROFILE_FILE",
    ] {
        command.env_remove(var);
    }
    // Type-erased components (see .cargo/config.toml): the bundle must be built the way the
    // server renders, or hydration fails, so it follows the outer build's cfg.
    if env::var_os("CARGO_CFG_ERASE_COMPONENTS").is_some() {
        command.env("RUSTFLAGS", "--cfg erase_components");
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "compiling the dashboard for {WASM_TARGET} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let wasm = target_dir
        .join(WASM_TARGET)
        .join(WASM_PROFILE)
        .join(format!("{APP_LIB}.wasm"));
    if wasm.is_file() {
        Ok(wasm)
    } else {
        Err(format!("cargo succeeded but {} is missing", wasm.display()))
    }
}

/// Runs wasm-bindgen on the main module and adds the split set to the bundle: the glue, the
/// main module, the loader, the pages' modules and the glue's snippets, all in one folder
/// `/pkg/app-{hash}/` named by a hash of them all (they refer to each other by relative
/// names), and the boot module beside it.
fn bindgen(assets: &mut Vec<Asset>, split: &Split) -> BuildResult<AppFiles> {
    let mut output = wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&split.main)
        .out_name("cocolu")
        .web(true)
        .map_err(|e| e.to_string())?
        .typescript(false)
        .debug(false)
        .keep_debug(false)
        .demangle(false)
        // The loader reaches the shared function table through these exports.
        .keep_lld_exports(true)
        .remove_name_section(true)
        .remove_producers_section(true)
        .generate_output()
        .map_err(|e| format!("wasm-bindgen failed: {e:#}"))?;

    // (name inside the folder, content type, bytes)
    let mut files: Vec<(String, &'static str, Vec<u8>)> = Vec::new();
    // Snippets are imported by the glue as `./snippets/...`, so they keep their names.
    for (identifier, list) in output.snippets() {
        for (i, js) in list.iter().enumerate() {
            files.push((
                format!("snippets/{identifier}/inline{i}.js"),
                JS,
                js.clone().into_bytes(),
            ));
        }
    }
    for (path, js) in output.local_modules() {
        files.push((format!("snippets/{path}"), JS, js.clone().into_bytes()));
    }
    let module = strip_custom_sections(&output.wasm_mut().emit_wasm())?;
    files.push(("cocolu.wasm".into(), WASM, module));
    files.push((GLUE_JS.into(), JS, output.js().as_bytes().to_vec()));
    files.push((LINK_JS.into(), JS, read(&split.dir.join(LINK_JS))?));
    for module in &split.modules {
        let name = module
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("odd file name {}", module.display()))?
            .to_string();
        files.push((
            name,
            WASM,
            strip_custom_sections(&drop_unused(&read(module)?)?)?,
        ));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut all = Vec::new();
    for (name, _, bytes) in &files {
        all.extend_from_slice(name.as_bytes());
        all.extend_from_slice(bytes);
    }
    let folder = format!("app-{}", short_hash(&all));
    for (name, content_type, bytes) in files {
        assets.push(Asset {
            path: format!("/pkg/{folder}/{name}"),
            content_type,
            immutable: true,
            bytes,
        });
    }
    let boot = format!(
        "// Loads the dashboard's wasm and hydrates the server-rendered page.\n\
         import init, {{ hydrate }} from \"./{folder}/{GLUE_JS}\";\n\
         await init({{ module_or_path: new URL(\"./{folder}/cocolu.wasm\", import.meta.url) }});\n\
         hydrate();\n"
    );
    let boot = push_hashed(assets, "boot", "js", JS, boot.into_bytes());
    let pages = split
        .pages
        .iter()
        .map(|(page, stems)| {
            let files = stems
                .iter()
                .map(|stem| format!("/pkg/{folder}/{stem}.wasm"))
                .collect();
            (page.clone(), files)
        })
        .collect();
    Ok(AppFiles {
        js: format!("/pkg/{folder}/{GLUE_JS}"),
        wasm: format!("/pkg/{folder}/cocolu.wasm"),
        link: format!("/pkg/{folder}/{LINK_JS}"),
        boot,
        splits: pages,
    })
}

/// Drops what a split module declares but does not use: the splitter gives each module the
/// main module's whole list of function types (480 bytes), of which a chunk uses a few, and
/// those copies were a tenth of the overview's first load after compression (41 files).
fn drop_unused(wasm: &[u8]) -> BuildResult<Vec<u8>> {
    let mut module = walrus::Module::from_buffer(wasm)
        .map_err(|e| format!("cannot read a split module: {e}"))?;
    walrus::passes::gc::run(&mut module);
    Ok(module.emit_wasm())
}

/// Drops every custom section (names, producers, debug info): browsers never read them.
fn strip_custom_sections(wasm: &[u8]) -> BuildResult<Vec<u8>> {
    const HEADER: usize = 8;
    if wasm.len() < HEADER || &wasm[..4] != b"\0asm" {
        return Err("wasm-bindgen produced something that is not a wasm module".into());
    }
    let mut out = wasm[..HEADER].to_vec();
    let mut pos = HEADER;
    while pos < wasm.len() {
        let id = wasm[pos];
        let (size, leb_len) = read_leb128(&wasm[pos + 1..])?;
        let end = pos + 1 + leb_len + size;
        if end > wasm.len() {
            return Err("truncated wasm section".into());
        }
        if id != 0 {
            out.extend_from_slice(&wasm[pos..end]);
        }
        pos = end;
    }
    Ok(out)
}

fn read_leb128(bytes: &[u8]) -> BuildResult<(usize, usize)> {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err("bad LEB128 section size in wasm".into())
}

fn brotli(bytes: &[u8]) -> BuildResult<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Compresses the published files (`docs/openapi.json`, `docs/schema/*.json`, which the
/// tests generate) into `OUT_DIR/published/` and writes the table that embeds them into
/// `OUT_DIR/published.rs`. A file not generated yet is left out (a test says so).
fn write_published(root: &Path, out_dir: &Path) -> BuildResult<()> {
    let docs = root.join("docs");
    let mut names = vec!["openapi.json".to_string()];
    if let Ok(entries) = fs::read_dir(docs.join("schema")) {
        let mut schemas: Vec<String> = entries
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".json"))
            .map(|name| format!("schema/{name}"))
            .collect();
        schemas.sort();
        names.extend(schemas);
    }
    let dir = out_dir.join("published");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut table = String::from("// Generated by build.rs: the published files.\n\n");
    table.push_str("pub(crate) static PUBLISHED: &[(&str, &[u8])] = &[\n");
    for (index, name) in names.iter().enumerate() {
        let Ok(bytes) = fs::read(docs.join(name)) else {
            continue;
        };
        let file = dir.join(format!("{index}.br"));
        fs::write(&file, brotli(&bytes)?)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        let _ = writeln!(
            table,
            "    ({name:?}, include_bytes!({:?})),",
            file.display().to_string()
        );
    }
    table.push_str("];\n");
    let file = out_dir.join("published.rs");
    fs::write(&file, table).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

/// Writes every variant of every asset into `OUT_DIR/bundle/` and the table that embeds them
/// into `OUT_DIR/bundle.rs`.
fn write_bundle(
    out_dir: &Path,
    assets: &[Asset],
    links: &[(&str, &str)],
    splits: &[(String, Vec<String>)],
) -> BuildResult<()> {
    let dir = out_dir.join("bundle");
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;

    let mut table = String::from("// Generated by build.rs: the embedded dashboard bundle.\n\n");
    table.push_str("pub(crate) static ASSETS: &[EmbeddedAsset] = &[\n");
    for (index, asset) in assets.iter().enumerate() {
        let variant = |suffix: &str, bytes: &[u8]| -> BuildResult<String> {
            // A compressed copy that is not smaller is not worth sending.
            if suffix != "raw" && bytes.len() >= asset.bytes.len() {
                return Ok("&[]".into());
            }
            let file = dir.join(format!("{index}.{suffix}"));
            fs::write(&file, bytes).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            Ok(format!("include_bytes!({:?})", file.display().to_string()))
        };
        // The brotli copy stands for the file: the server expands it (or gzips it once) for
        // the rare client that does not take brotli, which keeps the binary small.
        let br = variant("br", &brotli(&asset.bytes)?)?;
        let raw = if br == "&[]" {
            variant("raw", &asset.bytes)?
        } else {
            "&[]".to_string()
        };
        let _ = writeln!(
            table,
            "    EmbeddedAsset {{ path: {:?}, content_type: {:?}, immutable: {}, raw: {raw}, brotli: {br} }},",
            asset.path, asset.content_type, asset.immutable
        );
    }
    table.push_str("];\n\n");
    for (name, path) in links {
        let _ = writeln!(table, "pub(crate) const {name}_PATH: &str = {path:?};");
    }
    table.push_str("\n/// Each lazy page's name and the files its code is in.\n");
    table.push_str("pub(crate) static PAGES: &[(&str, &[&str])] = &[\n");
    for (page, files) in splits {
        let _ = writeln!(table, "    ({page:?}, &{files:?}),");
    }
    table.push_str("];\n");
    let file = out_dir.join("bundle.rs");
    fs::write(&file, table).map_err(|e| format!("cannot write {}: {e}", file.display()))
}
