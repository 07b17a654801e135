//! `visage keys rotate-master`: run (or carry on) a master key rotation
//! (`admin::master_key`), and put the new key file in place when it is done.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::Global;
use crate::admin::master_key::{self as master, MasterKeyError, Rotation};
use crate::app::StartError;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::crypto::{read_key_file, write_private, KeyVersion};

/// The new key's file while a rotation runs: `master.key.next`.
pub fn next_key_path(config: &Config) -> PathBuf {
    suffixed(&config.master_key_path(), "next")
}

const RETIRED: &str = "retired-";

/// Where a retired key file goes: `master.key.retired-ID` (older backups
/// open only with it).
pub fn retired_key_path(config: &Config, id: &str) -> PathBuf {
    suffixed(&config.master_key_path(), &format!("{RETIRED}{id}"))
}

/// The retired key files beside the key file.
pub fn retired_key_files(config: &Config) -> Vec<PathBuf> {
    let prefix = suffixed(&config.master_key_path(), RETIRED);
    let (Some(dir), Some(prefix)) = (prefix.parent(), prefix.file_name()) else {
        return Vec::new();
    };
    let prefix = prefix.to_string_lossy();
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix.as_ref()))
        .map(|e| e.path())
        .collect()
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}"));
    path.with_file_name(name)
}

pub fn rotate(g: &Global, batch: i64, settle: i64) -> anyhow::Result<()> {
    if batch < 1 {
        bail!("--batch-size must be at least 1");
    }
    let s = match super::commands::state(g) {
        Err(e) if retired(&e) => {
            // Killed after the rotation finished, before the files moved:
            // move them, and start no other rotation.
            let config = super::commands::load_config(g, None, None)?;
            swap_files(&config)?;
            super::commands::state(g)?;
            println!(
                "the last rotation had finished; {} now holds its new key",
                config.master_key_path().display()
            );
            return Ok(());
        }
        other => other?,
    };
    let now = SystemClock.now();
    let mut rot =
        s.db.run_sync(|c| master::begin(c, &s.master_key, KeyVersion::generate, "cli", now))?;
    // Given the new key already (run on a server whose file was replaced).
    let given_new = s.master_key.given().id() == rot.new.id();
    let next = next_key_path(&s.config);
    if !given_new {
        keep_new_key(&next, &rot)?;
    }
    let mut out = std::io::stdout();
    writeln!(
        out,
        "master key rotation {} -> {} (new key in {})",
        rot.row.old_id,
        rot.row.new_id,
        if given_new {
            "the key file in use".to_owned()
        } else {
            next.display().to_string()
        }
    )?;
    let wait = rot.row.started_at + settle - SystemClock.now();
    if wait > 0 {
        writeln!(
            out,
            "waiting {wait} s for every server to learn the new key"
        )?;
        std::thread::sleep(std::time::Duration::from_secs(wait as u64));
    }
    loop {
        let p =
            s.db.run_sync(|c| master::step(c, &mut rot, batch, SystemClock.now()))?;
        if p.looked_at > 0 {
            writeln!(
                out,
                "re-sealed {} of {} in {} ({} so far)",
                p.resealed, p.looked_at, p.field, p.total
            )?;
        }
        for id in &p.unreadable {
            writeln!(
                out,
                "warning: {} {id} opens under neither key; left as it is",
                p.field
            )?;
        }
        out.flush()?;
        if p.finished {
            break;
        }
    }
    writeln!(
        out,
        "rotation finished: {} fields re-sealed",
        rot.row.resealed
    )?;
    if given_new {
        return Ok(());
    }
    if s.config.master_key.is_empty() {
        master::crash_point("master_key.files");
        swap_files(&s.config)?;
        writeln!(
            out,
            "{} now holds the new key; the old one is {} (backups made before open only with it).\ncopy the new key file to every other server before it restarts",
            s.config.master_key_path().display(),
            retired_key_path(&s.config, &rot.row.old_id).display()
        )?;
    } else {
        writeln!(
            out,
            "set master_key to the contents of {} on every server before it restarts, then delete that file",
            next.display()
        )?;
    }
    Ok(())
}

fn retired(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<StartError>(),
        Some(StartError::MasterKey(MasterKeyError::Retired { .. }))
    )
}

/// Write the new key beside the old one (mode 0600), or check the file a
/// killed run left there.
fn keep_new_key(next: &Path, rot: &Rotation) -> anyhow::Result<()> {
    if next.exists() {
        let there = KeyVersion::parse(&read_key_file(next)?)?;
        if there.id() != rot.new.id() {
            bail!(
                "{} holds another key ({}), not this rotation's ({}): move it away",
                next.display(),
                there.id(),
                rot.new.id()
            );
        }
        return Ok(());
    }
    write_private(next, rot.new.encode().as_bytes())
        .with_context(|| format!("writing the new key to {}", next.display()))
}

/// `master.key` → `master.key.retired-OLD`, `master.key.next` → `master.key`.
fn swap_files(config: &Config) -> anyhow::Result<()> {
    let (current, next) = (config.master_key_path(), next_key_path(config));
    if !config.master_key.is_empty() || !next.exists() {
        bail!(
            "this master key was retired by a rotation: give this server the new key ({} on the server that ran it)",
            next.display()
        );
    }
    let old = KeyVersion::parse(&read_key_file(&current)?)?;
    std::fs::rename(&current, retired_key_path(config, old.id()))?;
    std::fs::rename(&next, &current)?;
    Ok(())
}
