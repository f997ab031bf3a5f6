//! Speed of the tolerant XML scanner on the camera requests of VECTORS.md,
//! and on 64 KiB of hostile input (linear time check by eye).

use criterion::{Criterion, criterion_group, criterion_main};
use samsung_core::xml;
use std::hint::black_box;

const V6_MESSAGE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
<email><sender>Camera@samsungcamera.com</sender><receiverList><receiver>friend@example.org</receiver> </receiverList><title><![CDATA[[Samsung Smart Camera] sent you files.]]></title>\r\n\
<body><![CDATA[Sent from Samsung Camera.\\r\\nlanguage_sh100_utf8]]></body></email>\r\n";

const V8: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Request Method="login" Timeout="3000" CameraCryptKey="844e7f0fadf4ba1cf5b6de9edb06ac9a448c0d3031b73db65a308cecb570428a44dea69bddd94403829e5c06efee9a4d555590f75a8c1313c3b935a0a03684d463733b30d3a34fe11b0da9d7f230366221ceec509419d89fd9b0cc36adc7258fbc904b497173d1f154202727c402b2a25d58dd0ecc6d576294880226cfb46151">
<UserName Value="7xKPwb19QdFKzsjsrQx62g%3D%3D"/>
<Password Value="U%2BK0X1QnWUv4tkvrrtQ0aQ%3D%3D"/>
<PersistKey Use="true"/>
4p4uaaq422af3"/>
<SessionKey Type="APIF"/>
<CryptSessionKey Use="true" Type="SHA1" Value="/////xAAwKRSAQAAAPAHtv////8QAMCkUgEAAADwB7Y="/>
<ApplicationKey Value="6a563c3967f147d3adfa454ef913535d0d109ba4b4584914"/>
</Request>
"#;

const V14: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Request Method="upload" Timeout="3000" SessionKey="0123456789abcdef0123456789abcdef">
<Photo>
<Album Name="NX300"/>
<File Name="SAM_1234.JPG"/>
<Content>Holiday shot!~fancy flower bed~traffic sign</Content>
</Photo>
</Request>
"#;

fn hostile(unit: &str) -> String {
    unit.repeat(xml::MAX_XML_LEN / unit.len())
}

fn bench(c: &mut Criterion) {
    c.bench_function("parse_auth V8", |b| {
        b.iter(|| xml::parse_auth(black_box(V8)))
    });
    c.bench_function("parse_email V6", |b| {
        b.iter(|| xml::parse_email(black_box(V6_MESSAGE)))
    });
    c.bench_function("parse_announce V14", |b| {
        b.iter(|| xml::parse_announce(black_box(V14), xml::MediaKind::Photo))
    });
    for unit in [
        "<a><a></a>",
        "<!x>",
        "<x@",
        "<a>&#12;&amp;&#x;</a>",
        "<a b='c",
        "<!--x-->",
    ] {
        let doc = hostile(unit);
        c.bench_function(&format!("texts 64KiB of {unit:?}"), |b| {
            b.iter(|| xml::texts(black_box(&doc), "a").len())
        });
        c.bench_function(&format!("parse_auth 64KiB of {unit:?}"), |b| {
            b.iter(|| xml::parse_auth(black_box(&doc)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
