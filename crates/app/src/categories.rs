//! Categories, managed by staff over the API and by the operator at the command line — one
//! path for both.

use crate::App;
use crate::access::CategoryAdmin;
use crate::community::finish_or_undo;
use crate::error::{AppError, AppResult};
use crate::media::{ImageChange, MediaOwner};
use pingme_domain::CategoryId;
use pingme_domain::community::{Category, CategoryChanges, NewCategory};
use pingme_domain::store::CategoryDeletion;
use tracing::instrument;

impl App {
    /// Creates a category, then files its icon under its id; if that fails, the category
    /// goes again.
    #[instrument(skip_all, fields(actor = %admin, name = new.name.as_str()))]
    pub async fn create_category(
        &self,
        admin: &CategoryAdmin,
        new: NewCategory,
        icon: ImageChange,
    ) -> AppResult<Category> {
        let category = self.store.create_category(&new).await?;
        if icon.is_keep() {
            return Ok(category);
        }
        let (app, id) = (self.clone(), category.id);
        let attach = async move {
            let changes = CategoryChanges {
                icon: app.store_image(MediaOwner::Category(id), icon).await?,
                ..CategoryChanges::default()
            };
            app.store
                .update_category(id, &changes)
                .await?
                .ok_or(AppError::NotFound)
        };
        let app = self.clone();
        let undo = async move { app.store.delete_category(id).await.map(drop) };
        finish_or_undo(attach, undo, "category", id.0).await
    }

    #[instrument(skip_all, fields(actor = %admin, category = %id))]
    pub async fn update_category(
        &self,
        admin: &CategoryAdmin,
        id: CategoryId,
        changes: CategoryChanges,
        icon: ImageChange,
    ) -> AppResult<Category> {
        let changes = CategoryChanges {
            icon: self.store_image(MediaOwner::Category(id), icon).await?,
            ..changes
        };
        self.store
            .update_category(id, &changes)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Deletes a category no server uses.
    #[instrument(skip_all, fields(actor = %admin, category = %id))]
    pub async fn delete_category(&self, admin: &CategoryAdmin, id: CategoryId) -> AppResult<()> {
        match self.store.delete_category(id).await? {
            CategoryDeletion::Deleted => {
                self.sweep_later(MediaOwner::Category(id));
                Ok(())
            }
            CategoryDeletion::NotFound => Err(AppError::NotFound),
            CategoryDeletion::InUse(servers) => Err(AppError::Conflict(format!(
                "This category is used by {servers} server(s); move or delete them first."
            ))),
        }
    }
}
