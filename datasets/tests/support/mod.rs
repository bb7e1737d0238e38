//! A scripted HTTP server on 127.0.0.1 for the download and fault tests: it answers a fixed
//! list of connections (each on its own thread, logging the request before answering) and
//! stops by itself; never the internet.
// Each test crate that includes this module uses only part of it.
#![allow(dead_code)]
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// How long a stalled or endless reply lasts at most (the client must give up well before).
pub const HOLD: Duration = Duration::from_secs(5);

/// What the server does with one connection. Body-serving replies honour `Range` with a
/// correct 206.
#[derive(Clone)]
pub enum Reply {
    Body(Vec<u8>),
    /// The headers and the first `n` bytes (of what was asked for), then the connection drops.
    Cut(Vec<u8>, usize),
    /// The headers and the first `n` bytes, then silence on an open connection.
    Stall(Vec<u8>, usize),
    /// Reads the request and never answers.
    Mute,
    /// Status 200 with the body's length, then one byte every 100 ms (faster than any read
    /// timeout of the tests) until the body or [`HOLD`] ends.
    Trickle(Vec<u8>),
    /// Status 200, optionally announcing a length, then bytes without end.
    Endless(Option<u64>),
    /// Status 206 with this `Content-Range`, sending `body` whatever was asked for.
    Partial(&'static str, Vec<u8>),
    Redirect(String),
    /// Status 200, `text/html`.
    Page(&'static str),
    /// This status with a 3-byte body.
    Status(u16),
}

pub struct Server {
    pub base: String,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn url(&self, file: &str) -> String {
        format!("{}/{file}", self.base)
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

pub fn serve(replies: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    std::thread::spawn(move || {
        listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        for reply in replies {
            let stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break stream,
                    Err(_) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(_) => return,
                }
            };
            // Each connection on its own thread, so that a held one does not delay the next;
            // the request is logged before it is answered.
            let log = log.clone();
            std::thread::spawn(move || {
                stream.set_nonblocking(false).unwrap();
                let head = read_head(&stream);
                log.lock().unwrap().push(head.clone());
                answer(stream, &head, reply);
            });
        }
    });
    Server { base, requests }
}

fn read_head(stream: &TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            return head;
        }
        head.push_str(&line);
    }
}

/// The start of `Range: bytes=<start>-`, if the request has one.
pub fn range_start(head: &str) -> Option<usize> {
    head.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("range: bytes=")
            .and_then(|r| r.trim().trim_end_matches('-').parse().ok())
    })
}

/// Keeps the connection open, sending nothing, until the client hangs up or [`HOLD`] passed.
fn hold(mut s: TcpStream) {
    let until = Instant::now() + HOLD;
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut buf = [0u8; 256];
    while Instant::now() < until {
        match s.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

fn answer(mut s: TcpStream, head: &str, reply: Reply) {
    let ranged = |s: &mut TcpStream, body: &[u8], n: Option<usize>| {
        let (status, start) = match range_start(head) {
            Some(start) => (
                format!(
                    "206 Partial Content\r\nContent-Range: bytes {start}-{}/{}",
                    body.len() - 1,
                    body.len()
                ),
                start,
            ),
            None => ("200 OK".to_string(), 0),
        };
        let rest = &body[start..];
        let sent = &rest[..n.unwrap_or(rest.len()).min(rest.len())];
        write!(
            s,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            rest.len()
        )
        .and_then(|()| s.write_all(sent))
        .and_then(|()| s.flush())
    };
    let _ = match reply {
        Reply::Body(body) => ranged(&mut s, &body, None),
        Reply::Cut(body, n) => ranged(&mut s, &body, Some(n)),
        Reply::Stall(body, n) => {
            let _ = ranged(&mut s, &body, Some(n));
            hold(s);
            Ok(())
        }
        Reply::Mute => {
            hold(s);
            Ok(())
        }
        Reply::Trickle(body) => {
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let until = Instant::now() + HOLD;
            for byte in body {
                std::thread::sleep(Duration::from_millis(100));
                if Instant::now() > until || s.write_all(&[byte]).and_then(|()| s.flush()).is_err() {
                    break;
                }
            }
            Ok(())
        }
        Reply::Endless(length) => {
            let length = length.map_or(String::new(), |l| format!("Content-Length: {l}\r\n"));
            let _ = write!(s, "HTTP/1.1 200 OK\r\n{length}Connection: close\r\n\r\n");
            let chunk = vec![b'x'; 1 << 16];
            let until = Instant::now() + HOLD;
            while Instant::now() < until && s.write_all(&chunk).is_ok() {}
            Ok(())
        }
        Reply::Partial(content_range, body) => write!(
            s,
            "HTTP/1.1 206 Partial Content\r\nContent-Range: {content_range}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .and_then(|()| s.write_all(&body)),
        Reply::Redirect(location) => write!(
            s,
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        Reply::Status(code) => write!(
            s,
            "HTTP/1.1 {code} X\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno!"
        ),
        Reply::Page(page) => write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        ),
    };
}

pub fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
