//! The router as hyper calls it for one connection: the peer's address in each request, and
//! the connection busy while a request is handled and its response written.

use super::connection::{Busy, Connection};
use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::ServiceExt;

/// Responses up to this size are written at once, in practice: the request counts as done
/// when its handler answers, and the body is not wrapped (a wrapper per response cost a few
/// per cent of the fastest requests). Larger ones keep the connection busy until written, so
/// that a keep-alive timeout never falls while a large answer is still on its way.
const SMALL_RESPONSE: u64 = 64 * 1024;

pub fn service(
    router: Router,
    peer: SocketAddr,
    connection: Arc<Connection>,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Body>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Body>, Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let busy = connection.begin();
        let (router, connection) = (router.clone(), connection.clone());
        async move {
            // Evicted to make room just as this request began: nothing of it has run.
            let Some(busy) = busy else {
                return Ok(evicted());
            };
            let response = router.oneshot(request.map(Body::new)).await?;
            if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                connection.upgrading();
            }
            let small = response
                .body()
                .size_hint()
                .exact()
                .is_some_and(|size| size <= SMALL_RESPONSE);
            Ok(match small {
                true => response,
                false => response.map(|body| Body::new(Tracked { body, _busy: busy })),
            })
        }
    })
}

/// The answer to a request that arrived on a connection closed to make room.
fn evicted() -> Response<Body> {
    let mut response = Response::new(Body::from(
        r#"{"detail":"The server is full; try again shortly."}"#,
    ));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A large response body, keeping its request busy until hyper is done with it.
struct Tracked {
    body: Body,
    _busy: Busy,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
