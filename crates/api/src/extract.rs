//! Axum's path and query extractors, answering in the contract's error shapes: a path
//! segment that does not parse names no object (404 `{"detail"}`), a query string that does
//! not parse is a 400 `{"detail"}` — never axum's plain-text rejections.

use crate::error::ApiError;
use axum::extract::FromRequestParts;

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct PathParam<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct QueryParams<T>(pub T);
