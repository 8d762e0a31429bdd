//! The shipped systemd unit is valid, where `systemd-analyze` exists to say so.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    let Ok(probe) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("systemd-analyze is not installed; skipping the unit check");
        return;
    };
    assert!(probe.status.success());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // `verify` checks that ExecStart exists, so point it at the compiled binary.
    let unit = std::fs::read_to_string(root.join("systemd/cocolu.service")).expect("unit");
    let dir = tempfile::tempdir().expect("temp dir");
    let unit = unit.replace("/usr/local/bin/cocolu", env!("CARGO_BIN_EXE_cocolu"));
    let path = dir.path().join("cocolu.service");
    std::fs::write(&path, unit).expect("write unit");

    let output = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("runs");

    let stderr = String::from_utf8_lossy(&output.stderr);
    let problems: Vec<&str> = stderr
        .lines()
        // The sandbox has no running systemd; these lines are about the host, not the unit.
        .filter(|l| !l.contains("Failed to connect to bus") && !l.trim().is_empty())
        .collect();
    assert!(output.status.success() && problems.is_empty(), "{stderr}");
}
