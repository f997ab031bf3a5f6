//! Request-head parsing rate and whole exchanges through the engine.
//!
//! `cargo bench -p samsung-core --bench http`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use samsung_core::ClientAddr;
use samsung_core::conn::{Connection, MIN_TRANSMIT_BUF};
use samsung_core::http::parse_head;
use samsung_core::sns::{Bridge, BridgeConfig};
use samsung_core::time::Instant;

const GLD: &[u8] = b"GET / HTTP/1.1\r\nHost: gld.samsungosp.com\r\nUser-Agent: NX300\r\n\r\n";
const EMAIL_HEAD: &[u8] = b"POST /social/columbus/email?DUID=123456789033  HTTP/1.0\r\n\
Authorization:OAuth oauth_consumer_key=\"censored\",oauth_nonce=\"censored\",oauth_signature=\"censored=\",oauth_signature_method=\"HmacSHA1\",oauth_timestamp=\"9717886885\",oauth_version=\"1.0\"\r\n\
x-osp-version:v1\r\nUser-Agent: sdeClient\r\n\
Content-Type: multipart/form-data; boundary=---------------------------7d93b9550d4a\r\n\
Accept: image/gif, image/x-xbitmap, image/jpeg, image/pjpeg, application/x-shockwave-flash, application/vnd.ms-excel, application/vnd.ms-powerpoint, application/msword, */*\r\n\
Pragma: no-cache\r\nAccept-Language: ko\r\n\
User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1; Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1) ; .NET CLR 1.1.4322; InfoPath.2; .NET CLR 2.0.50727)\r\n\
Host: www.ospserver.net\r\nContent-Length: 1321295\r\n\r\n";

const V7_BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"login\" Timeout=\"3000\" CameraCryptKey=\"58a4c8161c8aa7b1287bc4934a2d89fa952da1cddc5b8f3d84d34\">\n<UserName Value=\"uFK%2Fz%2BkEchpulalnJr1rBw%3D%3D\"/>\n<Password Value=\"ob7Ue7q%2BkUSZFffy3%2BVfiQ%3D%3D\"/>\n<PersistKey Use=\"true\"/>\n<SessionKey Type=\"APIF\"/>\n<CryptSessionKey Use=\"true\" Type=\"SHA1\" Value=\"//////S3mbZSAQAA/LOitv////9IIgS2UgEAAAAQBLY=\"/>\n<ApplicationKey Value=\"6a563c3967f147d3adfa454ef913535d0d109ba4b4584914\"/>\n</Request>\n";

/// One request through a fresh connection, answer rendered: what a
/// frontend does per camera request.
fn exchange(bridge: &mut Bridge, request: &[u8], out: &mut [u8]) -> usize {
    let now = Instant::from_millis(1_735_689_600_000);
    let mut conn = Connection::new(ClientAddr::from_ipv4([10, 42, 0, 2]), now);
    let mut off = 0;
    loop {
        let (n, ev) = conn.handle_input(bridge, now, &request[off..]);
        off += n;
        if ev.is_none() && off == request.len() {
            break;
        }
    }
    conn.poll_transmit(out).expect("answered")
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("request-head");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse gld check", |b| b.iter(|| parse_head(black_box(GLD))));
    g.bench_function("parse e-mail head (NX300 capture)", |b| {
        b.iter(|| parse_head(black_box(EMAIL_HEAD)))
    });
    g.finish();

    let mut g = c.benchmark_group("exchange");
    g.throughput(Throughput::Elements(1));
    let mut out = [0u8; MIN_TRANSMIT_BUF];
    let mut bridge = Bridge::new(BridgeConfig::default(), [1; 32]);
    g.bench_function("gld hotspot check", |b| {
        b.iter(|| exchange(&mut bridge, black_box(GLD), &mut out))
    });
    let login = format!(
        "POST /facebook/auth HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Length: {}\r\n\r\n{V7_BODY}",
        V7_BODY.len()
    );
    // The table is bounded (1024 sessions by default): the steady state
    // measured here includes evicting the least recently used session.
    let config = BridgeConfig {
        senders: Some(vec!["x".into()]),
        ..BridgeConfig::default()
    };
    let mut bridge = Bridge::new(config, [2; 32]);
    g.bench_function(
        "complete login (V7: parse, decrypt, session, answer)",
        |b| {
            b.iter(|| {
                let n = exchange(&mut bridge, black_box(login.as_bytes()), &mut out);
                assert!(out[..n].starts_with(b"HTTP/1.1 200"));
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
