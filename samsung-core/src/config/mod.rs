//! `config.toml`, read the same way by every frontend.

pub mod value;
