//! Categories as both backends read them.

use super::time;
use pingme_domain::CategoryId;
use pingme_domain::community::Category;
use pingme_domain::store::{StoreError, StoreResult};

/// The columns every category query returns, in [`CategoryRow`]'s order.
macro_rules! category_columns {
    () => {
        "id, name, description, icon, created_at, updated_at"
    };
}
pub(crate) use category_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct CategoryRow {
    id: i64,
    name: String,
    description: Option<String>,
    icon: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<CategoryRow> for Category {
    type Error = StoreError;

    fn try_from(row: CategoryRow) -> Result<Self, StoreError> {
        Ok(Category {
            id: CategoryId(row.id),
            name: row.name,
            description: row.description,
            icon: row.icon,
            created_at: time(row.created_at)?,
            updated_at: time(row.updated_at)?,
        })
    }
}

/// A category a lookup may not have found.
pub(crate) fn into_category(row: Option<CategoryRow>) -> StoreResult<Option<Category>> {
    row.map(Category::try_from).transpose()
}
