//! `visage backup --to FILE` and `visage restore --from FILE` (SQLite): a
//! consistent copy of the live database (`VACUUM INTO`, the server may keep
//! running), sealed with AES-256-GCM under a key derived from the master
//! key, and its restore into a data directory, checked before it replaces
//! anything. PostgreSQL deployments use `pg_dump` / point-in-time recovery
//! (docs/operations.md "Backup and restore").

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use diesel::{Connection, RunQueryDsl};

use crate::config::Config;
use crate::crypto::{self, MasterKey};
use crate::db::Backend;

/// First line of a backup file.
const MAGIC: &[u8] = b"VISAGE-BACKUP 1\n";
/// What the seal is bound to: a backup opens only as a backup.
const AAD: &str = "visage-backup/v1";

fn sqlite_path(config: &Config) -> anyhow::Result<PathBuf> {
    match Backend::from_url(&config.database_url())? {
        (Backend::Sqlite, path) => Ok(PathBuf::from(path)),
        (Backend::Postgres, _) => bail!(
            "this deployment uses PostgreSQL: back it up with pg_dump or point-in-time recovery (docs/operations.md \"Backup and restore\")"
        ),
    }
}

fn master_key(config: &Config) -> anyhow::Result<MasterKey> {
    crypto::load_or_create_master_key(&config.master_key, &config.master_key_path())
        .context("the master key")
}

/// Open a backup under the master key, else under a key retired by a
/// rotation (`master.key.retired-ID` beside it: backups made before).
fn open_backup(config: &Config, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut keys = vec![master_key(config)?.backup_key()];
    for file in super::master_key::retired_key_files(config) {
        keys.push(crypto::KeyVersion::parse(&crypto::read_key_file(&file)?)?.backup_key());
    }
    keys.iter()
        .find_map(|key| crypto::open(key, AAD, sealed).ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the backup does not open: it was made under another master key (not this one nor a retired one beside it), or it was changed"
            )
        })
}

/// A path next to `target` that does not exist yet.
fn beside(target: &Path, what: &str) -> PathBuf {
    let name = format!(
        ".{}.{what}.{}",
        target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("visage"),
        uuid::Uuid::new_v4().simple()
    );
    target.with_file_name(name)
}

/// Write `bytes` to `path` (mode 0600), all or nothing.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = beside(path, "part");
    crypto::write_private(&tmp, bytes)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// What a backup or a restore reports.
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    pub file: String,
    pub bytes: usize,
    pub users: i64,
    pub clients: i64,
}

fn count(conn: &mut diesel::SqliteConnection, table: &str) -> anyhow::Result<i64> {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let rows: Vec<N> =
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).load(conn)?;
    Ok(rows.first().map_or(0, |r| r.n))
}

fn check(db: &Path) -> anyhow::Result<(i64, i64)> {
    #[derive(diesel::QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let mut conn = diesel::SqliteConnection::establish(&db.display().to_string())?;
    let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn)?;
    match rows.first() {
        Some(r) if r.integrity_check == "ok" => {}
        _ => bail!("the database in the backup fails SQLite's integrity check"),
    }
    Ok((count(&mut conn, "users")?, count(&mut conn, "clients")?))
}

/// Copy the live database into `to`, sealed.
pub fn backup(config: &Config, to: &Path) -> anyhow::Result<Summary> {
    let db = sqlite_path(config)?;
    if !db.exists() {
        bail!("no database at {}", db.display());
    }
    let mk = master_key(config)?;
    if to.exists() {
        bail!("{} exists; choose a new file", to.display());
    }
    let snapshot = beside(&db, "snapshot");
    let result = (|| {
        let mut conn = diesel::SqliteConnection::establish(&db.display().to_string())?;
        diesel::sql_query("PRAGMA busy_timeout = 10000").execute(&mut conn)?;
        // One consistent copy, taken in a read transaction: writers go on.
        let quoted = snapshot.display().to_string().replace('\'', "''");
        diesel::sql_query(format!("VACUUM INTO '{quoted}'")).execute(&mut conn)?;
        let (users, clients) = check(&snapshot)?;
        let plain = std::fs::read(&snapshot)?;
        let sealed = crypto::seal(&mk.backup_key(), AAD, &plain)
            .map_err(|e| anyhow::anyhow!("sealing the backup: {e}"))?;
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&sealed);
        write_private(to, &file)?;
        Ok(Summary {
            file: to.display().to_string(),
            bytes: file.len(),
            users,
            clients,
        })
    })();
    let _ = std::fs::remove_file(&snapshot);
    result
}

/// Put the database of backup `from` in place of this deployment's; an
/// existing database is replaced only with `force`.
pub fn restore(config: &Config, from: &Path, force: bool) -> anyhow::Result<Summary> {
    let db = sqlite_path(config)?;
    if db.exists() && !force {
        bail!(
            "a database exists at {}: stop the server and add --force to replace it",
            db.display()
        );
    }
    if config.master_key.is_empty() && !config.master_key_path().exists() {
        bail!(
            "no master key at {}: copy the deployment's master.key there first (a backup opens only with it)",
            config.master_key_path().display()
        );
    }
    let file = std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
    let Some(sealed) = file.strip_prefix(MAGIC) else {
        bail!("{} is not a Visage backup", from.display());
    };
    let plain = open_backup(config, sealed)?;
    let staged = beside(&db, "restore");
    write_private(&staged, &plain)?;
    let (users, clients) = match check(&staged) {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&staged);
            return Err(e);
        }
    };
    // The old database's journal must not be applied to the restored one.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::rename(&staged, &db)?;
    Ok(Summary {
        file: db.display().to_string(),
        bytes: plain.len(),
        users,
        clients,
    })
}
