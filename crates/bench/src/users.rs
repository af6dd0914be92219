//! The users a run acts as: read from a CSV of verified accounts, logged in once each.

use crate::client::Api;
use anyhow::{Context, bail};
use futures_util::{StreamExt, TryStreamExt, stream};
use std::path::Path;

pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// A logged-in user.
#[derive(Clone)]
pub struct User {
    pub access: String,
}

/// `username,password` lines; blank lines and a `username,password` header are skipped.
pub fn load(path: &Path) -> anyhow::Result<Vec<Credentials>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let users = parse(&text)?;
    if users.is_empty() {
        bail!("{} lists no users", path.display());
    }
    Ok(users)
}

fn parse(text: &str) -> anyhow::Result<Vec<Credentials>> {
    let lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "username,password");
    lines
        .enumerate()
        .map(|(n, line)| match line.split_once(',') {
            Some((username, password)) if !username.is_empty() => Ok(Credentials {
                username: username.to_owned(),
                password: password.to_owned(),
            }),
            _ => bail!("line {}: expected `username,password`", n + 1),
        })
        .collect()
}

/// Logs in the first `count` users (all of them when there are fewer).
pub async fn login(api: &Api, all: &[Credentials], count: usize) -> anyhow::Result<Vec<User>> {
    let chosen = &all[..count.min(all.len())];
    eprintln!("logging in {} users", chosen.len());
    stream::iter(chosen)
        .map(|c| async move {
            let access = api
                .login(&c.username, &c.password)
                .await
                .with_context(|| format!("logging in {}", c.username))?;
            Ok::<_, anyhow::Error>(User { access })
        })
        .buffered(16)
        .try_collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_has_one_user_per_line_and_an_optional_header() {
        let users = parse("username,password\nann,secret one\n\nbob,p,w\n").unwrap();
        let pairs: Vec<_> = users
            .iter()
            .map(|u| (u.username.as_str(), u.password.as_str()))
            .collect();
        assert_eq!(pairs, [("ann", "secret one"), ("bob", "p,w")]);
        assert!(parse("just a name\n").is_err());
    }
}
