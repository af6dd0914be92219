//! A request body must have arrived within `PINGME_HTTP_BODY_TIMEOUT` of its head. Without a
//! deadline, a client sending half a body and then nothing (or a byte now and then) held its
//! request — and the connection, and whatever the handler had taken — for ever. A body past
//! its deadline fails to read with [`BodyTimedOut`], which the body extractors answer with
//! 408 and a closed connection.

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Sleep;

/// Why a body could not be read: it took longer than the body timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body took too long to arrive")]
pub struct BodyTimedOut;

/// Whether reading a body failed because of its deadline.
pub fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<BodyTimedOut>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Puts the deadline on a request's body, when it has one (a plain map of the request: no
/// middleware future per request).
pub fn limit(timeout: Duration, request: Request) -> Request {
    if request.body().is_end_stream() {
        return request;
    }
    request.map(|body| {
        Body::new(Deadline {
            body,
            expired: Box::pin(tokio::time::sleep(timeout)),
        })
    })
}

struct Deadline {
    body: Body,
    expired: Pin<Box<Sleep>>,
}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::BoxError>>> {
        // What has arrived is taken, however late it is read; the deadline is for waiting.
        // A body trickling in a byte at a time is still Pending between bytes, which is
        // where its deadline catches it.
        match Pin::new(&mut self.body).poll_frame(cx) {
            Poll::Pending if self.expired.as_mut().poll(cx).is_ready() => {
                Poll::Ready(Some(Err(Box::new(BodyTimedOut))))
            }
            polled => polled.map_err(axum::BoxError::from),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_is_found_however_deep() {
        let wrapped = axum::Error::new(BodyTimedOut);
        assert!(timed_out(&wrapped));
        let other = axum::Error::new(std::io::Error::other("reset"));
        assert!(!timed_out(&other));
    }
}
