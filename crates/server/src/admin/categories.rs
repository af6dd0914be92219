//! `pingme admin category add|list|remove`.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use pingme_app::access::CategoryAdmin;
use pingme_app::media::ImageChange;
use pingme_app::{Actor, App, AppError};
use pingme_domain::community::{CategoryName, Description, NewCategory};
use pingme_domain::store::{StoreError, Unique};
use pingme_media::Purpose;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum CategoryCommand {
    /// Create a category.
    Add(AddCategory),
    /// List the categories, by name.
    List,
    /// Delete a category; refused while servers use it.
    Remove(RemoveCategory),
}

#[derive(Args, Debug)]
pub struct AddCategory {
    /// Stored lowercase.
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub description: Option<String>,
    /// An image file (JPEG, PNG, GIF or WebP), processed like any upload.
    #[arg(long)]
    pub icon: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RemoveCategory {
    #[arg(long)]
    pub name: String,
}

pub async fn run(app: &App, max_upload: usize, command: CategoryCommand) -> anyhow::Result<()> {
    let admin = app.category_admin(Actor::Operator)?;
    match command {
        CategoryCommand::Add(args) => add(app, &admin, max_upload, args).await,
        CategoryCommand::List => list(app).await,
        CategoryCommand::Remove(args) => remove(app, &admin, args).await,
    }
}

async fn add(
    app: &App,
    admin: &CategoryAdmin,
    max_upload: usize,
    args: AddCategory,
) -> anyhow::Result<()> {
    let name = CategoryName::parse(&args.name).map_err(|e| anyhow::anyhow!("name: {e}"))?;
    let description = args
        .description
        .as_deref()
        .map(Description::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("description: {e}"))?;
    // The icon is checked before anything is written.
    let icon = match &args.icon {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            ImageChange::Replace(
                pingme_media::process(&bytes, Purpose::Icon, max_upload)
                    .map_err(|e| anyhow::anyhow!("icon: {e}"))?,
            )
        }
        None => ImageChange::Keep,
    };
    let new = NewCategory { name, description };
    let category = match app.create_category(admin, new, icon).await {
        Ok(category) => category,
        Err(AppError::Store(StoreError::Conflict(Unique::CategoryName))) => bail!(
            "a category named {:?} already exists",
            args.name.trim().to_lowercase()
        ),
        Err(other) => return Err(other).context("cannot create the category"),
    };
    println!("created category {} ({})", category.id, category.name);
    Ok(())
}

async fn list(app: &App) -> anyhow::Result<()> {
    for category in app.store.categories().await? {
        let description = category.description.unwrap_or_default();
        println!("{}\t{}\t{description}", category.id, category.name);
    }
    Ok(())
}

async fn remove(app: &App, admin: &CategoryAdmin, args: RemoveCategory) -> anyhow::Result<()> {
    let name = args.name.trim().to_lowercase();
    let Some(category) = app.store.category_by_name(&name).await? else {
        bail!("there is no category named {name:?}");
    };
    match app.delete_category(admin, category.id).await {
        Ok(()) => println!("removed category {name}"),
        Err(AppError::NotFound) => bail!("there is no category named {name:?}"),
        Err(AppError::Conflict(reason)) => bail!("category {name:?} is kept: {reason}"),
        Err(other) => return Err(other).context("cannot remove the category"),
    }
    Ok(())
}
