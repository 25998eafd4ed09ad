//! `adminctl import-anki-server`: users, collections and media from the official sync
//! server (the work is in `flashcard_flow_server::admin::import_official`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use flashcard_flow_server::admin::import_official::{
    import_one, plan_user, users_from_env, users_from_file, OfficialUsers, PlannedUser,
};
use flashcard_flow_server::admin::{exit, AdminError, AdminSession};
use flashcard_flow_server::config::GlobalOptions;

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The official server's data directory (its SYNC_BASE)
    #[arg(long, value_name = "SYNC_BASE")]
    base: PathBuf,
    /// A file of SYNC_USERn=... lines (and PASSWORDS_HASHED=1 if it used hashes)
    /// [default: SYNC_USERn and PASSWORDS_HASHED from the environment]
    #[arg(long, value_name = "FILE")]
    users_file: Option<PathBuf>,
    /// Use <username>@DOMAIN as each user's email instead of asking (the official server
    /// has no emails; usernames that are emails are used as they are)
    #[arg(long, value_name = "DOMAIN")]
    email_domain: Option<String>,
    /// Keep the official server's Anki logins: devices go on syncing without logging in
    /// (their old key is weaker, so this is opt-in; it ends at the first password change)
    #[arg(long)]
    keep_anki_logins: bool,
    /// Show what would be done, and change nothing
    #[arg(long)]
    dry_run: bool,
}

fn email_for(username: &str, domain: Option<&str>) -> Result<String, AdminError> {
    if let Some(domain) = domain {
        return Ok(format!("{username}@{}", domain.trim_start_matches('@')));
    }
    if username.contains('@') {
        return Ok(username.to_string());
    }
    if !std::io::stdin().is_terminal() {
        return Err(AdminError::BadInput(format!(
            "no email for {username:?}: pass --email-domain, or run on a terminal to be asked"
        )));
    }
    eprint!("email address for {username}: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| AdminError::BadInput(format!("cannot read the email: {e}")))?;
    Ok(line.trim().to_string())
}

fn describe(plan: &PlannedUser) -> String {
    format!(
        "{} <{}>: {}, {} media file(s){}",
        plan.username,
        plan.email,
        if plan.has_collection {
            "collection"
        } else {
            "no collection yet"
        },
        plan.media_files,
        if plan.has_media_db {
            " with media index"
        } else {
            ""
        },
    )
}

pub fn run(global: &GlobalOptions, args: &ImportArgs, json: bool) -> Result<u8, AdminError> {
    let OfficialUsers {
        users,
        passwords_hashed,
    } = match &args.users_file {
        Some(path) => users_from_file(path)?,
        None => users_from_env()?,
    };
    if users.is_empty() {
        return Err(AdminError::BadInput(
            "no SYNC_USERn entries found (set them in the environment or pass --users-file)".into(),
        ));
    }
    if !args.base.is_dir() {
        return Err(AdminError::BadInput(format!(
            "{} is not a directory (pass the official server's SYNC_BASE)",
            args.base.display()
        )));
    }
    let mut plans = Vec::new();
    for user in &users {
        let email = email_for(&user.username, args.email_domain.as_deref())?;
        plans.push(plan_user(&args.base, &user.username, email)?);
    }

    let mode = if passwords_hashed {
        "PBKDF2 hashes (PASSWORDS_HASHED)"
    } else {
        "plain passwords"
    };
    if args.dry_run {
        if json {
            let rows: Vec<_> = plans
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "username": p.username, "email": p.email, "collection": p.has_collection,
                        "media_files": p.media_files, "media_db": p.has_media_db,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({"dry_run": true, "passwords": mode,
                "keep_anki_logins": args.keep_anki_logins, "users": rows})
            );
        } else {
            println!(
                "dry run: nothing is written. Would import {} user(s) from {} ({mode}):",
                plans.len(),
                args.base.display()
            );
            for plan in &plans {
                println!("  {}", describe(plan));
            }
            if args.keep_anki_logins {
                println!("Their Anki devices would stay logged in.");
            } else {
                println!("Their Anki devices would have to log in again (--keep-anki-logins keeps them).");
            }
        }
        return Ok(exit::OK);
    }

    let session = AdminSession::open(global, "adminctl")?;
    let mut failed = 0;
    let mut rows = Vec::new();
    for (plan, user) in plans.iter().zip(&users) {
        match import_one(
            &session,
            plan,
            user,
            passwords_hashed,
            args.keep_anki_logins,
        ) {
            Ok(id) => {
                if !json {
                    println!("imported {} (id {id})", describe(plan));
                }
                rows.push(serde_json::json!({"username": plan.username, "id": id, "ok": true}));
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e}", plan.username);
                rows.push(serde_json::json!({"username": plan.username, "ok": false, "error": e.to_string()}));
            }
        }
    }
    if json {
        println!("{}", serde_json::json!({"users": rows}));
    }
    Ok(if failed == 0 {
        exit::OK
    } else {
        exit::BAD_INPUT
    })
}
