//! The server itself, over real TCP connections on SQLite: a half-sent request is cut off, a slow one is
//! stopped, connections beyond the limit wait, and the browser's icon is served.

use crate::support::{Browser, Site};
use axum::http::{StatusCode, header};
use severn_store::{Backend, Db};
use severn_web::{ServerLimits, WebOptions, WebState, serve_on};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Severn served on a loopback port under `limits`, until the returned sender is dropped.
async fn serve(db: Db, limits: ServerLimits) -> (SocketAddr, oneshot::Sender<()>) {
    let site = Site::new(db).await;
    let options = WebOptions {
        limits,
        ..WebOptions::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_on(
        listener,
        WebState::new(site.app.clone(), options),
        async move {
            let _ = stopped.await;
        },
    ));
    (address, stop)
}

/// Everything the server sends until it closes the connection, or `None` if it is still open after `wait`.
async fn read_to_close(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut answer = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await {
        // A reset counts as closed too.
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
        Err(_) => None,
    }
}

const ICON_REQUEST: &[u8] =
    b"GET /favicon.ico HTTP/1.1\r\nHost: severn.example.org\r\nConnection: close\r\n\r\n";

async fn half_sent_requests_are_cut_off_after_the_header_timeout(db: Db) {
    let limits = ServerLimits {
        header_read_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    };
    let (address, _stop) = serve(db, limits).await;
    let started = Instant::now();
    let mut slow = TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /queue HT").await.unwrap();
    let answer = read_to_close(&mut slow, Duration::from_secs(5)).await;
    assert!(answer.is_some(), "the half-sent request was left open");
    assert!(started.elapsed() >= Duration::from_millis(250));
    // A connection that sends nothing at all is closed the same way.
    let mut silent = TcpStream::connect(address).await.unwrap();
    assert!(
        read_to_close(&mut silent, Duration::from_secs(5))
            .await
            .is_some()
    );

    // A whole request is answered as ever.
    let mut prompt = TcpStream::connect(address).await.unwrap();
    prompt.write_all(ICON_REQUEST).await.unwrap();
    let answer = read_to_close(&mut prompt, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

async fn requests_that_take_too_long_are_stopped(db: Db) {
    let limits = ServerLimits {
        request_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    };
    let (address, _stop) = serve(db, limits).await;
    // The header arrives; the body it announces never does.
    let mut slow = TcpStream::connect(address).await.unwrap();
    slow.write_all(
        b"POST /sign-in HTTP/1.1\r\nHost: severn.example.org\r\nCookie: severn_sign_in=abc\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ncsrf=ab",
    )
    .await
    .unwrap();
    let answer = read_to_close(&mut slow, Duration::from_secs(5)).await;
    let answer = answer.expect("the slow request was left open");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

async fn connections_beyond_the_limit_wait_for_a_place(db: Db) {
    let limits = ServerLimits {
        max_connections: 1,
        ..ServerLimits::default()
    };
    let (address, _stop) = serve(db, limits).await;
    let holder = TcpStream::connect(address).await.unwrap();
    // Give the server the moment it needs to accept the first connection.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut waiting = TcpStream::connect(address).await.unwrap();
    waiting.write_all(ICON_REQUEST).await.unwrap();
    assert_eq!(
        read_to_close(&mut waiting, Duration::from_millis(500)).await,
        None,
        "answered beyond the limit"
    );
    drop(holder);
    let answer = read_to_close(&mut waiting, Duration::from_secs(5)).await;
    let answer = answer.expect("still waiting after the first connection closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

async fn browsers_get_an_icon(db: Db) {
    let site = Site::new(db).await;
    let page = Browser::new().get(&site, "/favicon.ico").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert!(page.body.starts_with("<svg"), "{}", page.body);
    assert!(
        page.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .starts_with("public")
    );
}

/// These are about the server, not the database: SQLite only.
mod sqlite {
    use super::*;

    #[tokio::test]
    async fn half_sent_requests_are_cut_off_after_the_header_timeout() {
        severn_store::testing::run(
            Backend::Sqlite,
            super::half_sent_requests_are_cut_off_after_the_header_timeout,
        )
        .await;
    }

    #[tokio::test]
    async fn requests_that_take_too_long_are_stopped() {
        severn_store::testing::run(
            Backend::Sqlite,
            super::requests_that_take_too_long_are_stopped,
        )
        .await;
    }

    #[tokio::test]
    async fn connections_beyond_the_limit_wait_for_a_place() {
        severn_store::testing::run(
            Backend::Sqlite,
            super::connections_beyond_the_limit_wait_for_a_place,
        )
        .await;
    }

    #[tokio::test]
    async fn browsers_get_an_icon() {
        severn_store::testing::run(Backend::Sqlite, super::browsers_get_an_icon).await;
    }
}
