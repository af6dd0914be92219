//! `pingme admin create-user`, `deactivate-user`, `activate-user`.

use anyhow::{Context, bail};
use clap::Args;
use pingme_app::{App, AppError, passwords};
use pingme_domain::account::{Email, NewAccount, Username};
use pingme_domain::password::{PersonalDetails, problems};
use pingme_domain::store::{StoreError, Unique};
use std::io::BufRead;

#[derive(Args, Debug)]
pub struct CreateUser {
    /// Login name.
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub email: String,
    /// Make the account staff (it may manage categories).
    #[arg(long)]
    pub staff: bool,
    /// Mark the e-mail address verified, so the account can log in at once.
    #[arg(long)]
    pub verified: bool,
}

/// Creates an account with the password from `PINGME_ADMIN_PASSWORD` or the first line of
/// standard input — never from the command line, where other users could read it.
pub async fn create_user(app: &App, args: CreateUser) -> anyhow::Result<()> {
    let login =
        Username::parse(args.username.trim()).map_err(|e| anyhow::anyhow!("username: {e}"))?;
    let email = Email::parse(args.email.trim()).map_err(|e| anyhow::anyhow!("email: {e}"))?;
    let password = read_password()?;
    let found = problems(
        &password,
        &PersonalDetails {
            username: login.as_str(),
            email: email.as_str(),
        },
    );
    if !found.is_empty() {
        bail!("password refused: {}", found.join(" "));
    }
    let password_hash = passwords::hash(password).await?;
    let new = NewAccount {
        login,
        email,
        password_hash,
        is_staff: args.staff,
        verified: args.verified,
    };
    let account = match app.create_account(&new).await {
        Ok(account) => account,
        Err(AppError::Store(StoreError::Conflict(Unique::AccountLogin))) => {
            bail!("a user with that username already exists")
        }
        Err(AppError::Store(StoreError::Conflict(Unique::AccountLookalike))) => {
            bail!("a user with a similar username already exists (it would pass for theirs)")
        }
        Err(AppError::Store(StoreError::Conflict(Unique::AccountEmail))) => {
            bail!("that e-mail address is already registered")
        }
        Err(other) => return Err(other).context("cannot create the account"),
    };
    println!("created account {} ({})", account.id, account.login);
    Ok(())
}

#[derive(Args, Debug)]
pub struct CreateUsers {
    /// Login names are this followed by a number: `bench0`, `bench1`, …
    #[arg(long, default_value = "bench")]
    pub prefix: String,
    #[arg(long)]
    pub count: usize,
    /// Write `username,password` lines here, for `pingme-bench --users`.
    #[arg(long)]
    pub csv: std::path::PathBuf,
}

/// Creates `count` verified accounts sharing one password (from `PINGME_ADMIN_PASSWORD` or
/// standard input, hashed once), for load tests. Names already taken are left as they are.
pub async fn create_users(app: &App, args: CreateUsers) -> anyhow::Result<()> {
    let password = read_password()?;
    let names: Vec<Username> = (0..args.count)
        .map(|n| Username::parse(&format!("{}{n}", args.prefix.trim())))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("username: {e}"))?;
    let first = names.first().context("--count must be at least 1")?;
    let email = format!("{}@bench.invalid", first.as_str());
    let found = problems(
        &password,
        &PersonalDetails {
            username: first.as_str(),
            email: &email,
        },
    );
    if !found.is_empty() {
        bail!("password refused: {}", found.join(" "));
    }
    let password_hash = passwords::hash(password.clone()).await?;
    let (mut created, mut kept) = (0, 0);
    let mut csv = String::from("username,password\n");
    for login in names {
        let email = Email::parse(&format!("{}@bench.invalid", login.as_str()))
            .map_err(|e| anyhow::anyhow!("email: {e}"))?;
        let line = format!("{},{password}\n", login.as_str());
        let new = NewAccount {
            login,
            email,
            password_hash: password_hash.clone(),
            is_staff: false,
            verified: true,
        };
        match app.create_account(&new).await {
            Ok(_) => created += 1,
            // Nobody has this name, but it would pass for somebody's: left out of the file,
            // whose lines must all log in.
            Err(AppError::Store(StoreError::Conflict(Unique::AccountLookalike))) => {
                eprintln!(
                    "skipped {}: a user with a similar username already exists",
                    new.login.as_str()
                );
                continue;
            }
            Err(AppError::Store(StoreError::Conflict(_))) => kept += 1,
            Err(other) => return Err(other).context("cannot create the accounts"),
        }
        csv.push_str(&line);
    }
    // Only its owner may read it: it holds a password.
    crate::secret::write_private(&args.csv, &csv)
        .with_context(|| format!("writing {}", args.csv.display()))?;
    println!(
        "created {created} accounts, {kept} existed already (their passwords are unchanged); wrote {}",
        args.csv.display()
    );
    Ok(())
}

#[derive(Args, Debug)]
pub struct AccountName {
    /// Login name (case-insensitive).
    #[arg(long)]
    pub username: String,
}

/// Shuts an account out (`active == false`): it cannot log in, its tokens are refused from
/// the next request on, and its open sockets close on every node. Or lets it back in.
pub async fn set_active(app: &App, args: AccountName, active: bool) -> anyhow::Result<()> {
    let login = args.username.trim();
    let account = match app.set_active(login, active).await {
        Ok(account) => account,
        Err(AppError::NotFound) => bail!("no account is named {login}"),
        Err(other) => return Err(other).context("cannot change the account"),
    };
    let state = if active { "active" } else { "deactivated" };
    println!("account {} ({}) is {state}", account.id, account.login);
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("PINGME_ADMIN_PASSWORD") {
        return Ok(password);
    }
    eprintln!("Password (one line on standard input):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password given: set PINGME_ADMIN_PASSWORD or write it on standard input");
    }
    Ok(password)
}
