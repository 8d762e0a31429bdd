//! `cocolu install`: puts this binary, the systemd unit, the environment file and the data
//! folders in place, and makes the `cocolu` system user. Running it again upgrades: the binary
//! and the unit are replaced, the environment file and everything under `/var/lib/cocolu` are
//! kept. `--root DIR` installs under another root (a package build, a test).

use crate::store::atomic::write_atomic;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The unit, as shipped in `systemd/`.
pub const UNIT: &str = include_str!("../systemd/cocolu.service");
/// The environment file's template.
pub const ENV_EXAMPLE: &str = include_str!("../systemd/cocolu.env.example");
/// What goes to `/usr/share/doc/cocolu/`: the nginx site and the Meta guides.
pub const DOCS: [(&str, &str); 3] = [
    (
        "nginx-cocolu.conf",
        include_str!("../systemd/nginx-cocolu.conf"),
    ),
    ("meta-setup.es.md", include_str!("../docs/meta-setup.es.md")),
    ("meta-setup.en.md", include_str!("../docs/meta-setup.en.md")),
];

/// The system user the service runs as.
pub const USER: &str = "cocolu";

/// What an install did, step by step, for the person running it.
#[derive(Debug, Default)]
pub struct Report {
    pub steps: Vec<String>,
}

impl Report {
    fn step(&mut self, text: impl Into<String>) {
        self.steps.push(text.into());
    }
}

fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// The `cocolu` user's uid and gid, if it exists.
fn user_ids() -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let output = Command::new("id").args([flag, USER]).output().ok()?;
        if !output.status.success() {
            return None;
        }
        String::from_utf8_lossy(&output.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn ensure_user(report: &mut Report) -> io::Result<Option<(u32, u32)>> {
    if let Some(ids) = user_ids() {
        report.step(format!("the system user `{USER}` exists"));
        return Ok(Some(ids));
    }
    let status = Command::new("useradd")
        .args([
            "--system",
            "--home-dir",
            "/var/lib/cocolu",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            "--user-group",
            USER,
        ])
        .status()?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "useradd {USER} failed ({status})"
        )));
    }
    report.step(format!("made the system user `{USER}`"));
    Ok(user_ids())
}

fn ensure_dir(path: &Path, mode: u32, owner: Option<(u32, u32)>) -> io::Result<()> {
    fs::create_dir_all(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
    }
    Ok(())
}

/// Installs or upgrades under `root` (`/` for the real system).
pub fn install(root: &Path, binary: &Path) -> io::Result<Report> {
    let mut report = Report::default();
    let real = root == Path::new("/");
    let owner = if real {
        ensure_user(&mut report)?
    } else {
        report.step(format!(
            "installing under {}: the `{USER}` user is not made and files keep their owner",
            root.display()
        ));
        None
    };

    let state = under(root, "/var/lib/cocolu");
    for dir in [&state, &state.join("data"), &state.join("templates")] {
        ensure_dir(dir, 0o700, owner)?;
    }
    report.step(format!(
        "data folders ready: {} (kept as they are)",
        state.display()
    ));

    let etc = under(root, "/etc/cocolu");
    ensure_dir(&etc, 0o755, None)?;
    let env = etc.join("cocolu.env");
    if env.exists() {
        fs::set_permissions(&env, fs::Permissions::from_mode(0o600))?;
        report.step(format!("{} kept", env.display()));
    } else {
        write_atomic(&env, ENV_EXAMPLE.as_bytes(), 0o600)?;
        report.step(format!("wrote {} (mode 0600): fill it in", env.display()));
    }

    let bin = under(root, "/usr/local/bin/cocolu");
    if let Some(parent) = bin.parent() {
        fs::create_dir_all(parent)?;
    }
    let same = fs::metadata(&bin)
        .ok()
        .zip(fs::metadata(binary).ok())
        .is_some_and(|(a, b)| a.ino() == b.ino() && a.dev() == b.dev());
    if same {
        report.step(format!("{} is this binary already", bin.display()));
    } else {
        let bytes = fs::read(binary)?;
        let previous = fs::read(&bin).ok();
        write_atomic(&bin, &bytes, 0o755)?;
        report.step(match previous {
            Some(old) if old == bytes => format!("{} unchanged", bin.display()),
            Some(_) => format!(
                "{} upgraded to {}",
                bin.display(),
                env!("CARGO_PKG_VERSION")
            ),
            None => format!("installed {}", bin.display()),
        });
    }

    let unit = under(root, "/etc/systemd/system/cocolu.service");
    if let Some(parent) = unit.parent() {
        fs::create_dir_all(parent)?;
    }
    let previous = fs::read_to_string(&unit).ok();
    write_atomic(&unit, UNIT.as_bytes(), 0o644)?;
    report.step(match previous {
        Some(old) if old == UNIT => format!("{} unchanged", unit.display()),
        Some(_) => format!(
            "{} replaced by this version's unit (local changes belong in `systemctl edit cocolu`)",
            unit.display()
        ),
        None => format!("installed {}", unit.display()),
    });

    let docs = under(root, "/usr/share/doc/cocolu");
    fs::create_dir_all(&docs)?;
    for (name, text) in DOCS {
        write_atomic(&docs.join(name), text.as_bytes(), 0o644)?;
    }
    report.step(format!(
        "the nginx example and the Meta guide are in {}",
        docs.display()
    ));
    Ok(report)
}

const NEXT_STEPS: &str = "\
Next steps:
  1. Edit /etc/cocolu/cocolu.env (the Meta values: /usr/share/doc/cocolu/meta-setup.es.md
     in Spanish, meta-setup.en.md in English).
  2. sudo systemctl daemon-reload && sudo systemctl enable --now cocolu
     (after an upgrade: sudo systemctl daemon-reload && sudo systemctl restart cocolu)
  3. The setup code for the first administrator: journalctl -u cocolu | grep setup_code
  4. nginx and TLS: /usr/share/doc/cocolu/nginx-cocolu.conf explains the three commands.
  5. Open https://YOUR-DOMAIN/ and create the administrator with the setup code.";

/// `cocolu install [--root DIR]`.
pub fn run(root: &Path) -> ExitCode {
    let binary = match std::env::current_exe() {
        Ok(binary) => binary,
        Err(error) => {
            eprintln!("error: cannot find this program's own file: {error}");
            return ExitCode::FAILURE;
        }
    };
    match install(root, &binary) {
        Ok(report) => {
            for step in &report.steps {
                println!("- {step}");
            }
            if root == Path::new("/") {
                println!("\n{NEXT_STEPS}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            let hint = if error.kind() == io::ErrorKind::PermissionDenied {
                " (run it with sudo)"
            } else {
                ""
            };
            eprintln!("error: the install stopped: {error}{hint}");
            ExitCode::FAILURE
        }
    }
}
