//! The query parameters lists share, read the same way everywhere: a page size with a
//! default and a maximum, ids to start after or before, a text to search for. Empty counts
//! as absent, as in the original's filters.

use crate::error::ApiError;
use crate::extract::Id;
use pingme_domain::AccountId;
use pingme_domain::account::AccountPage;
use pingme_domain::search::SearchText;

/// How many a page holds when the client does not say, and the most it may ask for.
#[derive(Clone, Copy, Debug)]
pub struct PageSizes {
    pub default: u32,
    pub max: u32,
}

/// A query parameter read with `parse`; empty counts as absent.
pub fn number(
    name: &str,
    value: &Option<String>,
    parse: fn(&str) -> Option<i64>,
) -> Result<Option<i64>, ApiError> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| parse(v).ok_or_else(|| ApiError::field(name, "A valid integer is required.")))
        .transpose()
}

/// `limit`: at least 1; more than the maximum is cut down to it, not refused.
pub fn limit(value: &Option<String>, sizes: PageSizes) -> Result<u32, ApiError> {
    match number("limit", value, |v| v.parse().ok())? {
        None => Ok(sizes.default),
        Some(n) if n < 1 => Err(ApiError::field(
            "limit",
            "Ensure this value is greater than or equal to 1.",
        )),
        Some(n) => Ok(u32::try_from(n).unwrap_or(sizes.max).min(sizes.max)),
    }
}

/// A page of accounts from `after` (an account id) and `limit`.
pub fn accounts(
    after: &Option<String>,
    limit_value: &Option<String>,
    sizes: PageSizes,
) -> Result<AccountPage, ApiError> {
    Ok(AccountPage {
        after: number("after", after, Id::parse)?.map(AccountId),
        limit: limit(limit_value, sizes)?,
    })
}

/// `search`: the text a name must contain; blank filters nothing.
pub fn search(value: &Option<String>) -> Result<Option<SearchText>, ApiError> {
    let raw = value.as_deref().unwrap_or_default();
    SearchText::parse(raw).map_err(|refusal| ApiError::field("search", refusal))
}
