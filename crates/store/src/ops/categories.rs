//! [`CategoryStore`], for both dialects.

use super::Db;
use crate::dialect::Dialect;
use crate::rows::categories::{CategoryRow, category_columns, into_category};
use crate::store::SqlStore;
use async_trait::async_trait;
use pingme_domain::community::{Category, CategoryChanges, CategoryName, NewCategory};
use pingme_domain::store::{CategoryDeletion, CategoryStore, StoreResult};
use pingme_domain::{CategoryId, Timestamp};

/// The `installation` key recording that the default categories were created.
const SEEDED: &str = "default_categories_seeded";

#[async_trait]
impl CategoryStore for SqlStore<Db> {
    async fn create_category(&self, new: &NewCategory) -> StoreResult<Category> {
        let now = Timestamp::now().unix_micros();
        let sql = concat!(
            "INSERT INTO categories (name, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $3) RETURNING ",
            category_columns!()
        );
        let row: CategoryRow = sqlx::query_as(sql)
            .bind(new.name.as_str())
            .bind(new.description.as_ref().map(|d| d.as_str()))
            .bind(now)
            .fetch_one(&self.write)
            .await
            .map_err(Db::store_error)?;
        row.try_into()
    }

    async fn seed_categories(&self, names: &[CategoryName]) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let marked = sqlx::query(
            "INSERT INTO installation (key, value) VALUES ($1, 'yes') ON CONFLICT DO NOTHING",
        )
        .bind(SEEDED)
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        if marked.rows_affected() == 0 {
            return Ok(false);
        }
        let now = Timestamp::now().unix_micros();
        for name in names {
            sqlx::query(
                "INSERT INTO categories (name, created_at, updated_at) VALUES ($1, $2, $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        }
        tx.commit().await.map_err(Db::store_error)?;
        Ok(true)
    }

    async fn categories(&self) -> StoreResult<Vec<Category>> {
        let rows: Vec<CategoryRow> = sqlx::query_as(Db::SQL.categories)
            .fetch_all(&self.read)
            .await
            .map_err(Db::store_error)?;
        rows.into_iter().map(Category::try_from).collect()
    }

    async fn category(&self, id: CategoryId) -> StoreResult<Option<Category>> {
        let row = sqlx::query_as(concat!(
            "SELECT ",
            category_columns!(),
            " FROM categories WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.read)
        .await
        .map_err(Db::store_error)?;
        into_category(row)
    }

    async fn category_by_name(&self, name: &str) -> StoreResult<Option<Category>> {
        let row = sqlx::query_as(concat!(
            "SELECT ",
            category_columns!(),
            " FROM categories WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.read)
        .await
        .map_err(Db::store_error)?;
        into_category(row)
    }

    async fn update_category(
        &self,
        id: CategoryId,
        changes: &CategoryChanges,
    ) -> StoreResult<Option<Category>> {
        let sql = concat!(
            "UPDATE categories SET name = COALESCE($2, name), \
             description = CASE WHEN $3 THEN $4 ELSE description END, \
             icon = CASE WHEN $5 THEN $6 ELSE icon END, updated_at = $7 \
             WHERE id = $1 RETURNING ",
            category_columns!()
        );
        let row = sqlx::query_as(sql)
            .bind(id.0)
            .bind(changes.name.as_ref().map(|n| n.as_str()))
            .bind(changes.description.is_some())
            .bind(
                changes
                    .description
                    .as_ref()
                    .and_then(|d| d.as_ref().map(|d| d.as_str())),
            )
            .bind(changes.icon.is_some())
            .bind(changes.icon.as_ref().and_then(|i| i.as_deref()))
            .bind(Timestamp::now().unix_micros())
            .fetch_optional(&self.write)
            .await
            .map_err(Db::store_error)?;
        into_category(row)
    }

    /// With row locks, locks the category before counting its servers: a server being
    /// created in it or moved to it (its foreign key locks the category row too) either
    /// committed before the count, which sees it, or waits and then finds the category gone.
    async fn delete_category(&self, id: CategoryId) -> StoreResult<CategoryDeletion> {
        let mut tx = self.begin_write().await?;
        if Db::ROW_LOCKS {
            let found: Option<i64> = sqlx::query_scalar(Db::SQL.lock_category)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Db::store_error)?;
            if found.is_none() {
                return Ok(CategoryDeletion::NotFound);
            }
        }
        let in_use: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM servers WHERE category_id = $1")
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        if in_use > 0 {
            return Ok(CategoryDeletion::InUse(in_use));
        }
        let done = sqlx::query("DELETE FROM categories WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(if done.rows_affected() == 1 {
            CategoryDeletion::Deleted
        } else {
            CategoryDeletion::NotFound
        })
    }
}
