//! Port 80: the cameras' SNS API. smoltcp has no listen backlog (one socket
//! accepts one connection), so the board runs [`HTTP_WORKERS`] accept loops
//! ([`run_http`]), each with its own socket; the cameras open several
//! connections back to back, and each must find a listening socket.

use alloc::vec;

use embassy_net::Stack;
use embassy_net::tcp::TcpSocket;
use embassy_time::Duration;

use crate::app::App;
use crate::upstream::Upstream;

mod conn;

/// The SNS API's port.
pub const HTTP_PORT: u16 = 80;
/// Accept loops the board runs (one task each). Five cameras opening
/// connections back to back at once are all answered from 5 loops on
/// (`examples/upload-bench` prints the table, `tests/back_to_back.rs`
/// checks it); the sixth covers the moment a loop re-listens after a close.
pub const HTTP_WORKERS: usize = 6;
/// Receive buffer of one worker's socket: the TCP window a camera's upload
/// streams into.
pub const HTTP_RX_BUF: usize = 4096;
/// Send buffer of one worker's socket: an answer (at most
/// [`samsung_core::conn::MIN_TRANSMIT_BUF`]) fits whole, so it leaves in
/// one write as the cameras need.
pub const HTTP_TX_BUF: usize = samsung_core::conn::MIN_TRANSMIT_BUF;
/// What one read from the socket takes at most.
pub const HTTP_READ_BUF: usize = 1024;
/// RAM one worker holds for its whole life.
pub const HTTP_WORKER_RAM: usize =
    HTTP_RX_BUF + HTTP_TX_BUF + HTTP_READ_BUF + samsung_core::conn::MIN_TRANSMIT_BUF;
/// A connection without traffic for this long is dropped by smoltcp (the
/// core's own head and body timeouts are shorter).
const SOCKET_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a closed connection may take to deliver its last bytes.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Serves the SNS API on [`HTTP_PORT`] of `stack`, one connection at a time;
/// run [`HTTP_WORKERS`] of these (`worker` numbers them in the log).
/// Never returns.
pub async fn run_http<U: Upstream>(
    app: &'static App<U>,
    stack: Stack<'static>,
    worker: usize,
) -> ! {
    let mut rx = vec![0u8; HTTP_RX_BUF];
    let mut tx = vec![0u8; HTTP_TX_BUF];
    let mut read = vec![0u8; HTTP_READ_BUF];
    let mut out = vec![0u8; samsung_core::conn::MIN_TRANSMIT_BUF];
    loop {
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        socket.set_timeout(Some(SOCKET_TIMEOUT));
        if let Err(e) = socket.accept(HTTP_PORT).await {
            log::warn!("http worker {worker}: accept failed: {e:?}");
            continue;
        }
        conn::serve(app, &mut socket, &mut read, &mut out).await;
        socket.close();
        // Let the answer and the FIN leave before the socket is reused; a
        // peer that never acknowledges is cut short.
        let _ = embassy_time::with_timeout(CLOSE_WAIT, socket.flush()).await;
    }
}
