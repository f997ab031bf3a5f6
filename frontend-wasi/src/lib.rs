//! wasm32-wasip2 frontend (its own issue).
