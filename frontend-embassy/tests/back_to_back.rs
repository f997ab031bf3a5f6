//! smoltcp has no listen backlog: a SYN that finds no listening socket is
//! refused. Five cameras opening connections back to back at once must all
//! be answered by the board's [`HTTP_WORKERS`] accept loops.

mod common;

use common::*;
use samsung_bridge_embassy::HTTP_WORKERS;

#[test]
fn five_cameras_back_to_back_are_never_refused() {
    let app = app(board_config(""));
    let (ok, refused) = run(app, async |cam| back_to_back(cam, 5, 10).await);
    assert_eq!((ok, refused), (50, 0), "with {HTTP_WORKERS} workers");
}

#[test]
fn one_worker_is_not_enough() {
    // The reason for the pool: the same load on one accept loop loses
    // connections (so the test above can fail).
    let app = app(board_config(""));
    let (ok, refused) = run_with(app, 1, async |cam| back_to_back(cam, 5, 10).await);
    assert_eq!(ok + refused, 50);
    assert!(refused > 0, "one worker answered all {ok}");
}
