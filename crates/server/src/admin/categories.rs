//! `pingme admin category add|list|remove`.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use pingme_domain::community::{CategoryChanges, CategoryName, Description, NewCategory};
use pingme_domain::media::MediaStore;
use pingme_domain::store::{CategoryDeletion, Store, StoreError, Unique};
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

pub async fn run(
    store: &dyn Store,
    media: &dyn MediaStore,
    max_upload: usize,
    command: CategoryCommand,
) -> anyhow::Result<()> {
    match command {
        CategoryCommand::Add(args) => add(store, media, max_upload, args).await,
        CategoryCommand::List => list(store).await,
        CategoryCommand::Remove(args) => remove(store, args).await,
    }
}

async fn add(
    store: &dyn Store,
    media: &dyn MediaStore,
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
            Some(
                pingme_media::process(&bytes, Purpose::Icon, max_upload)
                    .map_err(|e| anyhow::anyhow!("icon: {e}"))?,
            )
        }
        None => None,
    };
    let category = match store
        .create_category(&NewCategory { name, description })
        .await
    {
        Ok(category) => category,
        Err(StoreError::Conflict(Unique::CategoryName)) => bail!(
            "a category named {:?} already exists",
            args.name.trim().to_lowercase()
        ),
        Err(other) => return Err(other).context("cannot create the category"),
    };
    if let Some(icon) = icon {
        let key = format!("categories/{}/{}", category.id, icon.file_name());
        let changes = CategoryChanges {
            icon: Some(Some(key.clone())),
            ..CategoryChanges::default()
        };
        let attached = async {
            media
                .put(&key, icon.bytes)
                .await
                .context("cannot store the icon")?;
            store
                .update_category(category.id, &changes)
                .await?
                .context("the category vanished")
        };
        if let Err(error) = attached.await {
            // Nothing half-made: the category goes again, so a retry does not find it taken.
            store.delete_category(category.id).await?;
            return Err(error);
        }
    }
    println!("created category {} ({})", category.id, category.name);
    Ok(())
}

async fn list(store: &dyn Store) -> anyhow::Result<()> {
    for category in store.categories().await? {
        let description = category.description.unwrap_or_default();
        println!("{}\t{}\t{description}", category.id, category.name);
    }
    Ok(())
}

async fn remove(store: &dyn Store, args: RemoveCategory) -> anyhow::Result<()> {
    let name = args.name.trim().to_lowercase();
    let Some(category) = store.category_by_name(&name).await? else {
        bail!("there is no category named {name:?}");
    };
    match store.delete_category(category.id).await? {
        CategoryDeletion::Deleted => println!("removed category {name}"),
        CategoryDeletion::NotFound => bail!("there is no category named {name:?}"),
        CategoryDeletion::InUse(servers) => {
            bail!("category {name:?} is used by {servers} server(s); move or delete them first")
        }
    }
    Ok(())
}
