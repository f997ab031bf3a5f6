//! multipart (in progress)
