//! Just enough HTTP/1.1 for the proxy: one request per connection (every
//! answer says `Connection: close`), bodies sized by `Content-Length` (or
//! chunked, from moto), and a connection reset that looks like a lost
//! response.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;

/// Headers the proxy sets itself on everything it writes.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
];

/// One HTTP request as the provider sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query, as sent (still percent-encoded).
    pub target: String,
    /// Header names and values in the order received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// One HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names and values (hop-by-hop ones are dropped when written).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn set(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    headers.retain(|(key, _)| !key.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value.to_string()));
}

impl Request {
    /// A header's value (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// Replaces (or adds) a header.
    pub fn set_header(&mut self, name: &str, value: &str) {
        set(&mut self.headers, name, value);
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The raw query (after `?`), empty when none.
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The request as bytes for moto, asking it to close afterwards.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        for (name, value) in &self.headers {
            if !HOP_BY_HOP.contains(&name.to_ascii_lowercase().as_str()) {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

impl Response {
    /// A response with a body and a content type.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".to_string(), content_type.to_string())],
            body: body.into(),
        }
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// Replaces (or adds) a header.
    pub fn set_header(&mut self, name: &str, value: &str) {
        set(&mut self.headers, name, value);
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The response as bytes, closing the connection afterwards.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            if !HOP_BY_HOP.contains(&name.to_ascii_lowercase().as_str()) {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Reads the head lines up to the blank line; `None` at a clean EOF.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Vec<String>>> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return if lines.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            return Ok(Some(lines));
        }
        lines.push(line.to_string());
    }
}

fn parse_headers(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect()
}

fn read_body(reader: &mut impl BufRead, headers: &[(String, String)]) -> io::Result<Vec<u8>> {
    if find(headers, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        return read_chunked(reader);
    }
    let length = find(headers, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(body)
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size)?;
        let size = size.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        if size == 0 {
            // Trailers, then the blank line.
            read_head(reader)?;
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = String::new();
        reader.read_line(&mut crlf)?;
    }
}

/// Reads one request; `None` when the client closed without sending one.
pub fn read_request(reader: &mut impl BufRead) -> io::Result<Option<Request>> {
    let Some(lines) = read_head(reader)? else {
        return Ok(None);
    };
    let mut first = lines[0].split_whitespace();
    let method = first.next().unwrap_or_default().to_string();
    let target = first.next().unwrap_or("/").to_string();
    let headers = parse_headers(&lines[1..]);
    let body = read_body(reader, &headers)?;
    Ok(Some(Request {
        method,
        target,
        headers,
        body,
    }))
}

/// Reads one response (the server closes the connection after it).
pub fn read_response(reader: &mut impl BufRead) -> io::Result<Response> {
    let lines = read_head(reader)?.ok_or(io::ErrorKind::UnexpectedEof)?;
    let status = lines[0]
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad status line"))?;
    let headers = parse_headers(&lines[1..]);
    let has_length =
        find(&headers, "content-length").is_some() || find(&headers, "transfer-encoding").is_some();
    let body = if has_length {
        read_body(reader, &headers)?
    } else {
        let mut body = Vec::new();
        reader.read_to_end(&mut body)?;
        body
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// Sends `request` to `127.0.0.1:port` and reads the answer.
pub fn exchange(
    port: u16,
    request: &Request,
    timeout: std::time::Duration,
) -> io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(&request.to_bytes())?;
    stream.flush()?;
    read_response(&mut BufReader::new(stream))
}

/// Closes the connection with a TCP reset instead of an orderly close: the
/// client sees "connection reset by peer" and no answer.
pub fn reset(stream: TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the fd is a live socket owned by `stream`, and the option value
    // is a valid `linger` of the size passed.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            std::ptr::addr_of!(linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(stream);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_with_a_close() {
        let raw = b"POST /schedules/a?groupName=g HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}";
        let request = read_request(&mut &raw[..]).unwrap().unwrap();
        assert_eq!(request.method, "POST");
        assert_eq!(request.path(), "/schedules/a");
        assert_eq!(request.query(), "groupName=g");
        assert_eq!(request.header("HOST"), Some("x"));
        assert_eq!(request.body, b"{}");
        let again = String::from_utf8(request.to_bytes()).unwrap();
        assert!(again.contains("Connection: close\r\n"), "{again}");
        assert!(!again.contains("keep-alive"), "{again}");
        assert!(read_request(&mut &b""[..]).unwrap().is_none());
    }

    #[test]
    fn responses_read_by_length_chunks_or_close() {
        let sized = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcXX";
        assert_eq!(read_response(&mut &sized[..]).unwrap().body, b"abc");
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let response = read_response(&mut &chunked[..]).unwrap();
        assert_eq!(response.body, b"abcde");
        let text = String::from_utf8(response.to_bytes()).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.contains("Content-Length: 5\r\n") && !text.contains("chunked"));
        let closed = b"HTTP/1.0 500 X\r\n\r\nboom";
        let response = read_response(&mut &closed[..]).unwrap();
        assert_eq!(
            (response.status, response.body.as_slice()),
            (500, &b"boom"[..])
        );
    }
}
