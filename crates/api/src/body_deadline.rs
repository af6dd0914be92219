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

    #[tokio::test]
    async fn what_has_arrived_is_read_however_late() {
        use axum::body::Body;
        let request = Request::new(Body::from("all of it"));
        let request = limit(Duration::ZERO, request);
        tokio::time::sleep(Duration::from_millis(10)).await;
        let body = axum::body::to_bytes(request.into_body(), 100).await;
        assert_eq!(body.expect("read in full"), "all of it");
    }

    #[tokio::test]
    async fn a_body_still_waited_for_past_its_deadline_fails() {
        let (mut sender, body) = unending_body();
        let request = limit(Duration::from_millis(20), Request::new(body));
        let read = tokio::spawn(axum::body::to_bytes(request.into_body(), 100));
        sender.push("half").await;
        let error = read.await.unwrap().expect_err("timed out");
        assert!(timed_out(&error), "{error}");
    }

    /// A body fed piece by piece, that never ends.
    fn unending_body() -> (Feeder, axum::body::Body) {
        let (send, receive) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
        let stream = futures_util::stream::unfold(receive, |mut receive| async move {
            receive.recv().await.map(|item| (item, receive))
        });
        (Feeder(send), axum::body::Body::from_stream(stream))
    }

    struct Feeder(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>);

    impl Feeder {
        async fn push(&mut self, text: &'static str) {
            self.0.send(Ok(Bytes::from(text))).await.unwrap();
        }
    }

    #[test]
    fn the_cause_is_found_however_deep() {
        let wrapped = axum::Error::new(BodyTimedOut);
        assert!(timed_out(&wrapped));
        let other = axum::Error::new(std::io::Error::other("reset"));
        assert!(!timed_out(&other));
    }
}
