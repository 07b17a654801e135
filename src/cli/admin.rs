//! `visage admin …`: the first owner, and roles for automation clients.

use anyhow::bail;

use crate::admin::bootstrap::bootstrap;
use crate::admin::roles::{self, Role};

use super::commands::{print_invitation, state};
use super::{AdminCmd, Global};

pub fn run(g: &Global, cmd: AdminCmd) -> anyhow::Result<()> {
    let s = state(g)?;
    let now = chrono::Utc::now().timestamp();
    match cmd {
        AdminCmd::Bootstrap => {
            let ttl = s.config.signup.invitation_ttl_seconds;
            let token = s.db.run_sync(|c| bootstrap(c, ttl, now))?;
            let what = "open it to create the first owner account; single use";
            print_invitation(g, &s.config.issuer, &token, ttl, what);
        }
        AdminCmd::Grant { user, client, role } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let (kind, subject) = match (user, client) {
                (Some(email), None) => {
                    let u =
                        s.db.run_sync(|c| crate::db::users::find_by_email(c, &email))?;
                    let Some(u) = u else {
                        bail!("no account with email {email}")
                    };
                    ("user", u.id.into_string())
                }
                (None, Some(id)) => ("client", id),
                _ => bail!("give exactly one of --user EMAIL or --client ID"),
            };
            s.db.run_sync(|c| roles::grant(c, kind, &subject, role, "cli", now))?;
            println!("{kind} {subject} is now {}", role.as_str());
        }
        AdminCmd::List => {
            for r in s.db.run_sync(roles::list)? {
                println!("{}\t{}\t{}", r.role, r.kind, r.subject);
            }
        }
    }
    Ok(())
}
