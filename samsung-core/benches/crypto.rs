//! Credential decryption cost per social login (VECTORS V7: one block each, V9: two + one blocks).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use samsung_core::crypto::decrypt_credentials;

const V7: (&str, &str, &str) = (
    "uFK%2Fz%2BkEchpulalnJr1rBw%3D%3D",
    "ob7Ue7q%2BkUSZFffy3%2BVfiQ%3D%3D",
    "//////S3mbZSAQAA/LOitv////9IIgS2UgEAAAAQBLY=",
);
const V9: (&str, &str, &str) = (
    "7SWeVZO1ja%2FtUg7RXw4uUgYmQ0yN2DENOlei0k0q2Ys%3D",
    "ROLCnrin5ZEQjiFaLz3E7g%3D%3D",
    "/////xAAwKRSAQAAAPAHtv////8QAMCkUgEAAADwB7Y=",
);

fn bench(c: &mut Criterion) {
    for (name, (user, password, csk)) in [("V7", V7), ("V9", V9)] {
        c.bench_function(&format!("decrypt_credentials {name}"), |b| {
            b.iter(|| {
                decrypt_credentials(black_box(user), black_box(password), Some(black_box(csk)))
            })
        });
    }
    c.bench_function("decrypt_credentials V10 plain", |b| {
        b.iter(|| {
            decrypt_credentials(
                black_box("Camera%40samsungcamera.com"),
                black_box("secret"),
                None,
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
