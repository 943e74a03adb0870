//! Compressed answers: brotli when the browser accepts it, else gzip, else as they are.
//!
//! [`layer`] wraps pages, server functions, exports and the static files under `/pkg`
//! (see `router`). It sits outside `security::api_status`, which reads a server
//! function's error body and so must see it uncompressed. Never compressed:
//! - the live stream (`text/event-stream`): it is kept out of the compressed routes, and
//!   the predicate refuses it as well, so an event is never held back in an encoder;
//! - bodies under 32 bytes, and images (already compressed, except SVG);
//! - an answer that already carries `Content-Encoding` (a precompressed `.br`/`.gz` file
//!   served for `/pkg`): [`vary_on_encoding`] still marks it as depending on
//!   `Accept-Encoding`, so no cache hands it to a browser that cannot read it.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::compression::predicate::DefaultPredicate;
use tower_http::compression::CompressionLayer;

/// The compression layer: brotli or gzip at their default levels (brotli 4, gzip 6: quick
/// enough to run on every answer), for the answers [`DefaultPredicate`] allows.
///
/// A streamed body is flushed whenever its source waits (async-compression 0.4.40 and
/// later), so what is rendered reaches the browser without waiting for the end.
pub fn layer() -> CompressionLayer<DefaultPredicate> {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .compress_when(DefaultPredicate::new())
}

/// Adds `Vary: Accept-Encoding` to an encoded answer that lacks it: the compression layer
/// sets it on what it compresses, but not on files served already compressed.
pub async fn vary_on_encoding(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let varies = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            let v = v.trim();
            v == "*" || v.eq_ignore_ascii_case("accept-encoding")
        });
    if headers.contains_key(header::CONTENT_ENCODING) && !varies {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::response::sse::{Event, Sse};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use axum::Router;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// Plenty of text, well over the size limit.
    fn text() -> String {
        "Baton keeps the pipeline and the plan in one place. ".repeat(40)
    }

    fn compressed(router: Router) -> Router {
        router
            .layer(layer())
            .layer(axum::middleware::from_fn(vary_on_encoding))
    }

    async fn get_with(router: &Router, path: &str, accept: &str) -> Response {
        router
            .clone()
            .oneshot(
                Request::get(path)
                    .header(header::ACCEPT_ENCODING, accept)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap()
    }

    fn encoding(response: &Response) -> Option<&str> {
        response
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap())
    }

    #[tokio::test]
    async fn brotli_is_preferred_then_gzip() {
        let router = compressed(Router::new().route("/", get(|| async { text() })));
        let br = get_with(&router, "/", "gzip, deflate, br").await;
        assert_eq!(encoding(&br), Some("br"));
        assert_eq!(br.headers()[header::VARY], "accept-encoding");
        let gzip = get_with(&router, "/", "gzip").await;
        assert_eq!(encoding(&gzip), Some("gzip"));
        let plain = get_with(&router, "/", "identity").await;
        assert_eq!(encoding(&plain), None);
        let body = plain.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, text().as_bytes());
    }

    #[tokio::test]
    async fn events_tiny_bodies_and_images_stay_as_they_are() {
        let router = compressed(
            Router::new()
                .route(
                    "/events",
                    get(|| async {
                        let event = Event::default().data(text());
                        Sse::new(futures::stream::iter([Ok::<_, std::convert::Infallible>(
                            event,
                        )]))
                    }),
                )
                .route("/tiny", get(|| async { "ok" }))
                .route(
                    "/image",
                    get(|| async { ([(header::CONTENT_TYPE, "image/png")], text()) }),
                ),
        );
        for path in ["/events", "/tiny", "/image"] {
            let answer = get_with(&router, path, "br, gzip").await;
            assert_eq!(encoding(&answer), None, "{path}");
        }
        let events = get_with(&router, "/events", "br").await;
        let body = events.into_body().collect().await.unwrap().to_bytes();
        assert!(String::from_utf8_lossy(&body).starts_with("data: Baton"));
    }

    #[tokio::test]
    async fn an_answer_already_encoded_is_left_alone_and_varies() {
        let router = compressed(Router::new().route(
            "/pkg/baton.wasm",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "application/wasm"),
                        (header::CONTENT_ENCODING, "br"),
                    ],
                    text(),
                )
                    .into_response()
            }),
        ));
        let answer = get_with(&router, "/pkg/baton.wasm", "br").await;
        assert_eq!(encoding(&answer), Some("br"));
        let vary: Vec<_> = answer.headers().get_all(header::VARY).iter().collect();
        assert_eq!(vary, ["accept-encoding"]);
        let body = answer.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, text().as_bytes(), "not compressed a second time");
    }

    #[tokio::test]
    async fn a_streamed_page_is_sent_as_it_is_rendered() {
        use std::io::Write;
        let (send, receive) = tokio::sync::mpsc::channel::<String>(1);
        let receive = std::sync::Arc::new(std::sync::Mutex::new(Some(receive)));
        let router = compressed(Router::new().route(
            "/",
            get(move || {
                let receive = receive.lock().unwrap().take().unwrap();
                let chunks = tokio_stream_of(receive);
                async move {
                    (
                        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        Body::from_stream(chunks),
                    )
                }
            }),
        ));
        let answer = get_with(&router, "/", "br").await;
        assert_eq!(encoding(&answer), Some("br"));
        let mut body = answer.into_body();
        send.send(format!("<header>{}</header>", text()))
            .await
            .unwrap();
        // The first part arrives, decodable, while the rest is still being rendered.
        let mut decoded = brotli::DecompressorWriter::new(Vec::new(), 4096);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while !String::from_utf8_lossy(decoded.get_ref()).contains("</header>") {
            let frame = tokio::time::timeout_at(deadline, body.frame())
                .await
                .expect("the first part was held back")
                .expect("the body ended early")
                .unwrap();
            if let Some(bytes) = frame.data_ref() {
                decoded.write_all(bytes).unwrap();
                decoded.flush().unwrap();
            }
        }
        drop(send);
        while let Some(frame) = body.frame().await {
            decoded
                .write_all(frame.unwrap().data_ref().unwrap())
                .unwrap();
        }
        let decoded = decoded.into_inner().unwrap();
        assert_eq!(decoded, format!("<header>{}</header>", text()).as_bytes());
    }

    /// The strings sent on `receive`, as body chunks, until it closes.
    fn tokio_stream_of(
        mut receive: tokio::sync::mpsc::Receiver<String>,
    ) -> impl futures::Stream<Item = Result<String, std::convert::Infallible>> + Send {
        futures::stream::poll_fn(move |cx| receive.poll_recv(cx).map(|chunk| chunk.map(Ok)))
    }
}
