//! Socket options of the connections the server accepts.

use std::net::SocketAddr;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use socket2::SockRef;

use crate::helpers::spawn_app;

/// The server's end of the connection from `client` to `server`: it runs in
/// this process, so it is one of this process's descriptors. Reads whether
/// it has TCP_NODELAY.
fn server_side_nodelay(server: SocketAddr, client: SocketAddr) -> Option<bool> {
    for entry in std::fs::read_dir("/proc/self/fd").ok()?.flatten() {
        let Some(fd) = entry.file_name().to_str().and_then(|name| name.parse().ok()) else { continue };
        // SAFETY: only borrowed for the queries below; a descriptor closed
        // meanwhile makes them fail, which skips it.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let socket = SockRef::from(&borrowed);
        let (Ok(local), Ok(peer)) = (socket.local_addr(), socket.peer_addr()) else { continue };
        if local.as_socket() == Some(server) && peer.as_socket() == Some(client) {
            return socket.tcp_nodelay().ok();
        }
    }
    None
}

#[tokio::test]
async fn accepted_connections_send_small_writes_at_once() {
    let app = spawn_app().await;
    let connection = tokio::net::TcpStream::connect(app.server.addr).await.unwrap();
    let client = connection.local_addr().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let nodelay = loop {
        if let Some(nodelay) = server_side_nodelay(app.server.addr, client) {
            break nodelay;
        }
        assert!(Instant::now() < deadline, "the server accepts the connection");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    // Live events are small writes close together: without it they wait
    // for the client's delayed acknowledgements.
    assert!(nodelay, "TCP_NODELAY on the server's side");
}
