//! Socket options of accepted connections: `TCP_NODELAY`, so a streamed reply's small
//! writes never wait for the client's delayed ACK (a full download once stalled ~40 ms).

use std::io::{Read, Write};

use crate::helpers::spawn_app;

/// The server's side of the connection whose peer is `client`, found among this process's
/// descriptors (the test runs the server in-process), and whether it has `TCP_NODELAY`.
#[allow(unsafe_code)]
fn server_side_nodelay(server: std::net::SocketAddr, client: std::net::SocketAddr) -> Option<bool> {
    let fds = std::fs::read_dir("/proc/self/fd").ok()?;
    for entry in fds.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let (Some(local), Some(peer)) = (socket_addr(fd, false), socket_addr(fd, true)) else {
            continue;
        };
        if local.port() != server.port() || peer != client {
            continue;
        }
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `value` and `len` outlive the call and match the option's size; a
        // descriptor closed meanwhile only makes the call fail.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        if rc == 0 {
            return Some(value != 0);
        }
    }
    None
}

#[allow(unsafe_code)]
fn socket_addr(fd: i32, peer: bool) -> Option<std::net::SocketAddr> {
    // SAFETY: all zeroes is a valid `sockaddr_in`.
    let mut storage: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    let target = (&mut storage as *mut libc::sockaddr_in).cast();
    // SAFETY: `storage` is large enough for an IPv4 address and outlives the call; other
    // kinds of descriptor make it fail or report another family, which is checked.
    let rc = unsafe {
        if peer {
            libc::getpeername(fd, target, &mut len)
        } else {
            libc::getsockname(fd, target, &mut len)
        }
    };
    if rc != 0 || i32::from(storage.sin_family) != libc::AF_INET {
        return None;
    }
    let ip = std::net::Ipv4Addr::from(u32::from_be(storage.sin_addr.s_addr));
    Some(std::net::SocketAddr::from((
        ip,
        u16::from_be(storage.sin_port),
    )))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_connections_have_tcp_nodelay() {
    let app = spawn_app().await;
    let server = app.addr;
    let found = tokio::task::spawn_blocking(move || {
        let mut client = std::net::TcpStream::connect(server).expect("connect");
        // One request on a kept-alive connection, so the server has surely accepted it.
        client
            .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
            .expect("write");
        let mut reply = [0u8; 64];
        let n = client.read(&mut reply).expect("read");
        assert!(reply[..n].starts_with(b"HTTP/1.1 200"));
        server_side_nodelay(server, client.local_addr().expect("local addr"))
    })
    .await
    .expect("join");
    assert_eq!(found, Some(true), "the accepted socket has TCP_NODELAY");
    app.shutdown().await;
}
