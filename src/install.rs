//! `cocolu install`: puts this binary, the systemd unit, the environment file and the data
//! folders in place, and makes the `cocolu` system user. Running it again upgrades: the binary
//! and the unit are replaced, the environment file and everything under `/var/lib/cocolu` are
//! kept. `--root DIR` installs under another root (a package build, a test).
//!
//! Install runs as root, but `/var/lib/cocolu` belongs to the service user, who could plant a
//! symbolic link there (to `/etc`, say) for root to chmod and chown. So nothing under it is
//! reached by path: each folder is opened relative to its parent's descriptor with
//! `O_NOFOLLOW`, a link at the top is refused, and a link deeper down is skipped and reported.

use crate::store::atomic::write_atomic;
use crate::store::DIR_MODE;
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::{CString, OsStr};
use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
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

/// The service user's folders under `state`, each with what to point at its target instead
/// when it is a symbolic link.
const STATE_FOLDERS: [(&str, &str); 2] = [
    ("data", "point COCOLU_DATA_DIR at the target"),
    ("templates", "point COCOLU_TEMPLATES_DIR at the target"),
];

/// How deep the walk goes: Cocolu's own layout is three levels deep, and a bound keeps a
/// planted tree from exhausting descriptors (the walk holds two per level).
const MAX_DEPTH: usize = 32;

/// How many skipped entries the report names one by one; the rest are counted.
const MAX_NAMED_SKIPS: usize = 20;

/// Makes `state`, `state/data` and `state/templates` (mode 0700, owned by the service user
/// when there is one), then walks everything under `state` the same way: folders 0700, the
/// owner set, symbolic links and hard-linked files left alone.
fn prepare_state(state: &Path, owner: Option<(u32, u32)>, report: &mut Report) -> io::Result<()> {
    let (Some(parent), Some(name)) = (state.parent(), state.file_name()) else {
        return Err(io::Error::other(format!(
            "{} has no parent folder",
            state.display()
        )));
    };
    // `/var/lib` is root's: reaching it by path cannot be redirected by the service user.
    fs::create_dir_all(parent)?;
    let parent = File::open(parent)?;
    let top = service_folder(&parent, name, state, "", owner)?;
    for (name, instead) in STATE_FOLDERS {
        service_folder(&top, OsStr::new(name), &state.join(name), instead, owner)?;
    }
    let mut skips = Skips::default();
    secure_tree(&top, state, owner, 0, &mut skips)?;
    report.step(format!(
        "data folders ready: {} (contents kept; folders mode 0700{})",
        state.display(),
        if owner.is_some() {
            format!(", owned by `{USER}`")
        } else {
            String::new()
        }
    ));
    skips.report(report);
    Ok(())
}

/// Creates `name` in `parent` if missing and opens it without following a symbolic link.
/// A link there is refused with what to do instead: an operator may have put it there on
/// purpose, and needs to hear why install stops.
fn service_folder(
    parent: &File,
    name: &OsStr,
    path: &Path,
    instead: &str,
    owner: Option<(u32, u32)>,
) -> io::Result<File> {
    let name = c_name(name)?;
    match rustix::fs::mkdirat(parent, &name, Mode::from_raw_mode(DIR_MODE)) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(error) => return Err(error.into()),
    }
    let handle = open_no_follow(parent, &name)?;
    let kind = handle.metadata()?.file_type();
    if kind.is_symlink() {
        let instead = if instead.is_empty() {
            String::new()
        } else {
            format!(" (or {instead})")
        };
        return Err(io::Error::other(format!(
            "{} is a symbolic link; Cocolu will not change permissions through it. Replace it \
             with a real folder{instead} and run install again.",
            path.display()
        )));
    }
    if !kind.is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a folder; move it away and run install again.",
            path.display()
        )));
    }
    let folder = open_folder(&handle)?;
    make_private(&folder, owner)?;
    Ok(folder)
}

/// What the walk left alone, for the report.
#[derive(Default)]
struct Skips {
    named: Vec<String>,
    more: usize,
}

impl Skips {
    fn add(&mut self, text: String) {
        if self.named.len() < MAX_NAMED_SKIPS {
            self.named.push(text);
        } else {
            self.more = self.more.saturating_add(1);
        }
    }

    fn report(self, report: &mut Report) {
        for text in self.named {
            report.step(format!("warning: {text}"));
        }
        if self.more > 0 {
            report.step(format!("warning: {} more entries left alone", self.more));
        }
    }
}

/// Walks the folder open as `dir` (at `path`, for messages): each folder in it is made
/// private and walked in turn, each file given to the service user. Everything is opened
/// relative to `dir` with `O_NOFOLLOW`, so a link swapped in during the walk is seen as a
/// link, never as its target.
fn secure_tree(
    dir: &File,
    path: &Path,
    owner: Option<(u32, u32)>,
    depth: usize,
    skips: &mut Skips,
) -> io::Result<()> {
    // The names are read first so that only this level's descriptor stays open below.
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(dir)? {
        let name = entry?.file_name().to_owned();
        if name.as_bytes() != b"." && name.as_bytes() != b".." {
            names.push(name);
        }
    }
    for name in names {
        let child = path.join(OsStr::from_bytes(name.as_bytes()));
        let handle = match open_no_follow(dir, &name) {
            Ok(handle) => handle,
            // Removed since the listing (the service may be running): nothing to fix.
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        let meta = handle.metadata()?;
        if meta.file_type().is_symlink() {
            skips.add(format!(
                "{} is a symbolic link; left alone (its target keeps its permissions)",
                child.display()
            ));
        } else if meta.is_dir() {
            if depth >= MAX_DEPTH {
                skips.add(format!(
                    "{} is more than {MAX_DEPTH} folders deep; left alone",
                    child.display()
                ));
                continue;
            }
            let folder = open_folder(&handle)?;
            make_private(&folder, owner)?;
            secure_tree(&folder, &child, owner, depth + 1, skips)?;
        } else if let Some((uid, gid)) = owner {
            // A second name elsewhere (`/etc/shadow` linked in) would be chowned with it.
            if meta.nlink() > 1 {
                skips.add(format!(
                    "{} has other hard links; its owner was left as it is",
                    child.display()
                ));
                continue;
            }
            rustix::fs::chownat(
                &handle,
                c"",
                Some(rustix::fs::Uid::from_raw(uid)),
                Some(rustix::fs::Gid::from_raw(gid)),
                AtFlags::EMPTY_PATH,
            )?;
        }
    }
    Ok(())
}

fn c_name(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} has a NUL byte in its name", name.to_string_lossy()),
        )
    })
}

/// Opens `name` in `dir` as a handle on the entry itself: a symbolic link is opened as the
/// link (`O_PATH | O_NOFOLLOW`), and nothing is read, so a FIFO or a device is harmless.
fn open_no_follow(dir: &File, name: &CString) -> io::Result<File> {
    let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(File::from(rustix::fs::openat(
        dir,
        name,
        flags,
        Mode::empty(),
    )?))
}

/// Opens the folder a handle from [`open_no_follow`] points at, for reading and chmod.
/// Going through `.` of that handle reaches the same folder, whatever its name points at now.
fn open_folder(handle: &File) -> io::Result<File> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    Ok(File::from(rustix::fs::openat(
        handle,
        c".",
        flags,
        Mode::empty(),
    )?))
}

/// Mode 0700 and the service user as owner, through the open descriptor.
fn make_private(folder: &File, owner: Option<(u32, u32)>) -> io::Result<()> {
    if folder.metadata()?.permissions().mode() & 0o7777 != DIR_MODE {
        folder.set_permissions(fs::Permissions::from_mode(DIR_MODE))?;
    }
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::fchown(folder, Some(uid), Some(gid))?;
    }
    Ok(())
}

/// A folder of root's (`/etc/cocolu`), so reaching it by path is safe.
fn ensure_dir(path: &Path, mode: u32) -> io::Result<()> {
    fs::create_dir_all(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
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
    prepare_state(&state, owner, &mut report)?;

    let etc = under(root, "/etc/cocolu");
    ensure_dir(&etc, 0o755)?;
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
  1. Edit /etc/cocolu/cocolu.env if needed (the Meta values can instead be entered in the
     dashboard's Settings: /usr/share/doc/cocolu/meta-setup.es.md in Spanish,
     meta-setup.en.md in English).
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    /// An owner the files do not have yet, so that a chown shows. Giving files away needs
    /// root, as `cocolu install` does; run as someone else, these tests have nothing to see.
    fn service_user() -> Option<(u32, u32)> {
        let root = fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        root.then_some((4242, 4243))
    }

    fn owner(path: &Path) -> (u32, u32) {
        let meta = fs::symlink_metadata(path).expect("exists");
        (meta.uid(), meta.gid())
    }

    #[test]
    fn every_folder_and_file_under_the_state_folder_goes_to_the_service_user() {
        let Some(ids) = service_user() else { return };
        let tmp = tempfile::tempdir().expect("tempdir");
        let state = tmp.path().join("cocolu");
        fs::create_dir_all(state.join("data/log")).expect("mkdir");
        fs::write(state.join("data/log/00001.jsonl"), b"{}\n").expect("write");

        prepare_state(&state, Some(ids), &mut Report::default()).expect("prepared");

        for path in ["", "data", "templates", "data/log", "data/log/00001.jsonl"] {
            assert_eq!(owner(&state.join(path)), ids, "{path}");
        }
    }

    #[test]
    fn a_hard_linked_file_keeps_its_owner_and_is_reported() {
        let Some(ids) = service_user() else { return };
        let tmp = tempfile::tempdir().expect("tempdir");
        let outside = tmp.path().join("shadow");
        fs::write(&outside, b"secret").expect("write");
        let before = owner(&outside);
        let state = tmp.path().join("cocolu");
        fs::create_dir_all(state.join("data")).expect("mkdir");
        fs::hard_link(&outside, state.join("data/shadow")).expect("link");
        let mut report = Report::default();

        prepare_state(&state, Some(ids), &mut report).expect("prepared");

        assert_eq!(owner(&outside), before);
        assert!(
            report
                .steps
                .iter()
                .any(|s| s.contains("data/shadow has other hard links")),
            "{:?}",
            report.steps
        );
    }

    #[test]
    fn a_symbolic_link_inside_neither_the_link_nor_its_target_changes_owner() {
        let Some(ids) = service_user() else { return };
        let tmp = tempfile::tempdir().expect("tempdir");
        let outside = tmp.path().join("etc");
        fs::create_dir(&outside).expect("mkdir");
        fs::write(outside.join("passwd"), b"root").expect("write");
        let state = tmp.path().join("cocolu");
        fs::create_dir_all(state.join("data")).expect("mkdir");
        std::os::unix::fs::symlink(&outside, state.join("data/etc")).expect("link");
        std::os::unix::fs::symlink(outside.join("passwd"), state.join("data/passwd"))
            .expect("link");
        let before = (owner(&outside), owner(&outside.join("passwd")));

        prepare_state(&state, Some(ids), &mut Report::default()).expect("prepared");

        assert_eq!((owner(&outside), owner(&outside.join("passwd"))), before);
        assert_ne!(owner(&state.join("data/etc")), ids);
    }

    #[test]
    fn a_state_folder_entry_that_is_a_file_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let state = tmp.path().join("cocolu");
        fs::create_dir(&state).expect("mkdir");
        fs::write(state.join("data"), b"not a folder").expect("write");

        let error = prepare_state(&state, None, &mut Report::default()).expect_err("refused");

        assert!(
            error.to_string().contains("data is not a folder"),
            "{error}"
        );
    }
}
